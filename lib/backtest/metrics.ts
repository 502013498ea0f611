/**
 * Performance metrics of a daily return series.
 * @module
 */
import { mulberry32 } from "../core/mod.ts";

/** Summary of one backtest. Returns are fractions (0.1 = 10%). */
export interface Metrics {
  /** Number of daily returns. */
  days: number;
  /** `prod(1 + R) - 1`. */
  totalReturn: number;
  /** Geometric: `(prod(1 + R))^(periodsPerYear / days) - 1`. */
  annReturn: number;
  /** Sample standard deviation of daily returns × sqrt(periodsPerYear). */
  annVol: number;
  /** `mean / std × sqrt(periodsPerYear)` (zero risk-free rate); NaN when std is 0. */
  sharpe: number;
  /** `mean / sqrt(mean(min(R, 0)^2)) × sqrt(periodsPerYear)`; NaN without down days. */
  sortino: number;
  /** Largest peak-to-trough fall of the equity curve, as a non-positive fraction (-0.25 = a 25% drawdown). */
  maxDrawdown: number;
  /**
   * Mean daily two-way turnover (buys plus sells; one-way is half): `sum_s |Δposition_s| / active symbols` for the
   * equal-capital backtest, `sum_s |Δw_s|` (a fraction of capital) for the weights backtest.
   */
  turnover: number;
  /** `turnover × periodsPerYear`. */
  annTurnover: number;
  /** Fraction of held symbol-days (position != 0, known return) whose P&L before costs was > 0. NaN if none. */
  hitRate: number;
  /** Entries: symbol-days where the position became non-zero or flipped sign. */
  trades: number;
  /**
   * Mean over days of the gross exposure: `sum_s |position_s| / active symbols` for the equal-capital backtest,
   * `sum_s |w_s|` (a fraction of capital) for the weights backtest.
   */
  exposure: number;
}

/** Equity curve `prod(1 + R)` (starting from 1 before the first day) and drawdown `equity / peak - 1`. */
export function equityAndDrawdown(returns: Float64Array): { equity: Float64Array; drawdown: Float64Array } {
  const n = returns.length;
  const equity = new Float64Array(n), drawdown = new Float64Array(n);
  let e = 1, peak = 1;
  for (let t = 0; t < n; t++) {
    e *= 1 + returns[t];
    if (e > peak) peak = e;
    equity[t] = e;
    drawdown[t] = e / peak - 1;
  }
  return { equity, drawdown };
}

