/**
 * Transformer text models run in TypeScript: an ONNX encoder (all-MiniLM-L6-v2 or all-mpnet-base-v2, fine-tuned
 * on Financial PhraseBank by `deno task lm:train`, or the pretrained base from `deno task lm:fetch`) through
 * `onnxruntime-node` on CPU, with the model's own `tokenizer.json` through `@huggingface/tokenizers`.
 *
 * text -> calibrated class probabilities (negative, neutral, positive; softmax of logits / temperature, the
 * temperature fitted on the validation split) and a mean-pooled, L2-normalized embedding. Texts are tokenized,
 * capped at `maxLength` tokens, sorted by length and run in padded batches.
 *
 * The artifacts live in the model registry (`models/<name>/<version>/`): `model.onnx` (and `model_int8.onnx`),
 * `tokenizer.json`, `meta.json`, `LICENSE`. The weights are never committed: they are fetched and built into a
 * cache outside the repository. `onnxruntime-node` (native) and the tokenizer library load on the first model
 * load, not at import, so importing `lib/models` stays cheap where no text model runs.
 * @module
 */
import type * as Ort from "onnxruntime-node";
import type { Tokenizer } from "@huggingface/tokenizers";
import { ModelError, sha256Hex } from "../core/mod.ts";
import { type ArtifactStore, loadModelArtifact } from "./registry.ts";

/** What `meta.json` of a text model says (written by `training/lm/*.py`). */
export interface TextModelMeta {
  /** `sentiment` (logits + embedding) or `encoder` (embedding only). */
  kind: "sentiment" | "encoder";
  encoder: string;
  upstream: string;
  license: string;
  labels?: string[];
  temperature?: number;
  maxLength: number;
  padId: number;
  hidden: number;
  /** Variant name (`fp32`, `int8`) -> ONNX file. */
  variants: Record<string, string>;
  reduced?: boolean;
  [k: string]: unknown;
}

/** Options of {@link OnnxTextModel.load}. */
export interface TextModelOptions {
  /** Which ONNX file: `fp32` (default) or `int8` where the model has one. */
  variant?: string;
  /**
   * Texts per padded batch (default 32). The `int8` variant runs one text at a time (default 1; a larger batch is
   * a `RangeError`): its dynamically quantized graph takes each batch's value range, so a text's score depended on
   * the texts batched with it (up to 0.37 apart for one headline), and the caches froze whichever batch came first.
   */
  batchSize?: number;
  /**
   * onnxruntime intra-op threads (default 1: on a busy 2-core machine one thread per process is fastest). A
   * function is read before each batch, and the session is rebuilt when its answer changes (the model then keeps
   * its weights' bytes): a run that starts beside other work can take the cores it frees. The outputs do not
   * depend on the threads.
   */
  threads?: number | (() => number);
  /** Token cap (default and maximum: the model's `maxLength`). */
  maxLength?: number;
}

/** Output of one run: row-major arrays, one row per input text. */
export interface TextModelOutput {
  /** Calibrated probabilities `n x 3` (null for a base encoder). */
  probs: Float64Array | null;
  /** L2-normalized embeddings `n x hidden`. */
  embedding: Float32Array;
}

