/**
 * Risk models for portfolio construction: the covariance of daily returns across symbols, estimated from data
 * known at each close. `EwmaCovariance` (RiskMetrics-style exponentially weighted, updated in O(S²) per day,
 * missing values allowed) and `RollingLedoitWolf` (sample covariance of a rolling window shrunk toward a scaled
 * identity with the Ledoit-Wolf 2004 intensity, refitted every few sessions). Both expose correlations; the
 * portfolio combines them with each name's forecast volatility (the risk expert).
 * @module
 */

/** Which covariance estimator a portfolio uses. */
export interface CovarianceOptions {
  /** `ewma` (default) or `ledoit-wolf`. */
  model?: "ewma" | "ledoit-wolf";
  /** EWMA half-life in sessions (default 30; lambda = 0.5^(1/halfLife)). */
  halfLife?: number;
  /** Ledoit-Wolf window in sessions (default 120). */
  window?: number;
  /** Ledoit-Wolf refit interval in sessions (default 5). */
  refitEvery?: number;
  /**
   * EWMA: shrinkage of the correlations toward their cross-sectional mean (the constant-correlation target of
   * Ledoit & Wolf 2003). Default 0.2.
   */
  shrinkage?: number;
  /** Observations (joint, per pair) before an estimated correlation is used; until then the mean correlation. Default 20. */
  minObs?: number;
}

/** A covariance estimate updated one day at a time. */
export interface RiskModel {
  /** Number of symbols. */
  readonly size: number;
  /** Feeds the returns of one session (length `size`, NaN = missing), known at that session's close. */
  update(returns: ArrayLike<number>): void;
  /** Daily variance of symbol `i` (NaN before enough observations). */
  variance(i: number): number;
  /** Correlation of symbols `i` and `j` (1 when `i === j`). */
  correlation(i: number, j: number): number;
  /** Correlation matrix of the given symbols (row-major `k x k`), the same values as {@link correlation}. */
  correlations(idx: readonly number[]): Float64Array;
  /** `Σ_ab x_a x_b ρ(idx_a, idx_b)` without materializing the matrix (the hot path of volatility targeting). */
  quadraticForm(idx: readonly number[], x: readonly number[]): number;
}

/** Resolved options with defaults. */
export function resolveCovariance(o: CovarianceOptions = {}): Required<CovarianceOptions> {
  const r = {
    model: o.model ?? "ewma",
    halfLife: o.halfLife ?? 30,
    window: o.window ?? 120,
    refitEvery: o.refitEvery ?? 5,
    shrinkage: o.shrinkage ?? 0.2,
    minObs: o.minObs ?? 20,
  } as Required<CovarianceOptions>;
  if (r.model !== "ewma" && r.model !== "ledoit-wolf") {
    throw new RangeError(`covariance: unknown model ${r.model}`);
  }
  if (!(r.halfLife > 0)) throw new RangeError(`covariance: halfLife ${r.halfLife} must be > 0`);
  if (!(Number.isInteger(r.window) && r.window >= 2)) throw new RangeError(`covariance: window must be >= 2`);
  if (!(Number.isInteger(r.refitEvery) && r.refitEvery >= 1)) {
    throw new RangeError(`covariance: refitEvery >= 1`);
  }
  if (!(r.shrinkage >= 0 && r.shrinkage <= 1)) throw new RangeError(`covariance: shrinkage not in [0, 1]`);
  if (!(r.minObs >= 1)) throw new RangeError(`covariance: minObs must be >= 1`);
  return r;
}

/** Creates the risk model named by the options for `size` symbols. */
export function createRiskModel(size: number, options: CovarianceOptions = {}): RiskModel {
  const o = resolveCovariance(options);
  return o.model === "ewma" ? new EwmaCovariance(size, o) : new RollingLedoitWolf(size, o);
}

