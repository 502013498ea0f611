import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  auc,
  dailyIc,
  mincerZarnowitz,
  mincerZarnowitzR2,
  mseVariance,
  pearson,
  qlike,
  ranks,
  spearman,
  trendMetrics,
} from "./metrics.ts";
import { chanceTest } from "./chance.ts";

const close = (a: number, b: number, eps = 1e-12) => Math.abs(a - b) < eps;

Deno.test("metrics: AUC on hand-made scores (sklearn's example = 0.75, ties count half)", () => {
  ok(close(auc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75));
  ok(close(auc([0.5, 0.5], [true, false]), 0.5));
  ok(close(auc([1, 2, 3], [false, true, true]), 1));
  ok(Number.isNaN(auc([1, 2], [true, true])));
  ok(ranks([3, 1, 3]).join() === "2.5,1,2.5");
});

Deno.test("metrics: trendMetrics accuracy, balanced accuracy, log loss, up-vs-not-up on 4 rows", () => {
  const probs = Float64Array.from([
    [0.7, 0.2, 0.1], // pred down, label down
    [0.6, 0.3, 0.1], // pred down, label down
    [0.2, 0.2, 0.6], // pred up, label down
    [0.1, 0.3, 0.6], // pred up, label up
    [0.3, 0.3, 0.4], // unknown label: skipped
  ].flat());
  const labels = [0, 0, 0, 2, -1];
  const m = trendMetrics(probs, labels, [0, 0, 0, 0, 0], ["d", "d", "d", "d", "d"]);
  equal(m.n, 4);
  ok(close(m.accuracy, 0.75));
  ok(close(m.balancedAccuracy, (2 / 3 + 1) / 2));
  ok(close(m.logLoss, -(Math.log(0.7) + Math.log(0.6) + Math.log(0.2) + Math.log(0.6)) / 4));
  ok(close(m.upAccuracy, 0.75)); // P(up) > 0.5 on rows 3 and 4; row 3 is wrong
  ok(close(m.auc, 2.5 / 3)); // P(up) of the up row ties one down row (half) and beats two -> (2 + 0.5) / 3
  throws(() => trendMetrics(new Float64Array(3), [0, 1], [0, 0], ["a", "b"]), RangeError);
});

Deno.test("metrics: a tie decides neutral, in the accuracy and in the chance test beside it alike", () => {
  // down/up tied above neutral, and down tied with neutral: both are neutral (a hold), never down
  const probs = Float64Array.from([[0.45, 0.1, 0.45], [0.4, 0.4, 0.2], [0.2, 0.2, 0.6]].flat());
  const labels = [1, 1, 2], dates = ["a", "a", "b"];
  const m = trendMetrics(probs, labels, [0, 0, 0], dates);
  equal(m.accuracy, 1);
  equal(chanceTest(probs, labels, dates).accuracy, m.accuracy);
});

Deno.test("metrics: daily IC and RankIC by date (hand-computed)", () => {
  // day A: returns = 0.1 * score -> IC 1, RankIC 1. day B: scores [-1, 0, 1], returns [0, 0, 3] -> both sqrt(3)/2
  const score = [-1, 0, 1, -1, 0, 1, 5];
  const ret = [-0.1, 0, 0.1, 0, 0, 3, 1];
  const dates = ["A", "A", "A", "B", "B", "B", "C"]; // day C has one row: skipped
  const { ic, rankIc } = dailyIc(score, ret, dates);
  equal(ic.days, 2);
  const b = Math.sqrt(3) / 2;
  ok(close(ic.mean, (1 + b) / 2));
  ok(close(ic.std, Math.abs(1 - b) / Math.SQRT2));
  ok(close(ic.ir, ic.mean / ic.std));
  ok(close(rankIc.mean, (1 + b) / 2));
  ok(close(spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1));
  // a constant score (e.g. the majority baseline, whose float mean is not exactly the value) has no IC
  const flat = dailyIc(
    new Array(1000).fill(0.1),
    Array.from({ length: 1000 }, (_, i) => Math.sin(i)),
    new Array(1000).fill("A"),
  );
  equal(flat.ic.days, 0);
  ok(Number.isNaN(flat.ic.mean) && Number.isNaN(flat.rankIc.mean));
});

Deno.test("metrics: QLIKE, MSE and Mincer-Zarnowitz on hand-made inputs", () => {
  equal(qlike([1, 2, 3], [1, 2, 3]), 0);
  ok(close(qlike([2], [1]), 2 - Math.log(2) - 1));
  ok(close(qlike([2, 0, 1], [1, 1, -1]), 2 - Math.log(2) - 1)); // rv 0 and f < 0 skipped
  ok(close(mseVariance([1, 2, NaN], [2, 4, 1]), 2.5));
  const mz = mincerZarnowitz([3, 5, 7, 9], [1, 2, 3, 4]); // rv = 1 + 2 f
  ok(close(mz.a, 1) && close(mz.b, 2) && close(mz.r2, 1));
  ok(close(mincerZarnowitzR2([1, 3, 2, 4], [1, 2, 3, 4]), 0.64)); // cov 4 / var 5 -> corr 0.8
});

Deno.test("metrics: a score that is not finite is left out, not sorted at random; float noise is no variation", () => {
  // a NaN in the sort's comparator put the ranks in the order the values happened to stand in: AUC 0.5, not 1
  equal(auc([0.9, NaN, 0.1, 0.8, 0.2], [true, false, false, true, false]), 1);
  deepEqual(Array.from(ranks([3, NaN, 1, 3])), [2.5, NaN, 1, 2.5]);
  equal(
    spearman([0.5, NaN, 0.1, 0.3, 0.9], [2, 7, 1, 3, Infinity]),
    spearman([0.5, 0.1, 0.3], [2, 1, 3]),
  );
  equal(pearson([1, 2, NaN, 4], [2, 4, 5, 8]), 1);
  // 0.1 + 0.2 and 0.3 differ in the last bit: a constant side, no correlation to report
  ok(Number.isNaN(pearson([0.1 + 0.2, 0.3, 0.3], [1, 2, 3])));
  ok(Number.isNaN(spearman([0.1 + 0.2, 0.3, 0.3], [1, 2, 3])));
  ok(Number.isNaN(spearman([1 + 1e-15, 1, 1 + 1e-15, 1], [1, 2, 3, 4])));
  ok(Number.isNaN(pearson([0, 0, 0], [1, 2, 3])));
});
