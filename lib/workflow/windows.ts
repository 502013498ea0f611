/**
 * The windows of a system: the segments a user chose (dates or fractions) checked against the data, the nested
 * windows inside them (train split into a fit window and an inner slice: early stopping on the slice, and most
 * base models and GARCH refitted on both; calibration and combiners on validation; test untouched), and the folds of a walk-forward run, each nested the same way.
 * @module
 */
import { ConfigError, type IsoDate, nextSession, prevSession } from "../core/mod.ts";
import {
  assignSegments,
  type Dataset,
  Segment,
  segmentsFor,
  type SegmentSpec,
  validateSegments,
} from "../dataset/mod.ts";
import type { WalkForwardMode } from "./spec.ts";

/** A date range, both ends inclusive. */
export type DateRange = [IsoDate, IsoDate];

/** Segments as a user gives them: all three date ranges, or none (then fractions of the sessions). */
export interface SegmentChoice {
  train?: DateRange | null;
  valid?: DateRange | null;
  test?: DateRange | null;
  /** Share of the sessions in train when no dates are given. */
  trainFrac: number;
  /** Share in validation when no dates are given (test gets the rest). */
  validFrac: number;
}

/** How the segments were chosen, for the terminal and the report. */
export type SegmentSource = "dates" | "fractions";

/**
 * The segments to use on a calendar of sessions (ascending unique dates of the data): the user's dates exactly
 * when given, else `trainFrac`/`validFrac` of the sessions. A date range is inclusive calendar days: it may start
 * (end) on days the exchange does not trade right before the first (after the last) session of the data, and
 * then holds the sessions inside it. A date range that reaches a session outside the data, is empty of sessions,
 * or is out of order is a `ConfigError` naming it; nothing is ever substituted. Given `minSessions` (and the
 * feature set's `warmup`), date segments too short to fit and test on are refused too (see
 * `checkSegmentSessions`); a split by fractions is the caller's to size.
 */
export function resolveSegments(
  calendar: readonly IsoDate[],
  choice: SegmentChoice,
  o: { purge: number; embargo: number; warmup?: number; minSessions?: number; minTrainSessions?: number },
): { segments: SegmentSpec; source: SegmentSource } {
  if (calendar.length === 0) throw new ConfigError("no sessions in the data");
  const given = (["train", "valid", "test"] as const).filter((k) => choice[k]);
  if (given.length === 0) {
    try {
      return {
        segments: segmentsFor(calendar, {
          trainFrac: choice.trainFrac,
          validFrac: choice.validFrac,
          purge: o.purge,
          embargo: o.embargo,
        }),
        source: "fractions",
      };
    } catch (e) {
      throw new ConfigError(`segments by fractions: ${(e as Error).message}`, { cause: e });
    }
  }
  if (given.length < 3) {
    const missing = (["train", "valid", "test"] as const).filter((k) => !choice[k]);
    throw new ConfigError(
      `segments: ${given.join(", ")} given but not ${
        missing.join(", ")
      } (give all three date ranges or none)`,
    );
  }
  const first = calendar[0], last = calendar[calendar.length - 1];
  for (const k of ["train", "valid", "test"] as const) {
    const [a, b] = choice[k]!;
    const name = `segment ${k} ${a}..${b}`;
    if (!(a <= b)) throw new ConfigError(`${name}: start is after end`);
    // only days the exchange does not trade may lie between the range's ends and the data's
    if (a < first && a <= prevSession(first)) {
      throw new ConfigError(`${name} starts before the data (first session ${first})`);
    }
    if (b > last && b >= nextSession(last)) {
      throw new ConfigError(`${name} ends after the data (last session ${last})`);
    }
    if (!calendar.some((d) => d >= a && d <= b)) {
      throw new ConfigError(`${name} holds no session of the data`);
    }
  }
  const segments: SegmentSpec = {
    train: [...choice.train!],
    valid: [...choice.valid!],
    test: [...choice.test!],
    purge: o.purge,
    embargo: o.embargo,
  };
  try {
    validateSegments(segments);
  } catch (e) {
    throw new ConfigError(`segments: ${(e as Error).message}`, { cause: e });
  }
  if (o.minSessions !== undefined) {
    checkSegmentSessions(calendar, segments, {
      warmup: o.warmup ?? 0,
      minSessions: o.minSessions,
      minTrainSessions: o.minTrainSessions ?? o.minSessions,
    });
  }
  return { segments, source: "dates" };
}