/**
 * Exponentially weighted covariance with zero mean: per pair, `C_ij <- λ C_ij + (1 - λ) r_i r_j` and the weight
 * `W_ij <- λ W_ij + (1 - λ)` on days both are known, `cov_ij = C_ij / W_ij` (bias-corrected for a short
 * history). Correlations are shrunk toward the mean correlation `ρ̄` of the pairs with at least `minObs` joint
 * observations: `ρ*_ij = (1 - δ) ρ_ij + δ ρ̄`; a pair with fewer observations gets `ρ̄`.
 */
export class EwmaCovariance implements RiskModel {
  readonly size: number;
  readonly #lambda: number;
  readonly #delta: number;
  readonly #minObs: number;
  readonly #C: Float64Array;
  readonly #W: Float64Array;
  readonly #N: Float64Array;
  #rhoBar = NaN;
  #dirty = true;
  readonly #idx: Int32Array;
  constructor(size: number, options: CovarianceOptions = {}) {
    const o = resolveCovariance(options);
    this.size = size;
    this.#lambda = 0.5 ** (1 / o.halfLife);
    this.#delta = o.shrinkage;
    this.#minObs = o.minObs;
    this.#C = new Float64Array(size * size);
    this.#W = new Float64Array(size * size);
    this.#N = new Float64Array(size * size);
    this.#idx = new Int32Array(size);
  }

  update(returns: ArrayLike<number>): void {
    const S = this.size, l = this.#lambda, a = 1 - l;
    if (returns.length !== S) throw new RangeError(`ewma: ${returns.length} returns, want ${S}`);
    let k = 0;
    for (let i = 0; i < S; i++) if (Number.isFinite(returns[i])) this.#idx[k++] = i;
    const C = this.#C, W = this.#W, N = this.#N;
    for (let p = 0; p < k; p++) {
      const i = this.#idx[p], ri = returns[i], o = i * S;
      for (let q = 0; q <= p; q++) {
        const j = this.#idx[q], c = o + j;
        C[c] = l * C[c] + a * ri * returns[j];
        W[c] = l * W[c] + a;
        N[c]++;
      }
    }
    this.#dirty = true;
  }

