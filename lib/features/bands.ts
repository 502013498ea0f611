/**
 * Price channels: Bollinger bands with %B and width, Donchian channels.
 * @module
 */
import { nanArray } from "./_util.ts";
import { rollingMax, rollingMeanVar, rollingMin } from "./rolling.ts";

/** Bollinger bands: lower, middle (SMA), upper, %B and width `(upper - lower) / middle`. */
export interface Bollinger {
  lower: Float64Array;
  middle: Float64Array;
  upper: Float64Array;
  pctB: Float64Array;
  width: Float64Array;
}

/**
 * Bollinger bands of `x` (TTR `BBands(x, n, sd = k)` on a univariate series; pass the typical price to get
 * TTR's HLC variant): `SMA(x, n) +- k * sd`, with the population sd (`sample = false`, as TTR) by default.
 * `pctB = (x - lower) / (upper - lower)` is NaN when the bands collapse.
 */
export function bollinger(x: Float64Array, n = 20, k = 2, sample = false): Bollinger {
  const { mean, variance } = rollingMeanVar(x, n, sample);
  const len = x.length;
  const lower = nanArray(len), upper = nanArray(len), pctB = nanArray(len), width = nanArray(len);
  for (let i = 0; i < len; i++) {
    const m = mean[i], d = k * Math.sqrt(variance[i]);
    lower[i] = m - d;
    upper[i] = m + d;
    pctB[i] = d > 0 ? (x[i] - (m - d)) / (2 * d) : NaN;
    width[i] = (2 * d) / m;
  }
  return { lower, middle: mean, upper, pctB, width };
}

/** Donchian channel lines. */
export interface Donchian {
  high: Float64Array;
  mid: Float64Array;
  low: Float64Array;
}

/** Donchian channel (TTR `DonchianChannel(HL, n)`): rolling max of highs, min of lows, and their midpoint. */
export function donchian(high: Float64Array, low: Float64Array, n = 20): Donchian {
  const hi = rollingMax(high, n), lo = rollingMin(low, n);
  const mid = new Float64Array(hi.length);
  for (let i = 0; i < mid.length; i++) mid[i] = (hi[i] + lo[i]) / 2;
  return { high: hi, mid, low: lo };
}
