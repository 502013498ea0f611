/**
 * Comparing forecasts by their losses: the Diebold-Mariano test with a HAC long-run variance (Newey-West, or
 * for multi-step forecasts the uniform estimate over their overlap when larger) and the Harvey-Leybourne-Newbold
 * small-sample correction, and the model confidence set of Hansen, Lunde and Nason (2011) with the `T_max`
 * statistic and a moving-block bootstrap.
 * @module
 */
import { mulberry32 } from "../core/mod.ts";
import { tCdf } from "./distributions.ts";

/**
 * Newey-West long-run variance of `x` (mean removed) with Bartlett weights up to `lag`:
 * `g0 + 2 sum_{k=1..lag} (1 - k / (lag + 1)) g_k`, `g_k` the lag-k autocovariance (divided by n).
 */
export function neweyWestVariance(x: ArrayLike<number>, lag: number): number {
  return longRunVariance(x, lag, "bartlett");
}

/**
 * Long-run variance of `x` (mean removed) from its autocovariances up to `lag`, weighted by `kernel`: Bartlett
 * `1 - k / (lag + 1)` (Newey-West, never negative) or uniform 1 (the truncated estimate of Diebold and Mariano
 * for `h`-step forecasts with `lag = h - 1`; may be negative).
 */
export function longRunVariance(x: ArrayLike<number>, lag: number, kernel: "bartlett" | "uniform"): number {
  const n = x.length;
  if (n < 2) return NaN;
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i];
  m /= n;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = x[i] - m;
  let v = 0;
  for (let i = 0; i < n; i++) v += d[i] * d[i];
  v /= n;
  for (let k = 1; k <= Math.min(lag, n - 1); k++) {
    let g = 0;
    for (let i = k; i < n; i++) g += d[i] * d[i - k];
    v += 2 * (kernel === "bartlett" ? 1 - k / (lag + 1) : 1) * (g / n);
  }
  return v;
}

/** Default HAC lag for `n` losses of `h`-step forecasts: `max(h - 1, floor(4 (n / 100)^(2/9)))`. */
export function defaultHacLag(n: number, h = 1): number {
  return Math.max(h - 1, Math.floor(4 * Math.pow(n / 100, 2 / 9)));
}

/** Result of {@link dieboldMariano}. */
export interface DmResult {
  /** Mean loss difference `mean(lossA - lossB)`: negative when A has the lower loss. */
  meanDiff: number;
  /** HLN-corrected DM statistic (negative when A is better). */
  stat: number;
  /** Two-sided p-value from Student's t with `n - 1` degrees of freedom. */
  pValue: number;
  n: number;
  lag: number;
}

/**
 * Diebold-Mariano test of equal expected loss for two forecast loss series on the same targets (pairs with a
 * non-finite loss are dropped). `h` is the forecast horizon: it sets the HLN correction and the minimum HAC
 * lag (`h - 1`, overlapping targets); the long-run variance is Newey-West's at that lag, or for `h > 1` the
 * uniform-kernel estimate over the `h - 1` lags when larger; `lag` overrides the lag (Newey-West only).
 */
export function dieboldMariano(
  lossA: ArrayLike<number>,
  lossB: ArrayLike<number>,
  opts: { h?: number; lag?: number } = {},
): DmResult {
  if (lossA.length !== lossB.length) throw new RangeError("loss series differ in length");
  const h = opts.h ?? 1;
  const d: number[] = [];
  for (let i = 0; i < lossA.length; i++) {
    const v = lossA[i] - lossB[i];
    if (Number.isFinite(v)) d.push(v);
  }
  const n = d.length, lag = opts.lag ?? defaultHacLag(n, h);
  if (n < 10) return { meanDiff: NaN, stat: NaN, pValue: NaN, n, lag };
  const mean = d.reduce((s, v) => s + v, 0) / n;
  // overlapping h-step targets make the differences an MA(h - 1): the HLN correction assumes the uniform
  // estimate over those lags, which Bartlett weights understate (a 5% test rejected a true null 11% of the time
  // at h = 22); the larger of the two keeps both the overlap and the serial correlation the rule's lag covers
  const uniform = opts.lag === undefined && h > 1 ? longRunVariance(d, h - 1, "uniform") : -Infinity;
  const lrv = Math.max(neweyWestVariance(d, lag), uniform);
  if (!(lrv > 0)) {
    // no variance in the loss differences: identical losses are no evidence of a difference (p 1), a constant
    // non-zero difference is all the evidence there is (p 0)
    if (d.every((v) => v === 0)) return { meanDiff: 0, stat: 0, pValue: 1, n, lag };
    if (d.every((v) => v === d[0])) {
      return { meanDiff: mean, stat: Math.sign(mean) * Infinity, pValue: 0, n, lag };
    }
    return { meanDiff: mean, stat: NaN, pValue: NaN, n, lag };
  }
  const dm = mean / Math.sqrt(lrv / n);
  const stat = dm * Math.sqrt((n + 1 - 2 * h + (h * (h - 1)) / n) / n);
  const pValue = 2 * tCdf(-Math.abs(stat), n - 1);
  return { meanDiff: mean, stat, pValue, n, lag };
}

