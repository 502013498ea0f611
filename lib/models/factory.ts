/**
 * Trend models by name: the one list of names the config, the pipeline, the workflow and the evaluation share.
 * @module
 */
import { GbdtModel } from "./gbdt.ts";
import { LogisticModel } from "./logistic.ts";
import { MajorityClassModel } from "./majority.ts";
import { MlpModel } from "./mlp.ts";
import { MomentumModel } from "./momentum.ts";
import { createSequenceModel, SEQUENCE_MODEL_NAMES } from "./sequence.ts";
import type { TrendModel } from "./types.ts";
import type { Dataset } from "../dataset/mod.ts";

/** Trend model names {@link createTrendModel} knows: the feature-table models, then the sequence models. */
export const TREND_MODEL_NAMES: readonly string[] = [
  "majority",
  "momentum",
  "logistic",
  "mlp-tfjs",
  "gbdt",
  ...SEQUENCE_MODEL_NAMES,
];

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
      if (SEQUENCE_MODEL_NAMES.includes(name)) return createSequenceModel(name, seed);
      throw new RangeError(`unknown trend model ${name} (known: ${TREND_MODEL_NAMES.join(", ")})`);
  }
}

/**
 * Fits a trend model on the nested train windows: models with early stopping (`mlp-tfjs`, `gbdt`) first fit on
 * `fit` and stop on `stop` (the inner slice at the end of train), then refit on `fit` and `stop` together with
 * the number of epochs / rounds that run chose; the others fit on `fit` and `stop` together. No other rows are
 * read. The sequence models fit on `fit`, stop on `stop` and are kept as they are: they train on a capped
 * sample of their rows, and skipping the refit halves their cost. With an empty `stop` every model fits on
 * `fit` with its own defaults.
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
  if (SEQUENCE_MODEL_NAMES.includes(name)) {
    const m = createSequenceModel(name, seed);
    await m.fit(ds, fit, stop);
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
