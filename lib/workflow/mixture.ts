/**
 * The mixture of calibrated experts inside a system: each expert's raw score per row (lib/moe experts), the
 * day-level market conditions the gate sees (lib/moe `marketConditions` on the dataset's bars, index and VIX joined
 * by their publication times, plus each expert's recent reliability from outcomes already realized), and the day
 * index that joins them.
 * @module
 */
import { closeTime, type IsoDate } from "../core/mod.ts";
import { asOfIndex, type Dataset, featureColumn } from "../dataset/mod.ts";
import {
  expertReliability,
  levelBounceScores,
  MARKET_EXPERT,
  type MarketConditions,
  marketConditions,
  marketExpertScores,
  momentumExpertScores,
  newsExpertScores,
  reversalExpertScores,
  withColumns,
} from "../moe/mod.ts";
import { type LevelBounceModel, levelRowFeatures, type SwingLevelModel } from "../models/mod.ts";
import { EXPERT_CHOICES } from "./spec.ts";

/** Window (decision days) and lag of the experts' reliability the gate sees. */
export const RELIABILITY = { window: 20, lag: 2 } as const;

/** Inputs of the raw expert scores of some rows. */
export interface ExpertScoreInput {
  ds: Dataset;
  rows: Int32Array;
  /** Calibrated trend probabilities `n x 3` (for `trend`). */
  trendProbs: Float64Array;
  /** Calibrated forecast daily sd per row. */
  dailyVol: Float64Array;
  /** Level detector and the learned bounce/break model (for `level`). */
  levels: { detector: SwingLevelModel; bounce: LevelBounceModel } | null;
}

/** Raw score of one expert per row (positive = bullish); calibration turns it into an edge. */
export function rawExpertScores(name: string, x: ExpertScoreInput): Float64Array {
  const { ds, rows } = x;
  const col = (f: string) => featureColumn(ds, rows, f);
  switch (name) {
    case "trend": {
      const p = x.trendProbs, n = rows.length;
      return Float64Array.from({ length: n }, (_, i) => p[3 * i + 2] - p[3 * i]);
    }
    case "level": {
      if (!x.levels) throw new RangeError("level expert without a fitted bounce model");
      const { detector, bounce } = x.levels;
      return levelBounceScores(
        bounce,
        Array.from(rows, (i) => levelRowFeatures(detector, ds.series.get(ds.symbol[i])!, ds.seriesIndex[i])),
      );
    }
    case MARKET_EXPERT:
      return marketExpertScores(x.dailyVol);
    case "reversal":
      return reversalExpertScores(col("ret_5"), x.dailyVol);
    case "momentum":
      return momentumExpertScores(col("ret_60"), col("ret_5"), x.dailyVol);
    case "news":
      return newsExpertScores({ sentiment: col("news_sent_decay"), count: col("news_count_5") });
    default:
      throw new RangeError(`unknown expert ${name} (known: ${EXPERT_CHOICES.join(", ")})`);
  }
}

const conditionCache = new WeakMap<object, WeakMap<object, MarketConditions>>();
const NO_MARKET = {};

/**
 * Decision instant of each of `dates`: the one the dataset's rows of that date carry (`ds.decisionTime`, the
 * builder's rule), the close of the session for a date without a row (a warm-up session before the first row).
 */
export function dateDecisionTimes(
  ds: Pick<Dataset, "date" | "decisionTime">,
  dates: readonly IsoDate[],
): Float64Array {
  const byDate = new Map<IsoDate, number>();
  for (let i = 0; i < ds.date.length; i++) {
    if (!byDate.has(ds.date[i])) byDate.set(ds.date[i], ds.decisionTime[i]);
  }
  return Float64Array.from(dates, (d) => byDate.get(d) ?? closeTime(d));
}

/**
 * A market series as of each decision time, by its own publication times (the dataset builder's join,
 * `asOfIndex` on `knownAt <= decisionTime`): the value of the last entry already public at each decision, NaN
 * before the first. `knownAt` must be ascending.
 */
export function marketAsOf(
  values: Float64Array,
  knownAt: Float64Array,
  decisionTimes: Float64Array,
): Float64Array {
  return Float64Array.from(decisionTimes, (t) => {
    const k = asOfIndex(knownAt, t);
    return k >= 0 ? values[k] : NaN;
  });
}