/** A RangeError unless `threads` is a whole number of at least 1. */
function checkThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads ${threads}`);
}

/**
 * `1 thread`, `2 threads`, or `1 thread, then 2 threads` for a session rebuilt with other threads: how a run's
 * notes name a model's ONNX Runtime threads.
 */
export function threadsLabel(threads: number | readonly number[]): string {
  const one = (t: number) => `${t} thread${t === 1 ? "" : "s"}`;
  return typeof threads === "number" ? one(threads) : threads.map(one).join(", then ");
}

/** A fine-tuned or base transformer encoder run through ONNX Runtime. */
export class OnnxTextModel {
  private constructor(
    /** Registry name. */
    readonly name: string,
    /** Registry version. */
    readonly version: string,
    /** ONNX variant in use. */
    readonly variant: string,
    readonly meta: TextModelMeta,
    private session: Ort.InferenceSession,
    private readonly ort: typeof Ort,
    private readonly tokenizer: Tokenizer,
    readonly batchSize: number,
    readonly maxLength: number,
    /** SHA-256 (hex) of the ONNX weights in use: tells apart two trainings published under one version. */
    readonly digest: string,
    threads: number,
    /** Set when the threads follow a function: what it wants, and a session with that many. */
    private readonly rethread: {
      want: () => number;
      open: (threads: number) => Promise<Ort.InferenceSession>;
    } | null,
  ) {
    this.history = [threads];
  }

  private readonly history: number[];

  /**
   * The ONNX Runtime intra-op thread counts its session has had, in order (one entry unless the threads follow a
   * function that changed its answer).
   */
  get threadHistory(): readonly number[] {
    return this.history;
  }

  /** ONNX Runtime intra-op threads of its session now. */
  get threads(): number {
    return this.history[this.history.length - 1];
  }

  /** Rebuilds the session when the threads follow a function whose answer has changed. */
  private async followThreads(): Promise<void> {
    if (!this.rethread) return;
    const want = this.rethread.want();
    if (want === this.threads) return;
    checkThreads(want);
    const next = await this.rethread.open(want);
    await this.session.release();
    this.session = next;
    this.history.push(want);
  }

  /** `name@version/variant`: the model's name in reports. */
  get id(): string {
    return `${this.name}@${this.version}/${this.variant}`;
  }

  /**
   * `name@version/variant#<first 16 hex of the weights' SHA-256>` (`:1` after it for int8, scored one text at a
   * time): what a cached score or embedding records as its producer, so a model retrained under the same version
   * never reads the earlier model's cached outputs.
   */
  get cacheId(): string {
    // int8 outputs cached before it ran one text at a time depended on their batch: not reused
    return `${this.id}#${this.digest.slice(0, 16)}${this.variant === "int8" ? ":1" : ""}`;
  }

  /** Embedding width. */
  get hidden(): number {
    return this.meta.hidden;
  }

  /** Whether the model has a sentiment head. */
  get hasHead(): boolean {
    return this.meta.kind === "sentiment";
  }

  /** Loads `name@version` from a model registry (a `ModelError` when missing or malformed). */
  static async load(
    objects: ArtifactStore,
    name: string,
    version: string,
    options: TextModelOptions = {},
  ): Promise<OnnxTextModel> {
    return await OnnxTextModel.fromArtifacts(
      name,
      version,
      await loadModelArtifact(objects, name, version),
      options,
    );
  }

  /** Builds the model from registry files. */
  static async fromArtifacts(
    name: string,
    version: string,
    files: Record<string, Uint8Array>,
    options: TextModelOptions = {},
  ): Promise<OnnxTextModel> {
    const dec = new TextDecoder();
    const need = (f: string) => {
      const b = files[f];
      if (!b) throw new ModelError(`text model ${name}@${version}: ${f} missing`);
      return b;
    };
    let meta: TextModelMeta;
    try {
      meta = JSON.parse(dec.decode(need("meta.json")));
      if (meta === null || typeof meta !== "object") throw new Error("not an object");
    } catch (e) {
      if (e instanceof ModelError) throw e;
      // a damaged install is one line naming it (it was an internal error with a stack)
      throw new ModelError(
        `text model ${name}@${version}: meta.json is damaged (${(e as Error).message.split("\n")[0]}): ` +
          "install it again (deno task lm:train)",
        { cause: e },
      );
    }
    const variant = options.variant ?? "fp32";
    const file = meta.variants?.[variant];
    if (!file) {
      throw new ModelError(
        `text model ${name}@${version} has no ${variant} variant (has ${
          Object.keys(meta.variants ?? {}).join(", ")
        })`,
      );
    }
    const want = typeof options.threads === "function" ? options.threads : null;
    const threads = typeof options.threads === "function" ? options.threads() : options.threads ?? 1;
    const perText = variant === "int8";
    const batchSize = options.batchSize ?? (perText ? 1 : 32);
    if (perText && batchSize !== 1) {
      throw new RangeError(
        `batchSize ${batchSize}: the int8 variant is scored one text at a time (its dynamic quantization takes each ` +
          "batch's range, so a batch would change each text's score)",
      );
    }
    const maxLength = options.maxLength ?? meta.maxLength;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchSize ${batchSize}`);
    checkThreads(threads);
    if (!(Number.isInteger(maxLength) && maxLength >= 8 && maxLength <= meta.maxLength)) {
      throw new RangeError(`maxLength ${maxLength} outside 8..${meta.maxLength}`);
    }
    const ort = await import("onnxruntime-node");
    const { Tokenizer } = await import("@huggingface/tokenizers");
    const tokenizer = new Tokenizer(JSON.parse(dec.decode(need("tokenizer.json"))), {});
    const weights = need(file);
    const open = (intraOpNumThreads: number) =>
      ort.InferenceSession.create(weights, {
        intraOpNumThreads,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
      });
    const session = await open(threads);
    const digest = await sha256Hex(weights);
    return new OnnxTextModel(
      name,
      version,
      variant,
      meta,
      session,
      ort,
      tokenizer,
      batchSize,
      maxLength,
      digest,
      threads,
      want ? { want, open } : null,
    );
  }

  /** Token ids with the model's special tokens, capped at `maxLength` (the last special token kept). */
  tokenize(text: string): number[] {
    const ids = this.tokenizer.encode(text).ids as number[];
    if (ids.length <= this.maxLength) return ids;
    return [...ids.slice(0, this.maxLength - 1), ids[ids.length - 1]];
  }

  /** Runs the model on `texts` (any number; batched internally). */
  async run(texts: readonly string[]): Promise<TextModelOutput> {
    const n = texts.length, H = this.meta.hidden, T = this.meta.temperature ?? 1;
    const ids = texts.map((t) => this.tokenize(t));
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
      ids[a].length - ids[b].length || a - b
    );
    const probs = this.hasHead ? new Float64Array(n * 3) : null;
    const embedding = new Float32Array(n * H);
    for (let s = 0; s < n; s += this.batchSize) {
      await this.followThreads();
      const idx = order.slice(s, s + this.batchSize), b = idx.length;
      const L = Math.max(...idx.map((i) => ids[i].length));
      const inIds = new BigInt64Array(b * L).fill(BigInt(this.meta.padId)), mask = new BigInt64Array(b * L);
      idx.forEach((i, r) => {
        const x = ids[i];
        for (let j = 0; j < x.length; j++) {
          inIds[r * L + j] = BigInt(x[j]);
          mask[r * L + j] = 1n;
        }
      });
      const feeds = {
        input_ids: new this.ort.Tensor("int64", inIds, [b, L]),
        attention_mask: new this.ort.Tensor("int64", mask, [b, L]),
      };
      const out = await this.session.run(feeds);
      const emb = out.embedding.data as Float32Array;
      idx.forEach((i, r) => embedding.set(emb.subarray(r * H, (r + 1) * H), i * H));
      if (probs) {
        const lg = out.logits.data as Float32Array;
        idx.forEach((i, r) => {
          const z = [lg[r * 3] / T, lg[r * 3 + 1] / T, lg[r * 3 + 2] / T], m = Math.max(...z);
          const e = z.map((v) => Math.exp(v - m)), sum = e[0] + e[1] + e[2];
          for (let k = 0; k < 3; k++) probs[i * 3 + k] = e[k] / sum;
        });
      }
      for (const t of Object.values(out)) t.dispose?.();
    }
    return { probs, embedding };
  }

  /** Calibrated class probabilities, row-major `n x 3` (negative, neutral, positive). */
  async predictProba(texts: readonly string[]): Promise<Float64Array> {
    if (!this.hasHead) throw new ModelError(`${this.id} is a base encoder without a sentiment head`);
    return (await this.run(texts)).probs!;
  }

  /** Most probable class per text. */
  async predict(texts: readonly string[]): Promise<Int8Array> {
    const p = await this.predictProba(texts);
    return Int8Array.from({ length: texts.length }, (_, i) => {
      const r = p.subarray(i * 3, i * 3 + 3);
      return r[0] >= r[1] && r[0] >= r[2] ? 0 : r[1] >= r[2] ? 1 : 2;
    });
  }

  /** `P(positive) - P(negative)` per text, in [-1, 1]. */
  async score(texts: readonly string[]): Promise<Float64Array> {
    const p = await this.predictProba(texts);
    return Float64Array.from({ length: texts.length }, (_, i) => p[i * 3 + 2] - p[i * 3]);
  }

  /** Mean-pooled, L2-normalized embeddings, row-major `n x hidden`. */
  async embed(texts: readonly string[]): Promise<Float32Array> {
    return (await this.run(texts)).embedding;
  }

  /** Frees the ONNX session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
