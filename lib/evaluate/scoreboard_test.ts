import { deepEqual, equal, ok } from "node:assert/strict";
import { lineFigure } from "../report/mod.ts";
import {
  buildScoreboard,
  failedNullChecks,
  metricKey,
  metricKeys,
  missingMetrics,
  scoreboardHtml,
  scoreboardJson,
  scoreboardProblems,
} from "./scoreboard.ts";
import type { Metric, SectionResult } from "./types.ts";

function metric(name: string, method: string, value: number, section = "trend"): Metric {
  return { section, name, method, value, segment: "test", data: "x.csv", seed: 42, higherIsBetter: true };
}

function result(section: string, metrics: Metric[]): SectionResult {
  return {
    section,
    title: `Section ${section}`,
    metrics,
    figures: [lineFigure(`fig ${section}`, [{ name: "a", x: [1, 2], y: [1, 2] }])],
    tables: [{ columns: ["method", "v"], rows: [["logistic", 0.5]] }],
    notes: [`note ${section}`],
    timings: { dataset: 12.5, "fit:logistic": 3 },
  };
}

const META = { date: "2026-11-23", gitSha: "abc1234", gitDirty: false, seed: 42, reduced: true };

Deno.test("scoreboard JSON: schema holds after a round trip; NaN becomes null; timings keyed by section", () => {
  const sb = buildScoreboard([
    result("trend", [metric("accuracy", "logistic", 0.41), metric("ic_mean", "majority", NaN)]),
    result("signals", [metric("sharpe", "moe", 0.3, "signals")]),
  ], META);
  const parsed = JSON.parse(scoreboardJson(sb));
  deepEqual(scoreboardProblems(parsed), []);
  equal(parsed.sections[0].metrics[1].value, null);
  deepEqual(Object.keys(parsed.timings), [
    "trend/dataset",
    "trend/fit:logistic",
    "signals/dataset",
    "signals/fit:logistic",
  ]);
  equal(parsed.gitSha, "abc1234");
  equal(parsed.gitDirty, false);
  // A broken document is reported field by field.
  const bad = {
    ...parsed,
    seed: "42",
    gitDirty: "no",
    sections: [{ ...parsed.sections[0], metrics: [{ name: 1 }] }],
  };
  const p = scoreboardProblems(bad);
  ok(p.includes("seed"));
  ok(p.includes("gitDirty"));
  ok(p.includes("sections[0].metrics[0].name"));
  ok(p.includes("sections[0].metrics[0].value"));
});

Deno.test("metric keys, missing metrics (only for sections that ran) and failed null checks", () => {
  const sb = buildScoreboard([
    result("trend", [
      metric("accuracy", "logistic", 0.41),
      metric("null_check_z", "logistic", 0.7),
      metric("null_check_z", "gbdt", -3.2),
      metric("null_check_z", "mlp", NaN),
    ]),
  ], META);
  equal(metricKey(sb.sections[0].metrics[0]), "trend/logistic/accuracy@test");
  deepEqual(metricKeys(sb).length, 4);
  deepEqual(
    missingMetrics(
      ["trend/logistic/accuracy@test", "trend/gbdt/accuracy@test", "volatility/garch/qlike@oos"],
      sb,
    ),
    ["trend/gbdt/accuracy@test"],
  );
  deepEqual(failedNullChecks(sb).map((m) => m.method), ["gbdt", "mlp"]);
});

Deno.test("scoreboard HTML: every section's notes, tables and figures, plus the timings table", () => {
  const results = [result("trend", [metric("accuracy", "logistic", 0.41)]), result("signals", [])];
  const html = scoreboardHtml(buildScoreboard(results, META), results);
  for (
    const s of [
      "Section trend",
      "Section signals",
      "note trend",
      "fig signals",
      "trend/fit:logistic",
      "abc1234",
    ]
  ) {
    ok(html.includes(s), s);
  }
  ok(html.startsWith("<!doctype html") || html.startsWith("<!DOCTYPE html"), html.slice(0, 30));
});
