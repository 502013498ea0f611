/**
 * Return helpers shared by the volatility models (folder-private).
 * @module
 */
import type { Dataset, SymbolSeries } from "../dataset/mod.ts";

/** Daily log returns of a price column; `r[0] = NaN`, `r[t] = ln(p[t] / p[t-1])`. */
export function logReturns(price: Float64Array): Float64Array {
  const r = new Float64Array(price.length).fill(NaN);
  for (let t = 1; t < price.length; t++) r[t] = Math.log(price[t] / price[t - 1]);
  return r;
}

/** Price column used for returns: `adjClose` when finite and positive, else `close`. */
export function pricesOf(s: SymbolSeries): Float64Array {
  const ok = s.adjClose.length === s.close.length && s.adjClose.every((v) => v > 0 && Number.isFinite(v));
  return ok ? s.adjClose : s.close;
}

/** Per symbol, the smallest and largest series index among `rows`. */
export function seriesRanges(ds: Dataset, rows: Int32Array): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const i of rows) {
    const s = ds.symbol[i], t = ds.seriesIndex[i];
    const r = out.get(s);
    if (!r) out.set(s, [t, t]);
    else {
      if (t < r[0]) r[0] = t;
      if (t > r[1]) r[1] = t;
    }
  }
  return out;
}

/** Finite values of `a[from..to]` (inclusive) as a new array. */
export function finiteSlice(a: Float64Array, from: number, to: number): Float64Array {
  const out: number[] = [];
  for (let t = Math.max(0, from); t <= Math.min(a.length - 1, to); t++) {
    if (Number.isFinite(a[t])) out.push(a[t]);
  }
  return Float64Array.from(out);
}
