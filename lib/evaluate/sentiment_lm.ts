/**
 * The language-model rows of EVALUATION.md section 4 (see `sentiment.ts`): a frozen pretrained encoder with a
 * multinomial logistic head fitted on its embeddings (L2 chosen on validation), and the fine-tuned encoders in
 * TypeScript (fp32 and int8). The models come from the registry the edge hands over (`EvalContext.lm`); without
 * it the rows are skipped with a note naming the install command.
 * @module
 */
import { type NewsItem, sha256Hex } from "../core/mod.ts";
import type { DocumentStore, ObjectStore } from "../store/mod.ts";
import { fitSoftmax, type OnnxTextModel, softmaxProbs, type TextModelOptions } from "../models/mod.ts";
import type { NewsText } from "./sentiment.ts";

/** The text models an evaluation run may use (opened by the edge from `deno task lm:fetch` / `lm:train`). */
export interface EvalTextModels {
  /** Loads a registry model `name@version`. */
  load(ref: string, options?: TextModelOptions): Promise<OnnxTextModel>;
  /** Fine-tuned sentiment models (`finsent-*`), each scored in every variant it has. */
  finetuned: string[];
  /** Base encoders for the frozen-encoder + logistic-head rows. */
  frozen: string[];
  /** Scores Benzinga headlines (the accurate model). */
  newsModel: string | null;
  /** Scores StockNet's 106k tweets (the fast model) and its variant. */
  bulkModel: string | null;
  bulkVariant: string;
  /** Caches news scores across runs (documents collection `news_scores`). */
  cache?: DocumentStore;
  /** Caches frozen-encoder embeddings across runs ({@link cachedEmbed}). */
  embeddings?: ObjectStore;
}

/** L2 penalties tried for the frozen-encoder head (chosen on validation accuracy). */
export const FROZEN_L2_GRID = [1e-4, 1e-3, 1e-2];

/** Embeddings as Float64 rows. */
function asF64(e: Float32Array): Float64Array {
  return Float64Array.from(e);
}

/**
 * `model.embed(texts)`, read from / written to `cache` when given: one float32 object per model and list of
 * texts, keyed by the SHA-256 of the model's {@link OnnxTextModel.cacheId} (weights digest included) and the
 * texts, so a hit is the same model on the same texts. Embeddings are deterministic (one ORT thread, sequential
 * execution), so a hit equals a recomputation bit for bit.
 */
export async function cachedEmbed(
  model: OnnxTextModel,
  texts: string[],
  cache?: ObjectStore,
): Promise<Float32Array> {
  if (!cache) return await model.embed(texts);
  const key = `embeddings/${await sha256Hex([model.cacheId, ...texts].join("\u0000"))}.f32`;
  const hit = await cache.get(key);
  if (hit && hit.byteLength === texts.length * model.hidden * 4) {
    return new Float32Array(hit.buffer.slice(hit.byteOffset, hit.byteOffset + hit.byteLength));
  }
  const e = await model.embed(texts);
  await cache.put(key, new Uint8Array(e.buffer, e.byteOffset, e.byteLength), {
    contentType: "application/octet-stream",
  });
  return e;
}

/**
 * Frozen encoder + head: embeddings of train/validation/test (through {@link cachedEmbed} when a cache is
 * given), a softmax regression on the train embeddings per L2 in {@link FROZEN_L2_GRID}, the one with the best
 * validation accuracy predicting test.
 */
export async function frozenEncoderHead(
  model: OnnxTextModel,
  tr: { x: string[]; y: Int8Array },
  va: { x: string[]; y: Int8Array },
  te: { x: string[] },
  cache?: ObjectStore,
): Promise<{ pred: Int8Array; l2: number; valAccuracy: number }> {
  const H = model.hidden;
  const [Etr, Eva, Ete] = [
    asF64(await cachedEmbed(model, tr.x, cache)),
    asF64(await cachedEmbed(model, va.x, cache)),
    asF64(await cachedEmbed(model, te.x, cache)),
  ];
  const argmax = (P: Float64Array, n: number) =>
    Int8Array.from({ length: n }, (_, i) => {
      const a = P[i * 3], b = P[i * 3 + 1], c = P[i * 3 + 2];
      return a >= b && a >= c ? 0 : b >= c ? 1 : 2;
    });
  let best: { l2: number; acc: number; w: Float64Array } | null = null;
  for (const l2 of FROZEN_L2_GRID) {
    const w =
      fitSoftmax({ dense: Etr, rows: tr.y.length, cols: H }, tr.y, { classes: 3, l2, maxIter: 300 }).weights;
    const pv = argmax(softmaxProbs({ dense: Eva, rows: va.y.length, cols: H }, w, 3), va.y.length);
    let ok = 0;
    for (let i = 0; i < pv.length; i++) if (pv[i] === va.y[i]) ok++;
    const acc = ok / pv.length;
    if (!best || acc > best.acc) best = { l2, acc, w };
  }
  return {
    pred: argmax(softmaxProbs({ dense: Ete, rows: te.x.length, cols: H }, best!.w, 3), te.x.length),
    l2: best!.l2,
    valAccuracy: best!.acc,
  };
}

/** FNV-1a 32-bit hash (hex) for stable cache ids of dated texts. */
function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Ticker-tagged texts as news items (stable ids, so the score cache recognizes them on the next run). */
export function asNewsItems(label: string, items: readonly NewsText[]): NewsItem[] {
  return items.map((it) => ({
    id: `${label}:${it.ticker}:${it.knownAt}:${fnv(it.text)}`,
    symbols: [it.ticker],
    publishedAt: it.knownAt,
    knownAt: it.knownAt,
    headline: it.text,
    source: label,
  }));
}