/** Return-based metrics; the trading statistics are passed in by the simulator. */
export function computeMetrics(
  returns: Float64Array,
  trading: { turnover: number; hitRate: number; trades: number; exposure: number },
  periodsPerYear = 252,
): Metrics {
  const n = returns.length;
  let sum = 0, down2 = 0;
  for (let t = 0; t < n; t++) {
    sum += returns[t];
    if (returns[t] < 0) down2 += returns[t] * returns[t];
  }
  const mean = n > 0 ? sum / n : NaN;
  let ss = 0;
  for (let t = 0; t < n; t++) ss += (returns[t] - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : NaN;
  const dd = n > 0 ? Math.sqrt(down2 / n) : NaN;
  const { equity, drawdown } = equityAndDrawdown(returns);
  const total = n > 0 ? equity[n - 1] - 1 : 0;
  let maxDd = 0;
  for (let t = 0; t < n; t++) if (drawdown[t] < maxDd) maxDd = drawdown[t];
  const ry = Math.sqrt(periodsPerYear);
  return {
    days: n,
    totalReturn: total,
    annReturn: n > 0 ? Math.pow(1 + total, periodsPerYear / n) - 1 : NaN,
    annVol: sd * ry,
    sharpe: sd > 0 ? (mean / sd) * ry : NaN,
    sortino: dd > 0 ? (mean / dd) * ry : NaN,
    maxDrawdown: maxDd,
    turnover: trading.turnover,
    annTurnover: trading.turnover * periodsPerYear,
    hitRate: trading.hitRate,
    trades: trading.trades,
    exposure: trading.exposure,
  };
}

/**
 * Standard normal cumulative distribution `Φ(x)` (Hart's double-precision rational approximation as given by
 * G. West, "Better approximations to cumulative normal functions", 2005; absolute error below 1e-14).
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  let c: number;
  if (a > 37) c = 0;
  else {
    const e = Math.exp(-a * a / 2);
    if (a < 7.07106781186547) {
      let b = 3.52624965998911e-2 * a + 0.700383064443688;
      b = b * a + 6.37396220353165;
      b = b * a + 33.912866078383;
      b = b * a + 112.079291497871;
      b = b * a + 221.213596169931;
      b = b * a + 220.206867912376;
      c = e * b;
      b = 8.83883476483184e-2 * a + 1.75566716318264;
      b = b * a + 16.064177579207;
      b = b * a + 86.7807322029461;
      b = b * a + 296.564248779674;
      b = b * a + 637.333633378831;
      b = b * a + 793.826512519948;
      b = b * a + 440.413735824752;
      c /= b;
    } else {
      let b = a + 0.65;
      b = a + 4 / b;
      b = a + 3 / b;
      b = a + 2 / b;
      b = a + 1 / b;
      c = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - c : c;
}

const ACKLAM_A = [
  -3.969683028665376e1,
  2.209460984245205e2,
  -2.759285104469687e2,
  1.38357751867269e2,
  -3.066479806614716e1,
  2.506628277459239,
];
const ACKLAM_B = [
  -5.447609879822406e1,
  1.615858368580409e2,
  -1.556989798598866e2,
  6.680131188771972e1,
  -1.328068155288572e1,
];
const ACKLAM_C = [
  -7.784894002430293e-3,
  -3.223964580411365e-1,
  -2.400758277161838,
  -2.549732539343734,
  4.374664141464968,
  2.938163982698783,
];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/**
 * Standard normal quantile `Φ⁻¹(p)` for `p` in (0, 1) (Acklam's rational approximation refined by one Halley
 * step on {@link normalCdf}; relative error about 1e-15). `±Infinity` at 0 and 1, NaN outside [0, 1].
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const [a, b, c, d] = [ACKLAM_A, ACKLAM_B, ACKLAM_C, ACKLAM_D];
  const lo = 0.02425;
  let x: number;
  if (p < lo || p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(p < lo ? p : 1 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    if (p > 1 - lo) x = -x;
  } else {
    const q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

/** Sample moments of a series: mean, standard deviation (n - 1), skewness and (non-excess) kurtosis (biased, as in Bailey & López de Prado). */
export interface Moments {
  n: number;
  mean: number;
  sd: number;
  /** `m3 / m2^1.5` with central moments `m_k = mean((x - mean)^k)`. */
  skew: number;
  /** `m4 / m2^2` (3 for a normal distribution). */
  kurtosis: number;
}

/** {@link Moments} of the finite values of `x` (NaN fields when fewer than 2). */
export function moments(x: ArrayLike<number>): Moments {
  let n = 0, s = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) [n, s] = [n + 1, s + x[i]];
  if (n < 2) return { n, mean: n ? s : NaN, sd: NaN, skew: NaN, kurtosis: NaN };
  const mean = s / n;
  let m2 = 0, m3 = 0, m4 = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) continue;
    const d = x[i] - mean, d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  const sd = Math.sqrt(m2 / (n - 1));
  [m2, m3, m4] = [m2 / n, m3 / n, m4 / n];
  return { n, mean, sd, skew: m2 > 0 ? m3 / m2 ** 1.5 : NaN, kurtosis: m2 > 0 ? m4 / (m2 * m2) : NaN };
}

/**
 * Probabilistic Sharpe ratio (Bailey & López de Prado 2012): the probability that the true per-period Sharpe
 * ratio exceeds `benchmark`, given an estimate `sharpe` (per period, not annualized) from `n` observations with
 * skewness `skew` and kurtosis `kurtosis` (3 = normal):
 * `PSR = Φ((SR - SR*) sqrt(n - 1) / sqrt(1 - skew·SR + (kurtosis - 1)/4 · SR²))`.
 */
export function probabilisticSharpeRatio(
  sharpe: number,
  benchmark: number,
  n: number,
  skew = 0,
  kurtosis = 3,
): number {
  const v = 1 - skew * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  if (!(n > 1) || !(v > 0)) return NaN;
  return normalCdf((sharpe - benchmark) * Math.sqrt(n - 1) / Math.sqrt(v));
}

/** Euler-Mascheroni constant. */
const EULER_GAMMA = 0.5772156649015329;