/** Per-observation QLIKE loss `rv/f - ln(rv/f) - 1` (NaN where either side is not positive and finite). */
export function qlikeLosses(rv: ArrayLike<number>, f: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rv.length);
  for (let i = 0; i < rv.length; i++) {
    const q = rv[i] / f[i];
    out[i] = rv[i] > 0 && f[i] > 0 && Number.isFinite(q) ? q - Math.log(q) - 1 : NaN;
  }
  return out;
}

/** Options of {@link modelConfidenceSet}. */
export interface McsOptions {
  /** Size of the test at each elimination step (default 0.10: a 90% model confidence set). */
  alpha?: number;
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Moving-block length (default 10). */
  block?: number;
  seed?: number;
}

/** Result of {@link modelConfidenceSet}: models by index into the input. */
export interface McsResult {
  /** MCS p-value per model (a model is in the `1 - alpha` set when its p-value is >= alpha). */
  pValues: Float64Array;
  /** Whether each model is in the set. */
  included: boolean[];
  /** Elimination order (worst first; the last survivor ends it). */
  order: number[];
  /** Observations used (rows where every model's loss is finite). */
  n: number;
}

/**
 * Model confidence set (Hansen, Lunde and Nason 2011, `T_max` rule): repeatedly test equal predictive ability of
 * the surviving models by `max_i t_i`, `t_i` the studentized mean loss of model `i` relative to the set's
 * average (variances and the null distribution from the same moving-block bootstrap), and eliminate the model
 * with the largest `t_i`. A model's MCS p-value is the largest test p-value up to its elimination.
 */
export function modelConfidenceSet(losses: ArrayLike<number>[], opts: McsOptions = {}): McsResult {
  const m = losses.length;
  if (m < 2) throw new RangeError("model confidence set needs at least 2 models");
  const alpha = opts.alpha ?? 0.1, B = opts.resamples ?? 1000, block = opts.block ?? 10;
  const T = losses[0].length;
  const keep: number[] = [];
  for (let t = 0; t < T; t++) {
    let ok = true;
    for (let i = 0; i < m; i++) if (!Number.isFinite(losses[i][t])) ok = false;
    if (ok) keep.push(t);
  }
  const n = keep.length;
  if (n < 2 * block) throw new RangeError(`model confidence set: only ${n} complete observations`);
  const L = losses.map((l) => Float64Array.from(keep, (t) => l[t]));
  const mean = L.map((l) => l.reduce((s, v) => s + v, 0) / n);
  // bootstrap means of every model's loss, shared by all elimination steps
  const rand = mulberry32(opts.seed ?? 42);
  const boot = L.map(() => new Float64Array(B));
  const blocks = Math.ceil(n / block);
  for (let b = 0; b < B; b++) {
    const sums = new Float64Array(m);
    let taken = 0;
    for (let k = 0; k < blocks && taken < n; k++) {
      const start = Math.floor(rand() * (n - block + 1));
      for (let j = 0; j < block && taken < n; j++, taken++) {
        for (let i = 0; i < m; i++) sums[i] += L[i][start + j];
      }
    }
    for (let i = 0; i < m; i++) boot[i][b] = sums[i] / n;
  }
  const alive = Array.from({ length: m }, (_, i) => i);
  const pValues = new Float64Array(m).fill(1), order: number[] = [];
  let running = 0;
  while (alive.length > 1) {
    const k = alive.length;
    const avg = alive.reduce((s, i) => s + mean[i], 0) / k;
    const bootAvg = new Float64Array(B);
    for (const i of alive) for (let b = 0; b < B; b++) bootAvg[b] += boot[i][b] / k;
    const dbar = alive.map((i) => mean[i] - avg);
    const sd = alive.map((i, a) => {
      let v = 0;
      for (let b = 0; b < B; b++) v += (boot[i][b] - bootAvg[b] - dbar[a]) ** 2;
      return Math.sqrt(v / B);
    });
    let tmax = -Infinity, worst = 0;
    alive.forEach((_, a) => {
      const t = sd[a] > 0 ? dbar[a] / sd[a] : 0;
      if (t > tmax) {
        tmax = t;
        worst = a;
      }
    });
    let exceed = 0;
    for (let b = 0; b < B; b++) {
      let mx = -Infinity;
      alive.forEach((i, a) => {
        const t = sd[a] > 0 ? (boot[i][b] - bootAvg[b] - dbar[a]) / sd[a] : 0;
        if (t > mx) mx = t;
      });
      if (mx >= tmax) exceed++;
    }
    running = Math.max(running, exceed / B);
    const gone = alive[worst];
    pValues[gone] = running;
    order.push(gone);
    alive.splice(worst, 1);
  }
  order.push(alive[0]);
  pValues[alive[0]] = 1;
  return { pValues, included: Array.from(pValues, (p) => p >= alpha), order, n };
}
