/**
 * Step 2, dataset: bars and news read back from the stores, joined point in time into features and labels under
 * the segments the user chose (resolved against the data before any work, see `lib/workflow` resolveSegments).
 * @module
 */
import {
  closeTime,
  type CorporateAction,
  DataSourceError,
  fewOf,
  InputError,
  type IsoDate,
  type NewsItem,
  sessions,
  type UniverseMember,
} from "@lib/core/mod.ts";
import { DEFAULT_FEATURE_SET, type FeatureSet, featureSetFor, featureWarmup } from "@lib/features/mod.ts";
import {
  type BuiltDataset,
  type MarketInput,
  type SegmentSpec,
  type SymbolSeries,
  syntheticMarketContext,
  toSeries,
} from "@lib/dataset/mod.ts";
import { resolveSegments, type SegmentChoice, systemDataset, type SystemSpec } from "@lib/workflow/mod.ts";
import { rowToAction, rowToBar, rowToMember, type Stores } from "@lib/store/mod.ts";
import { readRows } from "../stores.ts";
import { GARCH_MIN_RETURNS, type ScoredNews, scoreNews, type SentimentScorer } from "@lib/models/mod.ts";
import type { Progress } from "../progress.ts";
import { NEWS_COLLECTION } from "../collect/mod.ts";

import { LABEL_HORIZON } from "../config.ts";
import { basename } from "node:path";
export { LABEL_HORIZON };

/** Options of the dataset step. */
export interface DatasetStepOptions {
  symbols: string[];
  from: IsoDate;
  to: IsoDate;
  /**
   * The segments to build: already checked against the data (the pipeline resolves them before it opens a
   * store), or a user's choice resolved here against the stored sessions (`resolveSegments`).
   */
  segments: SegmentSpec | SegmentChoice;
  /**
   * Market context (index and VIX by date) when the source has one (the synthetic market's VIX-like series);
   * else the universe's own equal-weight index and a realized-volatility VIX stand-in.
   */
  market?: MarketInput;
  /** Scores each news item's text (cached in the documents store); the score is the item's sentiment. */
  scorer: SentimentScorer;
  /** Name of a point-in-time universe in the `universe_membership` table; unset = the fixed symbol list. */
  universe?: string;
  /**
   * First date of the stored history read before `from` for the features' warm-up (bars, corporate actions and
   * news from it on); rows still start at `from`: segments chosen by the user are resolved on the sessions from
   * `from` on. Unset (or not before `from`) = `from`.
   */
  historyFrom?: IsoDate;
  /**
   * Only read the stores: the news score cache is read, but scores computed here are not saved (an export only
   * reads a store). Default false: new scores are cached, as the research and daily runs do.
   */
  readOnly?: boolean;
  /**
   * The file names of the run's own news files (a csv source's `--news-file`s): the store's per-symbol items
   * from anywhere else (an earlier run's files, a collector) are joined as stored, and the step's note counts
   * them and names their sources, so a shared store never adds news without a word. Unset: not counted.
   */
  newsFiles?: readonly string[];
  /**
   * The ids of the market-wide items the run read from its own news files (the research run's read): a stored
   * market-wide item of another file with the same name (an earlier run's `a/news.csv` beside this run's
   * `b/news.csv`) is left out. Unset: the market-wide items are matched by file name alone.
   */
  marketNewsIds?: ReadonlySet<string>;
  /**
   * Say, in a note, which of `newsFiles` the store holds no item of in the dates read ({@link absentNewsNote}):
   * an export, which reads the store's news and not the files (a store restored from a Parquet folder holds
   * none). The research run collects its files just before, and says what reached the rows by its news notes.
   */
  noteAbsentNewsFiles?: boolean;
  /**
   * Whether the step ends with its summary note (rows, features, news items read); default true. False (an
   * export, which says its own rows): only the part on news from outside `newsFiles`, on a line of its own.
   */
  summary?: boolean;
}

/**
 * The part of the step's note on per-symbol news items that came from outside `files` (the run's own news
 * files): how many and from where (the first three sources). "" when none did.
 */
