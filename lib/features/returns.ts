/**
 * Returns and price-position features: log/simple returns over any horizon, overnight gaps, distance to the
 * rolling high/low. The value at `i` uses only inputs at `i` and before.
 * @module
 */
import { checkWindow, nanArray, sameLength } from "./_util.ts";
import { rollingMax, rollingMin } from "./rolling.ts";

/** Log return `ln(x[i] / x[i-h])` (TTR `ROC(type = "continuous")`). NaN for the first `h` values. */
export function logReturn(x: Float64Array, h = 1): Float64Array {
  checkWindow(h, "h");
  const len = x.length;
  const out = new Float64Array(len);
  out.fill(NaN, 0, Math.min(h, len));
  for (let i = h; i < len; i++) out[i] = Math.log(x[i] / x[i - h]);
  return out;
}

/** Simple return `x[i] / x[i-h] - 1` (TTR `ROC(type = "discrete")`). NaN for the first `h` values. */
export function simpleReturn(x: Float64Array, h = 1): Float64Array {
  checkWindow(h, "h");
  const len = x.length;
  const out = new Float64Array(len);
  out.fill(NaN, 0, Math.min(h, len));
  for (let i = h; i < len; i++) out[i] = x[i] / x[i - h] - 1;
  return out;
}

/** Overnight gap `open[i] / close[i-1] - 1`. NaN at index 0. */
export function gap(open: Float64Array, close: Float64Array): Float64Array {
  const len = sameLength(open, close);
  const out = nanArray(len);
  for (let i = 1; i < len; i++) out[i] = open[i] / close[i - 1] - 1;
  return out;
}

/** `close[i] / max(high[i-n+1..i]) - 1` (<= 0): how far the close sits below the rolling high. */
export function distanceToHigh(close: Float64Array, high: Float64Array, n: number): Float64Array {
  sameLength(close, high);
  const hh = rollingMax(high, n);
  for (let i = 0; i < hh.length; i++) hh[i] = close[i] / hh[i] - 1;
  return hh;
}

/** `close[i] / min(low[i-n+1..i]) - 1` (>= 0): how far the close sits above the rolling low. */
export function distanceToLow(close: Float64Array, low: Float64Array, n: number): Float64Array {
  sameLength(close, low);
  const ll = rollingMin(low, n);
  for (let i = 0; i < ll.length; i++) ll[i] = close[i] / ll[i] - 1;
  return ll;
}

/** Rate of change over `n` (TTR `ROC`): `"log"` (continuous, default) or `"simple"` (discrete). */
export function roc(x: Float64Array, n = 1, type: "log" | "simple" = "log"): Float64Array {
  return type === "log" ? logReturn(x, n) : simpleReturn(x, n);
}
