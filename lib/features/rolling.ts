/**
 * Rolling-window statistics in O(n): sum, mean, variance/std (rolling Welford update), min/max (monotonic
 * deque), z-score, mean absolute deviation (O(n * window), used by CCI). Windows end at and include index `i`;
 * the output is NaN until the window holds `n` consecutive valid values.
 * @module
 */
import { checkWindow, nanArray } from "./_util.ts";

/** Rolling sum over `n` values (TTR `runSum`). */
export function rollingSum(x: Float64Array, n: number): Float64Array {
  checkWindow(n);
  const len = x.length;
  const out = nanArray(len);
  let sum = 0, run = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    if (v !== v) {
      sum = 0;
      run = 0;
      continue;
    }
    sum += v;
    run++;
    if (run > n) sum -= x[i - n];
    if (run >= n) out[i] = sum;
  }
  return out;
}

/** Rolling mean and variance in one pass. `sample` divides by `n - 1` (default), else by `n`. */
export function rollingMeanVar(
  x: Float64Array,
  n: number,
  sample = true,
): { mean: Float64Array; variance: Float64Array } {
  checkWindow(n, "n", sample ? 2 : 1);
  const len = x.length;
  const mean = nanArray(len), variance = nanArray(len);
  const div = sample ? n - 1 : n;
  let m = 0, m2 = 0, run = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    if (v !== v) {
      m = 0;
      m2 = 0;
      run = 0;
      continue;
    }
    if (run < n) {
      run++;
      const d = v - m;
      m += d / run;
      m2 += d * (v - m);
    } else {
      const old = x[i - n];
      const nm = m + (v - old) / n;
      m2 += (v - old) * (v - nm + old - m);
      m = nm;
      if (m2 < 0) m2 = 0;
    }
    if (run >= n) {
      mean[i] = m;
      variance[i] = m2 / div;
    }
  }
  return { mean, variance };
}

/** Rolling standard deviation (TTR `runSD`; `sample = true` divides by `n - 1`). */
export function rollingStd(x: Float64Array, n: number, sample = true): Float64Array {
  const v = rollingMeanVar(x, n, sample).variance;
  for (let i = 0; i < v.length; i++) v[i] = Math.sqrt(v[i]);
  return v;
}

/** Rolling z-score `(x[i] - mean) / sd` over the window ending at `i` (sample sd); NaN when sd is 0. */
export function rollingZScore(x: Float64Array, n: number, sample = true): Float64Array {
  const { mean, variance } = rollingMeanVar(x, n, sample);
  const out = mean;
  for (let i = 0; i < x.length; i++) {
    const sd = Math.sqrt(variance[i]);
    out[i] = sd > 0 ? (x[i] - mean[i]) / sd : NaN;
  }
  return out;
}

function rollingExtreme(x: Float64Array, n: number, isMax: boolean): Float64Array {
  checkWindow(n);
  const len = x.length;
  const out = nanArray(len);
  const dq = new Int32Array(len); // indices; values along dq[head..tail) are monotone
  let head = 0, tail = 0, run = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    if (v !== v) {
      head = tail = 0;
      run = 0;
      continue;
    }
    run++;
    if (isMax) { while (tail > head && x[dq[tail - 1]] <= v) tail--; }
    else { while (tail > head && x[dq[tail - 1]] >= v) tail--; }
    dq[tail++] = i;
    if (dq[head] <= i - n) head++;
    if (run >= n) out[i] = x[dq[head]];
  }
  return out;
}

/** Rolling maximum over `n` values (TTR `runMax`), monotonic deque, O(n). */
export function rollingMax(x: Float64Array, n: number): Float64Array {
  return rollingExtreme(x, n, true);
}

/** Rolling minimum over `n` values (TTR `runMin`), monotonic deque, O(n). */
export function rollingMin(x: Float64Array, n: number): Float64Array {
  return rollingExtreme(x, n, false);
}

/**
 * Rolling mean absolute deviation around the window's own mean (TTR `runMAD(x, n, stat = "mean")` with the
 * window mean as center, as CCI uses). O(n * window).
 */
export function rollingMeanAbsDev(x: Float64Array, n: number): Float64Array {
  const mean = rollingMeanVar(x, n, false).mean;
  const len = x.length;
  const out = nanArray(len);
  for (let i = n - 1; i < len; i++) {
    const m = mean[i];
    if (m !== m) continue;
    let s = 0;
    for (let j = i - n + 1; j <= i; j++) s += Math.abs(x[j] - m);
    out[i] = s / n;
  }
  return out;
}
