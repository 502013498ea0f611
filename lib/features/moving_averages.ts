/**
 * Moving averages: SMA, EMA (TTR seeding), Wilder smoothing, WMA. O(n) each.
 *
 * NaN convention for every rolling function in this folder: the output is NaN while the window holds fewer than
 * `n` consecutive valid values (warm-up, and again after any NaN input). Recursive averages (EMA/Wilder) seed
 * with the SMA of the first `n` consecutive valid values, as TTR does; after seeding, a NaN input gives a NaN
 * output and the state is carried over unchanged.
 * @module
 */
import { checkWindow, nanArray } from "./_util.ts";

/** Simple moving average over `n` values (TTR `SMA`). NaN for the first `n - 1` values. */
export function sma(x: Float64Array, n: number): Float64Array {
  checkWindow(n);
  const len = x.length;
  const out = new Float64Array(len);
  let sum = 0, run = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    if (v === v) {
      sum += v;
      if (++run > n) sum -= x[i - n];
      out[i] = run >= n ? sum / n : NaN;
    } else {
      sum = 0;
      run = 0;
      out[i] = NaN;
    }
  }
  return out;
}

/** Options of {@link ema}. */
export interface EmaOptions {
  /** Wilder smoothing: ratio `1/n` instead of `2/(n+1)`. */
  wilder?: boolean;
  /** Explicit smoothing ratio in (0, 1]; overrides `n` and `wilder` for the ratio (not for the seed length). */
  ratio?: number;
}

/**
 * Exponential moving average (TTR `EMA`): seeded with the SMA of the first `n` valid values, then
 * `e[i] = r * x[i] + (1 - r) * e[i-1]` with `r = 2/(n+1)` (or `1/n` when `wilder`).
 */
export function ema(x: Float64Array, n: number, opts: EmaOptions = {}): Float64Array {
  checkWindow(n);
  const r = opts.ratio ?? (opts.wilder ? 1 / n : 2 / (n + 1));
  if (!(r > 0 && r <= 1)) throw new RangeError(`ema ratio must be in (0, 1], got ${r}`);
  const len = x.length;
  const out = nanArray(len);
  const q = 1 - r;
  let i = 0, run = 0, sum = 0;
  // Seed: the SMA of the first n consecutive valid values.
  for (; i < len && run < n; i++) {
    const v = x[i];
    if (v !== v) {
      run = 0;
      sum = 0;
      continue;
    }
    sum += v;
    run++;
  }
  if (run < n) return out;
  let e = sum / n;
  out[i - 1] = e;
  for (; i < len; i++) {
    const v = x[i];
    if (v !== v) continue;
    e = r * v + q * e;
    out[i] = e;
  }
  return out;
}

/** Wilder's moving average (RMA): {@link ema} with ratio `1/n`, seeded with an SMA. */
export function wilderMa(x: Float64Array, n: number): Float64Array {
  return ema(x, n, { wilder: true });
}

/**
 * Wilder's running sum exactly as TTR's `wilderSum` computes it: with `S` the plain sum of the first `n - 1`
 * valid values, `s[n-1] = S * (n-1)/n + x[n-1]`, then `s[i] = s[i-1] * (n-1)/n + x[i]`. (TTR's seed differs
 * from `n * wilderMa(x, n)`; ADX uses this function, so we keep TTR's.) NaN inputs reset the warm-up before
 * the first value and are skipped (NaN output, state carried) after it.
 */
export function wilderSum(x: Float64Array, n: number): Float64Array {
  checkWindow(n);
  const len = x.length;
  const out = nanArray(len);
  const k = (n - 1) / n;
  let run = 0, sum = 0, s = NaN;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    if (v !== v) {
      if (s !== s) {
        run = 0; // still warming up: start over
        sum = 0;
      }
      continue;
    }
    if (s === s) s = s * k + v;
    else if (run < n - 1) {
      sum += v;
      run++;
      continue;
    } else s = sum * k + v;
    out[i] = s;
  }
  return out;
}

/** Linearly weighted moving average (TTR `WMA` with weights `1..n`, the newest value weighted `n`). */
export function wma(x: Float64Array, n: number): Float64Array {
  checkWindow(n);
  const len = x.length;
  const out = nanArray(len);
  const denom = (n * (n + 1)) / 2;
  let s = 0, num = 0, run = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    if (v !== v) {
      s = 0;
      num = 0;
      run = 0;
      continue;
    }
    if (run < n) {
      run++;
      num += run * v; // weights 1..run while filling
      s += v;
    } else {
      num += n * v - s; // every older weight drops by one, the oldest (weight 1) leaves
      s += v - x[i - n];
    }
    if (run >= n) out[i] = num / denom;
  }
  return out;
}
