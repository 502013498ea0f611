/**
 * Multinomial logistic regression with L2 penalty on standardized features, fitted by L-BFGS on Float64Array.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import type { TrendModel } from "./types.ts";
import { fitScaler, labeledRows, type Scaler, transform } from "./_scaler.ts";
import { lbfgs } from "./_lbfgs.ts";

const K = 3;

/** Penalties tried by `l2: "auto"`. */
export const L2_GRID = [1e-4, 1e-3, 1e-2, 1e-1];

/** Options of {@link LogisticModel}. */
export interface LogisticOptions {
  /**
   * L2 penalty on the (standardized) weights, intercepts unpenalized. Default 1e-3. `"auto"` picks the value
   * of {@link L2_GRID} with the lowest log loss on the labeled `valid` rows (1e-3 when there are none).
   */
  l2?: number | "auto";
  maxIter?: number;
}

/** Serialized parameters of a fitted {@link LogisticModel}. */
export interface LogisticParams {
  model: "logistic";
  featureNames: string[];
  l2: number;
  scaler: Scaler;
  /** `3 x (p + 1)` row-major, last column the intercept. */
  weights: number[];
}

/** Mean multinomial cross-entropy + L2 and its gradient for weights `w` on matrix `Z` (`n x p`) and labels `y`. */
export function softmaxObjective(
  Z: Float64Array,
  y: Int8Array,
  p: number,
  l2: number,
): (w: Float64Array, g: Float64Array) => number {
  const n = y.length, q = p + 1;
  return (w, g) => {
    g.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const o = i * p;
      let a0 = w[p], a1 = w[q + p], a2 = w[2 * q + p];
      for (let j = 0; j < p; j++) {
        const z = Z[o + j];
        a0 += w[j] * z;
        a1 += w[q + j] * z;
        a2 += w[2 * q + j] * z;
      }
      const mx = Math.max(a0, a1, a2);
      const e0 = Math.exp(a0 - mx), e1 = Math.exp(a1 - mx), e2 = Math.exp(a2 - mx);
      const s = e0 + e1 + e2;
      const yi = y[i];
      loss += Math.log(s) + mx - (yi === 0 ? a0 : yi === 1 ? a1 : a2);
      const d0 = e0 / s - (yi === 0 ? 1 : 0),
        d1 = e1 / s - (yi === 1 ? 1 : 0),
        d2 = e2 / s - (yi === 2 ? 1 : 0);
      for (let j = 0; j < p; j++) {
        const z = Z[o + j];
        g[j] += d0 * z;
        g[q + j] += d1 * z;
        g[2 * q + j] += d2 * z;
      }
      g[p] += d0;
      g[q + p] += d1;
      g[2 * q + p] += d2;
    }
    let pen = 0;
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < q; j++) {
        const idx = k * q + j;
        g[idx] /= n;
        if (j < p) {
          pen += w[idx] * w[idx];
          g[idx] += l2 * w[idx];
        }
      }
    }
    return loss / n + 0.5 * l2 * pen;
  };
}

/** Softmax probabilities of standardized rows `Z` under weights `w` (`3 x (p + 1)`). */
export function softmaxPredict(Z: Float64Array, m: number, p: number, w: ArrayLike<number>): Float64Array {
  const q = p + 1, out = new Float64Array(m * K);
  for (let i = 0; i < m; i++) {
    const o = i * p;
    let a0 = w[p], a1 = w[q + p], a2 = w[2 * q + p];
    for (let j = 0; j < p; j++) {
      const z = Z[o + j];
      a0 += w[j] * z;
      a1 += w[q + j] * z;
      a2 += w[2 * q + j] * z;
    }
    const mx = Math.max(a0, a1, a2);
    const e0 = Math.exp(a0 - mx), e1 = Math.exp(a1 - mx), e2 = Math.exp(a2 - mx), s = e0 + e1 + e2;
    out[i * 3] = e0 / s;
    out[i * 3 + 1] = e1 / s;
    out[i * 3 + 2] = e2 / s;
  }
  return out;
}

