/**
 * Sequence-model speed on the active tfjs backend (wasm here): training and prediction rows per second of each
 * network of lib/models/sequence.ts at the protocol's window (60 x 5) and width 16, next to the MLP on 42
 * features as the in-run peer; and this repo's layers against tfjs's own (LSTM/GRU, layer normalization) on
 * the same inputs. Wall time and process CPU time (user + system) are both reported: on a shared machine the
 * CPU time is the steadier figure.
 *
 * `deno run -A bench/sequence_bench.ts [--batch 512] [--steps 4] [--json FILE]`. Not a timed test.
 * @module
 */
import { intFlag, outFileFlag, toolArgs, toolCheck } from "../scripts/_args.ts";
import { cpuUsage } from "node:process";
import {
  buildSequenceNet,
  initTensorflow,
  LayerNorm,
  Recurrent,
  resolveSequenceOptions,
  type SequenceArch,
  tf,
} from "@lib/models/mod.ts";

const { values } = toolArgs("bench:sequence", {
  batch: { type: "string", default: "512" },
  steps: { type: "string", default: "4" },
  json: { type: "string" },
});
// checked before tfjs starts: a positive whole number each, a file the run can write
const B = toolCheck(() => intFlag("batch", values.batch)),
  steps = toolCheck(() => intFlag("steps", values.steps));
const jsonOut = values.json === undefined
  ? undefined
  : await toolCheck(() => outFileFlag("json", values.json!));
const L = 60;
const info = await initTensorflow();
console.log(
  `tfjs ${info.backend} on ${info.device}; load ${Deno.loadavg()[0].toFixed(1)}; batch ${B}, window ${L}`,
);

interface Timing {
  wallMs: number;
  cpuMs: number;
}
async function timed(n: number, f: () => Promise<void>): Promise<Timing> {
  await f(); // warm-up (kernel set-up, shader/weight init)
  const c0 = cpuUsage(), t0 = performance.now();
  for (let i = 0; i < n; i++) await f();
  const c = cpuUsage(c0);
  return { wallMs: (performance.now() - t0) / n, cpuMs: (c.user + c.system) / 1000 / n };
}

async function trainPredict(net: tf.LayersModel, shape: number[]) {
  const x = tf.randomNormal([B, ...shape], 0, 1, "float32", 1);
  const y = tf.oneHot(tf.randomUniform([B], 0, 3, "int32", 2), 3).toFloat();
  const xp = tf.randomNormal([4096, ...shape], 0, 1, "float32", 3);
  const opt = tf.train.adam(1e-3);
  const train = await timed(steps, async () => {
    const c = opt.minimize(
      () =>
        tf.mean(
          tf.metrics.categoricalCrossentropy(y, net.apply(x, { training: true }) as tf.Tensor),
        ) as tf.Scalar,
      true,
    )!;
    await c.data();
    c.dispose();
  });
  const pred = await timed(2, async () => {
    const p = net.predict(xp, { batchSize: 4096 }) as tf.Tensor;
    await p.data();
    p.dispose();
  });
  tf.dispose([x, y, xp]);
  opt.dispose();
  return {
    train,
    pred,
    trainRowsPerCpuS: B / (train.cpuMs / 1000),
    predictRowsPerCpuS: 4096 / (pred.cpuMs / 1000),
  };
}

const rows: Record<string, unknown>[] = [];
const mlp = tf.sequential({
  layers: [
    tf.layers.dense({ units: 32, activation: "relu", inputShape: [42] }),
    tf.layers.dense({ units: 16, activation: "relu" }),
    tf.layers.dense({ units: 3, activation: "softmax" }),
  ],
});
const peer = await trainPredict(mlp, [42]);
const show = (name: string, r: Awaited<ReturnType<typeof trainPredict>>) => {
  const row = {
    model: name,
    trainRowsPerCpuS: Math.round(r.trainRowsPerCpuS),
    predictRowsPerCpuS: Math.round(r.predictRowsPerCpuS),
    trainWallMsPerBatch: Math.round(r.train.wallMs),
    vsMlpTrain: +(peer.trainRowsPerCpuS / r.trainRowsPerCpuS).toFixed(1),
    vsMlpPredict: +(peer.predictRowsPerCpuS / r.predictRowsPerCpuS).toFixed(1),
  };
  rows.push(row);
  console.log(
    `${name.padEnd(14)} train ${
      String(row.trainRowsPerCpuS).padStart(7)
    } rows/CPU-s (${row.vsMlpTrain}x the MLP's cost)` +
      `  predict ${
        String(row.predictRowsPerCpuS).padStart(7)
      } rows/CPU-s (${row.vsMlpPredict}x)  ${row.trainWallMsPerBatch} ms/batch wall`,
  );
};
show("mlp 42-32-16", peer);
for (const arch of ["lstm", "gru", "tcn", "transformer"] as SequenceArch[]) {
  const o = resolveSequenceOptions({ arch, windowLength: L, hidden: 16, batchSize: B, seed: 1 });
  show(arch, await trainPredict(buildSequenceNet(o), [L, 5]));
}

// this repo's layers vs tfjs's own, forward + backward on the same input
async function layerVsTfjs(name: string, mine: tf.layers.Layer, theirs: tf.layers.Layer, shape: number[]) {
  const x = tf.randomNormal([B, ...shape], 0, 1, "float32", 4);
  const run = (layer: tf.layers.Layer) => {
    layer.apply(x);
    const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    return timed(steps, async () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, vars);
      await value.data();
      for (const g of Object.values(grads)) await g.data();
      tf.dispose([value, ...Object.values(grads)]);
    });
  };
  const a = await run(mine), b = await run(theirs);
  const r = {
    layer: name,
    mineCpuMs: Math.round(a.cpuMs),
    tfjsCpuMs: Math.round(b.cpuMs),
    speedup: +(b.cpuMs / a.cpuMs).toFixed(2),
  };
  rows.push(r);
  console.log(
    `${name.padEnd(14)} fwd+bwd ${r.mineCpuMs} CPU-ms vs tfjs ${r.tfjsCpuMs} CPU-ms: ` +
      (b.cpuMs >= a.cpuMs ? `${r.speedup}x faster` : `${(a.cpuMs / b.cpuMs).toFixed(2)}x slower`),
  );
  x.dispose();
}
await layerVsTfjs(
  "lstm layer",
  new Recurrent({ cell: "lstm", units: 16 }),
  tf.layers.lstm({ units: 16, recurrentActivation: "sigmoid" }),
  [L, 5],
);
await layerVsTfjs(
  "gru layer",
  new Recurrent({ cell: "gru", units: 16 }),
  tf.layers.gru({ units: 16, recurrentActivation: "sigmoid" }),
  [L, 5],
);
await layerVsTfjs("layer norm", new LayerNorm(), tf.layers.layerNormalization(), [12, 16]);

if (jsonOut) {
  await Deno.writeTextFile(
    jsonOut,
    JSON.stringify({ backend: info.backend, batch: B, rows }, null, 2) + "\n",
  );
}
