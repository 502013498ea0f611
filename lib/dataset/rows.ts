/**
 * Row selection helpers.
 * @module
 */
import { type Dataset, Segment } from "./types.ts";

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

/** Train, validation and test rows of a dataset (by its `segment` codes). */
export function segmentRows(
  ds: Pick<Dataset, "n" | "segment">,
): { train: Int32Array; valid: Int32Array; test: Int32Array } {
  return {
    train: rowsOf(ds, Segment.TRAIN),
    valid: rowsOf(ds, Segment.VALID),
    test: rowsOf(ds, Segment.TEST),
  };
}

/** Trend labels of some rows (-1 = unknown). */
export function labelsOf(ds: Pick<Dataset, "labels">, rows: Int32Array): Int8Array {
  return Int8Array.from(rows, (i) => ds.labels.trend[i]);
}

/** One feature column over some rows (NaN when the dataset lacks the feature). */
export function featureColumn(
  ds: Pick<Dataset, "X" | "featureNames">,
  rows: Int32Array,
  name: string,
): Float64Array {
  const j = ds.featureNames.indexOf(name), f = ds.featureNames.length;
  return Float64Array.from(rows, (i) => (j < 0 ? NaN : ds.X[i * f + j]));
}

/** Closes of the decision sessions of some rows. */
export function closesOf(
  ds: Pick<Dataset, "series" | "symbol" | "seriesIndex">,
  rows: Int32Array,
): Float64Array {
  return Float64Array.from(rows, (i) => ds.series.get(ds.symbol[i])!.close[ds.seriesIndex[i]]);
}

/** The rows of one decision session, ascending. */
export function rowsOnDate(ds: Pick<Dataset, "n" | "date">, date: string): Int32Array {
  return rowsBetween(ds, date, date);
}
