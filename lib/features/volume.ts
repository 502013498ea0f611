/**
 * Volume features: on-balance volume, money flow index, volume z-score and relative volume.
 * @module
 */
import { checkWindow, nanArray, sameLength, typicalPrice } from "./_util.ts";
import { rollingSum, rollingZScore } from "./rolling.ts";

/**
 * On-balance volume (TTR `OBV(close, volume)`): starts at `volume[0]`, then adds the volume on up closes,
 * subtracts it on down closes and adds nothing when `|ln(C/C[i-1])| < sqrt(eps)`.
 */
export function obv(close: Float64Array, volume: Float64Array): Float64Array {
  const len = sameLength(close, volume);
  const out = new Float64Array(len);
  if (len === 0) return out;
  const tiny = Math.sqrt(Number.EPSILON);
  let s = volume[0];
  out[0] = s;
  for (let i = 1; i < len; i++) {
    const r = Math.log(close[i] / close[i - 1]);
    if (volume[i] !== volume[i]) {
      out[i] = NaN; // a missing volume adds nothing
      continue;
    }
    if (r > tiny) s += volume[i];
    else if (r < -tiny) s -= volume[i];
    out[i] = s;
  }
  return out;
}

/**
 * Money flow index in [0, 100] (TTR `MFI(HLC, volume, n)`): typical price `tp`, raw flow `tp * volume`, split
 * into positive/negative by the sign of `tp - tp[i-1]`, `100 - 100 / (1 + sum(pos) / sum(neg))` over `n`
 * periods; 100 when the negative sum is 0, 50 when both are. First value at index `n`.
 */
export function mfi(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  volume: Float64Array,
  n = 14,
): Float64Array {
  const len = sameLength(high, low, close, volume);
  const tp = typicalPrice(high, low, close);
  const pos = nanArray(len), neg = nanArray(len);
  for (let i = 1; i < len; i++) {
    const mf = tp[i] * volume[i];
    if (mf !== mf || tp[i - 1] !== tp[i - 1]) continue;
    pos[i] = tp[i] > tp[i - 1] ? mf : 0;
    neg[i] = tp[i] < tp[i - 1] ? mf : 0;
  }
  const p = rollingSum(pos, n), q = rollingSum(neg, n);
  const out = p;
  for (let i = 0; i < len; i++) {
    const a = p[i], b = q[i];
    out[i] = b === 0 ? (a === 0 ? 50 : 100) : 100 - 100 / (1 + a / b);
  }
  return out;
}

/**
 * Volume z-score: `(v - mean) / sd` over the window of `n` values ending at `i` (sample sd); with `log`, of
 * `ln(1 + volume)` (tames the heavy right tail). NaN when sd is 0.
 */
export function volumeZScore(volume: Float64Array, n = 20, log = false): Float64Array {
  return rollingZScore(log ? volume.map((v) => Math.log1p(v)) : volume, n, true);
}

/**
 * Relative volume: `volume[i] / mean(volume[i-n..i-1])`, today against the average of the `n` sessions before
 * it. NaN when that mean is 0; first value at index `n`.
 */
export function relativeVolume(volume: Float64Array, n = 20): Float64Array {
  checkWindow(n);
  const len = volume.length;
  const s = rollingSum(volume, n);
  const out = nanArray(len);
  for (let i = n; i < len; i++) {
    const m = s[i - 1] / n;
    out[i] = m > 0 ? volume[i] / m : NaN;
  }
  return out;
}

/**
 * OBV flow over `n` periods, scale-free: `(OBV[i] - OBV[i-n]) / sum(volume[i-n+1..i])`, in [-1, 1].
 */
export function obvFlow(close: Float64Array, volume: Float64Array, n = 20): Float64Array {
  checkWindow(n);
  const o = obv(close, volume);
  const s = rollingSum(volume, n);
  const out = nanArray(o.length);
  // zero volume in the window: no flow (0); a missing volume: unknown (NaN)
  for (let i = n; i < o.length; i++) out[i] = s[i] > 0 ? (o[i] - o[i - n]) / s[i] : s[i] === 0 ? 0 : NaN;
  return out;
}
