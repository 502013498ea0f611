/**
 * Trend models by name: the one list of names the config, the pipeline, the workflow and the evaluation share.
 * @module
 */
import { GbdtModel } from "./gbdt.ts";
import { LogisticModel } from "./logistic.ts";
import { MajorityClassModel } from "./majority.ts";
import { MlpModel } from "./mlp.ts";
import { MomentumModel } from "./momentum.ts";
import type { TrendModel } from "./types.ts";

/** Trend model names {@link createTrendModel} knows. */
export const TREND_MODEL_NAMES = ["majority", "momentum", "logistic", "mlp-tfjs", "gbdt"] as const;

/** One of {@link TREND_MODEL_NAMES}. */
export type TrendModelName = typeof TREND_MODEL_NAMES[number];

/** Creates an unfitted trend model by name (`RangeError` for an unknown one). */
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
      throw new RangeError(`unknown trend model ${name} (known: ${TREND_MODEL_NAMES.join(", ")})`);
  }
}
