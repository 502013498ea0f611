import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { sessions } from "../core/mod.ts";
import {
  assignSegments,
  segmentsFor,
  TREND_SEGMENTS,
  validateSegments,
  walkForwardSplits,
} from "./segments.ts";
import { Segment, type SegmentSpec } from "./types.ts";

const DATES = sessions("2020-01-01", "2020-12-31");

Deno.test("purge drops sessions before each later segment, embargo after each boundary", () => {
  const spec: SegmentSpec = {
    train: ["2020-01-02", "2020-06-30"],
    valid: ["2020-07-01", "2020-09-30"],
    test: ["2020-10-01", "2020-12-15"],
    purge: 3,
    embargo: 2,
  };
  const { code, inRange } = assignSegments(DATES, spec);
  const vs = DATES.indexOf("2020-07-01"), ts = DATES.indexOf("2020-10-01");
  for (let i = 0; i < DATES.length; i++) {
    const d = DATES[i];
    let want: number;
    if (d > "2020-12-15") want = Segment.PURGED;
    else if ((i >= vs - 3 && i < vs + 2) || (i >= ts - 3 && i < ts + 2)) want = Segment.PURGED;
    else if (d < "2020-07-01") want = Segment.TRAIN;
    else if (d < "2020-10-01") want = Segment.VALID;
    else want = Segment.TEST;
    equal(code[i], want, d);
    equal(inRange[i], d <= "2020-12-15" ? 1 : 0, d);
  }
  // the last train session is `purge` sessions before valid starts
  equal(DATES[vs - 4], "2020-06-25");
  equal(code[vs - 4], Segment.TRAIN);
  // a label of horizon <= purge from any train session stays inside train + purge
  for (let i = 0; i < DATES.length; i++) if (code[i] === Segment.TRAIN) ok(DATES[i + 3] < "2020-07-01");
});

Deno.test("protocol segments and fractional segments", () => {
  validateSegments(TREND_SEGMENTS);
  deepEqual(TREND_SEGMENTS.test, ["2017-01-03", "2018-02-07"]);
  const s = segmentsFor(DATES, { purge: 1 });
  const n = DATES.length, nt = Math.floor(n * 0.6), nv = Math.floor(n * 0.2);
  deepEqual(s.train, [DATES[0], DATES[nt - 1]]);
  deepEqual(s.valid, [DATES[nt], DATES[nt + nv - 1]]);
  deepEqual(s.test, [DATES[nt + nv], DATES[n - 1]]);
  equal(s.purge, 1);
  throws(() => segmentsFor(DATES.slice(0, 2)), RangeError);
  throws(() => validateSegments({ ...s, valid: [s.train[1], s.valid[1]] }), RangeError);
});

Deno.test("walk-forward splits: expanding and rolling windows with purge and embargo", () => {
  const splits = walkForwardSplits(DATES, { minTrain: 100, step: 20, purge: 2, embargo: 1 });
  equal(splits.length, Math.ceil((DATES.length - 100 - 1) / 20));
  for (const [k, sp] of splits.entries()) {
    const boundary = 100 + 20 * k;
    equal(sp.trainStart, 0);
    equal(sp.trainEnd, boundary - 2);
    equal(sp.testStart, boundary + 1);
    equal(sp.testEnd, Math.min(DATES.length, boundary + 20));
    equal(sp.train[1], DATES[boundary - 3]);
    equal(sp.test[0], DATES[boundary + 1]);
    ok(sp.train[1] < sp.test[0]);
  }
  const rolling = walkForwardSplits(DATES, { minTrain: 100, step: 20, window: 50, folds: 3 });
  equal(rolling.length, 3);
  for (const sp of rolling) equal(sp.trainEnd - sp.trainStart, 50);
  throws(() => walkForwardSplits(DATES, { minTrain: 100, step: 20, folds: 99 }), RangeError);
  throws(() => walkForwardSplits(DATES, { minTrain: 1, step: 20, purge: 1 }), RangeError);
});
