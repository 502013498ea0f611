import { deepEqual, equal, ok } from "node:assert/strict";
import { fabricateDataset } from "./_test_data.ts";
import { assertEdge, assertNoEdge, scoreRows } from "./_test_checks.ts";
import { MlpModel } from "./mlp.ts";
import { initTensorflow, probeWebGpu } from "./tf_backend.ts";

Deno.test("tf backend: starts once; wasm here (no hardware WebGPU adapter, native tfjs-node not installed)", async () => {
  const a = await initTensorflow(), b = await initTensorflow();
  deepEqual(a, b);
  ok(["webgpu", "tensorflow", "wasm", "cpu"].includes(a.backend), a.backend);
  if (a.backend === "webgpu") ok(!a.fallbackAdapter, "a fallback adapter is never chosen by default");
  const probe = await probeWebGpu();
  if (probe?.fallback) {
    ok(a.tried.some((t) => /^webgpu: skipped fallback adapter/.test(t)), a.tried.join(" | "));
  }
  console.log(`tfjs backend: ${a.backend}; tried: ${a.tried.join(" | ") || "-"}`);
});

Deno.test("mlp-tfjs: planted signal beats chance, null does not, seeded fits repeat, artifacts round-trip", async () => {
  const t0 = performance.now();
  const planted = fabricateDataset({ strength: 1.5, seed: 21, nSymbols: 20, nDays: 500 });
  const m = new MlpModel({ maxEpochs: 15, seed: 7 });
  await m.fit(planted.ds, planted.train, planted.valid);
  const probs = await m.predict(planted.ds, planted.test);
  console.log(`mlp fit on ${planted.train.length} rows:`, JSON.stringify(m.info));
  const s = scoreRows(planted.ds, planted.test, probs);
  assertEdge(s, "mlp");

  const m2 = new MlpModel({ maxEpochs: 15, seed: 7 });
  await m2.fit(planted.ds, planted.train, planted.valid);
  const probs2 = await m2.predict(planted.ds, planted.test);
  for (let i = 0; i < probs.length; i++) equal(probs[i], probs2[i]);

  const files = await m.toArtifacts();
  // the same fit serializes to the same bytes, however many networks the process built before it (tfjs's own
  // layer names count them: dense_Dense4 here, dense_Dense10 in a process that built more, another version)
  deepEqual(await m2.toArtifacts(), files);
  const m3 = await MlpModel.fromArtifacts(files);
  const probs3 = await m3.predict(planted.ds, planted.test);
  for (let i = 0; i < probs.length; i++) ok(Math.abs(probs[i] - probs3[i]) < 1e-6);
  const m4 = await MlpModel.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
  const probs4 = await m4.predict(planted.ds, planted.test);
  for (let i = 0; i < probs.length; i++) ok(Math.abs(probs[i] - probs4[i]) < 1e-6);

  const nul = fabricateDataset({ strength: 0, seed: 22, nSymbols: 20, nDays: 500 });
  const m0 = new MlpModel({ maxEpochs: 15, seed: 7 });
  await m0.fit(nul.ds, nul.train); // no valid rows: holds out the latest 10% of train dates
  assertNoEdge(scoreRows(nul.ds, nul.test, await m0.predict(nul.ds, nul.test)), "mlp null");
  console.log(
    `mlp test: ${(performance.now() - t0).toFixed(0)} ms (speed is measured in bench/, not asserted here)`,
  );
});
