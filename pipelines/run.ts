/**
 * The whole pipeline, step by step: collect -> store -> dataset -> train -> combine -> signal -> backtest ->
 * report. Each step is its own function in `steps/`; this file only wires them and times them.
 * @module
 */
import { ConfigError, fewOf, type IsoDate, nyDate, type UniverseMember } from "@lib/core/mod.ts";
import { basename } from "node:path";
import type { MarketSource } from "@lib/sources/mod.ts";
import { openStores, type Stores } from "@lib/store/mod.ts";
import { type BackendName, readRows, storeConfigFor } from "./stores.ts";
import type { BacktestResult } from "@lib/backtest/mod.ts";
import type { TrendMetrics } from "@lib/models/mod.ts";
import type { BuiltDataset, SegmentSpec, SymbolSeries } from "@lib/dataset/mod.ts";
import {
  checkUniverseSize,
  type FittedSystem,
  resolveSegments,
  type SegmentSource,
  type SystemPredictions,
  type SystemSpec,
  type WalkForwardResult,
} from "@lib/workflow/mod.ts";
import { featureWarmup } from "@lib/features/mod.ts";
import { type Config, segmentChoice, specFromConfig } from "./config.ts";
import { newsScorerFor } from "./lm.ts";
import { checkEachHasBars, checkRequestedRange } from "./collect/mod.ts";
import { marketNewsFiles, sourceFromConfig, specForSource } from "./source.ts";
import { createProgress, type Progress } from "./progress.ts";
import {
  type CollectResult,
  fetchAll,
  type Fetched,
  fetchedSessions,
  inputNote,
  leftOutNote,
  runUniverse,
  storeFetched,
} from "./steps/collect.ts";
import {
  checkEnoughData,
  checkSessionCoverage,
  datasetStep,
  MIN_SEGMENT_SESSIONS,
  MIN_TRAIN_SESSIONS,
  PIPELINE_FEATURE_SET,
} from "./steps/dataset.ts";
import { fitStep } from "./steps/fit.ts";
import { signalStep } from "./steps/signal.ts";
import { backtestStep } from "./steps/backtest.ts";
import {
  fetchMarketBars,
  marketFromBars,
  marketNote,
  marketSymbols,
  OWN_MARKET_NOTE,
  ownMarketContext,
} from "./steps/market.ts";
import { buildReport, segmentsLine, universeNote, writeReport } from "./steps/report.ts";

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
  /** How the segments were chosen (the user's dates or fractions). */
  segmentSource: SegmentSource;
  /** The fitted system(s) and their out-of-sample predictions of the test segment. */
  fit: WalkForwardResult;
  metrics: Map<string, TrendMetrics>;
  backtests: Map<string, BacktestResult>;
  reportPath: string;
  summary: string;
  timings: Map<string, number>;
  /** Which news scorer ran, and why. */
  newsScorer: string;
}

async function requestFor(cfg: Config, source: MarketSource) {
  const dates = (source as { dates?: string[] }).dates;
  const from = cfg.source.from ?? dates?.[0] ?? "1990-01-01";
  const to = cfg.source.to ?? dates?.[dates.length - 1] ?? nyDate(Date.now());
  const { symbols, members, universe, leftOut } = await runUniverse(cfg.source, source, from, to);
  return { symbols, from, to, members, universe, leftOut };
}

/** Sorted unique sessions of the fetched bars. */
function fetchedCalendar(f: Fetched): string[] {
  const days = new Set<string>();
  for (const bars of f.bars.values()) for (const b of bars) days.add(b.date);
  return [...days].sort();
}

/** Bars each requested symbol has in the fetched range (0 for a symbol the source returned none of). */
function barCounts(symbols: readonly string[], f: Fetched): Map<string, number> {
  const counts = new Map(symbols.map((s) => [s, 0]));
  for (const [s, bars] of f.bars) counts.set(s, bars.length);
  return counts;
}

/** `APTV (44 bars), BHGE (52 bars)`, the first five of `symbols` and how many more. */
function barsText(symbols: readonly string[], counts: ReadonlyMap<string, number>): string {
  return fewOf(symbols.map((s) => `${s} (${counts.get(s) ?? 0} bars)`), 5);
}

/**
 * Refuses, before any store is written, a ranking portfolio (top-k, long-short) left with fewer than 2 symbols
 * that can have a dataset row: only a symbol with more bars in the range than the feature warm-up (`warmup`
 * sessions) has one (APTV's 44 bars in the S&P 500 file give none). The message of `checkUniverseSize`, naming
 * the symbols too short and their bars.
 */
