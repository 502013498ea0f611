/**
 * The news scorer a run uses: `auto` falls back to the lexicon and says so when the model is missing, `lm` refuses
 * with the install command, bad references and values are one-line config errors; `lm:*` usage errors exit 2.
 */
import { equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { loadConfig } from "./config.ts";
import { LM_INSTALL, newsScorerFor, parseModelRef } from "./lm.ts";
import { main as lmMain } from "./lm_cli.ts";

async function withEmptyLmDir<T>(f: () => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "fmai-lm-" });
  const before = Deno.env.get("FMAI_LM_DIR");
  Deno.env.set("FMAI_LM_DIR", dir);
  try {
    return await f();
  } finally {
    if (before === undefined) Deno.env.delete("FMAI_LM_DIR");
    else Deno.env.set("FMAI_LM_DIR", before);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("news scorer: auto without the model uses the lexicon and names the install command; lm refuses", async () => {
  await withEmptyLmDir(async () => {
    const auto = await newsScorerFor({ scorer: "auto", model: "finsent-mpnet@v1", variant: "fp32" });
    ok(auto.scorer.id.startsWith("lexicon"));
    ok(
      auto.note.includes("not installed") && auto.note.includes(LM_INSTALL) && auto.note.includes("lexicon"),
    );
    await rejects(
      () => newsScorerFor({ scorer: "lm", model: "finsent-mpnet@v1", variant: "fp32" }),
      (e: Error) => e instanceof ConfigError && e.message.includes(LM_INSTALL),
    );
    const lex = await newsScorerFor({ scorer: "lexicon", model: "finsent-mpnet@v1", variant: "fp32" });
    ok(lex.scorer.id.startsWith("lexicon"));
  });
});

Deno.test("news config: bad scorer, variant or model reference are ConfigErrors", async () => {
  throws(() => parseModelRef("finsent-mpnet"), ConfigError);
  throws(() => parseModelRef("../x@v1"), ConfigError);
  equal(parseModelRef("finsent-mpnet@v1").version, "v1");
  await rejects(() => loadConfig({ overrides: { news: { scorer: "bert" } } }), ConfigError);
  await rejects(() => loadConfig({ overrides: { news: { variant: "fp16" } } }), ConfigError);
  await rejects(() => loadConfig({ overrides: { news: { model: "nover" } } }), ConfigError);
  equal((await loadConfig()).news.scorer, "auto");
});

Deno.test("lm CLI: usage errors exit 2 before any work; train without fetched weights exits 2", async () => {
  const log = console.error;
  console.error = () => {};
  try {
    equal(await lmMain([]), 2);
    equal(await lmMain(["fetch", "--encoders", "gpt5"]), 2);
    equal(await lmMain(["train", "--encoder", "bert"]), 2);
    equal(await lmMain(["train", "--bogus"]), 2);
    for (const m of ["0", "9", "1.5", "two"]) equal(await lmMain(["train", "--members", m]), 2, m);
    for (const d of ["0", "13", "2.5", "all"]) equal(await lmMain(["train", "--train-layers", d]), 2, d);
    equal(await lmMain(["train", "--encoder", "minilm", "--train-layers", "7"]), 2); // MiniLM has 6 layers
    await withEmptyLmDir(async () => equal(await lmMain(["train"]), 2));
  } finally {
    console.error = log;
  }
});
