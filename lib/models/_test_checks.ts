/**
 * Test helper: chance bounds for trend classifiers on fabricated datasets.
 * @module
 */
import { ok } from "node:assert/strict";
import type { Dataset } from "../dataset/mod.ts";
import { trendMetrics } from "./metrics.ts";
import { classShares } from "./_test_data.ts";

/**
 * Scores `probs` on `rows`. `chance` is the largest class share of those rows (no label-independent predictor
 * beats it in expectation); `se` is one binomial standard error of an accuracy at that level.
 */
export function scoreRows(ds: Dataset, rows: Int32Array, probs: Float64Array) {
  const m = trendMetrics(
    probs,
    Array.from(rows, (i) => ds.labels.trend[i]),
    Array.from(rows, (i) => ds.labels.fwdReturn[i]),
    Array.from(rows, (i) => ds.date[i]),
  );
  const chance = Math.max(...classShares(ds.labels.trend, rows));
  const se = Math.sqrt((chance * (1 - chance)) / m.n);
  return { ...m, chance, se };
}

/** Asserts accuracy within 3 binomial SE above chance and AUC within 3 SE of 0.5 (null: no edge). */
export function assertNoEdge(s: ReturnType<typeof scoreRows>, what: string): void {
  ok(s.accuracy <= s.chance + 3 * s.se, `${what}: null accuracy ${s.accuracy} > chance ${s.chance} + 3 SE`);
  const aucSe = Math.sqrt((s.n + 1) / (12 * (s.n / 3) * (2 * s.n / 3)));
  ok(Math.abs(s.auc - 0.5) <= 3 * aucSe, `${what}: null AUC ${s.auc} not within 3 SE (${aucSe}) of 0.5`);
}

/** Asserts accuracy at least `k` binomial SE above chance (planted signal found). */
export function assertEdge(s: ReturnType<typeof scoreRows>, what: string, k = 5): void {
  ok(s.accuracy > s.chance + k * s.se, `${what}: accuracy ${s.accuracy} <= chance ${s.chance} + ${k} SE`);
}
