/**
 * Deep sequence trend models in TensorFlow.js on the dataset's raw-window view (lib/dataset `windowView`: the
 * last 60 sessions of normalized OHLCV per row, Alpha360-style): LSTM, GRU, a temporal convolutional network
 * (dilated causal convolutions with residuals) and a small Transformer encoder (multi-head self-attention
 * written as a tfjs layer), each ending in a softmax over `[down, neutral, up]`.
 *
 * Training: Adam on categorical cross-entropy, optionally plus a cross-sectional ranking loss (`rankLoss:
 * "ic"`: minus the mean per-day Pearson correlation between the score `P(up) - P(down)` and the day's
 * return ranks, over batches of whole days). Early stopping on `valid` rows, or, when none are given, on the
 * latest 10% of the train rows with the label horizon purged (the workflow's inner slice); the best epoch's
 * weights are restored. Training rows are a seeded subsample (`maxTrainRows`) to bound CPU time.
 *
 * Seeded: initializers take the seed, batches come from a seeded generator, and during `fit` the randomness
 * tfjs draws from `Math.random` (dropout masks) comes from one too, so two fits with the same seed on the same
 * backend give the same model. Tensors are read with `await data()` only (WebGPU in Deno has no sync reads).
 * @module
 */
import { ModelError, mulberry32, shuffleInPlace } from "../core/mod.ts";
import { type Dataset, fitWindowScaler, type WindowView, windowView } from "../dataset/mod.ts";
import { innerHoldout } from "./_holdout.ts";
import { labeledRows } from "./_scaler.ts";
import {
  LastTimeStep,
  LayerNorm,
  MultiHeadSelfAttention,
  PositionEmbedding,
  Recurrent,
  TcnLevel,
} from "./seq_layers.ts";
import { fromLayersArtifacts, layersArtifacts } from "./_tfjs_artifacts.ts";
import { initTensorflow, tf } from "./tf_backend.ts";
import type { TrendModel } from "./types.ts";

/** Network families. */
export type SequenceArch = "lstm" | "gru" | "tcn" | "transformer";

/** Options of {@link SequenceModel}. */
export interface SequenceOptions {
  arch: SequenceArch;
  /** Sessions per window (default 60). */
  windowLength?: number;
  /** Width: RNN units, TCN channels, Transformer model width. Default 32 (16 for the Transformer). */
  hidden?: number;
  /** RNN layers, TCN levels (dilations 1, 2, 4, ...; `2^levels >= windowLength`), Transformer blocks. Defaults 1, 6, 1. */
  layers?: number;
  /** Transformer attention heads (default 4). */
  heads?: number;
  /**
   * Transformer: sessions per input token (PatchTST-style patches; default 5, so a 60-session window is 12
   * tokens of 5 sessions x 5 channels). Attention cost grows with the square of the token count.
   */
  patch?: number;
  dropout?: number;
  learningRate?: number;
  /** Rows per training batch (whole days when a ranking loss is on). */
  batchSize?: number;
  maxEpochs?: number;
  /** Epochs without improvement of the early-stopping objective before stopping. */
  patience?: number;
  /**
   * Early stopping (default true). `false` with no `valid` rows trains exactly `maxEpochs` on the (sampled)
   * train rows: the refit after an early-stopped run has chosen the number of epochs.
   */
  earlyStopping?: boolean;
  /**
   * Share of the labeled training rows to sample (seeded), but never fewer than `minTrainRows` (or all there
   * are) nor more than `maxTrainRows`.
   */
  trainShare?: number;
  /** Floor of the row sample (default 5,000): a small universe trains on all its rows. */
  minTrainRows?: number;
  /** Seeded subsample of the training rows (all when fewer). */
  maxTrainRows?: number;
  /** Seeded subsample of the early-stopping rows. */
  maxValidRows?: number;
  /**
   * Z-score each window position across the symbols of the row's date before the train-fitted scaler
   * (lib/dataset `windowView` `crossSection`). Default false: Qlib normalizes Alpha360 per feature on train
   * and ranks only the label cross-sectionally, as the IC loss here does.
   */
  crossSection?: boolean;
  /** Cross-sectional ranking loss added to the cross-entropy. Default "none". */
  rankLoss?: "none" | "ic";
  /** Weight of the ranking loss. */
  rankWeight?: number;
  seed?: number;
}

