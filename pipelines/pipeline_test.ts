/**
 * End-to-end tests of the pipeline on the synthetic market: nothing found when nothing is planted, the planted
 * news effect and support/resistance levels found when planted, idempotent re-runs.
 */
import { equal, ok } from "node:assert/strict";
import { chanceTest, SwingLevelModel } from "@lib/models/mod.ts";
import { createSyntheticMarket, nullMarket, type SyntheticMarket } from "@lib/sources/mod.ts";
import { openEmbeddedStores } from "@lib/store/mod.ts";
import { loadConfig } from "./config.ts";
import { runPipeline, type RunSummary } from "./run.ts";
import { collect } from "./steps/collect.ts";
import { newsScorerFor } from "./lm.ts";

const SIZE = { symbols: 12, sessions: 800 };
const PLANTED = { newsEffect: 0.02, newsRate: 0.3, levelReversal: 2 };

/**
 * Headlines reach the model only as text: the synthetic market publishes no sentiment number, so the news
 * features come from the scorer the default config picks, as for real news: the language model
 * (`news.model`, finsent-mpnet@v1) when installed, else the fallback scorer, the finance lexicon (said below).
 */
const NEWS_NOTE = await newsScorerFor((await loadConfig()).news).then(async (c) => {
  await c.release();
  return c.note;
});
console.log(`pipeline tests: ${NEWS_NOTE}`);

async function run(market: SyntheticMarket): Promise<RunSummary> {
  const dir = await Deno.makeTempDir({ prefix: "fmai-e2e-" });
  const cfg = await loadConfig({
    overrides: { dataDir: `${dir}/data`, reportDir: `${dir}/reports` },
  });
  try {
    return await runPipeline(cfg, { run: "test", source: market, quiet: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function zOf(s: RunSummary, probs: Float64Array) {
  const rows = s.train.rows.test;
  return chanceTest(
    probs,
    Int8Array.from(rows, (i) => s.ds.labels.trend[i]),
    Array.from(rows, (i) => s.ds.date[i]),
  );
}

function allProbs(s: RunSummary): [string, Float64Array][] {
  return [
    ...s.train.trend.map((t) => [t.name, t.testProbs] as [string, Float64Array]),
    ...s.combine.ensembles.map((e) => [`ensemble:${e.name}`, e.testProbs] as [string, Float64Array]),
  ];
}

/**
 * Share of dataset rows (every 3rd; the detector fits nothing) whose strongest detected level (the pipeline's swing detector) lies within 1.5%
 * (the planted band) of one of the symbol's planted level prices.
 */
function nearPlanted(s: RunSummary, planted: Record<string, number[]>): number {
  const lm = new SwingLevelModel();
  let near = 0, total = 0;
  for (let r = 0; r < s.ds.n; r += 3) {
    const { supports, resistances } = lm.levels(s.ds.series.get(s.ds.symbol[r])!, s.ds.seriesIndex[r]);
    const top = [...supports, ...resistances].sort((x, y) => y.strength - x.strength)[0];
    if (!top) continue;
    total++;
    if (planted[s.ds.symbol[r]].some((p) => Math.abs(top.price / p - 1) < 0.015)) near++;
  }
  return near / total;
}

/** Day-clustered z of the mean of a daily return series. */
function meanZ(r: Float64Array): number {
  const v = Array.from(r).filter(Number.isFinite);
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
  return sd > 0 ? m / (sd / Math.sqrt(v.length)) : 0;
}

Deno.test({
  name:
    "null market: every trend model and ensemble is within noise of chance; the MoE has no edge beyond costs",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const s = await run(nullMarket(11, SIZE));
    for (const [name, probs] of allProbs(s)) {
      const t = zOf(s, probs);
      // Bound: |z| < 3, z day-clustered (see lib/models/chance.ts).
      ok(
        Math.abs(t.z) < 3,
        `${name}: accuracy ${t.accuracy.toFixed(3)} vs chance ${t.chance.toFixed(3)}, z ${t.z.toFixed(2)}`,
      );
    }
    const moe = s.backtests.get("moe")!;
    ok(meanZ(moe.gross) < 3, `moe gross edge z ${meanZ(moe.gross).toFixed(2)}`);
    ok(moe.metrics.annReturn < 0.02, `moe net annual return ${moe.metrics.annReturn}`);
  },
});

Deno.test({
  name: "planted market: the news effect is found out of sample, and so are the planted levels",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const market = createSyntheticMarket({
      seed: 5,
      ...SIZE,
      newsEffect: 0.02,
      newsRate: 0.3,
      levelStrength: 0.6,
    });
    const s = await run(market);
    equal(s.newsScorer, NEWS_NOTE);
    for (const [name, probs] of allProbs(s)) {
      if (name === "majority" || name === "momentum") continue; // baselines with no access to news
      // Significant: one-sided z > 3 (p < 0.0014), day-clustered.
      const t = zOf(s, probs);
      ok(
        t.z > 3,
        `${name}: accuracy ${t.accuracy.toFixed(3)} vs chance ${t.chance.toFixed(3)}, z ${t.z.toFixed(2)}`,
      );
    }
    const moe = s.backtests.get("moe")!;
    ok(meanZ(moe.returns) > 3, `moe net edge z ${meanZ(moe.returns).toFixed(2)}`);

    // Levels: the detector's strongest support/resistance sits within the planted band (1.5%) of a planted level
    // price far more often than on the twin market with the same noise and level grid but nothing planted.
    const twin = await run(
      createSyntheticMarket({ seed: 5, ...SIZE, ...PLANTED, levelStrength: 0 }),
    );
    const planted = Object.fromEntries(Object.entries(market.truth.tickers).map(([k, v]) => [k, v.levels]));
    const a = nearPlanted(s, planted), b = nearPlanted(twin, planted);
    ok(
      a > 1.3 * b,
      `share of strongest detected levels at planted prices: planted ${a.toFixed(3)}, twin ${b.toFixed(3)}`,
    );
  },
});

Deno.test({
  name: "collecting twice stores nothing new",
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-idem-" });
    const stores = openEmbeddedStores(dir);
    try {
      const m = createSyntheticMarket({ seed: 3, symbols: 3, sessions: 120 });
      const req = { symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] };
      const a = await collect(m, stores, req);
      const b = await collect(m, stores, req);
      ok(a.barsInserted === 360 && b.barsInserted === 0 && b.newsInserted === 0, JSON.stringify({ a, b }));
      ok((await stores.tables.count("bars")) === 360);
    } finally {
      await stores.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
