/**
 * Limited-memory BFGS minimizer with a backtracking Armijo line search (folder-private).
 * @module
 */

/** Objective: writes the gradient into `grad` and returns the value. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

/** Options and result of {@link lbfgs}. */
export interface LbfgsOptions {
  maxIter?: number;
  memory?: number;
  /** Stop when the relative decrease of the objective over one iteration is below this. */
  ftol?: number;
  /** Stop when the gradient's max-norm is below this. */
  gtol?: number;
}

/** How a minimization ended. */
export interface LbfgsReport {
  iterations: number;
  /**
   * `gradient`: the gradient's max-norm fell below `gtol`; `objective`: an iteration lowered the objective by
   * less than `ftol` (relative); `line-search`: no step lowered it (at the precision's limit);
   * `max-iterations`: stopped by `maxIter` before either test held.
   */
  reason: "gradient" | "objective" | "line-search" | "max-iterations";
  /** Max-norm of the gradient at the result. */
  gradNorm: number;
  /** The objective at the result. */
  value: number;
}

/** Minimizes `f` from `x0` (modified in place and returned) and reports how it ended. */
export function lbfgs(
  f: Objective,
  x0: Float64Array,
  opts: LbfgsOptions = {},
): { x: Float64Array; value: number; iterations: number; report: LbfgsReport } {
  const n = x0.length, m = opts.memory ?? 8, maxIter = opts.maxIter ?? 200;
  const ftol = opts.ftol ?? 1e-9, gtol = opts.gtol ?? 1e-6;
  const x = x0;
  const g = new Float64Array(n);
  let fx = f(x, g);
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const d = new Float64Array(n), xn = new Float64Array(n), gn = new Float64Array(n);
  const alpha = new Float64Array(m);
  let it = 0;
  let reason: LbfgsReport["reason"] = "max-iterations";
  for (; it < maxIter; it++) {
    let gmax = 0;
    for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(g[i]));
    if (gmax < gtol) {
      reason = "gradient";
      break;
    }
    // two-loop recursion: d = -H g
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let k = S.length - 1; k >= 0; k--) {
      let a = 0;
      for (let i = 0; i < n; i++) a += S[k][i] * d[i];
      a *= rho[k];
      alpha[k] = a;
      for (let i = 0; i < n; i++) d[i] -= a * Y[k][i];
    }
    if (S.length) {
      const k = S.length - 1;
      let sy = 0, yy = 0;
      for (let i = 0; i < n; i++) {
        sy += S[k][i] * Y[k][i];
        yy += Y[k][i] * Y[k][i];
      }
      const gamma = sy / yy;
      for (let i = 0; i < n; i++) d[i] *= gamma;
    } else {
      const gn2 = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
      for (let i = 0; i < n; i++) d[i] /= Math.max(1, gn2);
    }
    for (let k = 0; k < S.length; k++) {
      let b = 0;
      for (let i = 0; i < n; i++) b += Y[k][i] * d[i];
      b *= rho[k];
      for (let i = 0; i < n; i++) d[i] += S[k][i] * (alpha[k] - b);
    }
    let dg = 0;
    for (let i = 0; i < n; i++) dg += d[i] * g[i];
    if (dg >= 0) { // not a descent direction: reset to steepest descent
      for (let i = 0; i < n; i++) d[i] = -g[i];
      dg = -g.reduce((s, v) => s + v * v, 0);
      S.length = Y.length = rho.length = 0;
    }
    let step = 1, fn = NaN;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < n; i++) xn[i] = x[i] + step * d[i];
      fn = f(xn, gn);
      if (Number.isFinite(fn) && fn <= fx + 1e-4 * step * dg) break;
      step *= 0.5;
    }
    if (!(fn <= fx)) {
      reason = "line-search";
      break;
    }
    const s = new Float64Array(n), y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xn[i] - x[i];
      y[i] = gn[i] - g[i];
      sy += s[i] * y[i];
    }
    const rel = (fx - fn) / Math.max(1e-12, Math.abs(fx));
    x.set(xn);
    g.set(gn);
    fx = fn;
    if (sy > 1e-12) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    if (rel < ftol) {
      it++;
      reason = "objective";
      break;
    }
  }
  let gradNorm = 0;
  for (let i = 0; i < n; i++) gradNorm = Math.max(gradNorm, Math.abs(g[i]));
  return { x, value: fx, iterations: it, report: { iterations: it, reason, gradNorm, value: fx } };
}
