/**
 * Raw normalized OHLCV windows (Qlib's Alpha360 idea): the last `L` sessions up to and including index `t`,
 * prices divided by the close at `t`, volume divided by its mean over the same `L` sessions. Stored as natural
 * logs of those ratios (0 = equal to the reference; symmetric for up and down moves), time-major and oldest
 * first: `out[j * 5 + c]` is channel `c` (open, high, low, close, volume) of session `t - (L - 1 - j)`.
 *
 * Only bars at or before `t` are read. Sessions before the first bar repeat the first bar (edge padding);
 * a non-finite or non-positive value becomes 0 (the reference level).
 * @module
 */
import type { OhlcvColumns } from "./feature_set.ts";

/** Channels of a window, in storage order. */
export const WINDOW_CHANNELS = ["open", "high", "low", "close", "volume"] as const;

/** Default window length (sessions), as in Alpha360. */
export const DEFAULT_WINDOW_LENGTH = 60;

function logRatio(v: number, ref: number): number {
  const x = Math.log(v / ref);
  return x - x === 0 ? x : 0;
}

/**
 * Writes the normalized window of index `t` (`length x 5` values) into `out` at `offset`. `t` must be a valid
 * index of the columns.
 */
export function writeWindow(
  cols: OhlcvColumns,
  t: number,
  length: number,
  out: Float32Array | Float64Array,
  offset = 0,
): void {
  const { open, high, low, close, volume } = cols;
  if (!(t >= 0 && t < close.length)) throw new RangeError(`window index ${t} outside 0..${close.length - 1}`);
  const ref = close[t];
  let vs = 0, vc = 0;
  const first = Math.max(0, t - length + 1);
  for (let i = first; i <= t; i++) {
    const v = volume[i];
    if (v > 0 && v - v === 0) (vs += v, vc++);
  }
  const vmean = vc > 0 ? vs / vc : NaN;
  for (let j = 0; j < length; j++) {
    const i = Math.max(0, t - (length - 1 - j)), o = offset + j * 5;
    out[o] = logRatio(open[i], ref);
    out[o + 1] = logRatio(high[i], ref);
    out[o + 2] = logRatio(low[i], ref);
    out[o + 3] = logRatio(close[i], ref);
    out[o + 4] = logRatio(volume[i], vmean);
  }
}

/** Every index's window of a series, row-major `n x (length * 5)` (for checks and small series). */
export function windowMatrix(cols: OhlcvColumns, length = DEFAULT_WINDOW_LENGTH): Float64Array {
  const n = cols.close.length, w = length * 5, out = new Float64Array(n * w);
  for (let t = 0; t < n; t++) writeWindow(cols, t, length, out, t * w);
  return out;
}