export function checkRowUniverse(
  spec: SystemSpec,
  counts: ReadonlyMap<string, number>,
  warmup: number,
  range: readonly [IsoDate, IsoDate],
): void {
  const short = [...counts.keys()].filter((s) => counts.get(s)! <= warmup);
  try {
    checkUniverseSize(spec, counts.size - short.length);
  } catch (e) {
    if (!(e instanceof ConfigError) || !short.length) throw e;
    throw new ConfigError(
      `${e.message}; only a symbol with more bars than the ${warmup}-session feature warm-up has dataset rows, ` +
        `and ${short.length} of the ${counts.size} symbols ${
          short.length === 1 ? "has" : "have"
        } no more in ` +
        `${range[0]}..${range[1]}: ${barsText(short, counts)} (widen --from/--to or choose symbols with a ` +
        `longer history)`,
    );
  }
}

/**
 * The note naming the requested symbols without a dataset row, which no model, signal or book sees ("" when
 * every symbol has rows): the first five with their bars, how many, and why (too few bars for the feature
 * warm-up, or none of their sessions after it inside the segments or, for a point-in-time universe, their
 * membership).
 */
export function noRowsNote(
  counts: ReadonlyMap<string, number>,
  ds: Pick<BuiltDataset, "symbol">,
  warmup: number,
  universe?: string,
): string {
  const have = new Set(ds.symbol);
  const none = [...counts.keys()].filter((s) => !have.has(s));
  if (!none.length) return "";
  const one = none.length === 1;
  const why = none.every((s) => counts.get(s)! <= warmup)
    ? `a row needs more bars in the range than the ${warmup}-session feature warm-up`
    : `a row needs a session past the ${warmup}-session feature warm-up inside the segments` +
      (universe ? " and a membership spell" : "");
  const left = `left out of the models, signals and books: ${barsText(none, counts)}`;
  return `input: ${none.length} of ${counts.size} symbols ${one ? "has" : "have"} no dataset row and ` +
    `${one ? "is" : "are"} ${left}; ${why} (widen --from/--to or leave ${one ? "it" : "them"} out)`;
}

/**
 * The note on the prices the labels and books read ("" when every symbol has total-return prices): a symbol
 * whose source gives neither adjusted closes (every `adjClose` equals its `close`) nor corporate actions (none
 * in `withActions`) is labelled and booked on raw prices, so its dividends are in no return (buy-and-hold's
 * neither) and a split would read as a move. Not said of the synthetic market (it pays no dividends).
 */
export function priceBasisNote(
  source: string,
  series: ReadonlyMap<string, Pick<SymbolSeries, "close" | "adjClose">>,
  withActions: ReadonlySet<string>,
): string {
  if (source === "synthetic") return "";
  const raw = [...series].filter(([sym, s]) =>
    !withActions.has(sym) && s.adjClose.every((a, i) => a === s.close[i])
  ).map(([sym]) => sym);
  if (!raw.length) return "";
  const all = raw.length === series.size, whose = raw.length === 1 ? "its" : "their";
  return `prices: the source gives ${
    all
      ? `${series.size === 1 ? "the one symbol" : `none of the ${series.size} symbols`} ${
        series.size === 1 ? "neither adjusted closes nor" : "adjusted closes or"
      } corporate actions`
      : `${raw.length} of the ${series.size} symbols (${
        fewOf(raw, 5)
      }) neither adjusted closes nor corporate actions`
  }, so ${whose} labels and backtests read raw prices: dividends are in no return (buy-and-hold's neither) and ` +
    `a split would read as a move (a source with an Adj Close column, or collected splits and dividends, gives ` +
    `total returns)`;
}

/**
 * The note naming the symbols with test rows no strategy could size ("" when none): a row the fitted system has
 * no volatility forecast for (a symbol listed after the fit's data, or too short a history then) is held at 0
 * by every strategy, while the baselines (buy-and-hold, always-long) hold the name from its first bar, so they
 * are compared over a wider universe on those days. The first five symbols with their counts and first date.
 */
