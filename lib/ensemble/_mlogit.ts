/**
 * Folder-private compact multinomial logistic regression (3 classes) fitted by full-batch Adam with L2.
 * @module
 */

/** A fitted model: features standardized with `mean`/`std`, then `softmax(W x + b)`. */
export interface MLogit {
  d: number;
  mean: Float64Array;
  std: Float64Array;
  /** Row-major `3 x (d + 1)`: per class `[b, w_1..w_d]`. */
  coef: Float64Array;
}

/** Fit options. */
export interface MLogitOptions {
  /** L2 penalty on the weights (not the intercepts), per row averaged loss. Default 1e-3. */
  l2?: number;
  /** Adam iterations. Default 300. */
  iters?: number;
  /** Adam step. Default 0.05. */
  lr?: number;
}

/**
 * Fits on rows of `X` (row-major `n x d`) with labels in {0,1,2}; rows whose label is negative are skipped.
 */
export function fitMLogit(X: Float64Array, d: number, y: Int8Array, opts: MLogitOptions = {}): MLogit {
  const l2 = opts.l2 ?? 1e-3, iters = opts.iters ?? 300, lr = opts.lr ?? 0.05;
  const rows: number[] = [];
  for (let i = 0; i < y.length; i++) if (y[i] >= 0) rows.push(i);
  const m = rows.length;
  const mean = new Float64Array(d), std = new Float64Array(d);
  for (const i of rows) for (let j = 0; j < d; j++) mean[j] += X[i * d + j] / m;
  for (const i of rows) for (let j = 0; j < d; j++) std[j] += (X[i * d + j] - mean[j]) ** 2 / m;
  for (let j = 0; j < d; j++) std[j] = std[j] > 1e-18 ? Math.sqrt(std[j]) : 1;
  const Z = new Float64Array(m * d);
  const Y = new Int8Array(m);
  for (let r = 0; r < m; r++) {
    const i = rows[r];
    Y[r] = y[i];
    for (let j = 0; j < d; j++) Z[r * d + j] = (X[i * d + j] - mean[j]) / std[j];
  }
  const D = d + 1, P = 3 * D;
  const coef = new Float64Array(P),
    g = new Float64Array(P),
    m1 = new Float64Array(P),
    m2 = new Float64Array(P);
  const b1 = 0.9, b2 = 0.999;
  for (let t = 1; t <= iters; t++) {
    g.fill(0);
    for (let r = 0; r < m; r++) {
      const o = r * d;
      let z0 = coef[0], z1 = coef[D], z2 = coef[2 * D];
      for (let j = 0; j < d; j++) {
        const x = Z[o + j];
        z0 += coef[1 + j] * x;
        z1 += coef[D + 1 + j] * x;
        z2 += coef[2 * D + 1 + j] * x;
      }
      const mx = Math.max(z0, z1, z2);
      const e0 = Math.exp(z0 - mx), e1 = Math.exp(z1 - mx), e2 = Math.exp(z2 - mx);
      const s = e0 + e1 + e2;
      const yr = Y[r];
      const r0 = e0 / s - (yr === 0 ? 1 : 0),
        r1 = e1 / s - (yr === 1 ? 1 : 0),
        r2 = e2 / s - (yr === 2 ? 1 : 0);
      g[0] += r0;
      g[D] += r1;
      g[2 * D] += r2;
      for (let j = 0; j < d; j++) {
        const x = Z[o + j];
        g[1 + j] += r0 * x;
        g[D + 1 + j] += r1 * x;
        g[2 * D + 1 + j] += r2 * x;
      }
    }
    for (let p = 0; p < P; p++) {
      let gp = g[p] / m;
      if (p % D !== 0) gp += 2 * l2 * coef[p];
      m1[p] = b1 * m1[p] + (1 - b1) * gp;
      m2[p] = b2 * m2[p] + (1 - b2) * gp * gp;
      const mh = m1[p] / (1 - b1 ** t), vh = m2[p] / (1 - b2 ** t);
      coef[p] -= lr * mh / (Math.sqrt(vh) + 1e-8);
    }
  }
  return { d, mean, std, coef };
}

/** Class probabilities, row-major `n x 3`, for rows of `X` (`n x d`). */
export function predictMLogit(model: MLogit, X: Float64Array): Float64Array {
  const { d, mean, std, coef } = model;
  const D = d + 1;
  const n = X.length / d;
  const out = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    let z0 = coef[0], z1 = coef[D], z2 = coef[2 * D];
    for (let j = 0; j < d; j++) {
      const x = (X[i * d + j] - mean[j]) / std[j];
      z0 += coef[1 + j] * x;
      z1 += coef[D + 1 + j] * x;
      z2 += coef[2 * D + 1 + j] * x;
    }
    const mx = Math.max(z0, z1, z2);
    const e0 = Math.exp(z0 - mx), e1 = Math.exp(z1 - mx), e2 = Math.exp(z2 - mx);
    const s = e0 + e1 + e2;
    out[3 * i] = e0 / s;
    out[3 * i + 1] = e1 / s;
    out[3 * i + 2] = e2 / s;
  }
  return out;
}
