/**
 * Row selection helpers.
 * @module
 */
import type { IsoDate } from "../core/mod.ts";
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

/** The sessions of a set of series (the union of their bar dates), ascending. */
export function sessionCalendar(ds: Pick<Dataset, "series">): IsoDate[] {
  const days = new Set<IsoDate>();
  for (const s of ds.series.values()) for (const d of s.dates) days.add(d);
  return [...days].sort();
}

const calendars = new WeakMap<Dataset["series"], Map<string, number>>();

/** Index of each session of {@link sessionCalendar}, cached per dataset. */
function calendarIndex(ds: Pick<Dataset, "series">): Map<string, number> {
  let idx = calendars.get(ds.series);
  if (!idx) calendars.set(ds.series, idx = new Map(sessionCalendar(ds).map((d, k) => [d, k])));
  return idx;
}

/**
 * The traded return of `rows` (`labels.fwdOpenReturn`, open `t + 1` -> open `t + 2`) where it is one session's
 * move on the dataset's calendar, else NaN: across a hole in a symbol's bars (sessions the other symbols traded)
 * the label runs from the symbol's next bar to the one after, several sessions or a later one, which a book
 * books once but a calibrator, a reliability or an IC reading it as the next session's outcome must not.
 *
 * @example
 * ```ts
 * // SYM misses 2020-01-03: its 2020-01-02 row's label runs 01-06 -> 01-07, not one session after its close
 * ```
 */
export function oneSessionReturn(
  ds: Pick<Dataset, "series" | "symbol" | "seriesIndex" | "date" | "labels">,
  rows: ArrayLike<number>,
): Float64Array {
  const cal = calendarIndex(ds);
  return Float64Array.from({ length: rows.length }, (_, k) => {
    const r = rows[k], v = ds.labels.fwdOpenReturn[r];
    if (!(v - v === 0)) return NaN;
    const dates = ds.series.get(ds.symbol[r])!.dates, i = ds.seriesIndex[r];
    const d = cal.get(ds.date[r])!;
    // a bar past the kept series (a dataset ends at its test end; the label may read beyond it) shows no hole
    for (let j = 1; j <= 2 && i + j < dates.length; j++) if (cal.get(dates[i + j]) !== d + j) return NaN;
    return v;
  });
}
