/**
 * The pure building blocks shared by the pipeline steps (`pipelines/steps/{train,combine,signal,backtest}.ts`)
 * and the evaluation sections: segment rows, trend model construction, level columns, expert scores and gate
 * conditions of the mixture of experts, ensemble fitting on validation, and the strategy backtests. One
 * implementation, so the pipeline and `deno task evaluate` measure the same thing.
 * @module
 */
import { backtest, type BacktestResult, buyAndHold, toPanel } from "../backtest/mod.ts";
import type { IsoDate } from "../core/mod.ts";
import { type Dataset, rowsOf, Segment, type SymbolSeries } from "../dataset/mod.ts";
import { createEnsemble, ENSEMBLE_METHODS } from "../ensemble/mod.ts";
import {
  createSequenceModel,
  GbdtModel,
  levelsForRows,
  LogisticModel,
  MajorityClassModel,
  MlpModel,
  MomentumModel,
  SEQUENCE_MODEL_NAMES,
  type SwingLevelModel,
  type TrendModel,
} from "../models/mod.ts";
import {
  levelExpertScores,
  MoeCombiner,
  type MoeInputs,
  type MoeOutput,
  trendExpertScores,
  volatilityExpertScores,
} from "../moe/mod.ts";
import {
  positionsFromScores,
  scoreScale,
  scoresFromProbs,
  type SizingOptions,
  standardizeScores,
} from "../signals/mod.ts";

/**
 * An equal-weight index of the universe itself (mean daily log return across the symbols trading that day,
 * cumulated): a market context known at each close, for sources without an index series.
 */
export function universeIndex(
  series: Map<string, SymbolSeries>,
): { dates: IsoDate[]; indexClose: Float64Array } {
  const sum = new Map<IsoDate, [number, number]>();
  for (const s of series.values()) {
    for (let i = 1; i < s.dates.length; i++) {
      const r = Math.log(s.close[i] / s.close[i - 1]);
      if (!Number.isFinite(r)) continue;
      const e = sum.get(s.dates[i]) ?? [0, 0];
      sum.set(s.dates[i], [e[0] + r, e[1] + 1]);
    }
  }
  const dates = [...new Set([...series.values()].flatMap((s) => s.dates))].sort();
  const indexClose = new Float64Array(dates.length);
  let level = 0;
  dates.forEach((d, i) => {
    const e = sum.get(d);
    if (e) level += e[0] / e[1];
    indexClose[i] = 100 * Math.exp(level);
  });
  return { dates, indexClose };
}

/** Train, validation and test rows. */
export function splitRows(ds: Dataset): { train: Int32Array; valid: Int32Array; test: Int32Array } {
  return {
    train: rowsOf(ds, Segment.TRAIN),
    valid: rowsOf(ds, Segment.VALID),
    test: rowsOf(ds, Segment.TEST),
  };
}

/** Trend model names {@link createTrendModel} knows: the feature-table models, then the sequence models. */
export const TREND_MODEL_NAMES: readonly string[] = [
  "majority",
  "momentum",
  "logistic",
  "mlp-tfjs",
  "gbdt",
  ...SEQUENCE_MODEL_NAMES,
];

/** Creates a trend model by name (`RangeError` for an unknown one). */
export function createTrendModel(name: string, seed: number): TrendModel {
  switch (name) {
    case "majority":
      return new MajorityClassModel();
    case "momentum":
      return new MomentumModel();
    case "logistic":
      return new LogisticModel();
    case "mlp-tfjs":
      return new MlpModel({ seed });
    case "gbdt":
      return new GbdtModel({ seed });
    default:
      if (SEQUENCE_MODEL_NAMES.includes(name)) return createSequenceModel(name, seed);
      throw new RangeError(`unknown trend model ${name}`);
  }
}

/** Trend labels of some rows. */
export function labelsOf(ds: Dataset, rows: Int32Array): Int8Array {
  return Int8Array.from(rows, (i) => ds.labels.trend[i]);
}