/**
 * Expected maximum of `trials` Sharpe ratio estimates under the null of no skill (Bailey & López de Prado 2014):
 * `E[max] ≈ mean + sqrt(variance) · ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e)))`, γ the Euler-Mascheroni
 * constant. Units are those of `variance` (per-period Sharpe ratios in, per-period out). 0 for one trial.
 */
export function expectedMaxSharpe(trials: number, variance: number, mean = 0): number {
  if (!(trials >= 1)) throw new RangeError(`expectedMaxSharpe: trials ${trials} must be >= 1`);
  if (trials === 1) return mean;
  const z = (1 - EULER_GAMMA) * normalQuantile(1 - 1 / trials) +
    EULER_GAMMA * normalQuantile(1 - 1 / (trials * Math.E));
  return mean + Math.sqrt(Math.max(0, variance)) * z;
}

/** Inputs of {@link deflatedSharpeRatio}; every Sharpe ratio here is per period (daily), not annualized. */
export interface DeflatedSharpeInput {
  /** Sharpe ratio of the selected strategy, per period. */
  sharpe: number;
  /** Number of return observations of that strategy. */
  n: number;
  /** Number of strategies compared (independent trials); the selected one included. */
  trials: number;
  /** Variance of the per-period Sharpe ratios across the trials. */
  trialVariance: number;
  /** Skewness of the selected strategy's returns (default 0). */
  skew?: number;
  /** Kurtosis (non-excess; default 3). */
  kurtosis?: number;
}

/**
 * Deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio", JPM 2014): the probabilistic Sharpe
 * ratio against the expected maximum Sharpe of `trials` unskilled strategies,
 * `DSR = PSR(SR0)`, `SR0 = expectedMaxSharpe(trials, trialVariance)`. A probability in [0, 1]; above 0.95 the
 * selected strategy's Sharpe is unlikely to be explained by selection among `trials` alone.
 */
export function deflatedSharpeRatio(x: DeflatedSharpeInput): { dsr: number; sr0: number } {
  const sr0 = expectedMaxSharpe(x.trials, x.trialVariance);
  return { dsr: probabilisticSharpeRatio(x.sharpe, sr0, x.n, x.skew ?? 0, x.kurtosis ?? 3), sr0 };
}

/**
 * Deflated Sharpe ratio of each of several strategies' daily returns, the trials being those strategies
 * themselves (`trials = returns.length`, `trialVariance` = variance of their per-period Sharpe ratios, sample
 * n - 1). Strategies with fewer than 2 finite returns get NaN.
 */
export function deflatedSharpeOfSet(returns: readonly ArrayLike<number>[]): { dsr: number[]; sr0: number } {
  const m = returns.map(moments);
  const sr = m.map((x) => (x.sd > 0 ? x.mean / x.sd : NaN));
  const ok = sr.filter(Number.isFinite);
  const mean = ok.reduce((a, b) => a + b, 0) / (ok.length || 1);
  const variance = ok.length > 1 ? ok.reduce((a, b) => a + (b - mean) ** 2, 0) / (ok.length - 1) : 0;
  // the trials are the strategies with a Sharpe ratio (a book that never moves has none), as in the variance
  const sr0 = expectedMaxSharpe(Math.max(1, ok.length), variance);
  const dsr = m.map((x, i) =>
    Number.isFinite(sr[i]) ? probabilisticSharpeRatio(sr[i], sr0, x.n, x.skew, x.kurtosis) : NaN
  );
  return { dsr, sr0 };
}

/** Options of {@link bootstrapSharpe}. */
export interface BootstrapOptions {
  /** Resamples. Default 2,000. */
  reps?: number;
  /** Expected block length of the stationary bootstrap (sessions). Default `round(n^(1/3))`, at least 1. */
  meanBlock?: number;
  /** Seed of the resampling (mulberry32). Default 7. */
  seed?: number;
  /** Two-sided confidence level. Default 0.95. */
  level?: number;
  /** Annualization. Default 252. */
  periodsPerYear?: number;
}

/** A Sharpe ratio with its bootstrap interval (annualized). */
export interface SharpeInterval {
  sharpe: number;
  lo: number;
  hi: number;
  /** Standard deviation of the bootstrap Sharpe ratios. */
  se: number;
}

