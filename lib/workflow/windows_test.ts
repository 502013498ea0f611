import { deepEqual, equal, throws } from "node:assert/strict";
import { ConfigError, sessions } from "../core/mod.ts";
import { type DateRange, resolveSegments } from "./windows.ts";

// the exchange's sessions of 2015-01-02 (the first after New Year's Day) .. 2015-12-31
const CAL = sessions("2015-01-01", "2015-12-31");
const O = { purge: 2, embargo: 0, trainFrac: 0.6, validFrac: 0.2 };
const R = (a: string, b: string): DateRange => [a, b];
const SEGS = {
  train: R("2015-01-02", "2015-06-30"),
  valid: R("2015-07-01", "2015-09-30"),
  test: R("2015-10-01", "2015-12-31"),
};

function refused(f: () => unknown, why: RegExp): void {
  throws(f, (e: Error) => e instanceof ConfigError && why.test(e.message) && !e.message.includes("\n"));
}

Deno.test("segments: a date range starting or ending on days the exchange does not trade, just outside the data, holds the sessions inside it; one reaching a session outside is refused", () => {
  equal(CAL[0], "2015-01-02");
  // 2015-01-01 is New Year's Day: the inclusive range 2015-01-01.. starts with the data
  const r = resolveSegments(CAL, { ...O, ...SEGS, train: R("2015-01-01", "2015-06-30") }, O);
  equal(r.source, "dates");
  deepEqual(r.segments.train, ["2015-01-01", "2015-06-30"], "the user's dates, not substituted");
  // a weekend and New Year's Day after the last session (Thursday 2015-12-31)
  const end = resolveSegments(CAL, { ...O, ...SEGS, test: R("2015-10-01", "2016-01-03") }, O);
  deepEqual(end.segments.test, ["2015-10-01", "2016-01-03"]);
  // a data calendar starting after a weekend: Saturday and Sunday before it are no sessions
  const fromMonday = CAL.slice(CAL.indexOf("2015-01-05"));
  resolveSegments(fromMonday, { ...O, ...SEGS, train: R("2015-01-03", "2015-06-30") }, O);
  // a range that reaches a session outside the data is refused, naming it
  // 2014-12-31 was a session
  refused(
    () => resolveSegments(CAL, { ...O, ...SEGS, train: R("2014-12-31", "2015-06-30") }, O),
    /^segment train 2014-12-31\.\.2015-06-30 starts before the data \(first session 2015-01-02\)$/,
  );
  // data from Monday 2015-01-05 (--from): Friday 2015-01-02 is a session it lacks
  refused(
    () => resolveSegments(CAL.slice(CAL.indexOf("2015-01-05")), { ...O, ...SEGS }, O),
    /segment train 2015-01-02\.\.2015-06-30 starts before the data \(first session 2015-01-05\)/,
  );
  // 2016-01-04 is a session after the data's last
  refused(
    () => resolveSegments(CAL, { ...O, ...SEGS, test: R("2015-10-01", "2016-01-04") }, O),
    /segment test 2015-10-01\.\.2016-01-04 ends after the data \(last session 2015-12-31\)/,
  );
});

Deno.test("segments: date segments too short to fit and test on are refused, saying why (warm-up, purge, embargo)", () => {
  const need = { ...O, warmup: 60, minSessions: 20 };
  // enough everywhere
  equal(resolveSegments(CAL, { ...O, ...SEGS }, need).source, "dates");
  // train 2015-01-02..2015-03-31: 61 sessions, 60 of them the feature warm-up
  refused(
    () => resolveSegments(CAL, { ...O, ...SEGS, train: R("2015-01-02", "2015-03-31") }, need),
    /^segment train 2015-01-02\.\.2015-03-31: 1 usable session of 61 \(60 in the 60-session feature warm-up\); each segment needs at least 20: start it later or the data earlier \(--from\)$/,
  );
  // a 3-session validation segment (2015-07-03 was the Independence Day holiday)
  refused(
    () => resolveSegments(CAL, { ...O, ...SEGS, valid: R("2015-07-01", "2015-07-06") }, need),
    /^segment valid 2015-07-01\.\.2015-07-06: 3 usable sessions of 3; each segment needs at least 20: widen it$/,
  );
  // the embargo at its start counts against a segment: 22 sessions, 19 usable
  const test22 = R("2015-12-01", "2015-12-31");
  equal(CAL.filter((d) => d >= test22[0] && d <= test22[1]).length, 22);
  refused(
    () =>
      resolveSegments(
        CAL,
        { ...O, ...SEGS, valid: R("2015-09-01", "2015-11-30"), test: test22 },
        { ...need, embargo: 3 },
      ),
    /^segment test 2015-12-01\.\.2015-12-31: 19 usable sessions of 22 \(3 purged or embargoed\)/,
  );
  // the train segment may need more than the others (the pipeline's: the GARCH fit's 30 returns)
  const train29 = R("2015-04-01", "2015-05-12");
  equal(CAL.filter((d) => d >= train29[0] && d <= train29[1]).length, 29);
  const segs29 = { ...O, ...SEGS, train: train29 };
  equal(resolveSegments(CAL, segs29, need).source, "dates");
  refused(
    () => resolveSegments(CAL, segs29, { ...need, minTrainSessions: 30 }),
    /^segment train 2015-04-01\.\.2015-05-12: 29 usable sessions of 29; the train segment needs at least 30: widen it$/,
  );
  // fractions are sized by the caller (checkEnoughData): not refused here
  equal(resolveSegments(CAL, O, need).source, "fractions");
});
