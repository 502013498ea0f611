/**
 * Binary search on ascending arrays (numbers or `YYYY-MM-DD` strings), shared by the sources and the dataset.
 * @module
 */

/** Index of the first entry of ascending `sorted` that is `>= x` (`sorted.length` when none). */
export function lowerBound<T extends number | string>(sorted: ArrayLike<T>, x: T): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first entry of ascending `sorted` that is `> x` (`sorted.length` when none). */
export function upperBound<T extends number | string>(sorted: ArrayLike<T>, x: T): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