/**
 * Percentile confidence interval of the annualized Sharpe ratio by the stationary bootstrap (Politis & Romano
 * 1994): each resample strings together blocks that start at a uniform random day and continue (circularly) with
 * probability `1 - 1/meanBlock` per step, keeping the short-range dependence of daily returns. Seeded, so the
 * same input gives the same interval. NaN fields for fewer than 2 returns or returns without variance (a book
 * that never moves has no Sharpe ratio, so no interval); a resample without variance has no Sharpe ratio either
 * and is left out of the percentiles (NaN fields when over half are).
 */
export function bootstrapSharpe(returns: ArrayLike<number>, options: BootstrapOptions = {}): SharpeInterval {
  const x = Float64Array.from(Array.prototype.filter.call(returns, Number.isFinite) as number[]);
  const n = x.length, ppy = options.periodsPerYear ?? 252, ry = Math.sqrt(ppy);
  const reps = options.reps ?? 2000, level = options.level ?? 0.95;
  const L = options.meanBlock ?? Math.max(1, Math.round(Math.cbrt(n)));
  if (!(reps >= 10) || !(level > 0 && level < 1) || !(L >= 1)) {
    throw new RangeError("bootstrapSharpe: need reps >= 10, 0 < level < 1, meanBlock >= 1");
  }
  const base = moments(x);
  const sharpe = base.sd > 0 ? (base.mean / base.sd) * ry : NaN;
  if (n < 2 || !(base.sd > 0)) return { sharpe, lo: NaN, hi: NaN, se: NaN };
  const rand = mulberry32(options.seed ?? 7);
  const p = 1 / L;
  const stats = new Float64Array(reps);
  for (let b = 0; b < reps; b++) {
    let s = 0, s2 = 0, j = Math.floor(rand() * n);
    for (let i = 0; i < n; i++) {
      if (i > 0) j = rand() < p ? Math.floor(rand() * n) : (j + 1) % n;
      const v = x[j];
      s += v;
      s2 += v * v;
    }
    const m = s / n, v = (s2 - n * m * m) / (n - 1);
    stats[b] = v > 0 ? (m / Math.sqrt(v)) * ry : NaN;
  }
  const sorted = stats.filter(Number.isFinite).sort();
  const k = sorted.length;
  if (2 * k < reps) return { sharpe, lo: NaN, hi: NaN, se: NaN };
  const q = (a: number) => {
    const h = a * (k - 1), i = Math.floor(h);
    return i + 1 < k ? sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
  };
  const sm = moments(sorted);
  return { sharpe, lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2), se: sm.sd };
}

/** Active (relative) performance of a strategy against a benchmark, from aligned daily returns. */
export interface ActiveMetrics {
  /** Annualized arithmetic excess return: `mean(R - B) × periodsPerYear`. */
  excessReturn: number;
  /** Annualized geometric return of the strategy minus that of the benchmark. */
  excessAnnReturn: number;
  /** `sd(R - B) × sqrt(periodsPerYear)`. */
  trackingError: number;
  /** `excessReturn / trackingError`; NaN when the tracking error is 0. */
  informationRatio: number;
}

/**
 * Excess return over a benchmark (e.g. equal-weight buy-and-hold of the same universe) and the information ratio,
 * from daily returns on the same days (days where either is NaN are skipped).
 */
export function activeMetrics(
  returns: ArrayLike<number>,
  benchmark: ArrayLike<number>,
  periodsPerYear = 252,
): ActiveMetrics {
  if (returns.length !== benchmark.length) {
    throw new RangeError(`activeMetrics: ${returns.length} returns, ${benchmark.length} benchmark returns`);
  }
  const d: number[] = [];
  let gr = 1, gb = 1;
  for (let i = 0; i < returns.length; i++) {
    if (!Number.isFinite(returns[i]) || !Number.isFinite(benchmark[i])) continue;
    d.push(returns[i] - benchmark[i]);
    gr *= 1 + returns[i];
    gb *= 1 + benchmark[i];
  }
  const m = moments(d), n = d.length;
  const excessReturn = m.mean * periodsPerYear, trackingError = m.sd * Math.sqrt(periodsPerYear);
  return {
    excessReturn,
    excessAnnReturn: n ? gr ** (periodsPerYear / n) - gb ** (periodsPerYear / n) : NaN,
    trackingError,
    informationRatio: trackingError > 0 ? excessReturn / trackingError : NaN,
  };
}