export function foreignNewsText(items: readonly NewsItem[], files: readonly string[]): string {
  const own = new Set(files);
  const from = new Map<string, number>();
  for (const n of items) {
    if (!n.symbols?.length || own.has(basename(String(n.source ?? "")))) continue;
    from.set(String(n.source), (from.get(String(n.source)) ?? 0) + 1);
  }
  if (!from.size) return "";
  const total = [...from.values()].reduce((a, b) => a + b, 0);
  const top = [...from].sort((a, b) => b[1] - a[1]).map(([src, k]) => `${src} ${k}`);
  return `; ${total} of them about these symbols come from outside this run's news files, stored earlier ` +
    `(${fewOf(top, 3)}): use another --store-dir to leave them out`;
}

/** What the sessions check needs: the fractions of a split and its purge and embargo. */
export interface SplitShape {
  trainFrac: number;
  validFrac: number;
  purge: number;
  embargo: number;
}

/** Reads one symbol's bars in `[from, to]` from the tables store. */
export async function loadSeries(
  stores: Stores,
  symbol: string,
  from: IsoDate,
  to: IsoDate,
): Promise<SymbolSeries> {
  const rows = await stores.tables.query("bars", {
    where: { symbol, date: { gte: from, lte: to } },
    orderBy: ["date"],
  });
  if (rows.length === 0) {
    throw new DataSourceError(`no stored bars for ${symbol} between ${from} and ${to}`, {
      source: "store",
      symbol,
    });
  }
  return toSeries(rows.map(rowToBar));
}

/** Sessions validation and test must each hold (after warm-up, purge and embargo). */
export const MIN_SEGMENT_SESSIONS = 20;

/** Sessions the train segment must hold (after warm-up): the GARCH volatility expert's fewest returns. */
export const MIN_TRAIN_SESSIONS = Math.max(MIN_SEGMENT_SESSIONS, GARCH_MIN_RETURNS);

/**
 * How many sessions a run on fractions of the dates needs: the feature set's warm-up inside the train part,
 * at least {@linkcode MIN_TRAIN_SESSIONS} usable train sessions and {@linkcode MIN_SEGMENT_SESSIONS} in each of
 * validation and test after purge and embargo.
 */
export function sessionsNeeded(
  o: SplitShape,
  set: FeatureSet = PIPELINE_FEATURE_SET,
): number {
  const purge = Math.max(o.purge, LABEL_HORIZON);
  const testFrac = 1 - o.trainFrac - o.validFrac;
  const gap = purge + o.embargo;
  return Math.ceil(Math.max(
    (featureWarmup(set) + MIN_TRAIN_SESSIONS + purge) / o.trainFrac,
    (MIN_SEGMENT_SESSIONS + gap) / o.validFrac,
    (MIN_SEGMENT_SESSIONS + gap) / testFrac,
  ));
}

/**
 * Refuses, before any store is opened, a request whose data is too short to train and test on: an
 * `InputError` saying how many sessions there are and how many are needed. `dates` are the sessions the
 * source returned (all symbols together).
 */
export function checkEnoughData(
  dates: readonly IsoDate[],
  o: SplitShape & { from: IsoDate; to: IsoDate },
): void {
  const need = sessionsNeeded(o);
  if (dates.length >= need) return;
  const first = dates[0] ?? o.from, last = dates[dates.length - 1] ?? o.to;
  throw new InputError(
    `too little data to train: ${dates.length} sessions (${first}..${last}); the pipeline needs at least ${need} ` +
      `(${
        featureWarmup(PIPELINE_FEATURE_SET)
      } of feature warm-up, then ${MIN_TRAIN_SESSIONS} or more in train and ${MIN_SEGMENT_SESSIONS} in each of ` +
      `valid/test at trainFrac ${o.trainFrac}, validFrac ${o.validFrac}, with purge and embargo): widen --from/--to`,
  );
}

/**
 * Most of its exchange sessions a symbol may miss between its first and last bar in a run's range before the run
 * is refused. The real data sets miss at most 1.4% (sp500-5yr-ohlcv: DHR and O 18 of 1259 sessions, ES 11;
 * us-index-etf-daily-yahoo: none; stocknet prices: PTR, REX, SNP 1 of 1258 each).
 */
export const MAX_MISSING_SHARE = 0.05;

