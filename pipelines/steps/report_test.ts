import { deepEqual, equal } from "node:assert/strict";
import type { WalkForwardResult } from "@lib/workflow/mod.ts";
import { testLine, windowsTable } from "./report.ts";

Deno.test("windows table: each fold's test slice is the sessions it predicted (an embargo drops the first ones)", () => {
  const fold = (i: number, test: [string, string], testRows: number) => ({
    fold: i,
    segments: {
      train: ["2015-01-02", "2017-06-30"],
      valid: ["2017-07-03", "2018-02-28"],
      test,
      purge: 2,
      embargo: 3,
    },
    windows: { fit: ["2015-01-02", "2017-06-28"], calibration: ["2017-07-03", "2018-02-28"] },
    testRows,
  });
  // embargo 3: the segment starts 2018-03-08, the first row is 2018-03-13
  const fit = {
    folds: [fold(0, ["2018-03-08", "2018-06-29"], 4), fold(1, ["2018-07-02", "2018-07-05"], 0)],
    predictions: { date: ["2018-03-13", "2018-03-13", "2018-06-29", "2018-03-14"] },
  } as unknown as WalkForwardResult;
  deepEqual(windowsTable(fit).rows.map((r) => r[4]), ["2018-03-13..2018-06-29", "none"]);
});

Deno.test("test line: the last sessions the backtests could not score are named", () => {
  const fit = {
    mode: "off",
    folds: [{}],
    predictions: { date: ["2018-02-05", "2018-02-06", "2018-02-07"], rows: Int32Array.of(0, 1, 2) },
  } as unknown as WalkForwardResult;
  const bt = (dates: string[]) => new Map([["moe", { dates }]]);
  equal(testLine(fit), "out-of-sample test: 2018-02-05..2018-02-07 (3 sessions, 3 rows; one fit)");
  equal(
    testLine(fit, bt(["2018-02-05"])),
    "out-of-sample test: 2018-02-05..2018-02-07 (3 sessions, 3 rows; one fit); backtests end 2018-02-05: the " +
      "traded return of the last 2 sessions (2018-02-06, 2018-02-07) is not known by the end of the data",
  );
  equal(
    testLine(fit, bt(["2018-02-05", "2018-02-06", "2018-02-07"])),
    testLine(fit),
    "all scored: nothing added",
  );
  // a walk-forward whose refit interval outlasts the test fits once, and says so
  equal(
    testLine({ ...fit, mode: "rolling" }),
    "out-of-sample test: 2018-02-05..2018-02-07 (3 sessions, 3 rows; one fit: the test holds no more sessions " +
      "than the walk-forward's refit interval)",
  );
});
