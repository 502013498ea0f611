/**
 * A small multilayer perceptron trend classifier in TensorFlow.js: standardized features -> dense/ReLU layers
 * with dropout -> softmax over `[down, neutral, up]`, Adam, `categoricalCrossentropy`, early stopping on the
 * validation log loss (best weights restored). Seeded: the initializers take the seed, and during `fit` the
 * randomness tfjs draws from `Math.random` (dropout masks) comes from a seeded generator, so two fits with the
 * same seed on the same backend give the same model.
 * @module
 */
import { ModelError, mulberry32, shuffleInPlace } from "../core/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import type { TrendModel } from "./types.ts";
import { fitScaler, labeledRows, type Scaler, transform } from "./_scaler.ts";
import { innerHoldout } from "./_holdout.ts";
import { fromLayersArtifacts, layersArtifacts } from "./_tfjs_artifacts.ts";
import { initTensorflow, tf } from "./tf_backend.ts";

/** Options of {@link MlpModel}. */
export interface MlpOptions {
  /** Hidden layer widths. Default `[32, 16]`. */
  hidden?: number[];
  /** Dropout rate after each hidden layer. Default 0.2. */
  dropout?: number;
  learningRate?: number;
  batchSize?: number;
  maxEpochs?: number;
  /** Epochs without validation improvement before stopping. */
  patience?: number;
  /** L2 penalty on kernels. */
  l2?: number;
  seed?: number;
  /**
   * Early stopping (default true). `false` with no `valid` rows trains exactly `maxEpochs` on every train row
   * (the refit after an early-stopped run has chosen the number of epochs).
   */
  earlyStopping?: boolean;
}

/** Serialized {@link MlpModel}: options, scaler and weights as plain arrays. */
export interface MlpParams {
  model: "mlp-tfjs";
  featureNames: string[];
  options: Required<MlpOptions>;
  scaler: Scaler;
  weights: { shape: number[]; values: number[] }[];
}

/** Training summary of the last fit. */
export interface MlpFitInfo {
  backend: string;
  epochs: number;
  bestEpoch: number;
  bestValidLoss: number;
  ms: number;
}

const DEFAULTS: Required<MlpOptions> = {
  hidden: [32, 16],
  dropout: 0.2,
  learningRate: 3e-3,
  batchSize: 1024,
  maxEpochs: 30,
  patience: 3,
  l2: 1e-4,
  seed: 42,
  earlyStopping: true,
};

/** Rows per forward pass in predict (tfjs's default of 32 makes prediction call-bound). */
const PREDICT_BATCH = 8192;

function build(p: number, o: Required<MlpOptions>): tf.Sequential {
  // layers named by their place, not by tfjs's process-wide counters (`dense_Dense10`): the same fit serializes to
  // the same bytes in any process (the registry's version is a digest of them)
  const m = tf.sequential({ name: "mlp" });
  o.hidden.forEach((h, k) => {
    m.add(tf.layers.dense({
      units: h,
      activation: "relu",
      inputShape: k === 0 ? [p] : undefined,
      kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + k }),
      kernelRegularizer: o.l2 > 0 ? tf.regularizers.l2({ l2: o.l2 }) : undefined,
      name: `hidden_${k}`,
    }));
    if (o.dropout > 0) m.add(tf.layers.dropout({ rate: o.dropout, name: `dropout_${k}` }));
  });
  m.add(tf.layers.dense({
    units: 3,
    activation: "softmax",
    kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 100 }),
    name: "output",
  }));
  m.compile({ optimizer: tf.train.adam(o.learningRate), loss: "categoricalCrossentropy" });
  return m;
}

async function readWeights(net: tf.LayersModel): Promise<{ shape: number[]; values: Float32Array }[]> {
  return await Promise.all(
    net.getWeights().map(async (w) => ({ shape: w.shape, values: (await w.data()) as Float32Array })),
  );
}