/**
 * Longest run of consecutive missing sessions a symbol may have (about a month) before the run is refused. The
 * real data sets' longest is 10 (sp500-5yr-ohlcv: DHR, O and ES miss 2015-03-09..2015-03-20).
 */
export const MAX_GAP_SESSIONS = 20;

/** What one symbol's bars miss of the exchange calendar between its first and last bar. */
export interface SessionHoles {
  symbol: string;
  /** Exchange sessions from its first to its last bar in the range. */
  sessions: number;
  /** Of which without a bar. */
  missing: number;
  /** Longest run of consecutive missing sessions, and its first and last session (empty when none). */
  longestGap: number;
  gapFrom: IsoDate;
  gapTo: IsoDate;
}

/**
 * Each symbol's bars against the exchange calendar (`lib/core` `sessions`), counted between its first and last
 * bar only, so a symbol listed after the range starts or delisted before it ends has no hole for that. A bar on a
 * day the calendar has no session is not counted (old data has holidays the rules do not know: the rule-based
 * calendar is valid from 1971 on). Symbols without a hole are left out; the worst (most missing) first.
 */
export function sessionHoles(bars: ReadonlyMap<string, readonly { date: IsoDate }[]>): SessionHoles[] {
  const out: SessionHoles[] = [];
  for (const [symbol, list] of bars) {
    if (!list.length) continue;
    const have = new Set(list.map((b) => b.date));
    let first = list[0].date, last = first;
    for (const b of list) [first, last] = [b.date < first ? b.date : first, b.date > last ? b.date : last];
    const cal = sessions(first, last);
    let missing = 0, run = 0, longestGap = 0, gapFrom = "", gapTo = "";
    for (let i = 0; i < cal.length; i++) {
      if (have.has(cal[i])) {
        run = 0;
        continue;
      }
      missing++;
      if (++run > longestGap) [longestGap, gapFrom, gapTo] = [run, cal[i - run + 1], cal[i]];
    }
    if (missing) out.push({ symbol, sessions: cal.length, missing, longestGap, gapFrom, gapTo });
  }
  return out.sort((a, b) =>
    b.missing / b.sessions - a.missing / a.sessions || (a.symbol < b.symbol ? -1 : 1)
  );
}

function holeText(h: SessionHoles): string {
  const gap = h.longestGap === 1
    ? `1 session, ${h.gapFrom}`
    : `${h.longestGap} sessions, ${h.gapFrom}..${h.gapTo}`;
  return `${h.symbol} misses ${h.missing} of ${h.sessions} sessions (${
    (100 * h.missing / h.sessions).toFixed(1)
  }%; longest gap ${gap})`;
}

/**
 * Refuses, before any fitting, bars with holes the exchange calendar does not explain: an `InputError` naming
 * the first symbol (of the worst) that misses more than {@linkcode MAX_MISSING_SHARE} of its sessions or has a gap
 * longer than {@linkcode MAX_GAP_SESSIONS} sessions (returns and labels would span the hole as if it were one
 * session), with `o.remedy` (default: narrow `--from/--to` or leave the symbol out) or, for one of the `o.market`
 * series, another `--market`. Smaller holes are returned as one note line (`input: ...`, "" when there is none) for the summary and
 * the report.
 */
export function checkSessionCoverage(
  bars: ReadonlyMap<string, readonly { date: IsoDate }[]>,
  o: { market?: readonly string[]; remedy?: string } = {},
): string {
  const holes = sessionHoles(bars);
  const bad = holes.filter((h) =>
    h.missing > MAX_MISSING_SHARE * h.sessions || h.longestGap > MAX_GAP_SESSIONS
  );
  if (bad.length) {
    const more = bad.length > 1 ? ` (and ${bad.length - 1} more symbol${bad.length > 2 ? "s" : ""})` : "";
    // a market series is not a member of the universe: the remedy is another --market series (or none)
    const remedy = o.market?.includes(bad[0].symbol)
      ? "name a --market series (config source.market) that covers the range, or leave --market out"
      : o.remedy ?? "narrow --from/--to to a range the data covers or leave the symbol out";
    throw new InputError(
      `${holeText(bad[0])} between its first and last bar${more}: at most ${
        100 * MAX_MISSING_SHARE
      }% missing and no gap over ${MAX_GAP_SESSIONS} sessions, else returns and labels would span the holes; ` +
        remedy,
    );
  }
  if (!holes.length) return "";
  return `input: calendar: ${holes.length} symbol${holes.length === 1 ? "" : "s"} without a bar on some ` +
    `exchange sessions: ${fewOf(holes.map(holeText), 5)} ` +
    `(returns span the holes; refused above ${
      100 * MAX_MISSING_SHARE
    }% missing or a gap over ${MAX_GAP_SESSIONS} sessions)`;
}

