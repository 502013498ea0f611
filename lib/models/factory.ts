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
import type { Dataset } from "../dataset/mod.ts";

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

/**
 * Fits a trend model on the nested train windows: models with early stopping (`mlp-tfjs`, `gbdt`) first fit on
 * `fit` and stop on `stop` (the inner slice at the end of train), then refit on `fit` and `stop` together with
 * the number of epochs / rounds that run chose; the others fit on `fit` and `stop` together. No other rows are
 * read. With an empty `stop` every model fits on `fit` with its own defaults.
 */
export async function fitTrendModel(
  name: string,
  seed: number,
  ds: Dataset,
  fit: Int32Array,
  stop: Int32Array,
): Promise<TrendModel> {
  if (stop.length === 0) {
    const m = createTrendModel(name, seed);
    await m.fit(ds, fit);
    return m;
  }
  const all = Int32Array.from([...fit, ...stop].sort((a, b) => a - b));
  if (name === "mlp-tfjs") {
    const probe = new MlpModel({ seed });
    await probe.fit(ds, fit, stop);
    probe.dispose();
    const epochs = Math.max(1, (probe.info?.bestEpoch ?? 0) + 1);
    const m = new MlpModel({ seed, maxEpochs: epochs, earlyStopping: false });
    await m.fit(ds, all);
    return m;
  }
  if (name === "gbdt") {
    const probe = new GbdtModel({ seed });
    await probe.fit(ds, fit, stop);
    const m = new GbdtModel({ seed, maxRounds: Math.max(1, probe.rounds) });
    await m.fit(ds, all);
    return m;
  }
  const m = createTrendModel(name, seed);
  await m.fit(ds, all);
  return m;
}