/** Fit summary of a {@link SequenceModel}. */
export interface SequenceFitInfo {
  backend: string;
  trainRows: number;
  validRows: number;
  epochs: number;
  bestEpoch: number;
  /** Early-stopping objective at the best epoch: log loss, minus `rankWeight` x mean daily IC when ranking. */
  bestObjective: number;
  /** Mean daily IC of the score on the early-stopping rows at the best epoch. */
  bestValidIc: number;
  /** Fit wall time; not saved with the model (NaN after a load): the same fit serializes to the same bytes. */
  ms: number;
}

/** `params.json` of a saved {@link SequenceModel}. */
export interface SequenceParams {
  model: "sequence-tfjs";
  name: string;
  options: Required<SequenceOptions>;
  scaler: { mean: number[]; std: number[] };
  /** The fit summary without its wall time. */
  info: Omit<SequenceFitInfo, "ms"> | null;
}

const CLIP = 5;

/**
 * Options with every default filled in (not range-checked; the model's constructor checks them). A key that is
 * no option (`maxEpoch` for `maxEpochs`) is a `RangeError`: it was kept and stored while the default ran.
 */
export function resolveSequenceOptions(o: SequenceOptions): Required<SequenceOptions> {
  const tr = o.arch === "transformer";
  const defaults = {
    arch: o.arch,
    windowLength: 60,
    hidden: tr ? 16 : 32,
    layers: o.arch === "tcn" ? 6 : 1,
    heads: 4,
    patch: tr ? 5 : 1,
    dropout: 0.1,
    learningRate: 2e-3,
    batchSize: 512,
    maxEpochs: 12,
    patience: 3,
    earlyStopping: true,
    trainShare: 1,
    minTrainRows: 5_000,
    maxTrainRows: 40_000,
    maxValidRows: 20_000,
    crossSection: false,
    rankLoss: "none",
    rankWeight: 1,
    seed: 42,
  };
  const unknown = Object.keys(o).filter((k) => !Object.hasOwn(defaults, k));
  if (unknown.length) {
    throw new RangeError(
      `unknown sequence option ${unknown.join(", ")} (known: ${Object.keys(defaults).join(", ")})`,
    );
  }
  return {
    ...defaults,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  } as Required<SequenceOptions>;
}

