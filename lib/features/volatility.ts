/**
 * Range and volatility measures: true range, ATR (Wilder), and rolling realized-volatility estimators
 * (close-to-close, Parkinson, Garman-Klass, Rogers-Satchell, Yang-Zhang) following TTR's `volatility()`.
 * Estimators return the standard deviation per period times `sqrt(N)`; `N = 1` (default) gives daily units,
 * TTR's default is `N = 260`.
 * @module
 */
import { checkWindow, nanArray, sameLength } from "./_util.ts";
import { ema } from "./moving_averages.ts";
import { rollingMeanVar, rollingSum } from "./rolling.ts";
import { logReturn } from "./returns.ts";

/** True range `max(H, C[i-1]) - min(L, C[i-1])` (TTR `ATR()[, "tr"]`); NaN at index 0. */
export function trueRange(high: Float64Array, low: Float64Array, close: Float64Array): Float64Array {
  const len = sameLength(high, low, close);
  const out = nanArray(len);
  for (let i = 1; i < len; i++) {
    const pc = close[i - 1];
    out[i] = (high[i] > pc ? high[i] : pc) - (low[i] < pc ? low[i] : pc);
  }
  return out;
}

/** Average true range with Wilder smoothing (TTR `ATR(HLC, n)`); first value at index `n`. */
export function atr(high: Float64Array, low: Float64Array, close: Float64Array, n = 14): Float64Array {
  return ema(trueRange(high, low, close), n, { wilder: true });
}

/**
 * Close-to-close volatility: the sample standard deviation of the last `n` one-period log returns, times
 * `sqrt(N)`. First value at index `n`. Equals TTR `volatility(C, n = n + 1, calc = "close", N)` (TTR counts
 * prices, we count returns).
 */
export function closeToCloseVol(close: Float64Array, n = 20, N = 1): Float64Array {
  checkWindow(n, "n", 2);
  const v = rollingMeanVar(logReturn(close, 1), n, true).variance;
  for (let i = 0; i < v.length; i++) v[i] = Math.sqrt(N * v[i]);
  return v;
}

function sqrtScaled(sum: Float64Array, scale: number): Float64Array {
  for (let i = 0; i < sum.length; i++) sum[i] = Math.sqrt(scale * sum[i]);
  return sum;
}

/** Parkinson high-low volatility (TTR `calc = "parkinson"`): `sqrt(N / (4 n ln 2) * sum ln(H/L)^2)`. */
export function parkinsonVol(high: Float64Array, low: Float64Array, n = 20, N = 1): Float64Array {
  checkWindow(n);
  const len = sameLength(high, low);
  const t = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    const hl = Math.log(high[i] / low[i]);
    t[i] = hl * hl;
  }
  return sqrtScaled(rollingSum(t, n), N / (4 * n * Math.LN2));
}

/**
 * Garman-Klass volatility (TTR `calc = "garman.klass"`):
 * `sqrt(N / n * sum(0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2))`. NaN when the sum is negative.
 */
export function garmanKlassVol(
  open: Float64Array,
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  n = 20,
  N = 1,
): Float64Array {
  checkWindow(n);
  const len = sameLength(open, high, low, close);
  const c = 2 * Math.LN2 - 1;
  const t = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    const hl = Math.log(high[i] / low[i]), co = Math.log(close[i] / open[i]);
    t[i] = 0.5 * hl * hl - c * co * co;
  }
  return sqrtScaled(rollingSum(t, n), N / n);
}

function rsTerms(
  open: Float64Array,
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
): Float64Array {
  const len = sameLength(open, high, low, close);
  const t = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    t[i] = Math.log(high[i] / close[i]) * Math.log(high[i] / open[i]) +
      Math.log(low[i] / close[i]) * Math.log(low[i] / open[i]);
  }
  return t;
}

/**
 * Rogers-Satchell volatility (TTR `calc = "rogers.satchell"`):
 * `sqrt(N / n * sum(ln(H/C) ln(H/O) + ln(L/C) ln(L/O)))`.
 */
export function rogersSatchellVol(
  open: Float64Array,
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  n = 20,
  N = 1,
): Float64Array {
  checkWindow(n);
  return sqrtScaled(rollingSum(rsTerms(open, high, low, close), n), N / n);
}

/**
 * Yang-Zhang volatility (TTR `calc = "yang.zhang"`): `sqrt(s2o + k s2c + (1 - k) s2rs)` with `s2o` the sample
 * variance of overnight log returns `ln(O/C[i-1])`, `s2c` that of open-to-close `ln(C/O)`, `s2rs` the
 * Rogers-Satchell variance (all over `n`, times `N`), and `k = (alpha - 1) / (alpha + (n+1)/(n-1))`,
 * `alpha = 1.34`. First value at index `n`.
 */
export function yangZhangVol(
  open: Float64Array,
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  n = 20,
  N = 1,
  alpha = 1.34,
): Float64Array {
  checkWindow(n, "n", 2);
  const len = sameLength(open, high, low, close);
  const on = nanArray(len), oc = new Float64Array(len), rs = new Float64Array(len);
  let lcPrev = NaN;
  for (let i = 0; i < len; i++) {
    // four logs per bar; every term is a difference of them
    const lo = Math.log(open[i]), lh = Math.log(high[i]), ll = Math.log(low[i]), lc = Math.log(close[i]);
    if (i > 0) on[i] = lo - lcPrev;
    oc[i] = lc - lo;
    rs[i] = (lh - lc) * (lh - lo) + (ll - lc) * (ll - lo);
    lcPrev = lc;
  }
  const k = (alpha - 1) / (alpha + (n + 1) / (n - 1));
  const so = rollingMeanVar(on, n, true).variance, sc = rollingMeanVar(oc, n, true).variance;
  const rsSum = rollingSum(rs, n);
  const out = so;
  for (let i = 0; i < len; i++) out[i] = Math.sqrt(N * (so[i] + k * sc[i] + ((1 - k) * rsSum[i]) / n));
  return out;
}
