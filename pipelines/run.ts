/**
 * The whole pipeline, step by step: collect -> store -> dataset -> train -> combine -> signal -> backtest ->
 * report. Each step is its own function in `steps/`; this file only wires them and times them.
 * @module
 */
import { nyDate, type UniverseMember } from "@lib/core/mod.ts";
import { createSyntheticMarket, csvSourceFor, type MarketSource, readUniverseCsv } from "@lib/sources/mod.ts";
import { openStores, type Stores } from "@lib/store/mod.ts";
import { type BackendName, storeConfigFor } from "./stores.ts";
import type { BacktestResult } from "@lib/backtest/mod.ts";
import type { TrendMetrics } from "@lib/models/mod.ts";
import type { Config } from "./config.ts";
import { withNewsScorer } from "./lm.ts";
import { createProgress, type Progress } from "./progress.ts";
import { type CollectResult, fetchAll, fetchedSessions, inputNote, storeFetched } from "./steps/collect.ts";
import { checkEnoughData, datasetStep } from "./steps/dataset.ts";
import { trainStep } from "./steps/train.ts";
import { combineStep } from "./steps/combine.ts";
import { signalStep } from "./steps/signal.ts";
import { probsStrategy, scoredStrategy, type Strategy } from "@lib/evaluate/mod.ts";
import { backtestStep } from "./steps/backtest.ts";
import { buildReport, universeNote, writeReport } from "./steps/report.ts";
import type { BuiltDataset } from "@lib/dataset/mod.ts";
import type { TrainResult } from "./steps/train.ts";
import type { CombineResult } from "./steps/combine.ts";

/** Options of a run. */
export interface RunOptions {
  /** Run name: names the report file and its object key. */
  run: string;
  /** Overrides the source the config describes. */
  source?: MarketSource;
  /** Overrides the stores the config describes (they are not closed by the run). */
  stores?: Stores;
  reportPath?: string;
  quiet?: boolean;
  /** Server backends to use instead of the embedded ones (see `pipelines/stores.ts`). */
  backends?: BackendName[];
}

/** What a run produced. */
export interface RunSummary {
  collect: CollectResult;
  ds: BuiltDataset;
  train: TrainResult;
  combine: CombineResult;
  metrics: Map<string, TrendMetrics>;
  backtests: Map<string, BacktestResult>;
  reportPath: string;
  summary: string;
  timings: Map<string, number>;
  /** Which news scorer ran, and why. */
  newsScorer: string;
}

/** The market source a config describes. */
export async function sourceFromConfig(cfg: Config): Promise<MarketSource> {
  if (cfg.source.kind === "csv") {
    return await csvSourceFor(cfg.source.csvDir!, cfg.source.strict ? { strict: true } : {});
  }
  const s = cfg.source.synthetic;
  return createSyntheticMarket({
    seed: s.seed,
    symbols: s.symbols,
    sessions: s.sessions,
    newsEffect: s.newsEffect,
    newsRate: s.newsRate,
    levelStrength: s.levelStrength,
  });
}

async function requestFor(cfg: Config, source: MarketSource) {
  const dates = (source as { dates?: string[] }).dates;
  const from = cfg.source.from ?? dates?.[0] ?? "1990-01-01";
  const to = cfg.source.to ?? dates?.[dates.length - 1] ?? nyDate(Date.now());
  // a point-in-time universe names the symbols: every member whose spell meets [from, to]
  let members: UniverseMember[] = [];
  let universe: string | undefined;
  if (cfg.source.universe) {
    universe = cfg.source.universe.replace(/^.*\//, "").replace(/\.csv$/i, "");
    members = (await readUniverseCsv(cfg.source.universe, universe))
      .filter((m) => m.from <= to && (m.to === null || m.to >= from));
  }
  const symbols = cfg.source.symbols.length
    ? cfg.source.symbols
    : members.length
    ? [...new Set(members.map((m) => m.symbol))].sort()
    : (await source.listSymbols?.()) ?? [];
  return { symbols, from, to, members, universe };
}

/** Runs every step and writes the report. */
export async function runPipeline(cfg: Config, opts: RunOptions): Promise<RunSummary> {
  const progress: Progress = createProgress({ quiet: opts.quiet });
  const source = opts.source ?? await sourceFromConfig(cfg);
  // Fetch and validate first: bad input fails here, before any store is opened or written.
  const { members, universe, ...req } = await requestFor(cfg, source);
  const doneCollect = progress.start(`collect (${source.name})`);
  const fetched = await fetchAll(source, req, members);
  checkEnoughData(fetchedSessions(fetched), { ...req, ...cfg.dataset });
  const stores = opts.stores ?? await openStores(await storeConfigFor(cfg.dataDir, opts.backends ?? []));
  try {
    const collected = await storeFetched(fetched, stores, progress);
    doneCollect();
    let newsScorer = "";
    const ds = await withNewsScorer(
      cfg.news,
      (n) => progress.note(newsScorer = n),
      (scorer) =>
        datasetStep(
          stores,
          { ...req, symbols: collected.symbols, ...cfg.dataset, universe, scorer },
          progress,
        ),
    );
    const train = await trainStep(ds, { trendModels: cfg.models.trend, seed: cfg.models.seed }, progress);
    const combined = combineStep(ds, train, progress);
    const sizing = cfg.signals;
    const signals = await signalStep(
      ds,
      train.rows.test,
      combined.moe.test,
      combined.moe.valid.score,
      train.vol.test,
      sizing,
      stores,
      progress,
    );
    const strategies: Strategy[] = [
      scoredStrategy("moe", combined.moe.test.score, combined.moe.valid.score),
      ...combined.ensembles.map((e) => probsStrategy(`ensemble:${e.name}`, e.testProbs, e.validProbs)),
      ...train.trend.map((t) => probsStrategy(t.name, t.testProbs, t.valProbs)),
    ];
    const backtests = backtestStep(ds, train.rows.test, strategies, train.vol.test, {
      sizing,
      costBps: cfg.backtest.costBps,
    }, progress);
    const reportPath = opts.reportPath ?? `${cfg.reportDir}/${opts.run}.html`;
    const notes = [inputNote(source), universeNote(source.name, collected.symbols.length, universe)]
      .filter(Boolean);
    const input = {
      notes,
      title: `fmai ${opts.run}: ${source.name}, ${collected.symbols.length} symbols`,
      subtitle: `${req.from} .. ${req.to}; generated ${new Date().toISOString()}`,
      ds,
      train,
      combine: combined,
      signals,
      backtests,
      timings: progress.timings,
    };
    const { report, summary, metrics } = buildReport(input);
    await writeReport(report, reportPath, stores, opts.run, progress);
    return {
      collect: collected,
      ds,
      train,
      combine: combined,
      metrics,
      backtests,
      reportPath,
      summary: [...notes, summary].join("\n"),
      timings: progress.timings,
      newsScorer,
    };
  } finally {
    if (!opts.stores) await stores.close();
  }
}
