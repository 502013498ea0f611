/**
 * Rolling-window statistics in O(n): sum, mean, variance/std (anchored running sums), min/max (van
 * Herk/Gil-Werman), z-score, mean absolute deviation (O(n * window), used by CCI). Windows end at and include index `i`;
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

/**
 * Rolling mean and variance in one pass. `sample` divides by `n - 1` (default), else by `n`. Uses running sums
 * of `x - K` around an anchor `K` that is reset to the current value (and the window's sums recomputed
 * exactly) every `n` steps: O(n) amortized, no cancellation when the mean is large against the spread, and no
 * drift over long series.
 */
export function rollingMeanVar(
  x: Float64Array,
  n: number,
  sample = true,
): { mean: Float64Array; variance: Float64Array } {
  checkWindow(n, "n", sample ? 2 : 1);
  const len = x.length;
  const mean = nanArray(len), variance = nanArray(len);
  const div = sample ? n - 1 : n;
  let k = 0, s = 0, s2 = 0, run = 0, age = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    if (v !== v) {
      run = 0;
      continue;
    }
    if (run === 0) {
      k = v;
      s = 0;
      s2 = 0;
      age = 0;
    }
    run++;
    age++;
    const d = v - k;
    s += d;
    s2 += d * d;
    if (run > n) {
      const e = x[i - n] - k;
      s -= e;
      s2 -= e * e;
    }
    if (run >= n) {
      if (age >= n) {
        k = v; // re-anchor on the current value and recompute the window exactly
        s = 0;
        s2 = 0;
        for (let j = i - n + 1; j <= i; j++) {
          const e = x[j] - k;
          s += e;
          s2 += e * e;
        }
        age = 0;
      }
      const m2 = s2 - (s * s) / n;
      mean[i] = k + s / n;
      variance[i] = m2 > 0 ? m2 / div : 0;
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

/**
 * Rolling max (or min) by van Herk/Gil-Werman: within blocks of `n`, prefix extremes `g` and suffix extremes
 * `h`; the window `[i-n+1, i]` is `ext(h[i-n+1], g[i])`, both ranges inside the window. Three comparisons per
 * value, no data-dependent indirection. Windows holding a NaN are NaN (tracked by the valid-run length).
 */
function rollingExtreme(x: Float64Array, n: number, isMax: boolean): Float64Array {
  checkWindow(n);
  const len = x.length;
  const out = new Float64Array(len);
  if (n === 1) {
    out.set(x);
    return out;
  }
  const g = new Float64Array(len), h = new Float64Array(len);
  const sgn = isMax ? 1 : -1; // compare on sgn * x so one code path serves both
  for (let b = 0; b < len; b += n) {
    const e = Math.min(b + n, len);
    let m = sgn * x[b];
    g[b] = m;
    for (let i = b + 1; i < e; i++) {
      const v = sgn * x[i];
      m = v > m ? v : m;
      g[i] = m;
    }
    m = sgn * x[e - 1];
    h[e - 1] = m;
    for (let i = e - 2; i >= b; i--) {
      const v = sgn * x[i];
      m = v > m ? v : m;
      h[i] = m;
    }
  }
  let run = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    run = v === v ? run + 1 : 0;
    if (run >= n) {
      const a = h[i - n + 1], c = g[i];
      out[i] = sgn * (a > c ? a : c);
    } else out[i] = NaN;
  }
  return out;
}

/** Rolling maximum over `n` values (TTR `runMax`), O(n). */
export function rollingMax(x: Float64Array, n: number): Float64Array {
  return rollingExtreme(x, n, true);
}

/** Rolling minimum over `n` values (TTR `runMin`), O(n). */
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
