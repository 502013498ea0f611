/**
 * Step 4, combine: the six ensemble methods fitted on the validation predictions, and the mixture of experts
 * whose gate weighs the trend, level and volatility experts by market conditions (fitted on validation too).
 * @module
 */
import type { BuiltDataset } from "@lib/dataset/mod.ts";
import { createEnsemble, ENSEMBLE_METHODS } from "@lib/ensemble/mod.ts";
import {
  levelExpertScores,
  MoeCombiner,
  type MoeOutput,
  trendExpertScores,
  volatilityExpertScores,
} from "@lib/moe/mod.ts";
import type { Progress } from "../progress.ts";
import type { LevelColumns, TrainResult } from "./train.ts";

/** Market-condition features the gate sees, when the feature set has them. */
export const GATE_CONDITIONS = ["vol_20", "vol_60", "ret_20", "ret_60", "adx_14", "rank_vol_20"];

/** What the combine step produces. */
export interface CombineResult {
  ensembles: { name: string; testProbs: Float64Array }[];
  moe: { valid: MoeOutput; test: MoeOutput; conditionNames: string[] };
}

function labelsOf(ds: BuiltDataset, rows: Int32Array): Int8Array {
  return Int8Array.from(rows, (i) => ds.labels.trend[i]);
}

function column(ds: BuiltDataset, rows: Int32Array, name: string): Float64Array {
  const j = ds.featureNames.indexOf(name), f = ds.featureNames.length;
  return Float64Array.from(rows, (i) => (j < 0 ? NaN : ds.X[i * f + j]));
}

function closes(ds: BuiltDataset, rows: Int32Array): Float64Array {
  return Float64Array.from(rows, (i) => ds.series.get(ds.symbol[i])!.close[ds.seriesIndex[i]]);
}

/** Expert scores per row: trend (soft vote of the trend models), level, volatility. */
export function expertScores(
  ds: BuiltDataset,
  rows: Int32Array,
  trendProbs: Float64Array[],
  levels: LevelColumns,
  forecastVar: Float64Array,
): Float64Array[] {
  const soft = createEnsemble("soft");
  const trend = trendExpertScores(soft.combine(trendProbs));
  const dailyVol = forecastVar.map(Math.sqrt);
  const level = levelExpertScores({ close: closes(ds, rows), ...levels, dailyVol });
  const ref = column(ds, rows, ds.featureNames.includes("vol_60") ? "vol_60" : "vol_20");
  const vol = volatilityExpertScores(dailyVol, ref);
  return [trend, level, vol];
}

/** Fits the ensembles and the mixture of experts on validation; combines the test predictions. */
export function combineStep(ds: BuiltDataset, tr: TrainResult, progress?: Progress): CombineResult {
  let done = progress?.start("ensembles (6 methods)");
  const valLabels = labelsOf(ds, tr.rows.valid);
  const valProbs = tr.trend.map((t) => t.valProbs), testProbs = tr.trend.map((t) => t.testProbs);
  const ensembles = ENSEMBLE_METHODS.map(({ name, create }) => {
    const m = create();
    m.fit(valProbs, valLabels);
    return { name, testProbs: m.combine(testProbs) };
  });
  done?.();
  done = progress?.start("mixture of experts (gate)");
  const conditionNames = GATE_CONDITIONS.filter((c) => ds.featureNames.includes(c));
  const conditions = (rows: Int32Array) => {
    const f = ds.featureNames.length,
      m = conditionNames.length,
      idx = conditionNames.map((c) => ds.featureNames.indexOf(c));
    const out = new Float64Array(rows.length * m);
    rows.forEach((r, i) => idx.forEach((j, k) => (out[i * m + k] = ds.X[r * f + j])));
    return out;
  };
  const moe = new MoeCombiner(conditionNames);
  const validIn = {
    expertScores: expertScores(ds, tr.rows.valid, valProbs, tr.levels.valid, tr.vol.valid),
    conditions: conditions(tr.rows.valid),
  };
  moe.fit(validIn, Float64Array.from(tr.rows.valid, (i) => ds.labels.fwdReturn[i]));
  const testIn = {
    expertScores: expertScores(ds, tr.rows.test, testProbs, tr.levels.test, tr.vol.test),
    conditions: conditions(tr.rows.test),
  };
  const out = { ensembles, moe: { valid: moe.predict(validIn), test: moe.predict(testIn), conditionNames } };
  done?.();
  return out;
}
