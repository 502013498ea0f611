/**
 * The signal step's store writes: a research run's signals and predictions replace the earlier research run's
 * rows of its symbols (other dates, other models), leave production signals and other symbols alone, and a
 * re-run changes nothing. The system is a stub whose book holds every name (the book itself is tested in
 * lib/workflow); then end to end: three research runs on one store with other test segments, each leaving
 * exactly its own signals and predictions, which `export --what predictions` writes.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import type { Dataset } from "@lib/dataset/mod.ts";
import type { Signal } from "@lib/core/mod.ts";
import {
  ALL_SCHEMAS,
  openEmbeddedStores,
  predictionToRow,
  rowToPrediction,
  signalToRow,
  type Stores,
} from "@lib/store/mod.ts";
import type { FittedSystem, SystemPredictions } from "@lib/workflow/mod.ts";
import { createSyntheticMarket } from "@lib/sources/mod.ts";
import { loadConfig } from "../config.ts";
import { parseExportArgs, runExport } from "../export.ts";
import { runPipeline } from "../run.ts";
import { researchPredictions, signalStep } from "./signal.ts";

const DAYS = ["2018-01-02", "2018-01-03", "2018-01-04", "2018-01-05", "2018-01-08", "2018-01-09"];

/** Predictions of `symbols` x `dates` (two trend models, one ensemble; one row without a volatility forecast). */
function predictions(
  symbols: string[],
  dates: string[],
  models = ["majority", "logistic"],
): SystemPredictions {
  const symbol: string[] = [], date: string[] = [];
  for (const d of dates) for (const s of symbols) (symbol.push(s), date.push(d));
  const n = symbol.length;
  const probs = () => Float64Array.from({ length: 3 * n }, (_, i) => [0.2, 0.3, 0.5][i % 3]);
  const forecastVar = Float64Array.from({ length: n }, (_, i) => (i === 0 ? NaN : 1e-4 * (1 + i)));
  return {
    rows: Int32Array.from({ length: n }, (_, i) => i),
    symbol,
    date,
    knownAt: Float64Array.from(date, (d) => Date.parse(`${d}T21:00:00Z`)),
    models: models.map((name) => ({ name, probs: probs() })),
    ensembles: [{ name: "stacking", probs: probs() }],
    experts: { names: ["trend"], scores: new Float64Array(n).fill(0.1) },
    gate: {
      names: ["trend", "abstain"],
      weights: Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 0.4 : 0.6)),
      contributions: new Float64Array(n).fill(0.06),
    },
    regime: new Array(n).fill("calm/up"),
    score: new Float64Array(n).fill(0.06),
    forecastVar,
    dailyVol: Float64Array.from(forecastVar, Math.sqrt),
    edges: new Map([["moe", new Float64Array(n).fill(0.2)]]),
    untradable: new Array(n).fill(null),
  };
}

/** A stub system whose book holds 1/S of every name every day. */
const system = {
  spec: { experts: { volatility: "garch11" } },
  book: (_ds: Dataset, p: SystemPredictions) => {
    const dates = [...new Set(p.date)].sort(), symbols = [...new Set(p.symbol)].sort();
    const cells = dates.length * symbols.length;
    return {
      portfolio: {
        dates,
        symbols,
        weights: new Float64Array(cells).fill(1 / symbols.length),
        decision: new Float64Array(cells).fill(0.2),
      },
    };
  },
} as unknown as FittedSystem;

const dataset = (symbols: string[]) =>
  ({ series: new Map(symbols.map((s) => [s, {}])) }) as unknown as Dataset;

