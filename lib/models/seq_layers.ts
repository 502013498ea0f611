/**
 * TensorFlow.js layers the sequence models need and tfjs 4.22 lacks (or has in a form too slow to train on
 * wasm), registered for model save/load: LSTM/GRU with a fused input projection, multi-head self-attention, a learned position embedding, a layer normalization that trains fast on wasm,
 * a temporal-convolution level (tfjs's `conv1d` has no gradient for dilation > 1), and a last-time-step
 * selector. Every
 * weight initializer is seeded; every op is an ordinary differentiable tfjs op, so the layers train on
 * every backend (cpu, wasm, WebGPU).
 * @module
 */
import { tf } from "./tf_backend.ts";

type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function shapeOf(s: Shape | Shape[]): Shape {
  return (Array.isArray(s[0]) ? s[0] : s) as Shape;
}

/** Options of {@link MultiHeadSelfAttention}. */
export interface MultiHeadSelfAttentionArgs {
  /** Attention heads; the model width must be a multiple of it. */
  heads: number;
  seed?: number;
  name?: string;
}

/**
 * Multi-head scaled dot-product self-attention over `[batch, time, width]` (Vaswani et al. 2017): per head,
 * `softmax(Q K^T / sqrt(d_k)) V` with `Q, K, V` linear maps of the input, heads concatenated and mapped back
 * to `width`. No mask: every position of a window is at or before the decision session.
 */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  static className = "FmaiMultiHeadSelfAttention";
  readonly heads: number;
  readonly seed: number;
  private w: tf.LayerVariable[] = [];
  private b: tf.LayerVariable[] = [];

  constructor(args: MultiHeadSelfAttentionArgs) {
    super({ name: args.name });
    this.heads = args.heads;
    this.seed = args.seed ?? 1;
  }

  override build(inputShape: Shape | Shape[]): void {
    const d = shapeOf(inputShape)[2];
    if (typeof d !== "number" || d % this.heads !== 0) {
      throw new RangeError(`attention width ${d} is not a multiple of ${this.heads} heads`);
    }
    this.w = ["q", "k", "v", "o"].map((n, i) =>
      this.addWeight(`w${n}`, [d, d], "float32", tf.initializers.glorotUniform({ seed: this.seed + i }))
    );
    this.b = ["q", "k", "v", "o"].map((n) =>
      this.addWeight(`b${n}`, [d], "float32", tf.initializers.zeros())
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return shapeOf(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const [, L, D] = x.shape as number[];
      const h = this.heads, dk = D / h;
      const flat = x.reshape([-1, D]);
      const proj = (i: number) =>
        tf.add(tf.matMul(flat, this.w[i].read()), this.b[i].read()).reshape([-1, L, h, dk]).transpose([
          0,
          2,
          1,
          3,
        ]);
      const q = proj(0), k = proj(1), v = proj(2);
      const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dk)));
      const o = tf.matMul(att, v).transpose([0, 2, 1, 3]).reshape([-1, D]);
      return tf.add(tf.matMul(o, this.w[3].read()), this.b[3].read()).reshape([-1, L, D]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, seed: this.seed };
  }
}

/** A learned position embedding added to `[batch, time, width]` (one vector per time step). */
export class PositionEmbedding extends tf.layers.Layer {
  static className = "FmaiPositionEmbedding";
  readonly seed: number;
  private pos: tf.LayerVariable | null = null;

