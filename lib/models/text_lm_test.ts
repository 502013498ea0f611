/**
 * The ONNX text models in TypeScript (needs the weights: each test skips with the install command when they are
 * missing): tokenizer parity with the reference (Python) tokenizer on every test sentence of `lm:fetch`,
 * normalized embeddings, calibrated probabilities, batching and the length cap, and typed errors.
 */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ModelError } from "../core/mod.ts";
import { OnnxTextModel, threadsLabel } from "./text_lm.ts";
import { installedRef, LM_MISSING, loadTestModel, SENTIMENT_REFS, testRegistryDir } from "./_test_lm.ts";

/** A test of the installed model `ref` (skipped with the install command when `skip`); the model is released after. */
function modelTest(
  ref: string,
  what: string,
  skip: boolean,
  fn: (m: OnnxTextModel) => void | Promise<void>,
): void {
  Deno.test({
    name: `${ref}: ${what}${skip ? ` (skipped: ${LM_MISSING})` : ""}`,
    ignore: skip,
    fn: async () => {
      const m = await loadTestModel(ref);
      try {
        await fn(m);
      } finally {
        await m.release();
      }
    },
  });
}

const BASES = ["all-minilm-l6-v2@base", "all-mpnet-base-v2@base"];

for (const ref of BASES) {
  const parity = join(dirname(testRegistryDir()), "stage", ref.split("@")[0], "parity.json");
  const skip = !installedRef(ref) || !existsSync(parity);
  modelTest(
    ref,
    "token ids equal the reference tokenizer's on every lm:fetch test sentence",
    skip,
    (m) => {
      const refIds = JSON.parse(readFileSync(parity, "utf8")) as { sentences: string[]; ids: number[][] };
      ok(refIds.sentences.length > 100);
      let bad = 0, truncated = 0;
      refIds.sentences.forEach((s, i) => {
        const got = m.tokenize(s);
        if (refIds.ids[i].length === m.maxLength) truncated++;
        if (JSON.stringify(got) !== JSON.stringify(refIds.ids[i])) bad++;
      });
      equal(bad, 0, `${bad} of ${refIds.sentences.length} sentences tokenized differently`);
      ok(truncated > 0, "the test set has a sentence over the length cap");
    },
  );
}

const anyBase = BASES.find((r) => installedRef(r)) ?? null;
Deno.test({
  name: `OnnxTextModel: normalized embeddings, batch-size and thread invariance, length cap, typed errors${
    anyBase ? "" : ` (skipped: ${LM_MISSING})`
  }`,
  ignore: !anyBase,
  fn: async () => {
    const texts = ["Profit rose.", "The company cut 300 jobs after sales fell sharply in the quarter.", "Hi"];
    const a = await loadTestModel(anyBase!, { batchSize: 1 });
    const b = await loadTestModel(anyBase!, { batchSize: 8, maxLength: 8 });
    try {
      const ea = await a.embed(texts), H = a.hidden;
      equal(ea.length, texts.length * H);
      for (let i = 0; i < texts.length; i++) {
        let n = 0;
        for (let j = 0; j < H; j++) n += ea[i * H + j] ** 2;
        ok(Math.abs(Math.sqrt(n) - 1) < 1e-4);
      }
      const a8 = await loadTestModel(anyBase!, { batchSize: 8 });
      const e8 = await a8.embed(texts);
      await a8.release();
      for (let k = 0; k < ea.length; k++) ok(Math.abs(ea[k] - e8[k]) < 1e-4, "batching changes an embedding");
      // ONNX Runtime's threads change the speed, not the outputs (the evaluation raises them mid-run)
      const t2 = await loadTestModel(anyBase!, { batchSize: 1, threads: 2 });
      const et2 = await t2.embed(texts);
      await t2.release();
      equal(a.threads, 1);
      equal(t2.threads, 2);
      ok(ea.every((v, k) => v === et2[k]), "two threads give other embeddings than one");
      await rejects(() => loadTestModel(anyBase!, { threads: 0 }), RangeError);
      // threads that follow a function: read at load and before each batch; the session is rebuilt mid-run
      let reads = 0;
      const moving = await loadTestModel(anyBase!, { batchSize: 1, threads: () => (++reads > 2 ? 2 : 1) });
      try {
        const em = await moving.embed(texts);
        deepEqual(moving.threadHistory, [1, 2]);
        equal(threadsLabel(moving.threadHistory), "1 thread, then 2 threads");
        equal(threadsLabel(moving.threads), "2 threads");
        equal(moving.threads, 2);
        equal(reads, 1 + texts.length);
        ok(ea.every((v, k) => v === em[k]), "rebuilding the session mid-run changed an embedding");
      } finally {
        await moving.release();
      }
      let badReads = 0;
      const bad = await loadTestModel(anyBase!, { threads: () => (badReads++ ? 0 : 1) });
      try {
        await rejects(() => bad.embed(texts), RangeError);
      } finally {
        await bad.release();
      }
      equal(b.tokenize(texts[1]).length, 8);
      await rejects(() => a.predictProba(texts), ModelError); // a base encoder has no head
      await rejects(() => loadTestModel(anyBase!, { variant: "fp8" }), ModelError);
      await rejects(() => loadTestModel(anyBase!, { maxLength: 100_000 }), RangeError);
    } finally {
      await a.release();
      await b.release();
    }
  },
});

