/**
 * Protocol segments, purge/embargo, and walk-forward splits.
 *
 * Purge: the last `purge` sessions before a later segment starts are marked `PURGED`, so a label with horizon
 * `<= purge` of an earlier segment never reads a session of a later one. Embargo: the first `embargo` sessions
 * after each boundary are marked `PURGED` too.
 * @module
 */
import type { IsoDate } from "../core/mod.ts";
import { Segment, type SegmentSpec } from "./types.ts";

/** The trend protocol of EVALUATION.md section 1 (purge 2 keeps the open-to-open return label intact). */
export const TREND_SEGMENTS: SegmentSpec = Object.freeze({
  train: Object.freeze(["2013-02-08", "2016-06-30"]) as [IsoDate, IsoDate],
  valid: Object.freeze(["2016-07-01", "2016-12-30"]) as [IsoDate, IsoDate],
  test: Object.freeze(["2017-01-03", "2018-02-07"]) as [IsoDate, IsoDate],
  purge: 2,
  embargo: 0,
}) as SegmentSpec;

/** Throws `RangeError` unless the spec's ranges are well-formed and in order train < valid < test. */
export function validateSegments(spec: SegmentSpec): void {
  const r = [spec.train, spec.valid, spec.test];
  for (const [a, b] of r) {
    if (!(typeof a === "string" && typeof b === "string" && a <= b)) {
      throw new RangeError(`bad segment range ${a}..${b}`);
    }
  }
  if (!(spec.train[1] < spec.valid[0] && spec.valid[1] < spec.test[0])) {
    throw new RangeError("segments must be ordered train < valid < test without overlap");
  }
  for (const k of ["purge", "embargo"] as const) {
    if (!(Number.isInteger(spec[k]) && spec[k] >= 0)) throw new RangeError(`${k} must be an integer >= 0`);
  }
}

/** Options of `segmentsFor`. */
export interface SegmentsForOptions {
  /** Fraction of sessions in train (default 0.6). */
  trainFrac?: number;
  /** Fraction in validation (default 0.2); test gets the rest. */
  validFrac?: number;
  /** Default 2. */
  purge?: number;
  /** Default 0. */
  embargo?: number;
}

/** Splits ascending unique `dates` into train/valid/test by session counts (default 60/20/20). */
export function segmentsFor(dates: readonly IsoDate[], opts: SegmentsForOptions = {}): SegmentSpec {
  const tf = opts.trainFrac ?? 0.6, vf = opts.validFrac ?? 0.2;
  if (!(tf > 0 && vf > 0 && tf + vf < 1)) throw new RangeError("need trainFrac > 0, validFrac > 0, sum < 1");
  const n = dates.length;
  const nTrain = Math.floor(n * tf), nValid = Math.floor(n * vf);
  if (nTrain < 1 || nValid < 1 || n - nTrain - nValid < 1) {
    throw new RangeError(`too few sessions (${n}) for three segments`);
  }
  const spec: SegmentSpec = {
    train: [dates[0], dates[nTrain - 1]],
    valid: [dates[nTrain], dates[nTrain + nValid - 1]],
    test: [dates[nTrain + nValid], dates[n - 1]],
    purge: opts.purge ?? 2,
    embargo: opts.embargo ?? 0,
  };
  validateSegments(spec);
  return spec;
}

/**
 * Segment code of each of the ascending unique `dates` (a session calendar): TRAIN/VALID/TEST, `PURGED` for
 * purge/embargo sessions and for sessions between segments. `inRange[i]` is 0 for sessions outside
 * `[train start, test end]` (their code is `PURGED` too; the builder drops them).
 */
