import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { ModelError } from "../core/mod.ts";
import { fabricateDataset } from "./_test_data.ts";
import { loadModel, loadModelArtifact, saveModel, saveModelArtifact } from "./registry.ts";
import { LogisticModel } from "./logistic.ts";
import { MomentumModel } from "./momentum.ts";
import { MlpModel } from "./mlp.ts";
import { GbdtModel } from "./gbdt.ts";

/** An in-memory object store (put/get only). */
function memoryObjects() {
  const m = new Map<string, Uint8Array>();
  return {
    m,
    put(key: string, body: Uint8Array | string): Promise<void> {
      m.set(key, typeof body === "string" ? new TextEncoder().encode(body) : body.slice());
      return Promise.resolve();
    },
    get(key: string): Promise<Uint8Array | null> {
      return Promise.resolve(m.get(key) ?? null);
    },
  };
}

Deno.test("registry: files round-trip under models/<name>/<version>/ with a manifest", async () => {
  const o = memoryObjects();
  const man = await saveModelArtifact(o, "x", "v1", { "a.json": "{}", "w.bin": Uint8Array.of(1, 2, 3) });
  deepEqual(man.files, ["a.json", "w.bin"]);
  deepEqual([...o.m.keys()].sort(), ["models/x/v1/a.json", "models/x/v1/manifest.json", "models/x/v1/w.bin"]);
  const back = await loadModelArtifact(o, "x", "v1");
  deepEqual(back["w.bin"], Uint8Array.of(1, 2, 3));
  await rejects(() => loadModelArtifact(o, "x", "v2"), ModelError);
  await rejects(() => saveModelArtifact(o, "../x", "v1", {}), TypeError);
});

Deno.test("registry: logistic, momentum, mlp-tfjs and gbdt models save and load with identical predictions", async () => {
  const { ds, train, valid, test } = fabricateDataset({ strength: 1, seed: 31, nSymbols: 8, nDays: 300 });
  const o = memoryObjects();
  const models = [
    new LogisticModel(),
    new MomentumModel(),
    new MlpModel({ maxEpochs: 3 }),
    new GbdtModel({ maxRounds: 5 }),
  ];
  for (const m of models) {
    await m.fit(ds, train, valid);
    await saveModel(o, m, "2026-11-23");
  }
  ok(o.m.has("models/mlp-tfjs/2026-11-23/weights.bin"));
  for (const m of models) {
    const back = await loadModel(o, m.name, "2026-11-23");
    equal(back.name, m.name);
    const a = await m.predict(ds, test);
    const b = await (back as typeof m).predict(ds, test);
    for (let i = 0; i < a.length; i++) ok(Math.abs(a[i] - b[i]) < 1e-6, `${m.name} row ${i}`);
  }
});