  constructor(args: { seed?: number; name?: string } = {}) {
    super({ name: args.name });
    this.seed = args.seed ?? 1;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = shapeOf(inputShape);
    this.pos = this.addWeight(
      "pos",
      [s[1] as number, s[2] as number],
      "float32",
      tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: this.seed }),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return shapeOf(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => tf.add(one(inputs), this.pos!.read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}

/** `tanh(x) = 2 sigmoid(2x) - 1`: tfjs-wasm's own tanh kernel is about 15x slower than its sigmoid. */
function tanh(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
}

/**
 * The time steps of `[batch, time, channels]` as `time` tensors `[batch, channels]`. tfjs-wasm's slice copies
 * its whole input out of the heap first, so `unstack` costs `time` full copies; splitting into about
 * `sqrt(time)` chunks first costs about `2 sqrt(time)`.
 */
function timeSteps(x: tf.Tensor): tf.Tensor[] {
  const [, L, C] = x.shape as number[];
  const tm = x.transpose([1, 0, 2]);
  const k = Math.ceil(Math.sqrt(L)), sizes: number[] = [];
  for (let a = 0; a < L; a += k) sizes.push(Math.min(k, L - a));
  const chunks = sizes.length > 1 ? tf.split(tm, sizes, 0) : [tm];
  return chunks.flatMap((ch) => (ch.shape[0] === 1 ? [ch] : tf.split(ch, ch.shape[0], 0))).map((s) =>
    s.reshape([-1, C])
  );
}

/** Options of {@link Recurrent}. */
export interface RecurrentArgs {
  cell: "lstm" | "gru";
  units: number;
  /** Return every step's state `[batch, time, units]` instead of the last `[batch, units]`. */
  returnSequences?: boolean;
  seed?: number;
  name?: string;
}

/**
 * An LSTM (Hochreiter & Schmidhuber 1997, with forget gate) or GRU (Cho et al. 2014) layer over
 * `[batch, time, channels]`, zero initial state, sigmoid gates and tanh. Weight layout as Keras/tfjs
 * (`kernel [C, gates*units]`, `recurrentKernel [units, gates*units]`, `bias`; gate order i, f, c, o for the
 * LSTM and z, r, h for the GRU, `reset_after = false`), so its output equals tfjs's `lstm`/`gru` layers with
 * `recurrentActivation: "sigmoid"` and the same weights. Faster to train on wasm: the input projection is
 * one matrix product for the whole window instead of one per step, and each step is a few fused ops.
 */
export class Recurrent extends tf.layers.Layer {
  static className = "FmaiRecurrent";
  readonly cell: "lstm" | "gru";
  readonly units: number;
  readonly returnSequences: boolean;
  readonly seed: number;
  private kernel: tf.LayerVariable | null = null;
  private recurrent: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: RecurrentArgs) {
    super({ name: args.name });
    this.cell = args.cell;
    this.units = args.units;
    this.returnSequences = args.returnSequences ?? false;
    this.seed = args.seed ?? 1;
  }

  private get gates(): number {
    return this.cell === "lstm" ? 4 : 3;
  }

  override build(inputShape: Shape | Shape[]): void {
    const c = shapeOf(inputShape)[2] as number, g = this.gates, h = this.units;
    this.kernel = this.addWeight(
      "kernel",
      [c, g * h],
      "float32",
      tf.initializers.glorotUniform({ seed: this.seed }),
    );
    this.recurrent = this.addWeight(
      "recurrent_kernel",
      [h, g * h],
      "float32",
      tf.initializers.orthogonal({ gain: 1, seed: this.seed + 1 }),
    );
    // LSTM: forget-gate bias 1 (Jozefowicz et al. 2015), as Keras's unitForgetBias
    const b = new Float32Array(g * h);
    if (this.cell === "lstm") b.fill(1, h, 2 * h);
    this.bias = this.addWeight("bias", [g * h], "float32", tf.initializers.zeros());
    this.bias.write(tf.tensor1d(b));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = shapeOf(inputShape);
    return this.returnSequences ? [s[0], s[1], this.units] : [s[0], this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const L = x.shape[1] as number, H = this.units, g = this.gates;
      const steps = timeSteps(x);
      // tanh(u) = 2 sigmoid(2u) - 1: the tanh gate's columns are doubled once per call, so one sigmoid serves
      // every gate of a step (fewer kernel calls per step is what makes a small RNN fast here)
      const k2 = 2; // gate index of the tanh gate: LSTM order i, f, c, o; GRU z, r, h
      const scale = tf.concat([tf.ones([k2 * H]), tf.fill([H], 2), tf.ones([(g - k2 - 1) * H])]);
      const K = tf.mul(this.kernel!.read(), scale), U = tf.mul(this.recurrent!.read(), scale);
      const bias = tf.mul(this.bias!.read(), scale);
      const B = steps[0].shape[0];
      let h: tf.Tensor = tf.zeros([B, H]);
      let c: tf.Tensor = tf.zeros([B, H]);
      const outs: tf.Tensor[] = [];
      // one tidy per step (as tfjs's rnn): intermediates go at once unless the gradient tape keeps them
      if (this.cell === "lstm") {
        for (let t = 0; t < L; t++) {
          [h, c] = tf.tidy(() => {
            const s = tf.sigmoid(tf.add(tf.fused.matMul({ a: steps[t], b: K, bias }), tf.matMul(h, U)));
            const [i, f, u, o] = tf.split(s, 4, 1);
            const c2 = tf.add(tf.mul(f, c), tf.mul(i, tf.sub(tf.mul(u, 2), 1)));
            return [tf.mul(o, tanh(c2)), c2];
          });
          if (this.returnSequences) outs.push(h);
        }
      } else {
        const [Kzr, Kh] = tf.split(K, [2 * H, H], 1), [Uzr, Uh] = tf.split(U, [2 * H, H], 1);
        const [bzr, bh] = tf.split(bias, [2 * H, H], 0);
        for (let t = 0; t < L; t++) {
          h = tf.tidy(() => {
            const zr = tf.sigmoid(
              tf.add(tf.fused.matMul({ a: steps[t], b: Kzr, bias: bzr }), tf.matMul(h, Uzr)),
            );
            const [z, r] = tf.split(zr, 2, 1);
            const sh = tf.sigmoid(
              tf.add(tf.fused.matMul({ a: steps[t], b: Kh, bias: bh }), tf.matMul(tf.mul(r, h), Uh)),
            );
            const hh = tf.sub(tf.mul(sh, 2), 1);
            return tf.add(hh, tf.mul(z, tf.sub(h, hh))); // z * h + (1 - z) * hh
          });
          if (this.returnSequences) outs.push(h);
        }
      }
      return this.returnSequences ? tf.stack(outs, 1) : h;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      cell: this.cell,
      units: this.units,
      returnSequences: this.returnSequences,
      seed: this.seed,
    };
  }
}

/** Options of {@link TcnLevel}. */
export interface TcnLevelArgs {
  filters: number;
  seed?: number;
  /**
   * Factor on the level's output `relu(...) + residual`. Default 1 (as networks saved before it existed);
   * the sequence models build theirs with `sqrt(1/2)` (ConvS2S, Gehring et al. 2017): the sum of two parts of
   * about equal size doubles the second moment per level, so six unscaled levels scaled the head's input about
   * 8x and the untrained network answered with probabilities near 0 and 1 (a log loss near 9 on noise).
   */
  residualScale?: number;
  name?: string;
}

/**
 * One level of a temporal convolutional network (Bai et al. 2018; kernel 2 as in WaveNet) evaluated only at
 * the positions the last time step depends on. Level `i` of a kernel-2 TCN computes
 * `y[p] = s (relu(W1 x[p - 2^i] + W0 x[p] + b) + x[p])` (residual, a linear map of `x[p]` when widths differ;
 * `s` the residual scale);
 * the final output at the last step reads level `i` only at positions `T - 1 - k 2^(i+1)`, which are disjoint
 * right-aligned pairs of the level below. So each level is a reshape of `[batch, T, C]` to
 * `[batch, T / 2, 2C]` and one matrix product: exact for the last step, and `T / 2` times cheaper per level
 * than the full dilated sequence. An odd-length input gets one zero step on the left (a causal convolution's
 * zero padding).
 */
export class TcnLevel extends tf.layers.Layer {
  static className = "FmaiTcnLevel";
  readonly filters: number;
  readonly seed: number;
  readonly residualScale: number;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;
  private proj: tf.LayerVariable | null = null;

