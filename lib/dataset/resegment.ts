/**
 * A dataset under other segments: the same rows, features and bars with new segment codes, for the folds of a
 * walk-forward run (one dataset build, many fold views).
 * @module
 */
import { LookaheadError } from "../core/mod.ts";
import { LABEL_HORIZONS } from "./labels.ts";
import { assignSegments } from "./segments.ts";
import { type Dataset, type Labels, Segment, type SegmentSpec } from "./types.ts";

/**
 * A view of `ds` under `spec`: rows keep their index, features and bars (shared, not copied); segment codes are
 * assigned per session of the dataset's calendar with purge and embargo exactly as `buildDataset` does, rows
 * outside `[train start, test end]` become `PURGED`, and every label of a train or validation row that would
 * read a session of a later segment (a symbol's own trading gap across a boundary) is blanked (-1 / NaN), so a
 * fold view obeys the same no-reuse rule as a freshly built dataset. Throws `LookaheadError` when
 * `spec.purge` is shorter than the dataset's label horizon.
 */
export function withSegments<T extends Dataset>(ds: T, spec: SegmentSpec): T {
  const horizon = ds.labelHorizon ?? 1;
  if (spec.purge < horizon) {
    throw new LookaheadError(
      `purge ${spec.purge} < label horizon ${horizon}: labels at the end of a segment would read the next one`,
    );
  }
  const days = new Set<string>();
  for (const s of ds.series.values()) for (const d of s.dates) days.add(d);
  const calendar = [...days].sort();
  const { code: dayCode } = assignSegments(calendar, spec);
  const codeOf = new Map<string, number>();
  calendar.forEach((d, i) => codeOf.set(d, dayCode[i]));
  // first series index at/after the validation and test starts, per symbol
  const limits = new Map<string, [number, number]>();
  for (const [sym, s] of ds.series) {
    let v = 0, t = 0;
    while (v < s.dates.length && s.dates[v] < spec.valid[0]) v++;
    while (t < s.dates.length && s.dates[t] < spec.test[0]) t++;
    limits.set(sym, [v, t]);
  }
  const n = ds.n, segment = new Uint8Array(n);
  const src = ds.labels;
  const labels: Labels = {
    trend: src.trend.slice(),
    fwdReturn: src.fwdReturn.slice(),
    fwdOpenReturn: src.fwdOpenReturn.slice(),
    fwdVar1: src.fwdVar1.slice(),
    fwdVar5: src.fwdVar5.slice(),
    fwdVar22: src.fwdVar22.slice(),
  };
  const H = LABEL_HORIZONS;
  for (let i = 0; i < n; i++) {
    const d = ds.date[i];
    const c = d < spec.train[0] || d > spec.test[1] ? Segment.PURGED : codeOf.get(d) ?? Segment.PURGED;
    segment[i] = c;
    if (c !== Segment.TRAIN && c !== Segment.VALID) continue;
    const [v, t] = limits.get(ds.symbol[i])!;
    const lim = c === Segment.TRAIN ? v : t, k = ds.seriesIndex[i];
    if (k + H.trend >= lim) labels.trend[i] = -1;
    if (k + H.fwdReturn >= lim) labels.fwdReturn[i] = NaN;
    if (k + H.fwdOpenReturn >= lim) labels.fwdOpenReturn[i] = NaN;
    if (k + H.fwdVar1 >= lim) labels.fwdVar1[i] = NaN;
    if (k + H.fwdVar5 >= lim) labels.fwdVar5[i] = NaN;
    if (k + H.fwdVar22 >= lim) labels.fwdVar22[i] = NaN;
  }
  const segments: SegmentSpec = {
    ...spec,
    train: [...spec.train],
    valid: [...spec.valid],
    test: [...spec.test],
  };
  return { ...ds, segment, segments, labels };
}
