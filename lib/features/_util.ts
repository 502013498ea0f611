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

/**
 * Typical price `(high + low + close) / 3`, with R's `mean()` correction step `q + sum(x - q) / 3`, so MFI's up/down
 * split follows TTR's to the bit. That is not exact decimal arithmetic: two days whose H+L+C are equal as decimals
 * can still differ in the last bit (A's 2015-04-23 and -24, 127.72 each, differ by 7e-15, and the second counts as
 * an up day), as they do in R.
 */
export function typicalPrice(high: Float64Array, low: Float64Array, close: Float64Array): Float64Array {
  const n = sameLength(high, low, close);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const h = high[i], l = low[i], c = close[i];
    const q = (h + l + c) / 3;
    out[i] = q + ((h - q) + (l - q) + (c - q)) / 3;
  }
  return out;
}