for (const ref of SENTIMENT_REFS) {
  const skip = !installedRef(ref);
  modelTest(
    ref,
    "calibrated probabilities sum to 1; fp32 and int8 agree on clear sentences",
    skip,
    async (m) => {
      ok(typeof m.meta.temperature === "number" && m.meta.temperature > 0);
      ok(m.meta.license.includes("CC BY-NC-SA 3.0"), "the manifest states PhraseBank's licence");
      const texts = [
        "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn.",
        "The company's net loss widened and sales fell 20 %.",
        "The annual general meeting will be held on 5 May.",
      ];
      const p = await m.predictProba(texts);
      for (let i = 0; i < texts.length; i++) {
        ok(Math.abs(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2] - 1) < 1e-9);
      }
      const pred = await m.predict(texts);
      if (m.meta.variants.int8) {
        const q = await OnnxTextModel.fromArtifacts(m.name, m.version, await filesOf(ref), {
          variant: "int8",
        });
        const pq = await q.predict(texts);
        // int8 runs one text at a time: a text's score is the same alone as among others (a batch's range set
        // each text's quantization, so its score moved with its neighbours)
        const alone = await q.predictProba([texts[1]]), among = await q.predictProba(texts);
        deepEqual([...alone], [...among.subarray(3, 6)]);
        await q.release();
        equal([...pq].join(), [...pred].join());
        await rejects(
          async () =>
            OnnxTextModel.fromArtifacts(m.name, m.version, await filesOf(ref), {
              variant: "int8",
              batchSize: 8,
            }),
          /batchSize 8: the int8 variant is scored one text at a time/,
        );
        ok(q.cacheId.endsWith(":1") && !m.cacheId.endsWith(":1"), `${q.cacheId} ${m.cacheId}`);
      }
    },
  );
}

async function filesOf(ref: string): Promise<Record<string, Uint8Array>> {
  const [name, version] = ref.split("@");
  const dir = join(testRegistryDir(), "models", name, version);
  const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json"))) as { files: string[] };
  const out: Record<string, Uint8Array> = {};
  for (const f of manifest.files) out[f] = await Deno.readFile(join(dir, f));
  return out;
}

Deno.test("text model: a damaged meta.json is a one-line ModelError naming the model and the fix", async () => {
  for (const text of ["{not json", "null"]) {
    await rejects(
      () => OnnxTextModel.fromArtifacts("finsent-x", "v1", { "meta.json": new TextEncoder().encode(text) }),
      (e: Error) =>
        e instanceof ModelError && e.message.startsWith("text model finsent-x@v1: meta.json is damaged (") &&
        e.message.endsWith("): install it again (deno task lm:train)") && !e.message.includes("\n"),
      text,
    );
  }
});
