import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { buildScoreboard, SECTIONS } from "@lib/evaluate/mod.ts";
import { ciProblems, EXPECTED_PATH, parseEvaluateArgs } from "./evaluate.ts";
import { expectedFrom, parseExpected } from "./evaluate_guard.ts";

Deno.test("evaluate CLI: flags, section aliases in protocol order, one-line errors", () => {
  const o = parseEvaluateArgs(["--reduced", "--seed", "7", "--sections", "signals,trend,trend"]);
  equal(o.reduced, true);
  equal(o.seed, 7);
  deepEqual(o.sections, ["trend", "signals"]);
  ok(o.dataDir.endsWith("/shared/data"));
  ok(o.outDir.endsWith("/bench/results"));
  const d = parseEvaluateArgs([]);
  equal(d.reduced, false);
  equal(d.seed, 42);
  deepEqual(new Set(d.sections), new Set(Object.keys(SECTIONS)));
  equal(parseEvaluateArgs(["--ci"]).reduced, true);
  if ("volatility" in SECTIONS) deepEqual(parseEvaluateArgs(["--sections", "vol"]).sections, ["volatility"]);
  throws(() => parseEvaluateArgs(["--sections", "astrology"]), ConfigError);
  throws(() => parseEvaluateArgs(["--seed", "x"]), ConfigError);
  throws(() => parseEvaluateArgs(["--tickers", "0"]), ConfigError);
  throws(() => parseEvaluateArgs(["--bogus"]), ConfigError);
});

Deno.test("evaluate:ci verdict: off-chance null checks, missing, NaN and regressed metrics fail; improvements pass", async () => {
  const m = (name: string, method: string, value: number, higherIsBetter?: boolean) => ({
    section: "trend",
    name,
    method,
    value,
    segment: "test",
    data: "d",
    seed: 1,
    ...(higherIsBetter === undefined ? {} : { higherIsBetter }),
  });
  const sb = (metrics: ReturnType<typeof m>[]) =>
    buildScoreboard([{
      section: "trend",
      title: "t",
      metrics,
      figures: [],
      tables: [],
      notes: [],
      timings: {},
    }], {
      date: "2026-01-01",
      gitSha: "x",
      gitDirty: false,
      seed: 1,
      reduced: true,
    });
  const recorded = sb([
    m("accuracy", "logistic", 0.4, true),
    m("log_loss", "logistic", 1.05, false),
    m("ann_vol", "moe", 0.1),
    m("null_check_z", "logistic", 1),
  ]);
  const expected = expectedFrom(recorded);
  deepEqual(Object.keys(expected.metrics), [
    "trend/logistic/accuracy@test",
    "trend/logistic/log_loss@test",
    "trend/moe/ann_vol@test",
  ]);
  equal(expected.metrics["trend/logistic/accuracy@test"].tol, 0.02);
  deepEqual(ciProblems(recorded, expected), []);
  // better than recorded is fine; worse beyond the tolerance, NaN, missing, or off chance is not
  const run = (acc: number, loss: number, vol: number) =>
    ciProblems(
      sb([
        m("accuracy", "logistic", acc, true),
        m("log_loss", "logistic", loss, false),
        m("ann_vol", "moe", vol),
      ]),
      expected,
    );
  deepEqual(run(0.5, 0.9, 0.1), []);
  const bad = ciProblems(
    sb([
      m("accuracy", "logistic", 0.37, true),
      m("log_loss", "logistic", NaN, false),
      m("null_check_z", "logistic", 4),
    ]),
    expected,
  );
  deepEqual(bad.map((p) => p.split(":")[0]), [
    "null check not at chance",
    "metric regressed",
    "metric not a number",
    "metric missing",
  ]);
  ok(/trend\/logistic\/accuracy@test = 0\.3700, below the floor 0\.3800/.test(bad[1]), bad[1]);
  equal(run(0.4, 1.05, 0.2).length, 1, "a two-sided band");
  // the committed file parses and holds values
  const file = parseExpected(await Deno.readTextFile(EXPECTED_PATH), EXPECTED_PATH);
  equal(file.reduced, true);
  const keys = Object.keys(file.metrics);
  ok(keys.some((k) => k.startsWith("signals/moe/sharpe@")));
  ok(keys.every((k) => Number.isFinite(file.metrics[k].value) && file.metrics[k].tol > 0));
});