/**
 * Refuses segments too short to fit and test on (a `ConfigError` naming the segment, its usable sessions and
 * where the others went): validation and test must keep at least `minSessions` and train at least
 * `minTrainSessions` sessions of the calendar once its purge and embargo sessions (see `assignSegments`) and the calendar's first
 * `warmup` sessions are taken out (those have no features yet: the feature warm-up eats into a segment that starts
 * with the data).
 */
function checkSegmentSessions(
  calendar: readonly IsoDate[],
  segments: SegmentSpec,
  o: { warmup: number; minSessions: number; minTrainSessions: number },
): void {
  const { code } = assignSegments(calendar, segments);
  const parts = [["train", Segment.TRAIN], ["valid", Segment.VALID], ["test", Segment.TEST]] as const;
  for (const [k, c] of parts) {
    const [a, b] = segments[k];
    let inside = 0, warm = 0, usable = 0;
    for (let i = 0; i < calendar.length; i++) {
      if (calendar[i] < a || calendar[i] > b) continue;
      inside++;
      if (i < o.warmup) warm++;
      else if (code[i] === c) usable++;
    }
    const min = k === "train" ? o.minTrainSessions : o.minSessions;
    if (usable >= min) continue;
    const cut = inside - warm - usable;
    const lost = [
      warm ? `${warm} in the ${o.warmup}-session feature warm-up` : "",
      cut ? `${cut} purged or embargoed` : "",
    ].filter(Boolean);
    throw new ConfigError(
      `segment ${k} ${a}..${b}: ${usable} usable session${usable === 1 ? "" : "s"} of ${inside}` +
        `${lost.length ? ` (${lost.join(", ")})` : ""}; ${
          min === o.minSessions ? "each segment needs" : `the ${k} segment needs`
        } at least ${min}: ` +
        (warm ? "start it later or the data earlier (--from)" : "widen it"),
    );
  }
}

/** The nested windows one system was fitted on (dates inclusive; null when empty). */
export interface SystemWindows {
  /** Segments of the dataset it was fitted on. */
  segments: SegmentSpec;
  /** Train before the inner slice, less the purge: what early-stopping models fit on before they stop. */
  fit: DateRange;
  /**
   * Inner slice at the end of train: early stopping of the tfjs network, GBDT and the sequence models; then the
   * network, GBDT, the other trend models and GARCH(1,1) are fitted on fit + inner (`fitTrendModel`, `fitSystem`),
   * the sequence models keep their early-stopped fit. Never the calibration window.
   */
  inner: DateRange | null;
  /** Calibration window (the validation segment): ensembles, gate, score scales. Base models never saw it. */
  calibration: DateRange;
  /** Row counts of each window. */
  rows: { fit: number; inner: number; calibration: number };
}

/** Rows of the nested windows of a dataset. */
export interface NestedRows {
  fit: Int32Array;
  inner: Int32Array;
  calibration: Int32Array;
  test: Int32Array;
}

function rowsWhere(ds: Dataset, keep: (i: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < ds.n; i++) if (keep(i)) out.push(i);
  return Int32Array.from(out);
}

/**
 * Splits a dataset's train segment into the base models' fit rows and an inner early-stopping slice (the last
 * `innerFrac` of the train sessions; the `purge` sessions before it are dropped so no fit label reads it), and
 * takes the validation segment as the calibration window. Throws `ConfigError` when a window is empty.
 */