  constructor(args: TcnLevelArgs) {
    super({ name: args.name });
    this.filters = args.filters;
    this.seed = args.seed ?? 1;
    this.residualScale = args.residualScale ?? 1;
  }

  override build(inputShape: Shape | Shape[]): void {
    const c = shapeOf(inputShape)[2] as number;
    this.kernel = this.addWeight(
      "kernel",
      [2 * c, this.filters],
      "float32",
      tf.initializers.heNormal({ seed: this.seed }),
    );
    this.bias = this.addWeight("bias", [this.filters], "float32", tf.initializers.zeros());
    if (c !== this.filters) {
      this.proj = this.addWeight(
        "proj",
        [c, this.filters],
        "float32",
        tf.initializers.glorotUniform({ seed: this.seed + 1 }),
      );
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = shapeOf(inputShape);
    return [s[0], Math.ceil((s[1] as number) / 2), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs);
      const [, L, C] = x.shape as number[];
      if (L % 2 === 1) x = tf.pad(x, [[0, 0], [1, 0], [0, 0]]);
      const T = L + (L % 2);
      const pairs = x.reshape([-1, 2 * C]); // [x[p - d], x[p]] per row
      const y = tf.relu(tf.add(tf.matMul(pairs, this.kernel!.read()), this.bias!.read()));
      let res = pairs.slice([0, C], [-1, C]);
      if (this.proj) res = tf.matMul(res, this.proj.read());
      const out = tf.add(y, res);
      return (this.residualScale === 1 ? out : tf.mul(out, this.residualScale)).reshape([
        -1,
        T / 2,
        this.filters,
      ]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      seed: this.seed,
      residualScale: this.residualScale,
    };
  }
}

/**
 * Layer normalization over the last axis with a learned scale and shift (Ba et al. 2016), from plain ops:
 * tfjs's own `layerNormalization` trains hundreds of times slower on the wasm backend (its gradient; `deno task
 * bench:sequence` measured about 1,000x on 2026-12-07).
 */
export class LayerNorm extends tf.layers.Layer {
  static className = "FmaiLayerNorm";
  readonly epsilon: number;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: { epsilon?: number; name?: string } = {}) {
    super({ name: args.name });
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = shapeOf(inputShape), d = s[s.length - 1] as number;
    this.gamma = this.addWeight("gamma", [d], "float32", tf.initializers.ones());
    this.beta = this.addWeight("beta", [d], "float32", tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return shapeOf(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs), ax = x.rank - 1;
      const c = tf.sub(x, tf.mean(x, ax, true));
      const inv = tf.rsqrt(tf.add(tf.mean(tf.square(c), ax, true), this.epsilon));
      return tf.add(tf.mul(tf.mul(c, inv), this.gamma!.read()), this.beta!.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

/** The last time step of `[batch, time, width]`, as `[batch, width]`. */
export class LastTimeStep extends tf.layers.Layer {
  static className = "FmaiLastTimeStep";

  constructor(args: { name?: string } = {}) {
    super({ name: args.name });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = shapeOf(inputShape);
    return [s[0], s[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const [, L, D] = x.shape as number[];
      return x.slice([0, L - 1, 0], [-1, 1, D]).reshape([-1, D]);
    });
  }
}

for (const c of [Recurrent, MultiHeadSelfAttention, PositionEmbedding, TcnLevel, LayerNorm, LastTimeStep]) {
  tf.serialization.registerClass(c);
}