function toF32(a: Float64Array): Float32Array {
  return Float32Array.from(a);
}

function logLoss(probs: Float32Array | Float64Array, y: Int8Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(Math.max(1e-7, probs[i * 3 + y[i]]));
  return s / y.length;
}

/** The tfjs MLP trend model (`name = "mlp-tfjs"`). */
export class MlpModel implements TrendModel {
  readonly name = "mlp-tfjs";
  readonly options: Required<MlpOptions>;
  private net: tf.Sequential | null = null;
  private scaler: Scaler | null = null;
  private featureNames: string[] = [];
  /** The weights as read back with `await data()` after fit/load (WebGPU in Deno cannot read them synchronously). */
  private snapshot: { shape: number[]; values: Float32Array }[] = [];
  /** Summary of the last fit. */
  info: MlpFitInfo | null = null;

  constructor(options: MlpOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * Fits on labeled `train` rows; early-stops on labeled `valid` rows, or, when `valid` is absent or empty, on
   * the latest 10% of train rows with the `labelHorizon` sessions before them purged.
   */
  async fit(ds: Dataset, train: Int32Array, valid?: Int32Array): Promise<void> {
    const t0 = performance.now();
    const { backend } = await initTensorflow();
    let tr = labeledRows(ds, train);
    let va = valid ? labeledRows(ds, valid) : new Int32Array(0);
    const stopping = this.options.earlyStopping || va.length > 0;
    if (va.length === 0 && stopping) ({ train: tr, holdout: va } = innerHoldout(ds, tr));
    if (tr.length < 10 || (stopping && va.length < 1)) {
      throw new ModelError("mlp-tfjs: too few labeled rows to fit");
    }
    const o = this.options, p = ds.featureNames.length;
    this.featureNames = [...ds.featureNames];
    this.scaler = fitScaler(ds, tr);
    const ytr = Int8Array.from(tr, (i) => ds.labels.trend[i]);
    const yva = Int8Array.from(va, (i) => ds.labels.trend[i]);
    const xTr = tf.tensor2d(toF32(transform(ds, tr, this.scaler)), [tr.length, p]);
    const yTr = tf.oneHot(tf.tensor1d(Int32Array.from(ytr), "int32"), 3).toFloat();
    const xVa = tf.tensor2d(toF32(transform(ds, va, this.scaler)), [va.length, p]);
    const realRandom = Math.random;
    const rand = mulberry32(o.seed);
    Math.random = mulberry32(o.seed ^ 0x5bd1e995);
    this.net?.dispose();
    const net = build(p, o);
    this.net = net;
    let best = Infinity, bestEpoch = -1, epoch = 0;
    let bestWeights: tf.Tensor[] | null = null;
    try {
      for (; epoch < o.maxEpochs; epoch++) {
        const perm = shuffleInPlace(Int32Array.from({ length: tr.length }, (_, i) => i), rand);
        const idx = tf.tensor1d(perm, "int32");
        const xs = tf.gather(xTr, idx), ys = tf.gather(yTr, idx);
        await net.fit(xs, ys, {
          epochs: 1,
          batchSize: o.batchSize,
          shuffle: false,
          verbose: 0,
          yieldEvery: "never",
        });
        tf.dispose([idx, xs, ys]);
        if (!stopping) {
          bestEpoch = epoch;
          continue;
        }
        const pv = tf.tidy(() => net.predict(xVa, { batchSize: PREDICT_BATCH }) as tf.Tensor);
        const loss = logLoss(await pv.data() as Float32Array, yva);
        pv.dispose();
        if (loss < best - 1e-5) {
          best = loss;
          bestEpoch = epoch;
          bestWeights?.forEach((w) => w.dispose());
          bestWeights = net.getWeights().map((w) => w.clone());
        } else if (epoch - bestEpoch >= o.patience) {
          epoch++;
          break;
        }
      }
    } finally {
      Math.random = realRandom;
      tf.dispose([xTr, yTr, xVa]);
    }
    if (bestWeights) {
      net.setWeights(bestWeights);
      bestWeights.forEach((w) => w.dispose());
    }
    this.snapshot = await readWeights(net);
    this.info = { backend, epochs: epoch, bestEpoch, bestValidLoss: best, ms: performance.now() - t0 };
  }

  /** Frees the network's tensors (the model cannot predict afterwards). */
  dispose(): void {
    this.net?.dispose();
    this.net = null;
  }

  /** Class probabilities `[down, neutral, up]` per row (renormalized to sum to 1 in float64). */
  async predict(ds: Dataset, rows: Int32Array): Promise<Float64Array> {
    if (!this.net || !this.scaler) throw new ModelError("mlp-tfjs: predict before fit");
    if (this.featureNames.join(",") !== ds.featureNames.join(",")) {
      throw new ModelError("mlp-tfjs: dataset features differ from the fitted ones");
    }
    await initTensorflow();
    const p = ds.featureNames.length;
    const out = new Float64Array(rows.length * 3);
    if (rows.length === 0) return out;
    const x = tf.tensor2d(toF32(transform(ds, rows, this.scaler)), [rows.length, p]);
    const y = tf.tidy(() => this.net!.predict(x, { batchSize: PREDICT_BATCH }) as tf.Tensor);
    const v = await y.data();
    tf.dispose([x, y]);
    for (let r = 0; r < rows.length; r++) {
      const a = v[r * 3], b = v[r * 3 + 1], c = v[r * 3 + 2], s = a + b + c;
      out[r * 3] = a / s;
      out[r * 3 + 1] = b / s;
      out[r * 3 + 2] = c / s;
    }
    return out;
  }

  /** Options, scaler and weights as plain JSON. */
  toJSON(): MlpParams {
    if (!this.net || !this.scaler) throw new ModelError("mlp-tfjs: not fitted");
    return {
      model: "mlp-tfjs",
      featureNames: this.featureNames,
      options: this.options,
      scaler: this.scaler,
      weights: this.snapshot.map((w) => ({ shape: w.shape, values: Array.from(w.values) })),
    };
  }

  /** Rebuilds a model from {@link MlpModel.toJSON} output. */
  static async fromJSON(params: MlpParams): Promise<MlpModel> {
    if (params?.model !== "mlp-tfjs") throw new TypeError("not mlp-tfjs params");
    await initTensorflow();
    const m = new MlpModel(params.options);
    m.featureNames = params.featureNames;
    m.scaler = params.scaler;
    m.net = build(params.featureNames.length, m.options);
    const ws = params.weights.map((w) => tf.tensor(w.values, w.shape));
    m.net.setWeights(ws);
    tf.dispose(ws);
    m.snapshot = await readWeights(m.net);
    return m;
  }

  /**
   * Artifact files for the model registry: `params.json` (options, scaler, features) plus the tfjs
   * `model.json` (topology + weight specs) and `weights.bin` written through `tf.io.withSaveHandler`.
   */
  async toArtifacts(): Promise<Record<string, Uint8Array | string>> {
    if (!this.net || !this.scaler) throw new ModelError("mlp-tfjs: not fitted");
    const params = {
      model: "mlp-tfjs",
      featureNames: this.featureNames,
      options: this.options,
      scaler: this.scaler,
    };
    return await layersArtifacts(this.net, params, "mlp-tfjs");
  }

  /** Restores a model from {@link MlpModel.toArtifacts} files. */
  static async fromArtifacts(files: Record<string, Uint8Array | string>): Promise<MlpModel> {
    const { params, net } = await fromLayersArtifacts(files, "mlp-tfjs");
    const p = params as Omit<MlpParams, "weights">;
    const m = new MlpModel(p.options);
    m.featureNames = p.featureNames;
    m.scaler = p.scaler;
    m.net = net as tf.Sequential;
    m.snapshot = await readWeights(m.net);
    return m;
  }
}
