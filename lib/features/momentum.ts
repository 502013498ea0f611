/**
 * Momentum oscillators: RSI (Wilder), MACD, stochastic %K/%D, Williams %R, CCI. Conventions follow R's TTR
 * (see each function); the value at `i` uses only inputs at `i` and before.
 * @module
 */
import { checkWindow, nanArray, sameLength, typicalPrice } from "./_util.ts";
import { ema, sma } from "./moving_averages.ts";
import { rollingMax, rollingMeanAbsDev, rollingMin } from "./rolling.ts";

/**
 * Relative strength index with Wilder smoothing (TTR `RSI(x, n)`), in [0, 100]. Gains and losses of the
 * one-step changes are Wilder-averaged (seeded with their SMA over the first `n` changes), so the first value
 * is at index `n`. Deliberate difference from TTR: when both averages are 0 (a flat window) the RSI is 50, not
 * NaN.
 */
export function rsi(close: Float64Array, n = 14): Float64Array {
  checkWindow(n);
  const len = close.length;
  const up = nanArray(len), dn = nanArray(len);
  for (let i = 1; i < len; i++) {
    const d = close[i] - close[i - 1];
    if (d !== d) continue;
    up[i] = d > 0 ? d : 0;
    dn[i] = d < 0 ? -d : 0;
  }
  const au = ema(up, n, { wilder: true }), ad = ema(dn, n, { wilder: true });
  for (let i = 0; i < len; i++) {
    const s = au[i] + ad[i];
    au[i] = s > 0 ? (100 * au[i]) / s : s === 0 ? 50 : NaN;
  }
  return au;
}

/** MACD line, signal line and histogram. */
export interface Macd {
  macd: Float64Array;
  signal: Float64Array;
  hist: Float64Array;
}

/**
 * MACD (TTR `MACD(x, nFast, nSlow, nSig, maType = "EMA", percent)`): `macd = EMA(fast) - EMA(slow)`, or
 * `100 * (EMA(fast) / EMA(slow) - 1)` when `percent` (TTR's default, scale-free); `signal = EMA(macd, nSig)`
 * seeded on the first `nSig` MACD values; `hist = macd - signal`.
 */
export function macd(x: Float64Array, nFast = 12, nSlow = 26, nSig = 9, percent = false): Macd {
  const f = ema(x, nFast), s = ema(x, nSlow);
  const len = x.length;
  const line = new Float64Array(len);
  for (let i = 0; i < len; i++) line[i] = percent ? 100 * (f[i] / s[i] - 1) : f[i] - s[i];
  const signal = ema(line, nSig);
  const hist = new Float64Array(len);
  for (let i = 0; i < len; i++) hist[i] = line[i] - signal[i];
  return { macd: line, signal, hist };
}

/** Stochastic oscillator lines in [0, 1]. */
export interface Stochastic {
  fastK: Float64Array;
  fastD: Float64Array;
  slowD: Float64Array;
}

/**
 * Stochastic oscillator (TTR `stoch(HLC, nFastK, nFastD, nSlowD, bounded = TRUE, smooth = 1)`):
 * `fastK = (C - LL_n) / (HH_n - LL_n)` over windows that include the current bar, `fastD = SMA(fastK, nFastD)`,
 * `slowD = SMA(fastD, nSlowD)`. When `HH == LL` fastK is 0.5 (TTR gives NaN there).
 */
export function stochastic(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  nFastK = 14,
  nFastD = 3,
  nSlowD = 3,
): Stochastic {
  const len = sameLength(high, low, close);
  const hh = rollingMax(high, nFastK), ll = rollingMin(low, nFastK);
  const fastK = nanArray(len);
  for (let i = 0; i < len; i++) {
    const r = hh[i] - ll[i];
    fastK[i] = r > 0 ? (close[i] - ll[i]) / r : r === 0 ? 0.5 : NaN;
  }
  const fastD = sma(fastK, nFastD);
  return { fastK, fastD, slowD: sma(fastD, nSlowD) };
}

/**
 * Williams %R as TTR `WPR(HLC, n)` defines it: `(HH_n - C) / (HH_n - LL_n)` in [0, 1] (1 = at the low). The
 * textbook %R is `-100 *` this value. 0.5 when `HH == LL` (as TTR).
 */
export function williamsR(high: Float64Array, low: Float64Array, close: Float64Array, n = 14): Float64Array {
  const len = sameLength(high, low, close);
  const hh = rollingMax(high, n), ll = rollingMin(low, n);
  const out = nanArray(len);
  for (let i = 0; i < len; i++) {
    const r = hh[i] - ll[i];
    out[i] = r > 0 ? (hh[i] - close[i]) / r : r === 0 ? 0.5 : NaN;
  }
  return out;
}

/**
 * Commodity channel index (TTR `CCI(HLC, n, c = 0.015)`): typical price `tp = (H+L+C)/3`,
 * `(tp - SMA(tp, n)) / (c * MAD)` where MAD is the mean absolute deviation of `tp` around that SMA over the
 * window. O(n * window).
 */
export function cci(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  n = 20,
  c = 0.015,
): Float64Array {
  const tp = typicalPrice(high, low, close);
  const m = sma(tp, n), mad = rollingMeanAbsDev(tp, n);
  const out = nanArray(tp.length);
  for (let i = 0; i < tp.length; i++) {
    out[i] = mad[i] > 0 ? (tp[i] - m[i]) / (c * mad[i]) : mad[i] === 0 ? 0 : NaN;
  }
  return out;
}