export function untradableNote(p: Pick<SystemPredictions, "symbol" | "date" | "untradable">): string {
  const by = new Map<string, { n: number; of: number; first: IsoDate }>();
  for (let i = 0; i < p.symbol.length; i++) {
    const s = p.symbol[i];
    const e = by.get(s) ?? { n: 0, of: 0, first: "" };
    e.of++;
    if (p.untradable[i] !== null) {
      e.n++;
      if (e.first === "" || p.date[i] < e.first) e.first = p.date[i];
    }
    by.set(s, e);
  }
  const hit = [...by].filter(([, e]) => e.n > 0);
  if (!hit.length) return "";
  const one = hit.length === 1;
  return `test: ${fewOf(hit.map(([s, e]) => `${s} (${e.n} of ${e.of} rows from ${e.first})`), 5)} ` +
    `${
      one ? "has" : "have"
    } no volatility forecast from the fitted system (listed after its data, or too short ` +
    `a history then), so every strategy holds ${one ? "it" : "them"} at 0 there while buy-and-hold and ` +
    `always-long hold ${one ? "it" : "them"} (a refit on data that holds enough of ${
      one ? "its" : "their"
    } history can trade ${one ? "it" : "them"})`;
}

/**
 * The note on market-wide news ("" when the run has none, i.e. no `mkt_news_count_5` column): how many rows the
 * market-wide items of `files` reach within their 5-session window, or that none does (the `mkt_news_*` features
 * are then 0).
 */
export function marketNewsNote(
  ds: Pick<BuiltDataset, "featureNames" | "X" | "n">,
  files: readonly string[],
): string {
  const f = ds.featureNames.length, j = ds.featureNames.indexOf("mkt_news_count_5");
  if (j < 0 || !ds.n) return "";
  let reached = 0;
  for (let r = 0; r < ds.n; r++) if (ds.X[r * f + j] > 0) reached++;
  const from = `market news (${fewOf(files.map((p) => basename(p)), 3)})`;
  return reached
    ? `${from}: market-wide headlines reach ${reached} of ${ds.n} rows within 5 sessions (the mkt_news_* features)`
    : `${from}: no market-wide headline falls in these dates: the mkt_news_* features are 0`;
}

/**
 * The note saying that no news about the symbols reached the dataset ("" when some row counts news, or the
 * dataset has no news count feature): every per-symbol news count column (`news_count_1`, `news_count_5`) is 0
 * on every row, so those features are 0 whatever scorer ran. A csv source reads news only from the files
 * `--news-file` names (`csv`: whether it names some, `false` for another source); market-wide ones feed only
 * the `mkt_news_*` columns.
 */
export function noNewsNote(
  ds: Pick<BuiltDataset, "featureNames" | "X" | "n">,
  csv: "no-files" | "files" | false,
): string {
  const f = ds.featureNames.length;
  const cols = ds.featureNames.flatMap((name, j) => name.startsWith("news_count") ? [j] : []);
  if (!cols.length || !ds.n) return "";
  for (let r = 0; r < ds.n; r++) for (const j of cols) if (ds.X[r * f + j] > 0) return "";
  // with market-wide news (mkt_news_* columns) the per-symbol columns need a file with a symbol column
  const market = ds.featureNames.includes("mkt_news_count_1");
  return market
    ? "news: no news about these symbols reached any row: the per-symbol news features (news_*) are 0 (the " +
      "market-wide files feed only mkt_news_*; news about a symbol comes from a --news-file with a symbol column)"
    : "news: no news item reached any row for these symbols and dates: the news features are 0" +
      (csv === "no-files"
        ? " (the csv source reads news from --news-file FILE)"
        : csv === "files"
        ? " (the news files given hold none about them in the range)"
        : "");
}

/**
 * The note saying why the mixture of experts held nothing on any test day, when the cause is certain ("" else):
 * the gate's recalibration on the calibration window gave every expert a zero slope (it clips a negative one),
 * so the mixture's edge is the same for every name and a book that ranks or sizes by edge has nothing to act on;
 * the `expert:*` rows, each traded on its own edge, can still trade.
 */
export function flatMoeNote(
  backtests: ReadonlyMap<string, Pick<BacktestResult, "exposure">>,
  fit: Pick<WalkForwardResult, "folds"> & {
    system: Pick<FittedSystem, "expertNames" | "gateSpecialists">;
    predictions?: Pick<SystemPredictions, "date" | "edges">;
  },
): string {
  const moe = backtests.get("moe");
  if (!moe || moe.exposure.some((e) => e > 0)) return "";
  const { beta } = fit.system.gateSpecialists;
  const experts = fit.system.expertNames.join(", ");
  if (beta.length && beta.every((b) => b === 0)) {
    return `moe: held nothing on any test day: the gate's recalibration on the calibration window gave every ` +
      `expert (${experts}) a zero slope${fit.folds.length > 1 ? " in the last fit" : ""}` +
      `, so the mixture's edge is the same for every name (the expert rows trade each expert on its own edge)`;
  }
  // otherwise certain only when the test's edges themselves tell no name from another on any day (e.g. the news
  // expert alone without news: every score 0)
  const p = fit.predictions, edge = p?.edges.get("moe");
  if (!p || !edge || !sameEdgeEachDay(p.date, edge)) return "";
  const names = fit.system.expertNames;
  const zero = names.filter((_, k) => beta[k] === 0), kept = names.filter((_, k) => beta[k] !== 0);
  return `moe: held nothing on any test day: the mixture's edge was the same for every name on each day (` +
    (zero.length ? `the gate's recalibration gave ${zero.join(", ")} a zero slope; ` : "") +
    `${kept.join(", ")} told no name from another), so the book had nothing to rank`;
}