  #cov(i: number, j: number): number {
    const c = i >= j ? i * this.size + j : j * this.size + i;
    return this.#W[c] > 0 ? this.#C[c] / this.#W[c] : NaN;
  }

  #count(i: number, j: number): number {
    return this.#N[i >= j ? i * this.size + j : j * this.size + i];
  }

  variance(i: number): number {
    return this.#count(i, i) >= this.#minObs ? this.#cov(i, i) : NaN;
  }

  #raw(i: number, j: number): number {
    if (this.#count(i, j) < this.#minObs) return NaN;
    const v = this.#cov(i, i) * this.#cov(j, j);
    return v > 0 ? Math.max(-1, Math.min(1, this.#cov(i, j) / Math.sqrt(v))) : NaN;
  }

  /**
   * Mean correlation over the pairs with enough joint observations (0 when there are none); an O(S²) pass, once
   * per update (at the first query after it). It was refreshed every 5 updates: when correlations jump (2018-02-05)
   * the stale mean moved a book's ex-ante volatility by 3% and let a VaR cap computed on it be exceeded.
   */
  meanCorrelation(): number {
    if (this.#dirty) {
      const S = this.size, C = this.#C, W = this.#W, N = this.#N, min = this.#minObs;
      const sd = new Float64Array(S);
      for (let i = 0; i < S; i++) {
        const c = i * S + i;
        sd[i] = W[c] > 0 && C[c] > 0 ? Math.sqrt(C[c] / W[c]) : 0;
      }
      let s = 0, n = 0;
      for (let i = 1; i < S; i++) {
        if (!(sd[i] > 0)) continue;
        const o = i * S;
        for (let j = 0; j < i; j++) {
          const c = o + j;
          if (N[c] < min || !(W[c] > 0) || !(sd[j] > 0)) continue;
          s += Math.max(-1, Math.min(1, C[c] / W[c] / (sd[i] * sd[j])));
          n++;
        }
      }
      this.#rhoBar = n ? s / n : 0;
      this.#dirty = false;
    }
    return this.#rhoBar;
  }

  correlation(i: number, j: number): number {
    if (i === j) return 1;
    const rb = this.meanCorrelation(), r = this.#raw(i, j);
    return Number.isFinite(r) ? (1 - this.#delta) * r + this.#delta * rb : rb;
  }

  quadraticForm(idx: readonly number[], x: readonly number[]): number {
    const k = idx.length, rb = this.meanCorrelation(), d = this.#delta, S = this.size, min = this.#minObs;
    const C = this.#C, W = this.#W, N = this.#N;
    const sd = new Float64Array(k);
    for (let a = 0; a < k; a++) {
      const c = idx[a] * S + idx[a];
      sd[a] = N[c] >= min && W[c] > 0 && C[c] > 0 ? Math.sqrt(C[c] / W[c]) : NaN;
    }
    let v = 0;
    for (let a = 0; a < k; a++) {
      const i = idx[a];
      let row = 0;
      for (let b = 0; b < a; b++) {
        const j = idx[b], c = i >= j ? i * S + j : j * S + i;
        let r = NaN;
        if (N[c] >= min && W[c] > 0) r = C[c] / W[c] / (sd[a] * sd[b]);
        row += x[b] * (r === r ? (1 - d) * (r > 1 ? 1 : r < -1 ? -1 : r) + d * rb : rb);
      }
      v += x[a] * (x[a] + 2 * row);
    }
    return v;
  }

  correlations(idx: readonly number[]): Float64Array {
    const k = idx.length, out = new Float64Array(k * k);
    const rb = this.meanCorrelation(), d = this.#delta, S = this.size, min = this.#minObs;
    const C = this.#C, W = this.#W, N = this.#N;
    const sd = idx.map((i) => {
      const c = i * S + i;
      return N[c] >= min && W[c] > 0 && C[c] > 0 ? Math.sqrt(C[c] / W[c]) : NaN;
    });
    for (let a = 0; a < k; a++) {
      out[a * k + a] = 1;
      for (let b = 0; b < a; b++) {
        const i = idx[a], j = idx[b], c = i >= j ? i * S + j : j * S + i;
        let r = NaN;
        if (N[c] >= min && W[c] > 0) r = C[c] / W[c] / (sd[a] * sd[b]);
        const v = Number.isFinite(r) ? (1 - d) * Math.max(-1, Math.min(1, r)) + d * rb : rb;
        out[a * k + b] = out[b * k + a] = v;
      }
    }
    return out;
  }
}

/**
 * Ledoit-Wolf (2004) shrinkage of the sample covariance of `X` (row-major `n x p`, rows = days, NaN = missing,
 * set to the column mean) toward `μ I`, `μ = tr(S) / p`: `Σ* = (1 - δ) S + δ μ I` with
 * `δ = min(b̄², d²) / d²`, `d² = ‖S - μI‖² / p`, `b̄² = (Σ_t ‖x_t‖⁴ / n - ‖S‖²) / (n p)` (Frobenius norms; the
 * same estimator as scikit-learn's `ledoit_wolf`). `S = XᵀX / n` on the centred data.
 */
export function ledoitWolf(X: Float64Array, n: number, p: number): { cov: Float64Array; shrinkage: number } {
  if (X.length !== n * p) throw new RangeError(`ledoitWolf: ${X.length} values, want ${n} x ${p}`);
  if (n < 2 || p < 1) throw new RangeError("ledoitWolf: need at least 2 rows and 1 column");
  const Z = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    let s = 0, c = 0;
    for (let t = 0; t < n; t++) if (Number.isFinite(X[t * p + j])) [s, c] = [s + X[t * p + j], c + 1];
    const m = c ? s / c : 0;
    for (let t = 0; t < n; t++) {
      const v = X[t * p + j];
      Z[t * p + j] = Number.isFinite(v) ? v - m : 0;
    }
  }
  const S = new Float64Array(p * p);
  for (let t = 0; t < n; t++) {
    const o = t * p;
    for (let i = 0; i < p; i++) {
      const zi = Z[o + i];
      if (zi === 0) continue;
      const r = i * p;
      for (let j = 0; j <= i; j++) S[r + j] += zi * Z[o + j];
    }
  }
  let tr = 0, fro = 0;
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      const v = S[i * p + j] / n;
      S[i * p + j] = v;
      S[j * p + i] = v;
      fro += i === j ? v * v : 2 * v * v;
    }
    tr += S[i * p + i];
  }
  const mu = tr / p;
  let x4 = 0;
  for (let t = 0; t < n; t++) {
    let q = 0;
    for (let j = 0; j < p; j++) q += Z[t * p + j] ** 2;
    x4 += q * q;
  }
  const d2 = (fro - 2 * mu * tr + p * mu * mu) / p;
  const b2 = Math.min(d2, (x4 / n - fro) / (n * p));
  const shrinkage = d2 > 0 ? Math.max(0, b2) / d2 : 0;
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) S[i * p + j] *= 1 - shrinkage;
    S[i * p + i] += shrinkage * mu;
  }
  return { cov: S, shrinkage };
}

