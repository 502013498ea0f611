import { equal, ok } from "node:assert/strict";
import { mulberry32 } from "../core/mod.ts";
import { LayerNorm, MultiHeadSelfAttention, Recurrent, TcnLevel } from "./seq_layers.ts";
import { initTensorflow, tf } from "./tf_backend.ts";

await initTensorflow();

function randn(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

async function maxDiff(a: tf.Tensor, b: tf.Tensor | Float32Array | Float64Array): Promise<number> {
  const x = await a.data(), y = b instanceof tf.Tensor ? await b.data() : b;
  ok(x.length === y.length, `sizes ${x.length} vs ${y.length}`);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

Deno.test("Recurrent equals tfjs's lstm/gru layers (sigmoid gates) with the same weights, last step and sequences", async () => {
  const B = 7, L = 9, C = 3, H = 5;
  const x = tf.tensor3d(randn(B * L * C, 1), [B, L, C]);
  for (const cell of ["lstm", "gru"] as const) {
    for (const returnSequences of [false, true]) {
      const mine = new Recurrent({ cell, units: H, returnSequences, seed: 3 });
      const ref = cell === "lstm"
        ? tf.layers.lstm({ units: H, recurrentActivation: "sigmoid", returnSequences })
        : tf.layers.gru({ units: H, recurrentActivation: "sigmoid", returnSequences });
      const a = mine.apply(x) as tf.Tensor;
      ref.apply(x);
      ref.setWeights(mine.getWeights());
      const b = ref.apply(x) as tf.Tensor;
      const d = await maxDiff(a, b);
      ok(d < 1e-5, `${cell} returnSequences=${returnSequences}: max diff ${d}`);
      tf.dispose([a, b]);
    }
  }
});

Deno.test("TcnLevel stack equals a kernel-2 dilated causal convolution (zero padding, residual, scaled) at the last step", async () => {
  for (const scale of [1, Math.SQRT1_2]) await tcnAgainstReference(scale);
});

Deno.test("TcnLevel: a saved level without residualScale (saved before it existed) loads with 1", () => {
  const cfg = new TcnLevel({ filters: 4, seed: 3, residualScale: 0.5 }).getConfig();
  equal(cfg.residualScale, 0.5);
  delete cfg.residualScale;
  const back = TcnLevel.fromConfig(TcnLevel, cfg);
  equal((back as TcnLevel).residualScale, 1);
});

async function tcnAgainstReference(scale: number): Promise<void> {
  const B = 3, L = 11, C = 2, F = 4, levels = 4;
  const xv = randn(B * L * C, 5);
  let h: tf.Tensor = tf.tensor3d(xv, [B, L, C]);
  const layers: TcnLevel[] = [];
  for (let k = 0; k < levels; k++) {
    const lv = new TcnLevel({ filters: F, seed: 10 + k, residualScale: scale });
    h = lv.apply(h) as tf.Tensor;
    layers.push(lv);
  }
  const got = h.reshape([B, F]);
  // reference: the full dilated sequence at every level, in plain arrays
  const want = new Float64Array(B * F);
  for (let b = 0; b < B; b++) {
    let seq: number[][] = Array.from(
      { length: L },
      (_, t) => Array.from({ length: C }, (_, c) => xv[(b * L + t) * C + c]),
    );
    for (let k = 0; k < levels; k++) {
      const [kernel, bias, proj] = await Promise.all(layers[k].getWeights().map((w) => w.data()));
      const cin = seq[0].length, d = 2 ** k;
      seq = seq.map((cur, t) => {
        const prev = t - d >= 0 ? seq[t - d] : new Array(cin).fill(0);
        return Array.from({ length: F }, (_, f) => {
          let y = bias[f];
          for (let c = 0; c < cin; c++) y += prev[c] * kernel[c * F + f] + cur[c] * kernel[(cin + c) * F + f];
          let res = 0;
          if (proj) { for (let c = 0; c < cin; c++) res += cur[c] * proj[c * F + f]; }
          else res = cur[f];
          return scale * (Math.max(0, y) + res);
        });
      });
    }
    for (let f = 0; f < F; f++) want[b * F + f] = seq[L - 1][f];
  }
  const d = await maxDiff(got, want);
  ok(d < 1e-5, `scale ${scale}: max diff ${d}`);
}

Deno.test("MultiHeadSelfAttention equals scaled dot-product attention per head; LayerNorm normalizes the last axis", async () => {
  const B = 2, L = 4, D = 6, heads = 3, dk = D / heads;
  const xv = randn(B * L * D, 9);
  const x = tf.tensor3d(xv, [B, L, D]);
  const att = new MultiHeadSelfAttention({ heads, seed: 4 });
  const got = att.apply(x) as tf.Tensor;
  const w = await Promise.all(att.getWeights().map((t) => t.data())); // wq wk wv wo, bq bk bv bo
  const lin = (v: number[], W: ArrayLike<number>, b: ArrayLike<number>) =>
    Array.from({ length: D }, (_, j) => v.reduce((s, vi, i) => s + vi * W[i * D + j], b[j]));
  const want: number[] = [];
  for (let b = 0; b < B; b++) {
    const xs = Array.from(
      { length: L },
      (_, t) => Array.from(xv.subarray((b * L + t) * D, (b * L + t + 1) * D)),
    );
    const [q, k, v] = [0, 1, 2].map((m) => xs.map((r) => lin(r, w[m], w[4 + m])));
    for (let t = 0; t < L; t++) {
      const o = new Array(D).fill(0);
      for (let hh = 0; hh < heads; hh++) {
        const sc = Array.from({ length: L }, (_, u) => {
          let s = 0;
          for (let j = 0; j < dk; j++) s += q[t][hh * dk + j] * k[u][hh * dk + j];
          return s / Math.sqrt(dk);
        });
        const mx = Math.max(...sc), e = sc.map((s) => Math.exp(s - mx)), z = e.reduce((a, c) => a + c, 0);
        for (let u = 0; u < L; u++) {
          for (let j = 0; j < dk; j++) o[hh * dk + j] += (e[u] / z) * v[u][hh * dk + j];
        }
      }
      want.push(...lin(o, w[3], w[7]));
    }
  }
  const d = await maxDiff(got, Float64Array.from(want));
  ok(d < 1e-5, `attention max diff ${d}`);

  const ln = new LayerNorm().apply(x) as tf.Tensor;
  const mean = tf.mean(ln, -1), sd = tf.sqrt(tf.mean(tf.square(ln), -1));
  ok((await maxDiff(mean, new Float32Array(B * L))) < 1e-5);
  ok((await maxDiff(sd, new Float32Array(B * L).fill(1))) < 1e-3);
});