async function withStores(fn: (s: Stores) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "fmai-signal-step-" });
  const stores = openEmbeddedStores(dir);
  try {
    for (const t of ALL_SCHEMAS) await stores.tables.ensureTable(t);
    await fn(stores);
  } finally {
    await stores.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const keys = async (s: Stores, table: string, where = {}) =>
  (await s.tables.query(table, { where, orderBy: ["symbol", "date"] })).map((r) =>
    [r.symbol, r.date, r.model ?? r.model_version].join(" ")
  );

Deno.test("researchPredictions: each trend model's and ensemble's probabilities, the volatility forecast", () => {
  const p = predictions(["AAA", "BBB"], DAYS.slice(0, 2));
  const got = researchPredictions(p, "garch11");
  // 4 rows x (2 models + 1 ensemble) trend predictions, 3 volatility forecasts (the first row has none)
  equal(got.length, 4 * 3 + 3);
  deepEqual(got[0], {
    symbol: "AAA",
    date: DAYS[0],
    knownAt: Date.parse(`${DAYS[0]}T21:00:00Z`),
    model: "majority",
    kind: "trend",
    probs: [0.2, 0.3, 0.5],
  });
  const vol = got.filter((x) => x.kind === "volatility");
  deepEqual(vol.map((x) => x.model), ["garch11", "garch11", "garch11"]);
  ok(
    vol.every((x) =>
      x.kind === "volatility" && x.horizon === 1 && x.annualizedVol === Math.sqrt(x.variance * 252)
    ),
  );
  deepEqual([...new Set(got.map((x) => x.model))].sort(), [
    "ensemble:stacking",
    "garch11",
    "logistic",
    "majority",
  ]);
  // each one a valid predictions row that reads back as itself
  for (const x of got) deepEqual(rowToPrediction(predictionToRow(x)), x);
});

Deno.test("signal step: a re-run with another test segment replaces the research rows of its symbols", async () => {
  await withStores(async (s) => {
    const t = s.tables;
    // a production signal (with a model version) and another symbol's research rows: never touched
    const prod: Signal = {
      source: "moe",
      symbol: "AAA",
      date: DAYS[0],
      action: "buy",
      size: 0.5,
      confidence: 0.4,
      contributions: [],
      knownAt: Date.parse(`${DAYS[0]}T21:00:00Z`),
      provenance: {
        modelVersion: "2018-01-01.abc",
        asOf: Date.parse(`${DAYS[0]}T21:00:00Z`),
        featureHash: "f",
        issuedAt: 1,
        sizing: { rawScore: 0.1, score: 0.1, forecastVol: 0.2, rule: {} },
      },
    };
    await t.upsert("signals", [signalToRow(prod)]);
    const other = predictions(["ZZZ"], DAYS);
    await signalStep(dataset(["ZZZ"]), system, other, s);
    const otherSignals = await keys(s, "signals", { symbol: "ZZZ" });
    const otherPreds = await keys(s, "predictions", { symbol: "ZZZ" });
    equal(otherSignals.length, 6);
    equal(otherPreds.length, 6 * 3 + 5);

    // run 1: AAA, BBB, CCC on the last four days
    const run1 = predictions(["AAA", "BBB", "CCC"], DAYS.slice(2));
    const sig1 = await signalStep(dataset(["AAA", "BBB", "CCC"]), system, run1, s);
    equal(sig1.length, 12);
    equal(await t.count("signals", { model_version: "", symbol: ["AAA", "BBB", "CCC"] }), 12);
    equal(await t.count("predictions", { symbol: ["AAA", "BBB", "CCC"] }), 12 * 3 + 11);

    // run 2: an earlier, shorter test segment (the middle days shared), another model, CCC no longer predicted
    // though still in the run's universe, and one row inside the range missing (BBB on day 3)
    const p2 = predictions(["AAA", "BBB"], DAYS.slice(1, 4), ["majority", "gbdt"]);
    const drop = p2.symbol.findIndex((x, i) => x === "BBB" && p2.date[i] === DAYS[2]);
    const run2 = filterRows(p2, (i) => i !== drop);
    const sig2 = await signalStep(dataset(["AAA", "BBB", "CCC"]), system, run2, s);
    const want = (table: string) =>
      table === "signals"
        ? sig2.map(signalToRow).map((r) => [r.symbol, r.date, r.model_version].join(" "))
        : researchPredictions(run2, "garch11").map(predictionToRow).map((r) =>
          [r.symbol, r.date, r.model].join(" ")
        );
    const research = { symbol: ["AAA", "BBB", "CCC"] };
    deepEqual(await keys(s, "signals", { ...research, model_version: "" }), want("signals").sort());
    deepEqual((await keys(s, "predictions", research)).sort(), want("predictions").sort());
    equal((await keys(s, "predictions", research)).filter((k) => k.endsWith(" logistic")).length, 0);
    // exactly run 2's rows, with run 2's values; each row's score is the row's combined edge (0.06 here)
    deepEqual(
      await t.query("signals", { where: { ...research, model_version: "" }, orderBy: ["symbol", "date"] }),
      sig2.map((x) => Object.assign(signalToRow(x), { score: 0.06 })).sort((a, b) =>
        `${a.symbol} ${a.date}`.localeCompare(`${b.symbol} ${b.date}`)
      ),
    );
    // production and the other symbol are as they were
    deepEqual(await t.query("signals", { where: { model_version: "2018-01-01.abc" } }), [signalToRow(prod)]);
    deepEqual(await keys(s, "signals", { symbol: "ZZZ" }), otherSignals);
    deepEqual(await keys(s, "predictions", { symbol: "ZZZ" }), otherPreds);

    // a re-run of run 2 changes nothing
    const before = [await t.query("signals", { orderBy: ["symbol", "date"] }), await t.query("predictions")];
    await signalStep(dataset(["AAA", "BBB", "CCC"]), system, run2, s);
    deepEqual(
      [await t.query("signals", { orderBy: ["symbol", "date"] }), await t.query("predictions")],
      before,
    );
  });
});

/** `p` with only the rows `keep` says yes to. */
function filterRows(p: SystemPredictions, keep: (i: number) => boolean): SystemPredictions {
  const idx = [...p.rows.keys()].filter(keep);
  const pick = (a: Float64Array, w = 1) =>
    Float64Array.from(idx.flatMap((i) => [...a.subarray(i * w, i * w + w)]));
  return {
    ...p,
    rows: Int32Array.from(idx, (_, k) => k),
    symbol: idx.map((i) => p.symbol[i]),
    date: idx.map((i) => p.date[i]),
    knownAt: pick(p.knownAt),
    models: p.models.map((m) => ({ name: m.name, probs: pick(m.probs, 3) })),
    ensembles: p.ensembles.map((m) => ({ name: m.name, probs: pick(m.probs, 3) })),
    experts: { names: p.experts.names, scores: pick(p.experts.scores) },
    gate: {
      names: p.gate.names,
      weights: pick(p.gate.weights, 2),
      contributions: pick(p.gate.contributions),
    },
    regime: idx.map((i) => p.regime[i]),
    score: pick(p.score),
    forecastVar: pick(p.forecastVar),
    dailyVol: pick(p.dailyVol),
    edges: new Map([...p.edges].map(([k, v]) => [k, pick(v)])),
    untradable: idx.map((i) => p.untradable[i]),
  };
}

Deno.test({
  name: "pipeline re-runs with other test segments: the store holds exactly the last run's research rows",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-signal-rerun-" });
    const market = createSyntheticMarket({ seed: 3, symbols: 3, sessions: 400 });
    const stores = openEmbeddedStores(`${dir}/data`);
    try {
      // a later test, an earlier one, then a walk-forward from the later start (as the reviewer's three runs)
      const runs = [[0.6, "off"], [0.5, "off"], [0.6, "expanding"]] as const;
      for (const [trainFrac, mode] of runs) {
        const cfg = await loadConfig({
          overrides: {
            dataDir: `${dir}/data`,
            reportDir: `${dir}/reports`,
            news: { scorer: "lexicon" },
            models: { trend: ["majority", "logistic"] },
            dataset: {
              trainFrac,
              validFrac: 0.2,
              walkForward: mode === "off" ? { mode } : { mode, refitEvery: 42 },
            },
          },
        });
        const s = await runPipeline(cfg, { run: "rerun", source: market, stores, quiet: true });
        const p = s.fit.predictions;
        const rows = (table: string) =>
          stores.tables.query(table, { where: { symbol: market.symbols }, orderBy: ["symbol", "date"] });
        const signals = (await rows("signals")).filter((r) => r.model_version === "");
        deepEqual(
          signals.map((r) => `${r.symbol} ${r.date}`).sort(),
          p.symbol.map((x, i) => `${x} ${p.date[i]}`).sort(),
          `${trainFrac} ${mode}: the run's signals, and only those`,
        );
        const preds = await rows("predictions");
        const want = researchPredictions(p, "garch11");
        ok(want.length >= p.rows.length * (2 + 6), `${want.length} predictions of ${p.rows.length} rows`);
        equal(preds.length, want.length, `${trainFrac} ${mode}: the run's predictions, and only those`);
        deepEqual(
          new Set(preds.map((r) => r.model)),
          new Set([
            ...p.models.map((m) => m.name),
            ...p.ensembles.map((e) => `ensemble:${e.name}`),
            "garch11",
          ]),
        );
      }
      const entries = await runExport(
        parseExportArgs(["--what", "signals,predictions", "--format", "csv", "--out", `${dir}/ex`]),
        stores,
      );
      equal(entries.predictions.rows, await stores.tables.count("predictions"));
      ok(entries.predictions.rows > 0 && entries.signals.rows > 0, JSON.stringify(entries));
    } finally {
      await stores.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
