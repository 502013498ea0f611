import { deepEqual, equal, ok } from "node:assert/strict";
import { closeTime } from "../core/mod.ts";
import { syntheticMarketContext, TREND_SEGMENTS } from "../dataset/mod.ts";
import { createSyntheticMarket } from "../sources/mod.ts";
import { lexiconScorer, scoreNews } from "../models/mod.ts";
import {
  chanceZ,
  dailyIcSeries,
  monthlyMean,
  NULL_SESSIONS,
  NULL_Z_BOUND,
  nullCheckData,
  nullCheckOf,
  nullMarketInput,
  nullSymbols,
  runTrend,
  seriesFromSource,
  trendTestMetrics,
  upViewMetrics,
} from "./trend.ts";
import { runSignals } from "./signals.ts";
import type { NullCheck } from "./types.ts";

const FAST = ["majority", "momentum", "logistic", "gbdt"];

Deno.test("null check handed over: a section reports the one computed beside it, of this run's null market", async () => {
  const ctx = { sharedDir: "/nonexistent", seed: 3, reduced: true };
  equal(nullSymbols(ctx, 2), 10);
  equal(nullSymbols({ ...ctx, reduced: false }, 500), 100);
  const check: NullCheck = { symbols: 10, trendZ: [["logistic", 0.5]], signalsZ: [["moe", -1.2]], ms: 1234 };
  const lines: string[] = [];
  // no null run here (it would take minutes): the handed-over check is the one reported, awaited once
  const got = await nullCheckOf(
    { ...ctx, nullCheck: Promise.resolve(structuredClone(check)), log: (s) => lines.push(s) },
    2,
  );
  deepEqual(got.check, check);
  ok(got.waitMs >= 0 && got.waitMs < 1000);
  deepEqual(lines, []);
  equal(nullCheckData(3, got.check), `synthetic nullMarket(seed 3, 10 symbols, ${NULL_SESSIONS} sessions)`);
});

Deno.test("null market: every trend model and ensemble is within noise of chance (|z| < 3)", async () => {
  const input = await nullMarketInput(11, 12);
  const run = await runTrend({ ...input, segments: TREND_SEGMENTS, models: FAST, seed: 11 });
  const zs = chanceZ(run);
  equal(zs.size, FAST.length + 6);
  for (const [name, z] of zs) ok(Math.abs(z) < NULL_Z_BOUND, `${name}: z ${z.toFixed(2)} on a random walk`);
  // The market context of a synthetic universe feeds the whole feature set (no all-NaN columns on test).
  const f = run.ds.featureNames.length, bad: string[] = [];
  for (let j = 0; j < f; j++) {
    if (!run.rows.test.some((i) => Number.isFinite(run.ds.X[i * f + j]))) bad.push(run.ds.featureNames[j]);
  }
  deepEqual(bad, []);
});

Deno.test("a leak the builder cannot see (tomorrow's return stamped as known today) fails the null check loudly", async () => {
  const input = await nullMarketInput(13, 10);
  const records = [...input.series.values()].flatMap((s) =>
    s.dates.slice(0, -1).map((d, i) => ({
      symbol: s.symbol,
      date: d,
      knownAt: closeTime(d), // the lie: the value is the return of the NEXT session
      value: s.close[i + 1] / s.close[i] - 1,
    }))
  );
  const run = await runTrend({
    ...input,
    extras: [{ name: "leak_next_ret", records }],
    segments: TREND_SEGMENTS,
    models: ["logistic"],
    seed: 13,
  });
  const z = chanceZ(run).get("logistic")!;
  ok(z > 10 * NULL_Z_BOUND, `leaked logistic z ${z.toFixed(1)} should be far beyond ${NULL_Z_BOUND}`);
});

Deno.test("planted news effect: the logistic model and the stacked ensemble beat chance", async () => {
  const src = createSyntheticMarket({
    seed: 5,
    symbols: 12,
    start: TREND_SEGMENTS.train[0],
    sessions: NULL_SESSIONS,
    newsEffect: 0.02,
    newsRate: 0.3,
  });
  const from = src.dates[0], to = src.dates[src.dates.length - 1];
  const series = await seriesFromSource(src, from, to);
  // The market publishes headline text only: score it (the lexicon runs everywhere; the pipeline tests cover
  // the language model), as the pipeline does.
  const raw = await src.news({ symbols: src.symbols, from, to });
  const news = (await scoreNews(raw, lexiconScorer())).items;
  const run = await runTrend({
    series,
    news,
    market: syntheticMarketContext(series),
    segments: TREND_SEGMENTS,
    models: ["majority", "logistic"],
    seed: 5,
  });
  const zs = chanceZ(run);
  ok(zs.get("logistic")! > NULL_Z_BOUND, `logistic z ${zs.get("logistic")}`);
  ok(zs.get("ensemble:stacking")! > NULL_Z_BOUND, `stacking z ${zs.get("ensemble:stacking")}`);
  const m = trendTestMetrics(run, run.models[1].testProbs);
  ok(m.rank_ic_mean > 0.02, `rank IC ${m.rank_ic_mean}`);
  ok(m.auc_up > 0.52, `auc ${m.auc_up}`);
});

Deno.test("same seed, same numbers: two runs of every model, ensemble and backtest are identical", async () => {
  const input = await nullMarketInput(3, 6);
  const once = async () => {
    const run = await runTrend({
      ...input,
      segments: TREND_SEGMENTS,
      models: ["majority", "momentum", "logistic", "mlp-tfjs", "gbdt"],
      seed: 3,
    });
    const bt = await runSignals(run);
    return {
      trend: [...run.models, ...run.ensembles].map((m) => [m.name, trendTestMetrics(run, m.testProbs)]),
      bt: [...bt.results].map(([k, r]) => [k, r.metrics]),
    };
  };
  const a = await once(), b = await once();
  deepEqual(a, b);
  ok(a.bt.length >= 16);
});

Deno.test("up-vs-not-up view, daily IC series and monthly means", () => {
  // rows: up predicted (p=0.7) with label up, not-up predicted with labels down/neutral/up.
  const probs = Float64Array.from([0.1, 0.2, 0.7, 0.5, 0.2, 0.3, 0.3, 0.4, 0.3, 0.2, 0.4, 0.4, 0, 0, 1]);
  const labels = [2, 0, 1, 2, -1];
  const u = upViewMetrics(probs, labels);
  equal(u.accuracy, 3 / 4);
  equal(u.balancedAccuracy, (1 / 2 + 1) / 2);
  const ll = -(Math.log(0.7) + Math.log(0.7) + Math.log(0.7) + Math.log(0.4)) / 4;
  ok(Math.abs(u.logLoss - ll) < 1e-12);
  const s = dailyIcSeries(
    Float64Array.from([0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1]),
    [0.01, 0.02, -0.01, 0.01, 0.02, -0.01],
    ["2017-01-03", "2017-01-03", "2017-01-03", "2017-02-01", "2017-02-01", "2017-02-01"],
  );
  deepEqual(s.dates, ["2017-01-03", "2017-02-01"]);
  ok(s.rankIc[0] < 0 && s.rankIc[1] < 0);
  const mm = monthlyMean(["2017-01-03", "2017-01-04", "2017-02-01"], [1, 3, NaN]);
  deepEqual(mm, { x: ["2017-01"], y: [2] });
});
