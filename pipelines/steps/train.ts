/**
 * Step 3, train: the trend models (baselines, logistic regression, a tfjs network), a GARCH(1,1) volatility
 * forecaster and a swing support/resistance detector, fitted on the train segment (the network early-stops on
 * validation) and predicting validation and test rows.
 * @module
 */
import type { BuiltDataset } from "@lib/dataset/mod.ts";
import { createTrendModel, type LevelColumns, levelColumns, splitRows } from "@lib/evaluate/mod.ts";
import { Garch11Model, initTensorflow, SwingLevelModel } from "@lib/models/mod.ts";
import type { Progress } from "../progress.ts";

/** One trend model's outputs. */
export interface TrendOutput {
  name: string;
  valProbs: Float64Array;
  testProbs: Float64Array;
  fitMs: number;
}

/** What the train step produces. */
export interface TrainResult {
  rows: { train: Int32Array; valid: Int32Array; test: Int32Array };
  trend: TrendOutput[];
  /** Forecast daily variance for the next session (GARCH(1,1)). */
  vol: { name: string; valid: Float64Array; test: Float64Array };
  levels: { name: string; valid: LevelColumns; test: LevelColumns };
  tfBackend: string;
}

/** Fits every model and predicts the validation and test rows. */
export async function trainStep(
  ds: BuiltDataset,
  opts: { trendModels: string[]; seed: number },
  progress?: Progress,
): Promise<TrainResult> {
  const rows = splitRows(ds);
  let tfBackend = "none";
  if (opts.trendModels.includes("mlp-tfjs")) tfBackend = (await initTensorflow()).backend;
  const trend: TrendOutput[] = [];
  for (const name of opts.trendModels) {
    const done = progress?.start(`train trend: ${name}`);
    const t0 = performance.now();
    const m = createTrendModel(name, opts.seed);
    await m.fit(ds, rows.train, rows.valid);
    const fitMs = performance.now() - t0;
    trend.push({
      name,
      valProbs: await m.predict(ds, rows.valid),
      testProbs: await m.predict(ds, rows.test),
      fitMs,
    });
    done?.();
  }
  let done = progress?.start("train volatility: garch11");
  const garch = new Garch11Model();
  await garch.fit(ds, rows.train);
  const vol = {
    name: garch.name,
    valid: await garch.predict(ds, rows.valid, 1),
    test: await garch.predict(ds, rows.test, 1),
  };
  done?.();
  done = progress?.start("levels: swing support/resistance");
  const lm = new SwingLevelModel();
  const levels = {
    name: lm.name,
    valid: levelColumns(ds, rows.valid, lm),
    test: levelColumns(ds, rows.test, lm),
  };
  done?.();
  progress?.note(
    `tfjs backend: ${tfBackend}; rows train/valid/test ${rows.train.length}/${rows.valid.length}/${rows.test.length}`,
  );
  return { rows, trend, vol, levels, tfBackend };
}
