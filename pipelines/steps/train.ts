/**
 * Step 3, train: the trend models (baselines, logistic regression, a tfjs network), a GARCH(1,1) volatility
 * forecaster and a swing support/resistance detector, fitted on the train segment (the network early-stops on
 * validation) and predicting validation and test rows.
 * @module
 */
import { Segment } from "@lib/dataset/mod.ts";
import type { BuiltDataset } from "@lib/dataset/mod.ts";
import {
  Garch11Model,
  initTensorflow,
  levelsForRows,
  LogisticModel,
  MajorityClassModel,
  MlpModel,
  MomentumModel,
  SwingLevelModel,
  type TrendModel,
} from "@lib/models/mod.ts";
import type { Progress } from "../progress.ts";

/** Rows of one segment, in dataset order. */
export function segmentRows(ds: BuiltDataset, code: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < ds.n; i++) if (ds.segment[i] === code) out.push(i);
  return Int32Array.from(out);
}

/** One trend model's outputs. */
export interface TrendOutput {
  name: string;
  valProbs: Float64Array;
  testProbs: Float64Array;
  fitMs: number;
}

/** Support/resistance nearest to the close per row (NaN when none), with strengths. */
export interface LevelColumns {
  support: Float64Array;
  supportStrength: Float64Array;
  resistance: Float64Array;
  resistanceStrength: Float64Array;
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

/** Creates a trend model by name. */
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
    default:
      throw new RangeError(`unknown trend model ${name}`);
  }
}

function levelColumns(ds: BuiltDataset, rows: Int32Array, model: SwingLevelModel): LevelColumns {
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

/** Fits every model and predicts the validation and test rows. */
export async function trainStep(
  ds: BuiltDataset,
  opts: { trendModels: string[]; seed: number },
  progress?: Progress,
): Promise<TrainResult> {
  const rows = {
    train: segmentRows(ds, Segment.TRAIN),
    valid: segmentRows(ds, Segment.VALID),
    test: segmentRows(ds, Segment.TEST),
  };
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
