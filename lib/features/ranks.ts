/**
 * Cross-sectional ranks: rank a feature among the symbols of each day.
 * @module
 */
import { sameLength } from "./_util.ts";

/** Sorts `keys[lo..hi]` ascending, moving `idx` along (quicksort, median of 3, insertion sort below 16). */
function sortPairs(keys: Float64Array, idx: Int32Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const mid = (lo + hi) >>> 1;
    // median of three into keys[mid]
    if (keys[mid] < keys[lo]) swap(keys, idx, mid, lo);
    if (keys[hi] < keys[lo]) swap(keys, idx, hi, lo);
    if (keys[hi] < keys[mid]) swap(keys, idx, hi, mid);
    const pivot = keys[mid];
    let i = lo, j = hi;
    while (i <= j) {
      while (keys[i] < pivot) i++;
      while (keys[j] > pivot) j--;
      if (i <= j) {
        swap(keys, idx, i, j);
        i++;
        j--;
      }
    }
    // recurse into the smaller part, loop on the larger (O(log n) stack)
    if (j - lo < hi - i) {
      sortPairs(keys, idx, lo, j);
      lo = i;
    } else {
      sortPairs(keys, idx, i, hi);
      hi = j;
    }
  }
  for (let i = lo + 1; i <= hi; i++) {
    const k = keys[i], x = idx[i];
    let j = i - 1;
    while (j >= lo && keys[j] > k) {
      keys[j + 1] = keys[j];
      idx[j + 1] = idx[j];
      j--;
    }
    keys[j + 1] = k;
    idx[j + 1] = x;
  }
}

function swap(keys: Float64Array, idx: Int32Array, a: number, b: number): void {
  const k = keys[a];
  keys[a] = keys[b];
  keys[b] = k;
  const x = idx[a];
  idx[a] = idx[b];
  idx[b] = x;
}

/** Row indices grouped by group id (stable), as `order` plus `[start, end)` offsets per group. */
function groupOrder(groups: Int32Array): { order: Int32Array; starts: number[] } {
  const n = groups.length;
  const order = new Int32Array(n);
  const starts: number[] = [];
  if (n === 0) return { order, starts: [0] };
  let min = groups[0], max = groups[0];
  for (let i = 1; i < n; i++) {
    const g = groups[i];
    if (g < min) min = g;
    else if (g > max) max = g;
  }
  let key: Int32Array;
  let k: number;
  if (max - min <= 4 * n + 1024) {
    key = new Int32Array(n);
    for (let i = 0; i < n; i++) key[i] = groups[i] - min;
    k = max - min + 1;
  } else {
    const ids = new Map<number, number>();
    key = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let id = ids.get(groups[i]);
      if (id === undefined) ids.set(groups[i], id = ids.size);
      key[i] = id;
    }
    k = ids.size;
  }
  const count = new Int32Array(k + 1);
  for (let i = 0; i < n; i++) count[key[i] + 1]++;
  for (let g = 0; g < k; g++) count[g + 1] += count[g];
  for (let g = 0; g <= k; g++) if (g === k || count[g + 1] > count[g]) starts.push(count[g]);
  const pos = count.slice(0, k);
  for (let i = 0; i < n; i++) order[pos[key[i]]++] = i;
  return { order, starts };
}

/**
 * Ranks `values` within each group (e.g. each day): ties get the average rank, NaN stays NaN, and the result
 * is scaled to [0, 1] as `(rank - 1) / (m - 1)` with `m` the number of non-NaN values in the group (0.5 when
 * `m = 1`). O(n log m). To rank many columns over the same groups, use {@link crossSectionalRanker}.
 */
export function crossSectionalRank(values: Float64Array, groups: Int32Array): Float64Array {
  sameLength(values, groups);
  return crossSectionalRanker(groups)(values);
}

/**
 * Prepares ranking over fixed `groups` once (the grouping pass), returning a function that ranks any column
 * of the same length like {@link crossSectionalRank}.
 */
export function crossSectionalRanker(groups: Int32Array): (values: Float64Array) => Float64Array {
  const n = groups.length;
  const { order, starts } = groupOrder(groups);
  const keys = new Float64Array(n), idx = new Int32Array(n);
  return (values) => {
    if (values.length !== n) throw new RangeError(`values has ${values.length} rows, groups ${n}`);
    const out = new Float64Array(n).fill(NaN);
    for (let g = 0; g + 1 < starts.length; g++) {
      const a = starts[g], b = starts[g + 1];
      let m = a;
      for (let j = a; j < b; j++) {
        const r = order[j], v = values[r];
        if (v === v) {
          keys[m] = v;
          idx[m++] = r;
        }
      }
      const cnt = m - a;
      if (cnt === 0) continue;
      if (cnt === 1) {
        out[idx[a]] = 0.5;
        continue;
      }
      sortPairs(keys, idx, a, m - 1);
      const den = cnt - 1;
      for (let p = a; p < m;) {
        let q = p + 1;
        while (q < m && keys[q] === keys[p]) q++;
        const rank = ((p - a) + (q - 1 - a)) / 2 / den; // tie run p..q-1 gets its average 0-based rank
        for (let t = p; t < q; t++) out[idx[t]] = rank;
        p = q;
      }
    }
    return out;
  };
}

/**
 * {@link crossSectionalRank} of every column of a row-major `rows x cols` matrix `X` (one group id per row);
 * returns a new matrix of the same shape.
 */
export function crossSectionalRankMatrix(X: Float64Array, cols: number, groups: Int32Array): Float64Array {
  const rows = groups.length;
  if (X.length !== rows * cols) {
    throw new RangeError(`matrix has ${X.length} values, expected ${rows} x ${cols}`);
  }
  const out = new Float64Array(X.length);
  const col = new Float64Array(rows);
  const rank = crossSectionalRanker(groups);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) col[r] = X[r * cols + c];
    const rk = rank(col);
    for (let r = 0; r < rows; r++) out[r * cols + c] = rk[r];
  }
  return out;
}
