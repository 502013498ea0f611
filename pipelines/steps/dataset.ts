/**
 * Step 2, dataset: bars and news read back from the stores, joined point in time into features and labels with
 * walk-forward segments (the protocol's segments when the data covers them).
 * @module
 */
import { closeTime, DataSourceError, type IsoDate, type NewsItem } from "@lib/core/mod.ts";
import { computeFeatures, DEFAULT_FEATURE_SET, type FeatureSet } from "@lib/features/mod.ts";
import {
  buildDataset,
  type BuiltDataset,
  segmentsFor,
  type SegmentSpec,
  type SymbolSeries,
  toSeries,
  TREND_SEGMENTS,
} from "@lib/dataset/mod.ts";
import { universeIndex } from "@lib/evaluate/mod.ts";
import { rowToAction, rowToBar, type Stores } from "@lib/store/mod.ts";
import { scoreNews, type SentimentScorer } from "@lib/models/mod.ts";
import type { Progress } from "../progress.ts";
import { NEWS_COLLECTION } from "../collect/mod.ts";

/** Longest label the pipeline trades on: `fwdOpenReturn` spans the opens of t+1 and t+2. */
export const LABEL_HORIZON = 2;

/** Options of the dataset step. */
export interface DatasetStepOptions {
  symbols: string[];
  from: IsoDate;
  to: IsoDate;
  neutralK: number;
  trainFrac: number;
  validFrac: number;
  purge: number;
  embargo: number;
  /** Scores each news item's text (cached in the documents store); the score is the item's sentiment. */
  scorer: SentimentScorer;
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

/** The protocol's trend segments when the data covers them, else fractions of the sessions. */
export function chooseSegments(dates: IsoDate[], o: DatasetStepOptions): SegmentSpec {
  const first = dates[0], last = dates[dates.length - 1];
  if (first <= TREND_SEGMENTS.train[0] && last >= TREND_SEGMENTS.test[1]) {
    return { ...TREND_SEGMENTS, purge: Math.max(o.purge, LABEL_HORIZON), embargo: o.embargo };
  }
  return segmentsFor(dates, {
    trainFrac: o.trainFrac,
    validFrac: o.validFrac,
    purge: Math.max(o.purge, LABEL_HORIZON),
    embargo: o.embargo,
  });
}

/**
 * The features of `set` that can be computed with the context at hand (e.g. without a VIX series the VIX
 * features are dropped): a feature that is NaN everywhere on a sample series is left out.
 */
export function usableFeatureSet(set: FeatureSet, sample: SymbolSeries, hasIndex: boolean): FeatureSet {
  const n = sample.dates.length;
  const ctx = hasIndex ? { indexClose: sample.close } : {};
  const cols = computeFeatures(set, sample, ctx);
  const keep = set.features.filter((_, j) => cols[j].some((v, i) => i < n && Number.isFinite(v)));
  return keep.length === set.features.length
    ? set
    : { ...set, version: `${set.version}-ctx`, features: keep };
}

/** Builds the dataset for `o.symbols` from the stores. */
export async function datasetStep(
  stores: Stores,
  o: DatasetStepOptions,
  progress?: Progress,
): Promise<BuiltDataset> {
  const done = progress?.start("dataset (point-in-time)");
  const series = new Map<string, SymbolSeries>();
  let i = 0;
  for (const s of o.symbols) {
    series.set(s, await loadSeries(stores, s, o.from, o.to));
    progress?.tick(++i, o.symbols.length, s);
  }
  const dates = [...new Set([...series.values()].flatMap((s) => s.dates))].sort();
  const symbolSet = new Set(o.symbols);
  const docs = await stores.documents.find(NEWS_COLLECTION, {
    from: closeTime(dates[0]) - 7 * 86_400_000,
    to: closeTime(dates[dates.length - 1]),
  });
  const raw = (docs as unknown as NewsItem[]).filter((n) => n.symbols?.some((s) => symbolSet.has(s)));
  const scoring = progress?.start(`news scoring (${o.scorer.id})`);
  const scored = await scoreNews(raw, o.scorer, stores.documents, {
    onProgress: (d, t) => progress?.tick(d, t, "headlines"),
  });
  scoring?.();
  const news = scored.items;
  progress?.note(
    `${news.length} news items: ${scored.scored} scored by ${o.scorer.id}` +
      (scored.scored ? ` (${(scored.scored / (scored.scoreMs / 1000)).toFixed(0)}/s)` : "") +
      `, ${scored.cached} from the score cache`,
  );
  const actionRows = await stores.tables.query("corporate_actions", {
    where: { symbol: o.symbols, date: { gte: o.from, lte: o.to } },
  });
  const market = universeIndex(series);
  const featureSet = usableFeatureSet(DEFAULT_FEATURE_SET, series.values().next().value!, true);
  const ds = buildDataset({
    series,
    featureSet,
    market,
    news,
    actions: actionRows.map(rowToAction),
    segments: chooseSegments(dates, o),
    neutralK: o.neutralK,
    labelHorizon: LABEL_HORIZON,
  });
  done?.();
  progress?.note(`${ds.n} rows x ${ds.featureNames.length} features, ${news.length} news items joined`);
  return ds;
}
