/**
 * Step 4, combine: the six ensemble methods fitted on the validation predictions, and the mixture of experts
 * whose gate weighs the trend, level and volatility experts by market conditions (fitted on validation too).
 * @module
 */
import type { BuiltDataset } from "@lib/dataset/mod.ts";
import { fitEnsembles, fitMoe } from "@lib/evaluate/mod.ts";
import type { MoeOutput } from "@lib/moe/mod.ts";
import type { Progress } from "../progress.ts";
import type { TrainResult } from "./train.ts";

/** What the combine step produces. */
export interface CombineResult {
  ensembles: { name: string; validProbs: Float64Array; testProbs: Float64Array }[];
  moe: { valid: MoeOutput; test: MoeOutput; conditionNames: string[] };
}

/** Fits the ensembles and the mixture of experts on validation; combines the test predictions. */
export function combineStep(ds: BuiltDataset, tr: TrainResult, progress?: Progress): CombineResult {
  let done = progress?.start("ensembles (6 methods)");
  const valProbs = tr.trend.map((t) => t.valProbs), testProbs = tr.trend.map((t) => t.testProbs);
  const ensembles = fitEnsembles(ds, tr.rows.valid, valProbs, testProbs);
  done?.();
  done = progress?.start("mixture of experts (gate)");
  const m = fitMoe(ds, {
    rows: tr.rows,
    trendProbs: { valid: valProbs, test: testProbs },
    levels: { valid: tr.levels.valid, test: tr.levels.test },
    forecastVar: { valid: tr.vol.valid, test: tr.vol.test },
  });
  const out = { ensembles, moe: { valid: m.valid, test: m.test, conditionNames: m.conditionNames } };
  done?.();
  return out;
}