/** Multinomial logistic regression (`name = "logistic"`). */
export class LogisticModel implements TrendModel {
  readonly name = "logistic";
  private params: LogisticParams | null = null;
  /** L-BFGS iterations of the last fit. */
  iterations = 0;

  constructor(readonly options: LogisticOptions = {}) {}

  /** Fits on the labeled `train` rows; `valid` rows only choose the penalty when `l2` is `"auto"`. */
  fit(ds: Dataset, train: Int32Array, valid?: Int32Array): Promise<void> {
    try {
      this.fitSync(ds, train, valid);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private fitSync(ds: Dataset, train: Int32Array, valid?: Int32Array): void {
    const rows = labeledRows(ds, train);
    if (rows.length === 0) throw new ModelError("logistic: no labeled train rows");
    const p = ds.featureNames.length;
    const va = valid ? labeledRows(ds, valid) : new Int32Array(0);
    const opt = this.options.l2 ?? 1e-3;
    const grid = opt === "auto" ? (va.length ? L2_GRID : [1e-3]) : [opt];
    if (grid.some((v) => !(v >= 0))) throw new RangeError(`l2 must be >= 0, got ${opt}`);
    const scaler = fitScaler(ds, rows);
    const Z = transform(ds, rows, scaler);
    const y = new Int8Array(rows.length);
    for (let r = 0; r < rows.length; r++) y[r] = ds.labels.trend[rows[r]];
    const w0 = new Float64Array(K * (p + 1));
    // start from the class log-frequencies
    const c = [1, 1, 1];
    for (const v of y) c[v]++;
    for (let k = 0; k < K; k++) w0[k * (p + 1) + p] = Math.log(c[k] / (y.length + 3));
    const Zva = grid.length > 1 ? transform(ds, va, scaler) : null;
    let best: { l2: number; w: Float64Array; loss: number; it: number } | null = null;
    for (const l2 of grid) {
      const res = lbfgs(softmaxObjective(Z, y, p, l2), w0.slice(), {
        maxIter: this.options.maxIter ?? 200,
        ftol: 1e-10,
        gtol: 1e-7,
      });
      let loss = 0;
      if (Zva) {
        const pr = softmaxPredict(Zva, va.length, p, res.x);
        for (let r = 0; r < va.length; r++) {
          loss -= Math.log(Math.max(1e-15, pr[r * 3 + ds.labels.trend[va[r]]]));
        }
      }
      if (!best || loss < best.loss) best = { l2, w: res.x, loss, it: res.iterations };
    }
    this.iterations = best!.it;
    this.params = {
      model: "logistic",
      featureNames: [...ds.featureNames],
      l2: best!.l2,
      scaler,
      weights: [...best!.w],
    };
  }

  /** Class probabilities `[down, neutral, up]` per row. */
  predict(ds: Dataset, rows: Int32Array): Promise<Float64Array> {
    try {
      const pr = this.fitted(ds);
      const p = ds.featureNames.length;
      return Promise.resolve(softmaxPredict(transform(ds, rows, pr.scaler), rows.length, p, pr.weights));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Fitted parameters (JSON-serializable). */
  toJSON(): LogisticParams {
    if (!this.params) throw new ModelError("logistic: not fitted");
    return this.params;
  }

  /** Restores a model from {@link LogisticModel.toJSON} output. */
  static fromJSON(params: LogisticParams): LogisticModel {
    if (params?.model !== "logistic") throw new TypeError("not logistic params");
    const m = new LogisticModel({ l2: params.l2 });
    m.params = params;
    return m;
  }

  private fitted(ds: Dataset): LogisticParams {
    const pr = this.params;
    if (!pr) throw new ModelError("logistic: predict before fit");
    if (pr.featureNames.join(",") !== ds.featureNames.join(",")) {
      throw new ModelError("logistic: dataset features differ from the fitted ones");
    }
    return pr;
  }
}