/** One feature column over some rows (NaN when the dataset lacks the feature). */
export function featureColumn(ds: Dataset, rows: Int32Array, name: string): Float64Array {
  const j = ds.featureNames.indexOf(name), f = ds.featureNames.length;
  return Float64Array.from(rows, (i) => (j < 0 ? NaN : ds.X[i * f + j]));
}

/** Closes of the decision sessions of some rows. */
export function closesOf(ds: Dataset, rows: Int32Array): Float64Array {
  return Float64Array.from(rows, (i) => ds.series.get(ds.symbol[i])!.close[ds.seriesIndex[i]]);
}

/** Support/resistance nearest to the close per row (NaN when none), with strengths. */
export interface LevelColumns {
  support: Float64Array;
  supportStrength: Float64Array;
  resistance: Float64Array;
  resistanceStrength: Float64Array;
}

/** The nearest support and resistance of a level model per row. */
export function levelColumns(ds: Dataset, rows: Int32Array, model: SwingLevelModel): LevelColumns {
  const n = rows.length;
  const out: LevelColumns = {
    support: new Float64Array(n).fill(NaN),
    supportStrength: new Float64Array(n).fill(NaN),
    resistance: new Float64Array(n).fill(NaN),
    resistanceStrength: new Float64Array(n).fill(NaN),
  };
  const preds = levelsForRows(model, ds, rows);
  for (let i = 0; i < n; i++) {
    const s = preds[i].supports[0], r = preds[i].resistances[0];
    if (s) [out.support[i], out.supportStrength[i]] = [s.price, s.strength];
    if (r) [out.resistance[i], out.resistanceStrength[i]] = [r.price, r.strength];
  }
  return out;
}

/** Market-condition features the gate sees, when the feature set has them. */
export const GATE_CONDITIONS = ["vol_20", "vol_60", "ret_20", "ret_60", "adx_14", "rank_vol_20"];

/** Expert scores per row: trend (soft vote of the trend models), level, volatility. */
export function expertScores(
  ds: Dataset,
  rows: Int32Array,
  trendProbs: Float64Array[],
  levels: LevelColumns,
  forecastVar: Float64Array,
): Float64Array[] {
  const soft = createEnsemble("soft");
  const trend = trendExpertScores(soft.combine(trendProbs));
  const dailyVol = forecastVar.map(Math.sqrt);
  const level = levelExpertScores({ close: closesOf(ds, rows), ...levels, dailyVol });
  const ref = featureColumn(ds, rows, ds.featureNames.includes("vol_60") ? "vol_60" : "vol_20");
  const vol = volatilityExpertScores(dailyVol, ref);
  return [trend, level, vol];
}

/** The gate's condition matrix (row-major `rows x names`). */
export function gateConditions(ds: Dataset, rows: Int32Array, names: readonly string[]): Float64Array {
  const f = ds.featureNames.length, m = names.length, idx = names.map((c) => ds.featureNames.indexOf(c));
  const out = new Float64Array(rows.length * m);
  rows.forEach((r, i) => idx.forEach((j, k) => (out[i * m + k] = ds.X[r * f + j])));
  return out;
}

/** Validation and test inputs of the experts. */
export interface ExpertInputs {
  rows: { valid: Int32Array; test: Int32Array };
  trendProbs: { valid: Float64Array[]; test: Float64Array[] };
  levels: { valid: LevelColumns; test: LevelColumns };
  forecastVar: { valid: Float64Array; test: Float64Array };
}

/** The six ensemble methods fitted on the validation probabilities, combining the test probabilities. */
export function fitEnsembles(
  ds: Dataset,
  validRows: Int32Array,
  valProbs: Float64Array[],
  testProbs: Float64Array[],
): { name: string; validProbs: Float64Array; testProbs: Float64Array }[] {
  const valLabels = labelsOf(ds, validRows);
  return ENSEMBLE_METHODS.map(({ name, create }) => {
    const m = create();
    m.fit(valProbs, valLabels);
    return { name, validProbs: m.combine(valProbs), testProbs: m.combine(testProbs) };
  });
}

