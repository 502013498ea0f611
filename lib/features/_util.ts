/**
 * Folder-private helpers for the indicator files.
 * @module
 */

/** A new Float64Array of length `n` filled with NaN. */
export function nanArray(n: number): Float64Array {
  return new Float64Array(n).fill(NaN);
}

/** Throws `RangeError` unless `n` is an integer >= `min`. */
export function checkWindow(n: number, name = "n", min = 1): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${n}`);
}

/** Throws `RangeError` unless all arrays have the same length; returns that length. */
export function sameLength(...xs: ArrayLike<unknown>[]): number {
  const n = xs[0].length;
  for (const x of xs) {
    if (x.length !== n) throw new RangeError(`input columns differ in length: ${x.length} vs ${n}`);
  }
  return n;
}

/** Typical price `(high + low + close) / 3`. */
export function typicalPrice(high: Float64Array, low: Float64Array, close: Float64Array): Float64Array {
  const n = sameLength(high, low, close);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (high[i] + low[i] + close[i]) / 3;
  return out;
}