export function nestedWindows(
  ds: Dataset,
  o: { innerFrac: number; purge: number },
): { rows: NestedRows; windows: SystemWindows } {
  const trainDays = [
    ...new Set(Array.from(rowsWhere(ds, (i) => ds.segment[i] === Segment.TRAIN), (i) => ds.date[i])),
  ].sort();
  if (trainDays.length === 0) throw new ConfigError("the train segment holds no rows (too little history?)");
  const nT = trainDays.length;
  const cut = Math.floor(nT * (1 - o.innerFrac));
  const hasInner = o.innerFrac > 0 && cut - o.purge >= 1 && cut < nT;
  const fitEnd = hasInner ? trainDays[cut - o.purge - 1] : trainDays[nT - 1];
  const innerStart = hasInner ? trainDays[cut] : "";
  const fit = rowsWhere(ds, (i) => ds.segment[i] === Segment.TRAIN && ds.date[i] <= fitEnd);
  const inner = hasInner
    ? rowsWhere(ds, (i) => ds.segment[i] === Segment.TRAIN && ds.date[i] >= innerStart)
    : new Int32Array(0);
  const calibration = rowsWhere(ds, (i) => ds.segment[i] === Segment.VALID);
  const test = rowsWhere(ds, (i) => ds.segment[i] === Segment.TEST);
  if (calibration.length === 0) {
    throw new ConfigError(
      `the validation (calibration) segment ${ds.segments.valid.join("..")} holds no rows`,
    );
  }
  const span = (r: Int32Array): DateRange => {
    let lo = ds.date[r[0]], hi = lo;
    for (const i of r) {
      if (ds.date[i] < lo) lo = ds.date[i];
      if (ds.date[i] > hi) hi = ds.date[i];
    }
    return [lo, hi];
  };
  return {
    rows: { fit, inner, calibration, test },
    windows: {
      segments: ds.segments,
      fit: span(fit),
      inner: inner.length ? span(inner) : null,
      calibration: span(calibration),
      rows: { fit: fit.length, inner: inner.length, calibration: calibration.length },
    },
  };
}

/** One walk-forward fold: the segments of its refit (train, validation, its slice of the test). */
export interface Fold {
  fold: number;
  segments: SegmentSpec;
}

/**
 * The folds of a walk-forward run over a calendar of sessions. Fold 0 is `base` itself; fold k moves every
 * boundary `k * refitEvery` sessions later: its test slice is the next `refitEvery` sessions of the base test
 * segment, its validation window keeps the base length in sessions and its distance to the test slice (none
 * when the base validation ends right before the test), and its train window keeps its distance to the
 * validation window and starts at the base train start (`expanding`) or keeps the base length (`rolling`).
 * A gap a user leaves between the segments keeps its length in every fold and moves with the boundaries (a
 * later fold's windows may hold sessions the base gap left out); no window grows over a fold's gap.
 * The test slices tile the base test segment: together they are one continuous out-of-sample test.
 */
export function walkForwardFolds(
  calendar: readonly IsoDate[],
  base: SegmentSpec,
  o: { mode: Exclude<WalkForwardMode, "off">; refitEvery: number },
): Fold[] {
  validateSegments(base);
  if (!(Number.isInteger(o.refitEvery) && o.refitEvery >= 1)) {
    throw new ConfigError(`walk-forward refitEvery ${o.refitEvery} must be an integer >= 1`);
  }
  // the first session on or after d, and the last on or before it
  const at = (d: IsoDate) => {
    let i = 0;
    while (i < calendar.length && calendar[i] < d) i++;
    return i;
  };
  const last = (d: IsoDate) => {
    const i = at(d);
    return i < calendar.length && calendar[i] === d ? i : i - 1;
  };
  const t0 = at(base.train[0]), t1 = last(base.train[1]);
  const v0 = at(base.valid[0]), v1 = last(base.valid[1]);
  const s0 = at(base.test[0]), sEnd = last(base.test[1]);
  if (t1 < t0 || v1 < v0 || sEnd < s0) {
    throw new ConfigError("walk-forward: the base segments hold too few sessions");
  }
  const folds: Fold[] = [];
  for (let k = 0, b = s0; b <= sEnd; k++, b += o.refitEvery) {
    const shift = b - s0; // every boundary moves this many sessions later
    const tS = o.mode === "expanding" ? t0 : t0 + shift;
    folds.push({
      fold: k,
      segments: {
        train: [calendar[tS], calendar[t1 + shift]],
        valid: [calendar[v0 + shift], calendar[v1 + shift]],
        test: [calendar[b], calendar[Math.min(sEnd, b + o.refitEvery - 1)]],
        purge: base.purge,
        embargo: base.embargo,
      },
    });
  }
  // fold 0 keeps the user's exact train and validation dates
  folds[0].segments.train = [...base.train];
  folds[0].segments.valid = [...base.valid];
  return folds;
}
