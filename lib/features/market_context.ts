/**
 * Market-context features: index returns, the stock's return relative to the index (not beta-adjusted), VIX
 * level and change. Inputs are aligned to the stock's dates (NaN where missing).
 * @module
 */
import { nanArray, sameLength } from "./_util.ts";
import { logReturn } from "./returns.ts";

/** Index log return over `h` sessions. */
export function indexReturn(indexClose: Float64Array, h = 1): Float64Array {
  return logReturn(indexClose, h);
}

/** Beta-free relative return: `ln(C/C[i-h]) - ln(I/I[i-h])` (stock minus index log return). */
export function relativeReturn(close: Float64Array, indexClose: Float64Array, h = 1): Float64Array {
  sameLength(close, indexClose);
  const a = logReturn(close, h), b = logReturn(indexClose, h);
  for (let i = 0; i < a.length; i++) a[i] -= b[i];
  return a;
}

/** VIX level as a fraction (`vix / 100`, so 20 -> 0.2: annualized implied vol). */
export function vixLevel(vix: Float64Array): Float64Array {
  const out = nanArray(vix.length);
  for (let i = 0; i < vix.length; i++) out[i] = vix[i] / 100;
  return out;
}

/** VIX log change over `h` sessions. */
export function vixChange(vix: Float64Array, h = 1): Float64Array {
  return logReturn(vix, h);
}
