/**
 * Step 2, dataset: bars and news read back from the stores, joined point in time into features and labels under
 * the segments the user chose (resolved against the data before any work, see `lib/workflow` resolveSegments).
 * @module
 */
import {
  closeTime,
  type CorporateAction,
  DataSourceError,
  type IsoDate,
  type NewsItem,
} from "@lib/core/mod.ts";
import { computeFeatures, DEFAULT_FEATURE_SET, type FeatureSet } from "@lib/features/mod.ts";
import {
  type BuiltDataset,
  type MarketInput,
  type SegmentSpec,
  type SymbolSeries,
  syntheticMarketContext,
  toSeries,
} from "@lib/dataset/mod.ts";
import { rowToAction, rowToBar, type Stores } from "@lib/store/mod.ts";
import { systemDataset, type SystemSpec } from "@lib/workflow/mod.ts";
import type { Progress } from "../progress.ts";
import { NEWS_COLLECTION } from "../collect/mod.ts";

/** Options of the dataset step. */
export interface DatasetStepOptions {
  symbols: string[];
  from: IsoDate;
  to: IsoDate;
  /** The segments to build (already checked against the data). */
  segments: SegmentSpec;
  /**
   * Market context (index and VIX by date) when the source has one (the synthetic market's VIX-like series);
   * else the universe's own equal-weight index and a realized-volatility VIX stand-in.
   */
  market?: MarketInput;
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

/**
 * The features of `set` that can be computed with the context at hand (e.g. without a VIX series the VIX
 * features are dropped): a feature that is NaN everywhere on a sample series is left out.
 */
export function usableFeatureSet(set: FeatureSet, sample: SymbolSeries, market: MarketInput): FeatureSet {
  const n = sample.dates.length;
  const at = new Map(market.dates.map((d, i) => [d, i]));
  const pick = (v?: Float64Array) => v && Float64Array.from(sample.dates, (d) => v[at.get(d) ?? -1] ?? NaN);
  const cols = computeFeatures(set, sample, { indexClose: pick(market.indexClose), vix: pick(market.vix) });
  const keep = set.features.filter((_, j) => cols[j].some((v, i) => i < n && Number.isFinite(v)));
  return keep.length === set.features.length
    ? set
    : { ...set, version: `${set.version}-ctx`, features: keep };
}

/**
 * The system dataset of loaded inputs, built the same way for research runs and the production run: the market
 * context given (a source's own), else the universe's own equal-weight index and a VIX stand-in (its realized
 * volatility), known at each close; the features of `featureSet` (default: those of the default set the context
 * allows).
 */
export function datasetFrom(
  spec: SystemSpec,
  input: {
    series: Map<string, SymbolSeries>;
    news: readonly NewsItem[];
    actions: readonly CorporateAction[];
  },
  segments: SegmentSpec,
  featureSet?: FeatureSet,
  marketContext?: MarketInput,
): BuiltDataset {
  const market = marketContext ?? syntheticMarketContext(input.series);
  const fs = featureSet ?? usableFeatureSet(DEFAULT_FEATURE_SET, input.series.values().next().value!, market);
  return systemDataset(spec, { ...input, featureSet: fs, market }, segments);
}

/** Builds the dataset for `o.symbols` from the stores, with the spec's labels and `o.segments`. */
export async function datasetStep(
  stores: Stores,
  spec: SystemSpec,
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
  const news = (docs as unknown as NewsItem[]).filter((n) => n.symbols?.some((s) => symbolSet.has(s)));
  const actionRows = await stores.tables.query("corporate_actions", {
    where: { symbol: o.symbols, date: { gte: o.from, lte: o.to } },
  });
  // the source's market context, else the universe's own equal-weight index and a VIX stand-in
  const ds = datasetFrom(
    spec,
    { series, news, actions: actionRows.map(rowToAction) },
    o.segments,
    undefined,
    o.market,
  );
  done?.();
  progress?.note(`${ds.n} rows x ${ds.featureNames.length} features, ${news.length} news items joined`);
  return ds;
}