function checkOptions(o: Required<SequenceOptions>): void {
  if (!["lstm", "gru", "tcn", "transformer"].includes(o.arch)) throw new RangeError(`unknown arch ${o.arch}`);
  const ints: [string, number, number][] = [
    ["windowLength", o.windowLength, 2],
    ["hidden", o.hidden, 1],
    ["layers", o.layers, 1],
    ["heads", o.heads, 1],
    ["patch", o.patch, 1],
    ["batchSize", o.batchSize, 1],
    ["maxEpochs", o.maxEpochs, 1],
    ["patience", o.patience, 0],
    ["minTrainRows", o.minTrainRows, 10],
    ["maxTrainRows", o.maxTrainRows, 10],
    ["maxValidRows", o.maxValidRows, 1],
  ];
  for (const [k, v, min] of ints) {
    if (!(Number.isInteger(v) && v >= min)) {
      throw new RangeError(`${k} must be an integer >= ${min}, got ${v}`);
    }
  }
  if (!(o.trainShare > 0 && o.trainShare <= 1)) {
    throw new RangeError(`trainShare must be in (0, 1], got ${o.trainShare}`);
  }
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new RangeError(`dropout must be in [0, 1), got ${o.dropout}`);
  if (!(o.learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${o.learningRate}`);
  if (!["none", "ic"].includes(o.rankLoss)) throw new RangeError(`unknown rankLoss ${o.rankLoss}`);
  if (!(o.rankWeight >= 0)) throw new RangeError(`rankWeight must be >= 0, got ${o.rankWeight}`);
  if (o.windowLength % o.patch !== 0) {
    throw new RangeError(`windowLength ${o.windowLength} must be a multiple of patch ${o.patch}`);
  }
  if (o.arch !== "transformer" && o.patch !== 1) {
    throw new RangeError("patch applies to the transformer only");
  }
  if (o.arch === "tcn" && 2 ** o.layers < o.windowLength) {
    throw new RangeError(
      `tcn: ${o.layers} levels cover ${2 ** o.layers} sessions < window ${o.windowLength}`,
    );
  }
  if (o.arch === "transformer" && o.hidden % o.heads !== 0) {
    throw new RangeError(`transformer width ${o.hidden} must be a multiple of heads ${o.heads}`);
  }
}

/** The network of one architecture: `[batch, windowLength, 5]` -> softmax over 3 classes. */
export function buildSequenceNet(o: Required<SequenceOptions>, channels = 5): tf.LayersModel {
  let seed = o.seed;
  const glorot = () => tf.initializers.glorotUniform({ seed: seed++ });
  // layers named by their place in this network, not by tfjs's process-wide counters: the same fit serializes to
  // the same bytes in any process (the registry's version is a digest of them)
  let layer = 0;
  const name = (kind: string) => `${kind}_${layer++}`;
  const inp = tf.input({ shape: [o.windowLength, channels], name: "window" });
  let x: tf.SymbolicTensor = inp;
  const drop = (t: tf.SymbolicTensor) =>
    o.dropout > 0
      ? tf.layers.dropout({ rate: o.dropout, seed: seed++, name: name("dropout") }).apply(
        t,
      ) as tf.SymbolicTensor
      : t;
  if (o.arch === "lstm" || o.arch === "gru") {
    for (let k = 0; k < o.layers; k++) {
      x = new Recurrent({
        cell: o.arch,
        units: o.hidden,
        returnSequences: k < o.layers - 1,
        seed: seed += 2,
        name: name(o.arch),
      })
        .apply(x) as tf.SymbolicTensor;
    }
  } else if (o.arch === "tcn") {
    // kernel-2 dilated causal levels 1, 2, 4, ... evaluated at the last step (checkOptions: they cover it)
    for (let k = 0; k < o.layers; k++) {
      x = drop(
        new TcnLevel({ filters: o.hidden, seed: seed += 2, residualScale: Math.SQRT1_2, name: name("tcn") })
          .apply(x) as tf.SymbolicTensor,
      );
    }
    x = tf.layers.flatten({ name: name("flatten") }).apply(x) as tf.SymbolicTensor;
  } else {
    if (o.patch > 1) {
      x = tf.layers.reshape({
        targetShape: [o.windowLength / o.patch, o.patch * channels],
        name: name("patches"),
      }).apply(
        x,
      ) as tf.SymbolicTensor;
    }
    x = tf.layers.dense({ units: o.hidden, kernelInitializer: glorot(), name: name("embed") }).apply(
      x,
    ) as tf.SymbolicTensor;
    x = new PositionEmbedding({ seed: seed++, name: name("position") }).apply(x) as tf.SymbolicTensor;
    for (let k = 0; k < o.layers; k++) {
      const a = new MultiHeadSelfAttention({ heads: o.heads, seed: seed += 4, name: name("attention") })
        .apply(x) as tf.SymbolicTensor;
      x = new LayerNorm({ name: name("norm") }).apply(
        tf.layers.add({ name: name("add") }).apply([x, drop(a)]),
      ) as tf.SymbolicTensor;
      let f = tf.layers.dense({
        units: 2 * o.hidden,
        activation: "relu",
        kernelInitializer: glorot(),
        name: name("ffn"),
      })
        .apply(x) as tf.SymbolicTensor;
      f = tf.layers.dense({ units: o.hidden, kernelInitializer: glorot(), name: name("ffn") }).apply(
        f,
      ) as tf.SymbolicTensor;
      x = new LayerNorm({ name: name("norm") }).apply(
        tf.layers.add({ name: name("add") }).apply([x, drop(f)]),
      ) as tf.SymbolicTensor;
    }
    x = new LastTimeStep({ name: name("last") }).apply(x) as tf.SymbolicTensor;
  }
  x = drop(x);
  const out = tf.layers.dense({
    units: 3,
    activation: "softmax",
    kernelInitializer: glorot(),
    name: "output",
  })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out, name: `sequence_${o.arch}` });
}

/** Rows sorted by date (then row index). */
function byDate(ds: Dataset, rows: Int32Array): Int32Array {
  return Int32Array.from(rows).sort((
    a,
    b,
  ) => (ds.date[a] < ds.date[b] ? -1 : ds.date[a] > ds.date[b] ? 1 : a - b));
}

/** A seeded subsample of at most `max` rows, in date order. */
function subsample(ds: Dataset, rows: Int32Array, max: number, rand: () => number): Int32Array {
  if (rows.length <= max) return byDate(ds, rows);
  const s = shuffleInPlace(Int32Array.from(rows), rand);
  return byDate(ds, s.subarray(0, max));
}

/** Start offsets of the date groups of date-sorted rows (plus the end). */
function dayStarts(ds: Dataset, rows: Int32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows.length; i++) if (i === 0 || ds.date[rows[i]] !== ds.date[rows[i - 1]]) out.push(i);
  out.push(rows.length);
  return out;
}

/** Per-day ranks of the next-day return scaled to [-0.5, 0.5] (0 for a missing return or a 1-row day). */
function dayRankTargets(ds: Dataset, rows: Int32Array, starts: number[]): Float32Array {
  const out = new Float32Array(rows.length);
  for (let d = 0; d + 1 < starts.length; d++) {
    const a = starts[d], b = starts[d + 1];
    const idx: number[] = [];
    for (let i = a; i < b; i++) if (Number.isFinite(ds.labels.fwdReturn[rows[i]])) idx.push(i);
    if (idx.length < 2) continue;
    idx.sort((p, q) => ds.labels.fwdReturn[rows[p]] - ds.labels.fwdReturn[rows[q]]);
    idx.forEach((i, k) => (out[i] = k / (idx.length - 1) - 0.5));
  }
  return out;
}

/** Mean over days (>= 3 rows) of the Pearson correlation of `score` with `target` inside each day. */
function meanDailyIc(score: ArrayLike<number>, target: ArrayLike<number>, starts: number[]): number {
  let s = 0, k = 0;
  for (let d = 0; d + 1 < starts.length; d++) {
    const a = starts[d], b = starts[d + 1], n = b - a;
    if (n < 3) continue;
    let ms = 0, mt = 0;
    for (let i = a; i < b; i++) (ms += score[i], mt += target[i]);
    ms /= n;
    mt /= n;
    let c = 0, vs = 0, vt = 0;
    for (let i = a; i < b; i++) {
      const x = score[i] - ms, y = target[i] - mt;
      c += x * y;
      vs += x * x;
      vt += y * y;
    }
    if (vs > 0 && vt > 0) (s += c / Math.sqrt(vs * vt), k++);
  }
  return k ? s / k : 0;
}

/** A tfjs sequence trend model on raw windows. */
export class SequenceModel implements TrendModel {
  readonly name: string;
  readonly options: Required<SequenceOptions>;
  private net: tf.LayersModel | null = null;
  private scaler: { mean: Float32Array; std: Float32Array } | null = null;
  /** Summary of the last fit (or of the fit a loaded model came from). */
  info: SequenceFitInfo | null = null;

  /** `name` defaults to the architecture, with `-ic` when the ranking loss is on. */
  constructor(options: SequenceOptions, name?: string) {
    this.options = resolveSequenceOptions(options);
    checkOptions(this.options);
    this.name = name ?? `${this.options.arch}${this.options.rankLoss === "ic" ? "-ic" : ""}`;
  }

  private view(ds: Dataset): WindowView {
    return windowView(ds, { length: this.options.windowLength });
  }

  /** Scaled windows of `rows` (float32, clipped to +-5). */
  private windows(ds: Dataset, rows: Int32Array): Float32Array {
    const v = this.view(ds), { mean, std } = this.scaler!, w = v.width;
    const x = v.fill(rows, undefined, { crossSection: this.options.crossSection });
    for (let i = 0; i < x.length; i++) {
      const z = (x[i] - mean[i % w]) / std[i % w];
      x[i] = z > CLIP ? CLIP : z < -CLIP ? -CLIP : z;
    }
    return x;
  }

  /** Class probabilities of already scaled windows, in chunks. */
  private async probs(x: Float32Array, n: number): Promise<Float32Array> {
    const o = this.options, w = o.windowLength * 5, out = new Float32Array(n * 3), chunk = 4096;
    for (let a = 0; a < n; a += chunk) {
      const b = Math.min(n, a + chunk);
      const xt = tf.tensor3d(x.subarray(a * w, b * w), [b - a, o.windowLength, 5]);
      const y = this.net!.predict(xt, { batchSize: chunk }) as tf.Tensor;
      out.set(await y.data() as Float32Array, a * 3);
      tf.dispose([xt, y]);
    }
    return out;
  }

  /**
   * Fits on labeled `train` rows (a seeded subsample: `trainShare` of them, between `minTrainRows` and
   * `maxTrainRows`); early-stops
   * on labeled `valid` rows, or, when `valid` is absent or empty, on the latest 10% of train rows with the label
   * horizon purged (not with `earlyStopping: false`, which trains exactly `maxEpochs`).
   */
  async fit(ds: Dataset, train: Int32Array, valid?: Int32Array): Promise<void> {
    const t0 = performance.now();
    const o = this.options;
    const { backend } = await initTensorflow();
    let tr = labeledRows(ds, train);
    let va = valid ? labeledRows(ds, valid) : new Int32Array(0);
    const stopping = o.earlyStopping || va.length > 0;
    if (va.length === 0 && stopping) ({ train: tr, holdout: va } = innerHoldout(ds, tr));
    if (tr.length < 10 || (stopping && va.length < 1)) {
      throw new ModelError(`${this.name}: too few labeled rows to fit`);
    }
    const rand = mulberry32(o.seed);
    const want = Math.max(o.minTrainRows, Math.ceil(o.trainShare * tr.length));
    tr = subsample(ds, tr, Math.min(o.maxTrainRows, want), rand);
    va = subsample(ds, va, o.maxValidRows, rand);
    const view = this.view(ds);
    const sc = fitWindowScaler(ds, view, tr, { crossSection: o.crossSection });
    this.scaler = { mean: Float32Array.from(sc.mean), std: Float32Array.from(sc.std) };
    const L = o.windowLength, w = view.width;
    const xTr = this.windows(ds, tr), xVa = this.windows(ds, va);
    const yTr = Int32Array.from(tr, (i) => ds.labels.trend[i]);
    const yVa = Int8Array.from(va, (i) => ds.labels.trend[i]);
    const trStarts = dayStarts(ds, tr), vaStarts = dayStarts(ds, va);
    const rTr = dayRankTargets(ds, tr, trStarts), rVa = dayRankTargets(ds, va, vaStarts);
    const ranking = o.rankLoss === "ic" && o.rankWeight > 0;

    const realRandom = Math.random;
    Math.random = mulberry32(o.seed ^ 0x5bd1e995);
    this.net?.dispose();
    const net = buildSequenceNet(o);
    this.net = net;
    const opt = tf.train.adam(o.learningRate);
    let best = Infinity, bestIc = NaN, bestEpoch = -1, epoch = 0;
    let bestWeights: tf.Tensor[] | null = null;
    const nDays = trStarts.length - 1;
    try {
      for (; epoch < o.maxEpochs; epoch++) {
        // batches: whole days (ranking) or shuffled rows
        const batches: Int32Array[] = [];
        if (ranking) {
          const order = shuffleInPlace(Int32Array.from({ length: nDays }, (_, d) => d), rand);
          let cur: number[] = [];
          for (const d of order) {
            for (let i = trStarts[d]; i < trStarts[d + 1]; i++) cur.push(i);
            if (cur.length >= o.batchSize) (batches.push(Int32Array.from(cur)), cur = []);
          }
          if (cur.length) batches.push(Int32Array.from(cur));
        } else {
          const perm = shuffleInPlace(Int32Array.from({ length: tr.length }, (_, i) => i), rand);
          for (let a = 0; a < perm.length; a += o.batchSize) batches.push(perm.subarray(a, a + o.batchSize));
        }
        for (const bi of batches) {
          const b = bi.length, xb = new Float32Array(b * w), yb = new Int32Array(b);
          for (let k = 0; k < b; k++) {
            xb.set(xTr.subarray(bi[k] * w, bi[k] * w + w), k * w);
            yb[k] = yTr[bi[k]];
          }
          const xt = tf.tensor3d(xb, [b, L, 5]);
          const yt = tf.oneHot(tf.tensor1d(yb, "int32"), 3).toFloat();
          let extra: tf.Tensor[] = [];
          let dayM: tf.Tensor2D | null = null, rt: tf.Tensor2D | null = null;
          if (ranking) {
            const days: number[] = [];
            const dayOf = new Int32Array(b);
            for (let k = 0; k < b; k++) {
              const d = ds.date[tr[bi[k]]];
              if (k === 0 || d !== ds.date[tr[bi[k - 1]]]) days.push(k);
              dayOf[k] = days.length - 1;
            }
            const m = new Float32Array(b * days.length);
            for (let k = 0; k < b; k++) m[k * days.length + dayOf[k]] = 1;
            dayM = tf.tensor2d(m, [b, days.length]);
            rt = tf.tensor2d(Float32Array.from(bi, (i) => rTr[i]), [b, 1]);
            extra = [dayM, rt];
          }
          const cost = opt.minimize(() => {
            const p = net.apply(xt, { training: true }) as tf.Tensor2D;
            const ce = tf.mean(tf.metrics.categoricalCrossentropy(yt, p));
            if (!ranking) return ce as tf.Scalar;
            const s = tf.sub(p.slice([0, 2], [-1, 1]), p.slice([0, 0], [-1, 1])); // [b, 1]
            const cnt = tf.sum(dayM!, 0).reshape([-1, 1]); // [D, 1]
            const mean = tf.div(tf.matMul(dayM!, s, true, false), cnt); // [D, 1]
            const sc = tf.sub(s, tf.matMul(dayM!, mean)); // centered per day
            const cov = tf.matMul(dayM!, tf.mul(sc, rt!), true, false);
            const vs = tf.matMul(dayM!, tf.square(sc), true, false);
            const vr = tf.matMul(dayM!, tf.square(rt!), true, false);
            const ic = tf.div(cov, tf.sqrt(tf.add(tf.mul(vs, vr), 1e-12)));
            return tf.sub(ce, tf.mul(o.rankWeight, tf.mean(ic))) as tf.Scalar;
          }, false);
          tf.dispose([xt, yt, ...extra]);
          cost?.dispose();
        }
        if (!stopping) {
          bestEpoch = epoch;
          continue;
        }
        const pv = await this.probs(xVa, va.length);
        let ll = 0;
        for (let i = 0; i < va.length; i++) ll -= Math.log(Math.max(1e-7, pv[i * 3 + yVa[i]]));
        ll /= va.length;
        const score = Float32Array.from({ length: va.length }, (_, i) => pv[i * 3 + 2] - pv[i * 3]);
        const ic = meanDailyIc(score, rVa, vaStarts);
        const obj = ranking ? ll - o.rankWeight * ic : ll;
        if (obj < best - 1e-5) {
          best = obj;
          bestIc = ic;
          bestEpoch = epoch;
          bestWeights?.forEach((t) => t.dispose());
          bestWeights = net.getWeights().map((t) => t.clone());
        } else if (epoch - bestEpoch >= o.patience) {
          epoch++;
          break;
        }
      }
    } finally {
      Math.random = realRandom;
      opt.dispose();
    }
    if (bestWeights) {
      net.setWeights(bestWeights);
      bestWeights.forEach((t) => t.dispose());
    }
    if (!stopping) best = bestIc = NaN;
    this.info = {
      backend,
      trainRows: tr.length,
      validRows: va.length,
      epochs: Math.min(epoch, o.maxEpochs),
      bestEpoch,
      bestObjective: best,
      bestValidIc: bestIc,
      ms: performance.now() - t0,
    };
  }

  /** Frees the network's tensors (the model cannot predict afterwards). */
  dispose(): void {
    this.net?.dispose();
    this.net = null;
  }

  /** Class probabilities `[down, neutral, up]` per row (renormalized to sum to 1 in float64). */
  async predict(ds: Dataset, rows: Int32Array): Promise<Float64Array> {
    if (!this.net || !this.scaler) throw new ModelError(`${this.name}: predict before fit`);
    await initTensorflow();
    const out = new Float64Array(rows.length * 3);
    const chunk = 16384;
    for (let a = 0; a < rows.length; a += chunk) {
      const part = rows.subarray(a, Math.min(rows.length, a + chunk));
      const v = await this.probs(this.windows(ds, part), part.length);
      for (let r = 0; r < part.length; r++) {
        const p = v[r * 3], q = v[r * 3 + 1], u = v[r * 3 + 2], s = p + q + u, k = (a + r) * 3;
        out[k] = p / s;
        out[k + 1] = q / s;
        out[k + 2] = u / s;
      }
    }
    return out;
  }

  /**
   * Artifact files for the model registry: `params.json` (options, window scaler, fit summary) plus the tfjs
   * `model.json` (topology + weight specs) and `weights.bin` written through `tf.io.withSaveHandler`.
   */
  async toArtifacts(): Promise<Record<string, Uint8Array | string>> {
    if (!this.net || !this.scaler) throw new ModelError(`${this.name}: not fitted`);
    const params: SequenceParams = {
      model: "sequence-tfjs",
      name: this.name,
      options: this.options,
      scaler: { mean: Array.from(this.scaler.mean), std: Array.from(this.scaler.std) },
      info: this.info && (({ ms: _ms, ...kept }) => kept)(this.info),
    };
    return await layersArtifacts(this.net, params, this.name);
  }

  /** Restores a model from {@link SequenceModel.toArtifacts} files. */
  static async fromArtifacts(files: Record<string, Uint8Array | string>): Promise<SequenceModel> {
    const { params, net } = await fromLayersArtifacts(files, "sequence-tfjs");
    const p = params as SequenceParams;
    if (p?.model !== "sequence-tfjs") {
      throw new ModelError("sequence-tfjs: params.json is not a sequence model");
    }
    const m = new SequenceModel(p.options, p.name);
    m.scaler = { mean: Float32Array.from(p.scaler.mean), std: Float32Array.from(p.scaler.std) };
    m.info = p.info && { ...p.info, ms: NaN };
    m.net = net;
    return m;
  }
}

const BUDGET: Partial<SequenceOptions> = {
  hidden: 16,
  rankLoss: "ic",
  trainShare: 0.1,
  maxTrainRows: 20_000,
  maxValidRows: 10_000,
  maxEpochs: 8,
  // 3 epochs without improvement, then stop (what every result of these presets was measured with: the count
  // was one more than `patience` said until 2026-12-07)
  patience: 3,
};
/**
 * The sequence models the trend protocol and the pipeline know by name, with the settings they run with:
 * cross-entropy plus the cross-sectional IC loss, width 16, a seeded tenth of the training rows (at least
 * 5,000 or all, at most 20,000), at most 8 epochs. The budget bounds CPU time on the wasm backend (docs/sequence_models.md); it
 * was not tuned on the test segment.
 */
export const SEQUENCE_MODEL_PRESETS: Readonly<Record<string, Readonly<SequenceOptions>>> = Object.freeze({
  lstm: { arch: "lstm", ...BUDGET },
  gru: { arch: "gru", ...BUDGET },
  tcn: { arch: "tcn", ...BUDGET },
  transformer: { arch: "transformer", ...BUDGET },
});

/** Names {@link createSequenceModel} knows. */
export const SEQUENCE_MODEL_NAMES: readonly string[] = Object.keys(SEQUENCE_MODEL_PRESETS);

/** A sequence trend model by preset name, seeded (`RangeError` for an unknown name). */
export function createSequenceModel(name: string, seed: number): SequenceModel {
  const p = SEQUENCE_MODEL_PRESETS[name];
  if (!p) throw new RangeError(`unknown sequence model ${name} (known: ${SEQUENCE_MODEL_NAMES.join(", ")})`);
  return new SequenceModel({ ...p, seed }, name);
}