/**
 * The pipeline's features: the default set with an index and a VIX series (the source's market context, or the
 * universe's own index and a realized-volatility VIX stand-in). Fixed by what the run is given, never by the
 * symbols' data, so neither the order of `--symbols` nor the test period changes it.
 */
export const PIPELINE_FEATURE_SET: FeatureSet = featureSetFor(DEFAULT_FEATURE_SET, {
  indexClose: true,
  vix: true,
});

/**
 * The system dataset of loaded inputs, built the same way for research runs and the production run: the market
 * context given (a source's own), else the universe's own equal-weight index (of total returns: splits and
 * dividends known by each close counted) and a VIX stand-in (its realized volatility), known at each close; the features of `featureSet` (default {@linkcode PIPELINE_FEATURE_SET}; a
 * loaded system passes its own). News items carry the sentiment of the run's scorer.
 */
export function datasetFrom(
  spec: SystemSpec,
  input: {
    series: Map<string, SymbolSeries>;
    news: readonly NewsItem[];
    actions: readonly CorporateAction[];
    membership?: readonly UniverseMember[];
  },
  segments: SegmentSpec,
  featureSet: FeatureSet = PIPELINE_FEATURE_SET,
  marketContext?: MarketInput,
): BuiltDataset {
  const market = marketContext ?? syntheticMarketContext(input.series, input.actions);
  return systemDataset(spec, { ...input, featureSet, market }, segments);
}

/**
 * The stored news a run joins: the items about `symbols`, and the market-wide ones (no symbols) read from the
 * files named in `marketFiles` (`spec.dataset.marketNews`; an item's `source` ends with its file's name), so an
 * earlier run's other market-wide files never reach this run's rows; with `marketIds` (the items the run read
 * from its own files), only those, so neither does another file of the same name.
 */
export function newsAbout(
  docs: readonly NewsItem[],
  symbols: ReadonlySet<string>,
  marketFiles: readonly string[] = [],
  marketIds?: ReadonlySet<string>,
): NewsItem[] {
  const files = new Set(marketFiles);
  return docs.filter((n) =>
    n.symbols?.some((s) => symbols.has(s)) ||
    (files.size > 0 && Array.isArray(n.symbols) && n.symbols.length === 0 &&
      files.has(basename(String(n.source ?? ""))) && (marketIds === undefined || marketIds.has(n.id)))
  );
}

/**
 * The line a run prints after scoring news: items scored and from the store's score cache, the distinct texts the
 * scorer saw (a repeated headline is scored once) and how many of them the machine's text memo answered.
 */
export function scoredNewsNote(scored: ScoredNews, scorerId: string): string {
  const ran = scored.texts - scored.memoHits;
  const rate = ran && scored.scoreMs > 0 ? ` at ${(ran / (scored.scoreMs / 1000)).toFixed(0)}/s` : "";
  return `${scored.items.length} news items: ${scored.scored} scored by ${scorerId}` +
    (scored.scored
      ? ` (${scored.texts} distinct texts: ${ran} run${rate}` +
        (scored.memoHits ? `, ${scored.memoHits} from this machine's memo of scores by text` : "") + ")"
      : "") +
    `, ${scored.cached} from the store's score cache`;
}

/**
 * The note naming the news files (`files`, names as stored items' sources end) of which `docs`, the store's news
 * in `from..to`, holds no item ("" when each has some): the news features they feed (`mkt_news_*` for the
 * market-wide files `marketFiles`, `news_*` for the others) are 0 there. A note, not a refusal, as a run where
 * no news reaches any row is ({@link noNewsNote} in `run.ts`).
 */