export function assignSegments(
  dates: readonly IsoDate[],
  spec: SegmentSpec,
): { code: Uint8Array; inRange: Uint8Array } {
  validateSegments(spec);
  const n = dates.length;
  const code = new Uint8Array(n).fill(Segment.PURGED), inRange = new Uint8Array(n);
  const ranges: [IsoDate, IsoDate, number][] = [
    [spec.train[0], spec.train[1], Segment.TRAIN],
    [spec.valid[0], spec.valid[1], Segment.VALID],
    [spec.test[0], spec.test[1], Segment.TEST],
  ];
  for (let i = 0; i < n; i++) {
    const d = dates[i];
    if (i > 0 && !(d > dates[i - 1])) throw new RangeError("dates must be strictly ascending");
    if (d < spec.train[0] || d > spec.test[1]) continue;
    inRange[i] = 1;
    for (const [a, b, c] of ranges) if (d >= a && d <= b) code[i] = c;
  }
  // purge before, embargo after each later segment's start
  for (const start of [spec.valid[0], spec.test[0]]) {
    let s = 0;
    while (s < n && dates[s] < start) s++;
    for (let i = Math.max(0, s - spec.purge); i < s; i++) code[i] = Segment.PURGED;
    for (let i = s; i < Math.min(n, s + spec.embargo); i++) code[i] = Segment.PURGED;
  }
  return { code, inRange };
}

/** Options of `walkForwardSplits`. */
export interface WalkForwardOptions {
  /** Sessions in the first training window. */
  minTrain: number;
  /** Sessions per test window (and the step between folds). */
  step: number;
  /** Number of folds (default: as many as fit). */
  folds?: number;
  /** Sessions dropped at the end of each training window (label horizon). Default 1. */
  purge?: number;
  /** Sessions dropped at the start of each test window. Default 0. */
  embargo?: number;
  /** Rolling training window length in sessions (default: expanding from the first session). */
  window?: number;
}

/** One walk-forward fold: half-open index ranges into the dates given, and their date bounds (inclusive). */
export interface WalkForwardSplit {
  fold: number;
  trainStart: number;
  trainEnd: number;
  testStart: number;
  testEnd: number;
  train: [IsoDate, IsoDate];
  test: [IsoDate, IsoDate];
}

/**
 * Expanding- (or rolling-, with `window`) window walk-forward splits over ascending `dates`: fold `k` tests
 * sessions `[minTrain + k*step + embargo, minTrain + (k+1)*step)` and trains on the sessions before
 * `minTrain + k*step - purge`. The last fold's test window is cut at the end of the dates.
 */
export function walkForwardSplits(dates: readonly IsoDate[], opts: WalkForwardOptions): WalkForwardSplit[] {
  const { minTrain, step } = opts;
  const purge = opts.purge ?? 1, embargo = opts.embargo ?? 0;
  for (const [k, v] of Object.entries({ minTrain, step, purge, embargo })) {
    if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`${k} must be an integer >= 0`);
  }
  if (step < 1 || minTrain <= purge) throw new RangeError("need step >= 1 and minTrain > purge");
  if (embargo >= step) throw new RangeError("embargo must be smaller than step");
  if (opts.window !== undefined && !(Number.isInteger(opts.window) && opts.window > purge)) {
    throw new RangeError("window must be an integer > purge");
  }
  const n = dates.length, out: WalkForwardSplit[] = [];
  for (let k = 0; opts.folds === undefined || k < opts.folds; k++) {
    const boundary = minTrain + k * step;
    const testStart = boundary + embargo;
    if (testStart >= n) break;
    const testEnd = Math.min(n, boundary + step);
    const trainEnd = boundary - purge;
    const trainStart = opts.window === undefined ? 0 : Math.max(0, trainEnd - opts.window);
    out.push({
      fold: k,
      trainStart,
      trainEnd,
      testStart,
      testEnd,
      train: [dates[trainStart], dates[trainEnd - 1]],
      test: [dates[testStart], dates[testEnd - 1]],
    });
  }
  if (opts.folds !== undefined && out.length < opts.folds) {
    throw new RangeError(`only ${out.length} of ${opts.folds} folds fit in ${n} sessions`);
  }
  return out;
}
