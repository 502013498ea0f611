/**
 * The median of the benchmarks' repeated timings: the middle value, the mean of the two middle ones for an even
 * count (with `--runs 2` the upper one was the slower run, reported as the median).
 * @module
 */

/** The median of `xs` (NaN when empty); `xs` is not changed. */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
