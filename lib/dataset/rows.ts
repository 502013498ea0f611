/**
 * Row selection helpers.
 * @module
 */
import type { Dataset } from "./types.ts";

/** Indices of the rows in segment `code` (e.g. `Segment.TRAIN`), ascending. */
export function rowsOf(ds: Pick<Dataset, "n" | "segment">, code: number): Int32Array {
  let c = 0;
  for (let i = 0; i < ds.n; i++) if (ds.segment[i] === code) c++;
  const out = new Int32Array(c);
  c = 0;
  for (let i = 0; i < ds.n; i++) if (ds.segment[i] === code) out[c++] = i;
  return out;
}

/** Indices of the rows whose date lies in `[from, to]` (inclusive), ascending. */
export function rowsBetween(ds: Pick<Dataset, "n" | "date">, from: string, to: string): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < ds.n; i++) if (ds.date[i] >= from && ds.date[i] <= to) out.push(i);
  return Int32Array.from(out);
}

/** The feature matrix of `rows`, row-major `rows.length x features` (a copy). */
export function matrixOf(ds: Pick<Dataset, "X" | "featureNames">, rows: Int32Array): Float64Array {
  const F = ds.featureNames.length, out = new Float64Array(rows.length * F);
  for (let k = 0; k < rows.length; k++) out.set(ds.X.subarray(rows[k] * F, rows[k] * F + F), k * F);
  return out;
}
