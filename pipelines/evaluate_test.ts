import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { buildScoreboard, SECTIONS } from "@lib/evaluate/mod.ts";
import { ciProblems, EXPECTED_PATH, parseEvaluateArgs } from "./evaluate.ts";

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

Deno.test("evaluate:ci verdict: a null check off chance or a missing metric fails; the committed list parses", async () => {
  const m = (name: string, method: string, value: number) => ({
    section: "trend",
    name,
    method,
    value,
    segment: "test",
    data: "d",
    seed: 1,
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
      seed: 1,
      reduced: true,
    });
  const expected = ["trend/logistic/accuracy@test", "trend/logistic/null_check_z@test"];
  deepEqual(ciProblems(sb([m("accuracy", "logistic", 0.4), m("null_check_z", "logistic", 1)]), expected), []);
  equal(
    ciProblems(sb([m("accuracy", "logistic", 0.4), m("null_check_z", "logistic", 4)]), expected).length,
    1,
  );
  deepEqual(ciProblems(sb([m("null_check_z", "logistic", 0)]), expected), [
    "metric missing: trend/logistic/accuracy@test",
  ]);
  const list = JSON.parse(await Deno.readTextFile(EXPECTED_PATH));
  ok(Array.isArray(list) && list.length > 0 && list.every((k: unknown) => typeof k === "string"));
  ok(list.some((k: string) => k.startsWith("trend/") && k.includes("/null_check_z@")));
  ok(list.some((k: string) => k.startsWith("signals/moe/sharpe@")));
});