/**
 * Market conditions of every session of a dataset's bars (lib/moe `marketConditions`: VIX level and change,
 * index trend and volatility, cross-sectional dispersion and breadth), each known at that session's decision
 * time. The index and VIX come from the dataset's market context, joined as the dataset builder joins them: by
 * each series' own publication times (`market.knownAt`, default the decision time of its date; `vixKnownAt`,
 * 16:15 New York for the real VIX), so at the 16:00 decision of `t` the VIX of `t-1` is used. Without a market
 * context those columns are NaN. Dispersion and breadth come from the bars' closes (each known at its close).
 * Cached per dataset bars and market context (fold views share them).
 */
export function datasetConditions(ds: Dataset): MarketConditions {
  const m = ds.market;
  const byMarket = conditionCache.get(ds.series);
  const hit = byMarket?.get(m ?? NO_MARKET);
  if (hit) return hit;
  const days = new Set<IsoDate>();
  for (const s of ds.series.values()) for (const d of s.dates) days.add(d);
  const dates = [...days].sort();
  const symbols = [...ds.series.keys()];
  const T = dates.length, S = symbols.length;
  const di = new Map(dates.map((d, t) => [d, t]));
  const close = new Float64Array(T * S).fill(NaN);
  symbols.forEach((sym, s) => {
    const ser = ds.series.get(sym)!;
    for (let k = 0; k < ser.dates.length; k++) close[di.get(ser.dates[k])! * S + s] = ser.close[k];
  });
  let indexClose: Float64Array | undefined, vix: Float64Array | undefined;
  if (m) {
    // the builder resolved and checked the publication times (`Dataset.market`); anything else is not a dataset
    if (!m.knownAt || (m.vix && !m.vixKnownAt)) {
      throw new TypeError(
        "datasetConditions: the market context has no publication times (build it with buildDataset)",
      );
    }
    const dt = dateDecisionTimes(ds, dates);
    if (m.indexClose) indexClose = marketAsOf(m.indexClose, m.knownAt, dt);
    if (m.vix) vix = marketAsOf(m.vix, m.vixKnownAt!, dt);
  }
  const c = marketConditions({ dates, symbols, close, indexClose, vix });
  if (byMarket) byMarket.set(m ?? NO_MARKET, c);
  else conditionCache.set(ds.series, new WeakMap([[m ?? NO_MARKET, c]]));
  return c;
}

/** Rows of the conditions table (by date) with the day index of each row. */
export interface DayIndex {
  /** Distinct decision dates, ascending. */
  dates: IsoDate[];
  /** Day index of each row into `dates`. */
  rowDay: Int32Array;
}

/** Day index of rows (by their dates). */
export function dayIndex(date: readonly IsoDate[]): DayIndex {
  const dates = [...new Set(date)].sort();
  const at = new Map(dates.map((d, t) => [d, t]));
  return { dates, rowDay: Int32Array.from(date, (d) => at.get(d)!) };
}

/**
 * The gate's inputs per day: the market conditions of `days` and each expert's reliability over the previous
 * {@link RELIABILITY} window of decision days (edges `e`, standardized outcomes `z` of the rows; an outcome counts
 * only from the close two sessions after its decision). Row-major `days x (conditions + experts)`.
 */
export function gateConditions(
  all: MarketConditions,
  idx: DayIndex,
  expertNames: readonly string[],
  edges: readonly Float64Array[],
  z: Float64Array,
): MarketConditions {
  const at = new Map(all.dates.map((d, t) => [d, t]));
  const m = all.names.length, T = idx.dates.length;
  const values = new Float64Array(T * m).fill(NaN);
  idx.dates.forEach((d, t) => {
    const k = at.get(d);
    if (k !== undefined) values.set(all.values.subarray(k * m, k * m + m), t * m);
  });
  const rel = expertReliability(idx.rowDay, edges, z, T, RELIABILITY);
  return withColumns(
    { dates: idx.dates, names: [...all.names], values },
    expertNames.map((n) => `reliability_${n}`),
    rel,
  );
}