/** Whether every date's finite edges are all equal (true when there is none). */
function sameEdgeEachDay(date: readonly string[], edge: ArrayLike<number>): boolean {
  const first = new Map<string, number>();
  for (let i = 0; i < date.length; i++) {
    if (!Number.isFinite(edge[i])) continue;
    const e = first.get(date[i]);
    if (e === undefined) first.set(date[i], edge[i]);
    else if (e !== edge[i]) return false;
  }
  return true;
}

/**
 * Refuses a point-in-time universe whose membership spells leave a segment without any member (a `ConfigError`
 * naming the segment, the spells' span and the data's dates).
 */
export function checkMembersInSegments(
  file: string,
  members: readonly UniverseMember[],
  segments: Pick<SegmentSpec, "train" | "valid" | "test">,
  data: readonly [IsoDate, IsoDate],
): void {
  const named = [["train", segments.train], ["validation", segments.valid], ["test", segments.test]] as const;
  for (const [name, [a, b]] of named) {
    if (members.some((m) => m.from <= b && (m.to === null || m.to >= a))) continue;
    const first = members.reduce((x, m) => (m.from < x ? m.from : x), members[0].from);
    const last = members.some((m) => m.to === null)
      ? "on"
      : members.reduce((x, m) => (m.to! > x ? m.to! : x), members[0].to!);
    throw new ConfigError(
      `source.universe ${file}: no member in the ${name} segment ${a}..${b} (its spells run ${first}..${last}, ` +
        `the data ${data[0]}..${data[1]})`,
    );
  }
}