/**
 * {@link ledoitWolf} over the last `window` sessions, refitted every `refitEvery` updates (between refits the
 * last estimate is used). Symbols with fewer than `minObs` finite returns in the window have NaN variance and
 * zero correlation.
 */
export class RollingLedoitWolf implements RiskModel {
  readonly size: number;
  readonly #o: Required<CovarianceOptions>;
  readonly #buf: Float64Array;
  #filled = 0;
  #head = 0;
  #since = Infinity;
  #cov: Float64Array | null = null;
  readonly #obs: Float64Array;
  constructor(size: number, options: CovarianceOptions = {}) {
    this.size = size;
    this.#o = resolveCovariance({ ...options, model: "ledoit-wolf" });
    this.#buf = new Float64Array(this.#o.window * size).fill(NaN);
    this.#obs = new Float64Array(size);
  }

  update(returns: ArrayLike<number>): void {
    const S = this.size, w = this.#o.window;
    if (returns.length !== S) throw new RangeError(`ledoit-wolf: ${returns.length} returns, want ${S}`);
    this.#buf.set(returns, this.#head * S);
    this.#head = (this.#head + 1) % w;
    this.#filled = Math.min(w, this.#filled + 1);
    this.#since++;
    if (this.#since >= this.#o.refitEvery && this.#filled >= 2) {
      const n = this.#filled;
      const X = n === w ? this.#buf : this.#buf.subarray(0, n * S);
      this.#obs.fill(0);
      for (let t = 0; t < n; t++) {
        for (let i = 0; i < S; i++) if (Number.isFinite(X[t * S + i])) this.#obs[i]++;
      }
      this.#cov = ledoitWolf(X, n, S).cov;
      this.#since = 0;
    }
  }

  variance(i: number): number {
    return this.#cov && this.#obs[i] >= this.#o.minObs ? this.#cov[i * this.size + i] : NaN;
  }

  correlation(i: number, j: number): number {
    if (i === j) return 1;
    if (!this.#cov || this.#obs[i] < this.#o.minObs || this.#obs[j] < this.#o.minObs) return 0;
    const S = this.size, v = this.#cov[i * S + i] * this.#cov[j * S + j];
    return v > 0 ? this.#cov[i * S + j] / Math.sqrt(v) : 0;
  }

  correlations(idx: readonly number[]): Float64Array {
    const k = idx.length, out = new Float64Array(k * k);
    for (let a = 0; a < k; a++) {
      out[a * k + a] = 1;
      for (let b = 0; b < a; b++) out[a * k + b] = out[b * k + a] = this.correlation(idx[a], idx[b]);
    }
    return out;
  }

  quadraticForm(idx: readonly number[], x: readonly number[]): number {
    let v = 0;
    for (let a = 0; a < idx.length; a++) {
      let row = 0;
      for (let b = 0; b < a; b++) row += x[b] * this.correlation(idx[a], idx[b]);
      v += x[a] * (x[a] + 2 * row);
    }
    return v;
  }
}
