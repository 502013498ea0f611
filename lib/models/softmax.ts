/**
 * The one softmax-regression solver of the project (multinomial logistic regression), used by the trend
 * classifier (`logistic.ts`), the text sentiment classifier (`text_logistic.ts`) and the stacking ensemble:
 * mean cross-entropy plus `l2/2 |W|^2` on the weights (intercepts unpenalized), minimized by L-BFGS, on a dense
 * row-major matrix or a sparse CSR one, for any number of classes. Every fit returns a convergence report
 * (iterations, why it stopped, the final gradient norm and loss), so a caller can tell an optimum from a fit that
 * ran out of iterations.
 *
 * Weights are row-major `K x (p + 1)`: class `k`'s weights, then its intercept.
 * @module
 */
import { lbfgs, type LbfgsReport } from "./_lbfgs.ts";

/** A sparse row-major matrix (CSR). */
export interface CsrMatrix {
  ptr: Int32Array;
  idx: Int32Array;
  val: Float64Array;
  rows: number;
}

/** The design matrix: dense row-major `rows x cols`, or sparse. */
export type Design = { dense: Float64Array; rows: number; cols: number } | {
  sparse: CsrMatrix;
  cols: number;
};

/** Options of {@linkcode fitSoftmax}. */
export interface SoftmaxFitOptions {
  /** Number of classes (labels are 0..classes-1). */
  classes: number;
  /** L2 penalty: the objective is mean cross-entropy + `l2/2 |W|^2` (intercepts unpenalized). */
  l2: number;
  /** Starting weights (default zeros). */
  init?: Float64Array;
  /** L-BFGS iterations (default 200). */
  maxIter?: number;
  /** Stop when one iteration lowers the objective by less than this, relatively (default 1e-10). */
  ftol?: number;
  /** Stop when the gradient's max-norm is below this (default 1e-7). */
  gtol?: number;
}

/** Why a fit stopped and where: `converged` is false only when it ran out of iterations. */
export interface ConvergenceReport extends LbfgsReport {
  converged: boolean;
}

/** A fitted softmax regression. */
export interface SoftmaxFit {
  weights: Float64Array;
  report: ConvergenceReport;
}

function rowsOf(X: Design): number {
  return "dense" in X ? X.rows : X.sparse.rows;
}

/**
 * Class scores of row `i` into `out` (`K` entries), then softmax in place. Returns the row's cross-entropy for
 * class `yi` in the log-sum-exp form (`log sum exp(a) - a_y`, exact for far-out scores), 0 when `yi` < 0.
 */
function probsOfRow(X: Design, w: Float64Array, K: number, i: number, out: Float64Array, yi = -1): number {
  const p = X.cols, q = p + 1;
  for (let k = 0; k < K; k++) out[k] = w[k * q + p];
  if ("dense" in X) {
    const o = i * p, Z = X.dense;
    for (let k = 0; k < K; k++) {
      let a = out[k];
      const b = k * q;
      for (let j = 0; j < p; j++) a += w[b + j] * Z[o + j];
      out[k] = a;
    }
  } else {
    const S = X.sparse;
    for (let t = S.ptr[i]; t < S.ptr[i + 1]; t++) {
      const j = S.idx[t], x = S.val[t];
      for (let k = 0; k < K; k++) out[k] += w[k * q + j] * x;
    }
  }
  let mx = -Infinity;
  for (let k = 0; k < K; k++) if (out[k] > mx) mx = out[k];
  const ay = yi >= 0 ? out[yi] : 0;
  let s = 0;
  for (let k = 0; k < K; k++) s += out[k] = Math.exp(out[k] - mx);
  for (let k = 0; k < K; k++) out[k] /= s;
  return yi >= 0 ? Math.log(s) + mx - ay : 0;
}

/** The objective (mean cross-entropy + `l2/2 |W|^2`) and its gradient, for L-BFGS. */
export function softmaxObjective(
  X: Design,
  y: ArrayLike<number>,
  K: number,
  l2: number,
): (w: Float64Array, g: Float64Array) => number {
  const n = rowsOf(X), p = X.cols, q = p + 1;
  const pr = new Float64Array(K);
  return (w, g) => {
    g.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const yi = y[i];
      loss += probsOfRow(X, w, K, i, pr, yi);
      pr[yi] -= 1;
      if ("dense" in X) {
        const o = i * p, Z = X.dense;
        for (let k = 0; k < K; k++) {
          const d = pr[k], b = k * q;
          for (let j = 0; j < p; j++) g[b + j] += d * Z[o + j];
          g[b + p] += d;
        }
      } else {
        const S = X.sparse;
        for (let k = 0; k < K; k++) g[k * q + p] += pr[k];
        for (let t = S.ptr[i]; t < S.ptr[i + 1]; t++) {
          const j = S.idx[t], x = S.val[t];
          for (let k = 0; k < K; k++) g[k * q + j] += pr[k] * x;
        }
      }
    }
    let pen = 0;
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < q; j++) {
        const at = k * q + j;
        g[at] /= n;
        if (j < p) {
          pen += w[at] * w[at];
          g[at] += l2 * w[at];
        }
      }
    }
    return loss / n + 0.5 * l2 * pen;
  };
}

/**
 * Fits a softmax regression on the rows of `X` with labels `y` (0..classes-1). Throws `RangeError` on a label
 * outside the classes, a negative penalty, or mismatched sizes.
 */
export function fitSoftmax(X: Design, y: ArrayLike<number>, opts: SoftmaxFitOptions): SoftmaxFit {
  const n = rowsOf(X), K = opts.classes, size = K * (X.cols + 1);
  if (y.length !== n) throw new RangeError(`softmax: ${y.length} labels for ${n} rows`);
  if (!(Number.isInteger(K) && K >= 2)) throw new RangeError(`softmax: classes must be >= 2, got ${K}`);
  if (!(opts.l2 >= 0)) throw new RangeError(`softmax: l2 must be >= 0, got ${opts.l2}`);
  for (let i = 0; i < n; i++) {
    if (!(y[i] >= 0 && y[i] < K)) throw new RangeError(`softmax: label ${y[i]} outside 0..${K - 1}`);
  }
  const w0 = opts.init ? Float64Array.from(opts.init) : new Float64Array(size);
  if (w0.length !== size) throw new RangeError(`softmax: init has ${w0.length} weights, want ${size}`);
  const maxIter = opts.maxIter ?? 200;
  const r = lbfgs(softmaxObjective(X, y, K, opts.l2), w0, {
    maxIter,
    ftol: opts.ftol ?? 1e-10,
    gtol: opts.gtol ?? 1e-7,
  });
  return { weights: r.x, report: { ...r.report, converged: r.report.reason !== "max-iterations" } };
}

/** Class probabilities, row-major `rows x K`, of the rows of `X` under `weights`. */
export function softmaxProbs(X: Design, weights: ArrayLike<number>, K: number): Float64Array {
  const n = rowsOf(X), out = new Float64Array(n * K), pr = new Float64Array(K);
  const w = Float64Array.from(weights);
  for (let i = 0; i < n; i++) {
    probsOfRow(X, w, K, i, pr);
    out.set(pr, i * K);
  }
  return out;
}