/** Runs every step and writes the report. */
export async function runPipeline(cfg: Config, opts: RunOptions): Promise<RunSummary> {
  const progress: Progress = createProgress({ quiet: opts.quiet });
  // the server stores' settings (files and environment) are checked before anything is read or written
  const storeCfg = opts.stores ? undefined : await storeConfigFor(cfg.dataDir, opts.backends ?? []);
  const source = opts.source ?? await sourceFromConfig(cfg);
  const spec = await specForSource(specFromConfig(cfg), source);
  // Fetch and validate first: bad input (including segments that do not fit the data, too little data for a
  // split by fractions, date segments too short, a news scorer that cannot be had) fails here, before any store
  // is opened or written.
  const { members, universe, leftOut, ...req } = await requestFor(cfg, source);
  const doneCollect = progress.start(`collect (${source.name})`);
  const fetched = await fetchAll(source, req, members);
  // a symbol without a bar in the range would fail only after the others were stored
  await checkEachHasBars(source, fetched.bars, req);
  // the source's own index and VIX when the config names them (checked here, before any store is opened)
  const marketBars = await fetchMarketBars(source, cfg.source.market, req.from, req.to);
  const sourceMarket = marketFromBars(cfg.source.market, marketBars, req.from, req.to);
  // holes in a symbol's bars (months of rows skipped) would be taken for consecutive sessions: long ones are
  // refused here, short ones said in the notes
  const holesNote = checkSessionCoverage(new Map([...fetched.bars, ...marketBars]), {
    market: marketSymbols(cfg.source.market),
  });
  // the sessions of the data the run uses (not the request's range, which may be 1990-01-01..today)
  const calendar = fetchedCalendar(fetched);
  const range = [calendar[0], calendar[calendar.length - 1]] as const;
  checkRequestedRange(cfg.source, range);
  const { segments, source: segmentSource } = resolveSegments(calendar, segmentChoice(cfg), {
    purge: spec.dataset.purge,
    embargo: spec.dataset.embargo,
    // date segments: each must hold enough sessions after the feature warm-up, purge and embargo
    warmup: featureWarmup(PIPELINE_FEATURE_SET),
    minSessions: MIN_SEGMENT_SESSIONS,
    minTrainSessions: MIN_TRAIN_SESSIONS,
  });
  if (segmentSource === "fractions") {
    checkEnoughData(fetchedSessions(fetched), { ...req, ...cfg.dataset, purge: spec.dataset.purge });
  }
  // a point-in-time universe must have members in every segment (spells that miss the data's dates left the
  // train segment without a row, found only after the bars were stored)
  if (members.length) checkMembersInSegments(cfg.source.universe!, members, segments, range);
  // a ranking portfolio (top-k, long-short) would never hold anything with fewer than 2 symbols that have rows
  const warmup = featureWarmup(PIPELINE_FEATURE_SET);
  const counts = barCounts(req.symbols, fetched);
  checkRowUniverse(spec, counts, warmup, range);
  // the news scorer is chosen (its model loaded) before any store is opened: `lm` without the model is refused
  const news = await newsScorerFor(cfg.news);
  try {
    const stores = opts.stores ?? await openStores(storeCfg!);
    try {
      const collected = await storeFetched(fetched, stores, progress);
      doneCollect();
      const segLine = segmentsLine(segments, segmentSource, spec);
      progress.note(segLine);
      // the source's series the config names; else a source with its own market context (the synthetic
      // market's index and VIX-like series, known at each close, unlike the real VIX printed at 16:15)
      const own = await ownMarketContext(source, cfg.source.market, req.symbols);
      const market = sourceMarket ?? own;
      const newsScorer = news.note;
      progress.note(newsScorer);
      // the dataset reads the stored bars of the sessions the source gave, not the request's range: a store
      // shared with an earlier run on another folder keeps that folder's bars outside this source's range, and
      // they would be spliced onto this run's series without a word
      const ds = await datasetStep(
        stores,
        spec,
        {
          ...req,
          from: range[0],
          to: range[1],
          symbols: collected.symbols,
          segments,
          market,
          universe,
          scorer: news.scorer,
          ...(cfg.source.kind === "csv"
            ? {
              newsFiles: cfg.source.newsFiles.map((f) => basename(f)),
              // the market-wide items are this run's own, not another file's of the same name
              marketNewsIds: new Set(fetched.news.filter((n) => !n.symbols?.length).map((n) => n.id)),
            }
            : {}),
        },
        progress,
      );
      const fit = await fitStep(spec, ds, progress);
      const signals = await signalStep(ds, fit.system, fit.predictions, stores, progress, req.symbols);
      const backtests = backtestStep(ds, fit.predictions, spec, progress);
      const reportPath = opts.reportPath ?? `${cfg.reportDir}/${opts.run}.html`;
      const notes = [
        inputNote(source, { ...req, symbols: [...req.symbols, ...marketSymbols(cfg.source.market)] }),
        holesNote,
        own ? OWN_MARKET_NOTE : marketNote(cfg.source.market),
        universeNote(source.name, collected.symbols.length, universe),
        priceBasisNote(
          source.name,
          ds.series,
          new Set(
            (await readRows(stores, "corporate_actions", { where: { symbol: [...ds.series.keys()] } })).map((
              r,
            ) => String(r.symbol)),
          ),
        ),
        leftOutNote(leftOut),
        noRowsNote(counts, ds, warmup, universe),
        untradableNote(fit.predictions),
        noNewsNote(ds, cfg.source.kind === "csv" && (cfg.source.newsFiles.length ? "files" : "no-files")),
        marketNewsNote(ds, await marketNewsFiles(source)),
        flatMoeNote(backtests, fit),
      ]
        .filter(Boolean);
      const dataLine = `data: ${range[0]}..${range[1]} (${calendar.length} sessions, ${source.name})`;
      const input = {
        notes,
        title: `fmai ${opts.run}: ${source.name}, ${collected.symbols.length} symbols`,
        subtitle: `${range[0]} .. ${range[1]}; generated ${new Date().toISOString()}`,
        ds,
        segmentsLine: segLine,
        fit,
        signals,
        backtests,
        timings: progress.timings,
      };
      const { report, summary, metrics } = buildReport(input);
      await writeReport(report, reportPath, stores, opts.run, progress);
      return {
        collect: collected,
        ds,
        segmentSource,
        fit,
        metrics,
        backtests,
        reportPath,
        summary: [dataLine, ...notes, summary].join("\n"),
        timings: progress.timings,
        newsScorer,
      };
    } finally {
      if (!opts.stores) await stores.close();
    }
  } finally {
    await news.release();
  }
}
