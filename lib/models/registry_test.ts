import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { InputError, ModelError } from "../core/mod.ts";
import { fabricateDataset } from "./_test_data.ts";
import { loadModel, loadModelArtifact, saveModel, saveModelArtifact } from "./registry.ts";
import { LogisticModel } from "./logistic.ts";
import { MomentumModel } from "./momentum.ts";
import { MlpModel } from "./mlp.ts";
import { GbdtModel } from "./gbdt.ts";

/** An in-memory object store (put/get only). */
function memoryObjects() {
  const m = new Map<string, Uint8Array>();
  const writes = new Map<string, number>(); // a key's tag: how many times it was written
  const put = (key: string, body: Uint8Array | string): Promise<void> => {
    m.set(key, typeof body === "string" ? new TextEncoder().encode(body) : body.slice());
    writes.set(key, (writes.get(key) ?? 0) + 1);
    return Promise.resolve();
  };
  const tag = (key: string) => (m.has(key) ? String(writes.get(key) ?? 0) : null);
  return {
    m,
    put,
    get(key: string): Promise<Uint8Array | null> {
      return Promise.resolve(m.get(key) ?? null);
    },
    getTagged(key: string): Promise<{ body: Uint8Array; tag: string } | null> {
      return Promise.resolve(m.has(key) ? { body: m.get(key)!, tag: tag(key)! } : null);
    },
    async putIf(key: string, body: Uint8Array | string, expected: string | null): Promise<boolean> {
      if (tag(key) !== expected) return false;
      await put(key, body);
      return true;
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
  await rejects(() => saveModelArtifact(o, "../x", "v1", {}), InputError);
});

Deno.test("registry: saving over a version deletes its manifest first and writes the new one last", async () => {
  const o = memoryObjects();
  const ops: string[] = [];
  let failAt = "";
  const store = {
    put(key: string, body: Uint8Array | string): Promise<void> {
      if (key === failAt) return Promise.reject(new Error("killed"));
      ops.push(`put ${key}`);
      return o.put(key, body);
    },
    get: (key: string) => o.get(key),
    delete(key: string): Promise<void> {
      ops.push(`delete ${key}`);
      o.m.delete(key);
      return Promise.resolve();
    },
  };
  await saveModelArtifact(store, "x", "v1", { "a.json": "{}", "old.bin": Uint8Array.of(9), "w.bin": "old" });
  ops.length = 0;
  await saveModelArtifact(store, "x", "v1", { "a.json": '{"b":1}', "w.bin": Uint8Array.of(1, 2) });
  deepEqual(ops, [
    "delete models/x/v1/manifest.json",
    "delete models/x/v1/old.bin",
    "put models/x/v1/a.json",
    "put models/x/v1/w.bin",
    "put models/x/v1/manifest.json",
  ]);
  deepEqual((await loadModelArtifact(o, "x", "v1"))["w.bin"], Uint8Array.of(1, 2));
  // a save killed after the first new file: no manifest, so no mixed model that looks valid
  failAt = "models/x/v1/w.bin";
  await rejects(() => saveModelArtifact(store, "x", "v1", { "a.json": "{}", "w.bin": "new" }), /killed/);
  equal(o.m.has("models/x/v1/manifest.json"), false);
  await rejects(() => loadModelArtifact(o, "x", "v1"), ModelError);
  // a save the store would refuse (a body that is neither bytes nor text, a key over 1024 bytes) is refused
  // before the old version is touched
  failAt = "";
  await saveModelArtifact(store, "x", "v2", { "w.bin": Uint8Array.of(7) });
  for (const bad of [{ "w.bin": new ArrayBuffer(2) }, { ["f".repeat(1100)]: "x" }]) {
    ops.length = 0;
    await rejects(
      () => saveModelArtifact(store, "x", "v2", bad as unknown as Record<string, string>),
      (e) => e instanceof TypeError || e instanceof RangeError,
    );
    deepEqual(ops, [], "nothing deleted or written");
    deepEqual((await loadModelArtifact(o, "x", "v2"))["w.bin"], Uint8Array.of(7));
  }
  // replacing on a store that cannot delete is refused before anything is written
  const before = new Map(o.m);
  await saveModelArtifact(o, "y", "v1", { "a.json": "{}" });
  await rejects(() => saveModelArtifact(o, "y", "v1", { "a.json": "[]" }), TypeError);
  equal(new TextDecoder().decode(o.m.get("models/y/v1/a.json")), "{}");
  equal(o.m.size, before.size + 2);
});

Deno.test("registry: a name or version that cannot be a key segment is an InputError (a user's), a file name a TypeError", async () => {
  const o = memoryObjects();
  for (const v of ["v 1", "../../etc", "v1/2", ".hidden", "a..b", ""]) {
    await rejects(
      () => versionManifest(o, "system", v),
      (e) =>
        e instanceof InputError && e.message.startsWith("bad artifact version ") && !e.message.includes("\n"),
      v,
    );
  }
  await rejects(() => versionManifest(o, "sys tem", "v1"), InputError);
  await rejects(() => saveModelArtifact(o, "x", "v1", { "../w.bin": "x" }), TypeError);
  await rejects(() => versionManifest(o, "system", "v1"), ModelError, "a good version that is not there");
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

// ---------------------------------------------------------------------------------------------------------------
// Registered versions, lineage, aliases

import { openLocalObjects } from "../store/mod.ts";
import {
  aliasState,
  aliasTarget,
  type Lineage,
  listVersions,
  loadVersion,
  promoteVersion,
  registerVersion,
  resolveAlias,
  rollbackChampion,
  rollbackTarget,
  setAlias,
  versionManifest,
} from "./registry.ts";

function lineage(over: Partial<Lineage> = {}): Lineage {
  return {
    spec: { experts: ["trend", "level", "volatility"], combiner: "moe" },
    specHash: "s".repeat(64),
    configHash: "c".repeat(64),
    featureSet: { id: "default@3", hash: "0123456789abcdef" },
    windows: { train: ["2020-01-02", "2020-12-31"], calibration: ["2021-01-04", "2021-06-30"], test: null },
    data: {
      hash: "d".repeat(64),
      snapshot: [{ symbol: "AAPL", lastKnownAt: 1625083200000, lastDate: "2021-06-30", rows: 376 }],
    },
    metrics: { validation: { ic: 0.021, logLoss: 1.05 }, test: {} },
    git: { sha: "a".repeat(40), dirty: true },
    tfBackend: "wasm",
    asOf: "2021-06-30",
    seed: 42,
    createdAt: 1_700_000_000_000,
    ...over,
  };
}

/** Random bytes of every value 0..255, so a text round trip would show. */
function weights(seed: number, n = 4099): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = (x >>> 16) & 0xff;
  }
  return b;
}

Deno.test("registry versions: round trip bit for bit on an object store; content-addressed and immutable", async () => {
  const dir = await Deno.makeTempDir();
  const objects = await openLocalObjects(dir);
  try {
    const files = { "system.json": '{"a":1}', "weights.bin": weights(1) };
    const m = await registerVersion(objects, "fmai-system", files, lineage());
    ok(/^2021-06-30\.[0-9a-f]{10}$/.test(m.version), m.version);
    equal(m.sizes["weights.bin"], 4099);
    const back = await loadVersion(objects, "fmai-system", m.version);
    deepEqual(back.files["weights.bin"], files["weights.bin"]);
    equal(new TextDecoder().decode(back.files["system.json"]), files["system.json"]);
    deepEqual(back.manifest, m);
    // the same content again: the same version, nothing rewritten (createdAt is not part of the digest)
    const again = await registerVersion(
      objects,
      "fmai-system",
      files,
      lineage({ createdAt: 1_800_000_000_000 }),
    );
    equal(again.version, m.version);
    equal(again.lineage.createdAt, 1_700_000_000_000);
    // other bytes or other lineage: another version
    const w2 = await registerVersion(
      objects,
      "fmai-system",
      { ...files, "weights.bin": weights(2) },
      lineage(),
    );
    const l2 = await registerVersion(objects, "fmai-system", files, lineage({ seed: 7 }));
    equal(new Set([m.version, w2.version, l2.version]).size, 3);
    deepEqual(
      (await listVersions(objects, "fmai-system")).map((v) => v.version).sort(),
      [m.version, w2.version, l2.version].sort(),
    );
    // a flipped bit is caught on load
    const key = `models/fmai-system/${m.version}/weights.bin`;
    const bad = (await objects.get(key))!;
    bad[100] ^= 1;
    await objects.put(key, bad);
    await rejects(() => loadVersion(objects, "fmai-system", m.version), /does not match its digest/);
    await rejects(() => versionManifest(objects, "fmai-system", "2021-06-30.ffffffffff"), ModelError);
  } finally {
    await objects.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry aliases: promote pushes the old champion, rollback pops it; challenger; unknown versions refused", async () => {
  const o = memoryObjects();
  const store = {
    ...o,
    list(prefix: string) {
      return Promise.resolve(
        [...o.m.keys()].filter((k) => k.startsWith(prefix)).sort().map((key) => ({
          key,
          size: o.m.get(key)!.length,
          contentType: "",
        })),
      );
    },
  };
  const v: string[] = [];
  for (let i = 0; i < 3; i++) {
    v.push((await registerVersion(store, "sys", { "w.bin": weights(i, 64) }, lineage({ seed: i }))).version);
  }
  equal(await resolveAlias(store, "sys", "champion"), null);
  await rejects(() => rollbackChampion(store, "sys"), ModelError);
  await promoteVersion(store, "sys", v[0], { now: 1 });
  await setAlias(store, "sys", "challenger", v[1], { now: 2 });
  equal(await resolveAlias(store, "sys", "challenger"), v[1]);
  await promoteVersion(store, "sys", v[1], { now: 3, note: "beat champion" });
  equal(await resolveAlias(store, "sys", "champion"), v[1]);
  equal(await resolveAlias(store, "sys", "challenger"), null, "promoting the challenger clears the alias");
  await promoteVersion(store, "sys", v[1], { now: 4 }); // no-op
  await promoteVersion(store, "sys", v[2], { now: 5 });
  deepEqual((await aliasState(store, "sys")).previousChampions, [v[0], v[1]]);
  await rollbackChampion(store, "sys", { now: 6 });
  equal(await resolveAlias(store, "sys", "champion"), v[1]);
  await rollbackChampion(store, "sys", { now: 7 });
  equal(await resolveAlias(store, "sys", "champion"), v[0]);
  await rejects(() => rollbackChampion(store, "sys"), /no earlier champion/);
  const st = await aliasState(store, "sys");
  deepEqual(st.history.map((h) => [h.action, h.from, h.to]), [
    ["promote", null, v[0]],
    ["set", null, v[1]],
    ["promote", v[0], v[1]],
    ["promote", v[1], v[2]],
    ["rollback", v[2], v[1]],
    ["rollback", v[1], v[0]],
  ]);
  await rejects(() => promoteVersion(store, "sys", "2099-01-01.0000000000"), ModelError);
  await rejects(() => setAlias(store, "sys", "champion", v[0]), TypeError);
  await rejects(() => setAlias(store, "sys", "Bad Alias", v[0]), TypeError);
  // only aliases that were set resolve: names every object inherits are unknown
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
    equal(await resolveAlias(store, "sys", name), null, name);
    equal(aliasTarget(st, name), null, name);
  }
  equal(aliasTarget(st, "champion"), v[0]);
  await setAlias(store, "sys", "constructor", v[2], { now: 8 });
  equal(await resolveAlias(store, "sys", "constructor"), v[2]);
  deepEqual((await aliasState(store, "sys")).history.at(-1), {
    at: 8,
    action: "set",
    alias: "constructor",
    from: null,
    to: v[2],
  });
  // an alias file of another shape is one typed line naming the field, never a crash halfway through a change
  const good = o.m.get("models/sys/aliases.json")!;
  const shaped = (f: (st: Record<string, unknown>) => unknown) => {
    o.m.set(
      "models/sys/aliases.json",
      new TextEncoder().encode(JSON.stringify(f(JSON.parse(new TextDecoder().decode(good))))),
    );
  };
  for (
    const [f, re] of [
      [
        (st: Record<string, unknown>) => ({ ...st, previousChampions: "v1" }),
        /previousChampions is not a list/,
      ],
      [(st: Record<string, unknown>) => ({ ...st, aliases: { champion: 3 } }), /aliases is not an object/],
      [(st: Record<string, unknown>) => ({ ...st, history: null }), /history is not a list/],
      [() => [1, 2], /expected a JSON object/],
    ] as const
  ) {
    shaped(f);
    for (const op of [() => rollbackChampion(store, "sys"), () => promoteVersion(store, "sys", v[1])]) {
      await rejects(op, (e: Error) => {
        ok(
          e instanceof ModelError && re.test(e.message) && e.message.includes("models/sys/aliases.json"),
          e.message,
        );
        return true;
      });
    }
  }
  o.m.set("models/sys/aliases.json", good);
});

Deno.test("registry aliases: promotes and alias changes made at once all land (conditional writes)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = await openLocalObjects(dir);
    const v: string[] = [];
    for (let i = 0; i < 6; i++) {
      v.push((await registerVersion(store, "sys", { "w.bin": weights(i, 8) }, lineage({ seed: i }))).version);
    }
    // six promotes and a challenger set at once: each reads the aliases, changes them and writes them back
    await Promise.all([
      ...v.map((x, i) => promoteVersion(store, "sys", x, { now: i + 1 })),
      setAlias(store, "sys", "shadow", v[0], { now: 9 }),
    ]);
    const st = await aliasState(store, "sys");
    equal(st.history.filter((h) => h.action === "promote").length, 6, "no promote lost");
    equal(st.aliases.shadow, v[0], "the alias set beside them kept");
    equal(st.previousChampions.length, 5);
    deepEqual([...st.previousChampions, st.aliases.champion].sort(), [...v].sort());
    // and so many rollbacks at once walk the stack back one step each
    await Promise.all([1, 2, 3].map(() => rollbackChampion(store, "sys")));
    equal((await aliasState(store, "sys")).previousChampions.length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry aliases: promote and rollback check the bytes first; a champion no longer held goes on no stack; rollback to a version the caller did not check is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = await openLocalObjects(dir);
    const v: string[] = [];
    for (let i = 0; i < 4; i++) {
      v.push((await registerVersion(store, "sys", { "w.bin": weights(i, 8) }, lineage({ seed: i }))).version);
    }
    await promoteVersion(store, "sys", v[0]);
    // a flipped bit: neither promote nor a rollback to it moves an alias
    const key = `models/sys/${v[1]}/w.bin`;
    const good = (await store.get(key))!;
    await store.put(key, Uint8Array.from(good, (b, i) => (i === 0 ? b ^ 1 : b)));
    await rejects(
      () => promoteVersion(store, "sys", v[1]),
      new RegExp(`^ModelError: not promoted: model sys@${v[1]}: w\\.bin does not match its digest`),
    );
    equal(await resolveAlias(store, "sys", "champion"), v[0]);
    await store.put(key, good);
    await promoteVersion(store, "sys", v[1]);
    await promoteVersion(store, "sys", v[2]);
    await store.put(key, Uint8Array.from(good, (b, i) => (i === 0 ? b ^ 1 : b)));
    const before = await aliasState(store, "sys");
    await rejects(
      () => rollbackChampion(store, "sys"),
      /^ModelError: not rolled back: model sys@.* does not match/,
    );
    deepEqual(await aliasState(store, "sys"), before);
    await store.put(key, good);
    // a caller that checked v[0] (not the stack's top) is refused rather than rolled back to another version
    await rejects(
      () => rollbackChampion(store, "sys", { expect: v[0] }),
      new RegExp(
        `^ModelError: not rolled back: ${v[0]} is no longer the earlier champion \\(another rollback`,
      ),
    );
    deepEqual(await aliasState(store, "sys"), before);
    // the champion's manifest gone: promoting another leaves it off the rollback stack
    await store.delete(`models/sys/${v[2]}/manifest.json`);
    await promoteVersion(store, "sys", v[3]);
    deepEqual((await aliasState(store, "sys")).previousChampions, [v[0], v[1]]);
    await rollbackChampion(store, "sys", { expect: v[1] });
    equal(await resolveAlias(store, "sys", "champion"), v[1]);
    // promoting the previous champion over one no longer held leaves it on top of the stack: a rollback goes
    // back past it to the one before
    await promoteVersion(store, "sys", v[3]);
    await store.delete(`models/sys/${v[3]}/manifest.json`);
    await promoteVersion(store, "sys", v[1]);
    deepEqual((await aliasState(store, "sys")).previousChampions, [v[0], v[1]]);
    equal(rollbackTarget(await aliasState(store, "sys")), v[0]);
    await rollbackChampion(store, "sys");
    equal(await resolveAlias(store, "sys", "champion"), v[0]);
    deepEqual((await aliasState(store, "sys")).previousChampions, []);
    await store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
