/**
 * `deno task bench:lm [--n 2000] [--threads 1,2] [--batch 32] [--json FILE]`: news-scoring throughput of the
 * installed text models in TypeScript (onnxruntime-node on CPU), fp32 vs int8, on StockNet tweets (the bulk case)
 * and PhraseBank sentences, next to the lexicon in the same run. Reports sentences/s of wall time and per CPU
 * second (robust on a shared machine: wall time depends on what else runs, CPU time much less), and the
 * projected time for all 106k StockNet tweets. Writes `bench/results/lm-<date>.json` (or `--json`).
 *
 * `--batch` is fp32's texts per batch (int8 runs one text at a time, as news scoring runs it: a batch would change
 * each text's score). `--n` and `--batch` are positive integers, `--threads` a comma-separated list of them; a bad flag or value is
 * refused with exit 2 before any work. A variant a model does not ship (e.g. no int8) is skipped with a line; an
 * installed model (variant) that fails to load is one line `error: ...` on stderr, the others are still measured
 * and written (the failures under `failed`), and the exit code is 1. With no model installed only the lexicon
 * runs.
 */
import { benchResultsFile, intFlag, intListFlag, toolArgs, toolCheck } from "../scripts/_args.ts";
import process from "node:process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadStocknetTweets, parsePhraseBank, SENTIMENT_FILES } from "@lib/evaluate/mod.ts";
import { oneLine } from "@lib/core/mod.ts";
import { LexiconModel, OnnxTextModel } from "@lib/models/mod.ts";
import { LM_INSTALL, lmInstalled, lmRegistryDir, loadTextModel, parseModelRef } from "../pipelines/lm.ts";
import { SHARED_DATA as SHARED } from "../scripts/_bench.ts";

const REFS = [
  "all-minilm-l6-v2@base",
  "finsent-minilm@v1",
  "finsent-minilm@ci",
  "finsent-mpnet@v1",
  "finsent-mpnet@ci",
];

const { values } = toolArgs("bench:lm", {
  n: { type: "string", default: "2000" },
  threads: { type: "string", default: "1,2" },
  batch: { type: "string", default: "32" },
  json: { type: "string" },
});
const n = toolCheck(() => intFlag("n", values.n));
const batch = toolCheck(() => intFlag("batch", values.batch));
const threadList = toolCheck(() => intListFlag("threads", values.threads));
const out = await benchResultsFile("lm", values.json);

const tweetsAll = loadStocknetTweets(SHARED);
const tweets = tweetsAll.filter((_, i) => i % Math.max(1, Math.floor(tweetsAll.length / n)) === 0).slice(0, n)
  .map((t) => t.text);
const pbFile = join(SHARED, SENTIMENT_FILES.phrasebank50);
const phrases = existsSync(pbFile)
  ? parsePhraseBank(new TextDecoder("latin1").decode(await Deno.readFile(pbFile))).slice(0, n).map((s) =>
    s.text
  )
  : [];

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Row {
  model: string;
  data: string;
  threads: number;
  n: number;
  perSecWall: number;
  perSecCpu: number;
  minutesFor106kWall: number;
}
const rows: Row[] = [];
const load = Deno.loadavg();

async function measure(
  model: string,
  data: string,
  threads: number,
  texts: string[],
  f: (x: string[]) => unknown,
) {
  const w0 = performance.now(), c0 = cpuSeconds();
  await f(texts);
  const wall = (performance.now() - w0) / 1000, cpu = cpuSeconds() - c0;
  const r = {
    model,
    data,
    threads,
    n: texts.length,
    perSecWall: texts.length / wall,
    perSecCpu: texts.length / cpu,
    minutesFor106kWall: tweetsAll.length / (texts.length / wall) / 60,
  };
  rows.push(r);
  console.log(
    `${model.padEnd(34)} ${data.padEnd(10)} threads ${threads}: ${
      r.perSecWall.toFixed(0).padStart(6)
    }/s wall, ${r.perSecCpu.toFixed(0).padStart(6)}/CPU-s; all ${tweetsAll.length} tweets in ${
      r.minutesFor106kWall.toFixed(1)
    } min${data === "tweets" ? "" : ` (projected at the ${data} rate)`}`,
  );
}

console.log(
  `load average ${load.map((v) => v.toFixed(1)).join(" ")} on ${navigator.hardwareConcurrency} cores`,
);
const lex = new LexiconModel();
await measure("lexicon (peer)", "tweets", 1, tweets, (x) => lex.score(x));

/** The ONNX variants `ref` ships (its registry `meta.json`). */
function variantsOf(ref: string): string[] {
  const { name, version } = parseModelRef(ref);
  const file = join(lmRegistryDir(), "models", name, version, "meta.json");
  let meta: { variants?: Record<string, string> };
  try {
    meta = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`meta.json: ${oneLine(e)}`);
  }
  return Object.keys(meta.variants ?? {});
}
/** Installed models that could not be loaded: one line each on stderr, in the results, and exit code 1. */
const failed: { model: string; variant?: string; error: string }[] = [];
function fail(f: (typeof failed)[number]): void {
  failed.push(f);
  console.error(`error: ${f.model}${f.variant ? ` ${f.variant}` : ""}: cannot load: ${f.error}`);
}

let any = false;
for (const ref of REFS) {
  if (!lmInstalled(ref)) continue;
  any = true;
  let has: string[];
  try {
    has = variantsOf(ref);
  } catch (e) {
    fail({ model: ref, error: oneLine(e) });
    continue;
  }
  for (const variant of ["fp32", "int8"]) {
    if (!has.includes(variant)) {
      console.log(`${ref}: no ${variant} variant (has ${has.join(", ") || "none"}), skipped`);
      continue;
    }
    for (const threads of threadList) {
      // int8 runs one text at a time (a batch would change each text's score): --batch is fp32's
      const batchSize = variant === "int8" ? 1 : batch;
      const m = await loadTextModel(ref, { variant, threads, batchSize }).catch((e: unknown) => e);
      if (!(m instanceof OnnxTextModel)) {
        fail({ model: ref, variant, error: m ? oneLine(m) : "not in the registry" });
        break; // its other thread counts would fail the same way: one line per model (variant)
      }
      await m.run(tweets.slice(0, 64)); // warm-up
      await measure(`${m.id}`, "tweets", threads, tweets, (x) => m.run(x));
      if (phrases.length && threads === threadList[0]) {
        await measure(`${m.id}`, "phrasebank", threads, phrases, (x) => m.run(x));
      }
      await m.release();
    }
  }
}
if (!any) console.log(`no language model installed (${LM_INSTALL}): only the lexicon was measured`);
await Deno.writeTextFile(
  out,
  JSON.stringify({ loadavg: load, batch, rows, ...(failed.length ? { failed } : {}) }, null, 1) + "\n",
);
console.log(`wrote ${out}`);
if (failed.length) Deno.exit(1); // each failure was one line above, and is under `failed` in the results