export function absentNewsNote(
  docs: readonly Record<string, unknown>[],
  files: readonly string[],
  from: string,
  to: string,
  marketFiles: readonly string[] = [],
): string {
  const held = new Set(docs.map((d) => basename(String(d.source ?? ""))));
  const absent = files.filter((f) => !held.has(f));
  if (!absent.length) return "";
  const market = absent.filter((f) => marketFiles.includes(f)).length;
  const cols = market === absent.length ? "mkt_news_*" : market ? "news_* and mkt_news_*" : "news_*";
  return `news: the store holds no item of ${fewOf(absent, 3)} (source.newsFiles) from ${from} to ${to}: ` +
    `the ${cols} features from ${absent.length === 1 ? "it" : "them"} are 0 (collect ${
      absent.length === 1 ? "it" : "them"
    } into the store: deno task collect --news-file FILE, or the research run with this config; a store ` +
    `restored from a Parquet folder holds no news, store:copy --to embedded:DIR copies it)`;
}

/** Builds the dataset for `o.symbols` from the stores, with the spec's labels and `o.segments`. */
export async function datasetStep(
  stores: Stores,
  spec: SystemSpec,
  o: DatasetStepOptions,
  progress?: Progress,
): Promise<BuiltDataset> {
  const done = progress?.start("dataset (point-in-time)");
  // the bars read: from the warm-up history when given; the rows' sessions: from `from` on
  const loadFrom = o.historyFrom !== undefined && o.historyFrom < o.from ? o.historyFrom : o.from;
  const series = new Map<string, SymbolSeries>();
  let i = 0;
  for (const s of o.symbols) {
    series.set(s, await loadSeries(stores, s, loadFrom, o.to));
    progress?.tick(++i, o.symbols.length, s);
  }
  const loaded = [...new Set([...series.values()].flatMap((s) => s.dates))].sort();
  const dates = loadFrom === o.from ? loaded : loaded.filter((d) => d >= o.from);
  const symbolSet = new Set(o.symbols);
  const docs = await stores.documents.find(NEWS_COLLECTION, {
    from: closeTime(loaded[0]) - 7 * 86_400_000,
    to: closeTime(loaded[loaded.length - 1]),
  });
  if (o.noteAbsentNewsFiles && o.newsFiles?.length && loaded.length) {
    const note = absentNewsNote(
      docs,
      o.newsFiles,
      loaded[0],
      loaded[loaded.length - 1],
      spec.dataset.marketNews,
    );
    if (note) progress?.note(note);
  }
  const raw = newsAbout(docs as unknown as NewsItem[], symbolSet, spec.dataset.marketNews, o.marketNewsIds);
  const scoring = progress?.start(`news scoring (${o.scorer.id})`);
  const scored = await scoreNews(raw, o.scorer, stores.documents, {
    onProgress: (d, t) => progress?.tick(d, t, "headlines"),
    readOnly: o.readOnly === true,
  });
  scoring?.();
  const news = scored.items;
  progress?.note(scoredNewsNote(scored, o.scorer.id));
  const actionRows = await readRows(stores, "corporate_actions", {
    where: { symbol: o.symbols, date: { gte: loadFrom, lte: o.to } },
  });
  const membership = o.universe
    ? (await stores.tables.query("universe_membership", { where: { universe: o.universe } })).map(rowToMember)
    : undefined;
  if (membership && membership.length === 0) {
    throw new InputError(`universe ${o.universe}: no membership rows in the store`);
  }
  const ds = datasetFrom(
    spec,
    { membership, series, news, actions: actionRows.map(rowToAction) },
    "purge" in o.segments ? o.segments : resolveSegments(dates, o.segments, spec.dataset).segments,
    PIPELINE_FEATURE_SET,
    o.market,
  );
  done?.();
  const foreign = o.newsFiles ? foreignNewsText(news, o.newsFiles) : "";
  if (o.summary !== false) {
    progress?.note(
      `${ds.n} rows x ${ds.featureNames.length} features, ${news.length} news items read${foreign}`,
    );
  } else if (foreign) progress?.note(`news: ${news.length} items read${foreign}`);
  return ds;
}