/** The mixture of experts fitted on validation (target: the traded open t+1 -> open t+2 return), applied to validation and test. */
export function fitMoe(
  ds: Dataset,
  x: ExpertInputs,
): {
  valid: MoeOutput;
  test: MoeOutput;
  conditionNames: string[];
  inputs: { valid: MoeInputs; test: MoeInputs };
} {
  const conditionNames = GATE_CONDITIONS.filter((c) => ds.featureNames.includes(c));
  const moe = new MoeCombiner(conditionNames);
  const validIn: MoeInputs = {
    expertScores: expertScores(ds, x.rows.valid, x.trendProbs.valid, x.levels.valid, x.forecastVar.valid),
    conditions: gateConditions(ds, x.rows.valid, conditionNames),
  };
  // the gate learns on the return the signals actually earn: next open to the open after (fills at t+1 open)
  moe.fit(validIn, Float64Array.from(x.rows.valid, (i) => ds.labels.fwdOpenReturn[i]));
  const testIn: MoeInputs = {
    expertScores: expertScores(ds, x.rows.test, x.trendProbs.test, x.levels.test, x.forecastVar.test),
    conditions: gateConditions(ds, x.rows.test, conditionNames),
  };
  return {
    valid: moe.predict(validIn),
    test: moe.predict(testIn),
    conditionNames,
    inputs: { valid: validIn, test: testIn },
  };
}

/** Annualized volatility from a daily variance forecast. */
export function annualVol(dailyVar: Float64Array): Float64Array {
  return dailyVar.map((v) => Math.sqrt(v * 252));
}

/**
 * A strategy to simulate: per row, a directional score in [-1, 1], standardized by the typical magnitude of the
 * same strategy's scores on the validation segment (`scoreScale`), so every strategy meets the same dead band.
 */
export interface Strategy {
  name: string;
  score: Float64Array;
}

/** A strategy from raw test scores and the same strategy's validation scores (for the scale). */
export function scoredStrategy(name: string, testScore: Float64Array, validScore: Float64Array): Strategy {
  return { name, score: standardizeScores(testScore, scoreScale(validScore)) };
}

/** Strategy scores from class probabilities (`P(up) - P(down)`), standardized on the validation probabilities. */
export function probsStrategy(name: string, testProbs: Float64Array, validProbs: Float64Array): Strategy {
  return scoredStrategy(name, scoresFromProbs(testProbs), scoresFromProbs(validProbs));
}

/**
 * Simulates each strategy over `rows` (decided at the close of t, filled at the open of t+1, earning
 * `fwdOpenReturn`, `costBps` per side) plus the equal-weight buy-and-hold benchmark under `buy-and-hold`.
 */
export function backtestStrategies(
  ds: Dataset,
  rows: Int32Array,
  strategies: Strategy[],
  forecastVar: Float64Array,
  opts: { sizing: SizingOptions; costBps: number },
): Map<string, BacktestResult> {
  const symbol = Array.from(rows, (i) => ds.symbol[i]), date = Array.from(rows, (i) => ds.date[i]);
  const ret = toPanel(symbol, date, Float64Array.from(rows, (i) => ds.labels.fwdOpenReturn[i]));
  const axes = { dates: ret.dates, symbols: ret.symbols };
  const vol = annualVol(forecastVar);
  const out = new Map<string, BacktestResult>();
  for (const s of strategies) {
    const pos = toPanel(symbol, date, positionsFromScores(s.score, vol, opts.sizing), axes);
    out.set(
      s.name,
      backtest({ ...axes, positions: pos.values, returns: ret.values }, { costBps: opts.costBps }),
    );
  }
  out.set("buy-and-hold", buyAndHold({ ...axes, returns: ret.values }, { costBps: opts.costBps }));
  return out;
}
