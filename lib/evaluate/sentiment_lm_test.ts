/**
 * Cache keys of text-model outputs carry the weights' digest; the frozen-encoder embedding cache (needs an installed base encoder; skips with the install command
 * otherwise): a hit returns the recomputed embeddings bit for bit, other texts or another model miss.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { lmScorer, OnnxTextModel } from "../models/mod.ts";
import { openLocalObjects } from "../store/mod.ts";
import { cachedEmbed } from "./sentiment_lm.ts";

const registry = join(
  Deno.env.get("FMAI_LM_DIR") ?? join(Deno.env.get("HOME") ?? ".", ".cache", "fmai", "lm"),
  "registry",
);
const installed = existsSync(join(registry, "models", "all-minilm-l6-v2", "base", "manifest.json"));

Deno.test({
  name: `cachedEmbed: a hit equals the recomputation bit for bit; other texts miss${
    installed ? "" : " (skipped: language model not installed: run `deno task lm:fetch`)"
  }`,
  ignore: !installed,
  fn: async () => {
    const objects = await openLocalObjects(registry);
    const model = await OnnxTextModel.load(objects, "all-minilm-l6-v2", "base");
    await objects.close();
    const dir = await Deno.makeTempDir();
    const cache = await openLocalObjects(dir);
    try {
      // cached outputs are keyed by the weights' digest, not by the version name alone
      ok(model.cacheId.startsWith(`${model.id}#`) && model.cacheId.length === model.id.length + 17);
      equal(lmScorer(model).id, model.cacheId);
      const texts = [
        "Profit rose 20% on strong demand.",
        "The company cut its outlook.",
        "Shares were flat.",
      ];
      const fresh = await model.embed(texts);
      const first = await cachedEmbed(model, texts, cache);
      deepEqual(Array.from(first), Array.from(fresh));
      equal((await cache.list("embeddings/")).length, 1);
      const hit = await cachedEmbed(model, texts, cache);
      equal(hit.length, fresh.length);
      for (let i = 0; i < hit.length; i++) ok(Object.is(hit[i], fresh[i]), `embedding[${i}]`);
      await cachedEmbed(model, texts.slice(0, 2), cache);
      equal((await cache.list("embeddings/")).length, 2, "other texts: a second entry");
    } finally {
      await model.release();
      await cache.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
