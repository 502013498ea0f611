/**
 * Feature drift: the population stability index (PSI) of a recent sample against a reference (the training
 * window), on the reference's quantile bins. `PSI = sum_k (p_k - q_k) ln(p_k / q_k)` with `q` the reference
 * share and `p` the sample share of bin k (both floored at a small epsilon). Common reading: < 0.1 stable,
 * 0.1-0.25 moderate shift, > 0.25 large shift.
 * @module
 */

/** A feature's reference distribution: inner bin edges (ascending) and the share of values in each bin. */
export interface DriftReference {
  edges: number[];
  shares: number[];
  /**
   * PSI of windows of the reference period itself against the whole (see {@link driftBaseline}): how far a
   * window of that length strays with no drift at all. Absent when not measured.
   */
  baseline?: { windows: number; q90: number; max: number };
}

const EPS = 1e-4;

function binOf(edges: readonly number[], v: number): number {
  let lo = 0, hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v > edges[mid]) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The reference of `values` (non-finite values ignored): up to `bins` quantile bins (fewer when values repeat).
 * Null when fewer than `2 * bins` finite values.
 */
export function driftReference(values: ArrayLike<number>, bins = 10): DriftReference | null {
  const v: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) v.push(values[i]);
  if (v.length < 2 * bins) return null;
  v.sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = v[Math.min(v.length - 1, Math.floor((k * v.length) / bins))];
    if (!edges.length || e > edges[edges.length - 1]) edges.push(e);
  }
  const counts = new Array(edges.length + 1).fill(0);
  for (const x of v) counts[binOf(edges, x)]++;
  return { edges, shares: counts.map((c) => c / v.length) };
}

/** PSI of `values` against `ref` (non-finite values ignored); NaN when the sample has no finite value. */
export function psi(ref: DriftReference, values: ArrayLike<number>): number {
  const counts = new Array(ref.shares.length).fill(0);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!Number.isFinite(x)) continue;
    counts[binOf(ref.edges, x)]++;
    n++;
  }
  if (n === 0) return NaN;
  let s = 0;
  for (let k = 0; k < counts.length; k++) {
    const p = Math.max(EPS, counts[k] / n), q = Math.max(EPS, ref.shares[k]);
    s += (p - q) * Math.log(p / q);
  }
  return s;
}

/**
 * The PSI a window strays by within the reference period itself: the 90th percentile and the maximum of the PSI
 * of each `windows` sample (e.g. overlapping windows of the training sessions) against `ref`. Autocorrelated or
 * cross-sectionally correlated features stray far even without drift; a monitor compares a recent window with
 * these and with the fixed thresholds, whichever is larger.
 */
export function driftBaseline(
  ref: DriftReference,
  windows: readonly ArrayLike<number>[],
): { windows: number; q90: number; max: number } | undefined {
  const v = windows.map((w) => psi(ref, w)).filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return undefined;
  return {
    windows: v.length,
    q90: v[Math.min(v.length - 1, Math.floor(0.9 * v.length))],
    max: v[v.length - 1],
  };
}
