/**
 * News sentiment scoring: one small interface for every text scorer (the fine-tuned transformer, the lexicon,
 * TF-IDF logistic regression) and a point-in-time score cache on a document store.
 *
 * A score is a number in [-1, 1] (`P(positive) - P(negative)` for a classifier). Each cached score is a document
 * `{id: "<scorer id>|<item id>", item, scorer, score, textHash, knownAt}` whose `knownAt` is the scored item's: a
 * score is known exactly when its text is, so joins by decision time treat both alike. `textHash` is the SHA-256
 * of the exact text the scorer saw ({@link newsText}): a source may edit a headline under the same item id, and
 * the edited text is scored again (its document replaced, one per item and scorer). Re-runs read the cache and
 * score only items whose text the same scorer (its id names the model, version and variant) has not scored, and
 * each distinct text once (the synthetic market repeats headlines; wires repeat each other's).
 *
 * A score is a function of the scorer and the text alone, so {@link memoScorer} keeps a second, time-free cache by
 * text that several stores share (the language-model folder's, one per machine): a new store (a fresh clone's
 * demo, a test store) then scores no text the machine has scored before.
 * @module
 */
import { createHash } from "node:crypto";
import type { NewsItem } from "../core/mod.ts";
import type { Doc, DocumentStore } from "../store/mod.ts";
import { LexiconModel } from "./lexicon.ts";
import type { OnnxTextModel } from "./text_lm.ts";
import type { TextLogisticModel } from "./text_logistic.ts";

/** Scores texts in [-1, 1]; `id` names the scorer (model, version, variant) for the cache. */
export interface SentimentScorer {
  readonly id: string;
  /** One score per text, in input order. */
  score(texts: readonly string[]): Promise<Float64Array>;
  /** Texts answered from a text memo, and texts the model ran on, so far ({@link memoScorer}; absent without one). */
  readonly memo?: { readonly hits: number; readonly misses: number };
}

/** The finance lexicon as a scorer (no weights: runs everywhere). */
export function lexiconScorer(model = new LexiconModel()): SentimentScorer {
  return { id: `lexicon@m${model.margin}`, score: (texts) => Promise.resolve(model.score(texts)) };
}

/** A fitted TF-IDF logistic model as a scorer (`tag` distinguishes fits in the cache). */
export function textLogisticScorer(model: TextLogisticModel, tag: string): SentimentScorer {
  return { id: `text-logistic@${tag}`, score: (texts) => Promise.resolve(model.score(texts)) };
}

/**
 * A transformer with a sentiment head as a scorer (`P(positive) - P(negative)`, calibrated). Its id carries the
 * weights' digest ({@link OnnxTextModel.cacheId}), so cached scores of an earlier training are not reused.
 */
export function lmScorer(model: OnnxTextModel): SentimentScorer {
  return { id: model.cacheId, score: (texts) => model.score(texts) };
}

/** Documents collection of cached news scores. */
export const NEWS_SCORES_COLLECTION = "news_scores";

/** Documents collection of {@link memoScorer}'s scores by text. */
export const TEXT_SCORES_COLLECTION = "text_scores";

/** SHA-256 (hex) of a text. */
function textHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * `scorer` with a memo of its scores by text in `memo` (collection {@link TEXT_SCORES_COLLECTION}, one document
 * `{id: "<scorer id>|<text hash>", scorer, textHash, score, knownAt: 0}` per text): texts the memo holds are not
 * run again, the others are run (in one call) and added. The memo holds no time (`knownAt` 0): a score is known
 * when its text is, which the per-item cache of {@link scoreNews} records. Same id as `scorer`, so the per-item
 * cache is shared with the bare scorer. `memo` counts the texts answered from the memo and those run.
 */
export function memoScorer(scorer: SentimentScorer, memo: DocumentStore): SentimentScorer {
  const counts = { hits: 0, misses: 0 };
  return {
    id: scorer.id,
    memo: counts,
    score: async (texts) => {
      const out = new Float64Array(texts.length);
      const hashes = texts.map(textHash);
      const docId = (h: string) => `${scorer.id}|${h}`;
      const missing: number[] = [];
      for (let i = 0; i < texts.length; i++) {
        const d = await memo.get(TEXT_SCORES_COLLECTION, docId(hashes[i]));
        if (d && d.scorer === scorer.id && typeof d.score === "number") out[i] = d.score;
        else missing.push(i);
      }
      counts.hits += texts.length - missing.length;
      if (missing.length) {
        const sc = await scorer.score(missing.map((i) => texts[i]));
        counts.misses += missing.length;
        missing.forEach((i, k) => out[i] = sc[k]);
        // a text asked for twice in one call is one document
        const docs = new Map<string, Doc>();
        for (const [k, i] of missing.entries()) {
          docs.set(hashes[i], {
            id: docId(hashes[i]),
            scorer: scorer.id,
            textHash: hashes[i],
            score: sc[k],
            knownAt: 0,
          });
        }
        await memo.upsert(TEXT_SCORES_COLLECTION, [...docs.values()]);
      }
      return out;
    },
  };
}

/** The text a news item is scored on: its headline (the summary is not used, so every source is alike). */
export function newsText(item: Pick<NewsItem, "headline">): string {
  return item.headline;
}

/** Result of {@link scoreNews}. */
export interface ScoredNews {
  /** The items with `sentiment` set to the scorer's score (input order). */
  items: NewsItem[];
  /** Items scored in this call (not found in the cache). */
  scored: number;
  /** Items whose score came from the cache. */
  cached: number;
  /** Distinct texts the scored items hold: what went to the scorer (items with one text share its score). */
  texts: number;
  /** Of {@link texts}, those the scorer's text memo answered ({@link memoScorer}; 0 without one). */
  memoHits: number;
  /** Wall time of the scoring itself (ms). */
  scoreMs: number;
}

/** SHA-256 (hex) of the text a news item is scored on, as its cached score records it. */
export function newsTextHash(item: Pick<NewsItem, "headline">): string {
  return textHash(newsText(item));
}

/** Options of {@link scoreNews}. */
export interface ScoreNewsOptions {
  /** Distinct texts per scorer call (and per cache upsert); default 2048. */
  chunk?: number;
  /** Distinct texts scored so far, of those to score. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Read the cache but never write it: scores computed here are returned, not saved (a command that only reads
   * a store, such as `export`). Default false: new scores are upserted.
   */
  readOnly?: boolean;
}

/**
 * Scores `items` with `scorer`, reading and (unless `opts.readOnly`) filling the cache in `documents`
 * (collection {@link NEWS_SCORES_COLLECTION}) when given. A cached score is used only when it was computed on the
 * same text (its `textHash`); an edited headline is scored again and its document replaced. The returned items
 * carry the score as `sentiment` (any source-provided sentiment is replaced: every item goes through the same text
 * path). Missing items are grouped by text, each distinct text scored once, in chunks of `chunk` texts, each
 * chunk's documents (one per item) upserted before the next, so an interrupted run keeps its work.
 */
export async function scoreNews(
  items: readonly NewsItem[],
  scorer: SentimentScorer,
  documents?: DocumentStore,
  opts: ScoreNewsOptions = {},
): Promise<ScoredNews> {
  const chunk = opts.chunk ?? 2048;
  // scores by (item id, hash of the text scored): a cached score counts only for the very text it was computed on
  const key = (id: string, hash: string) => `${id}\u0000${hash}`;
  const hashes = items.map(newsTextHash);
  const known = new Map<string, number>();
  if (documents && items.length) {
    let lo = Infinity, hi = -Infinity;
    for (const it of items) {
      lo = Math.min(lo, it.knownAt);
      hi = Math.max(hi, it.knownAt);
    }
    for (const d of await documents.find(NEWS_SCORES_COLLECTION, { from: lo, to: hi })) {
      // a document without `textHash` (written before the hash was recorded) matches no key: a miss, so the item
      // is scored again and the document overwritten (same id) with its hash
      if (d.scorer === scorer.id && typeof d.score === "number" && typeof d.textHash === "string") {
        known.set(key(d.item as string, d.textHash), d.score);
      }
    }
  }
  // the items to score, by the text they hold: each distinct text goes through the scorer once
  const byText = new Map<string, number[]>();
  const seen = new Set<string>();
  let todo = 0;
  for (let i = 0; i < items.length; i++) {
    const k = key(items[i].id, hashes[i]);
    if (known.has(k) || seen.has(k)) continue;
    seen.add(k);
    todo++;
    const same = byText.get(hashes[i]);
    if (same) same.push(i);
    else byText.set(hashes[i], [i]);
  }
  const texts = [...byText.values()];
  const hits0 = scorer.memo?.hits ?? 0;
  const t0 = performance.now();
  for (let s = 0; s < texts.length; s += chunk) {
    const part = texts.slice(s, s + chunk);
    const sc = await scorer.score(part.map((same) => newsText(items[same[0]])));
    const docs: Doc[] = [];
    part.forEach((same, k) => {
      const v = sc[k];
      if (!(v >= -1 && v <= 1)) {
        throw new RangeError(`${scorer.id}: score ${v} of ${items[same[0]].id} outside [-1, 1]`);
      }
      for (const i of same) {
        const it = items[i];
        known.set(key(it.id, hashes[i]), v);
        docs.push({
          // one document per (scorer, item): a rescored (edited) text replaces the old score, never adds one
          id: `${scorer.id}|${it.id}`,
          item: it.id,
          scorer: scorer.id,
          score: v,
          textHash: hashes[i],
          knownAt: it.knownAt,
          symbols: it.symbols,
        });
      }
    });
    if (documents && !opts.readOnly) await documents.upsert(NEWS_SCORES_COLLECTION, docs);
    opts.onProgress?.(Math.min(s + chunk, texts.length), texts.length);
  }
  const scoreMs = performance.now() - t0;
  return {
    items: items.map((it, i) => ({ ...it, sentiment: known.get(key(it.id, hashes[i]))! })),
    scored: todo,
    cached: items.length - todo,
    texts: texts.length,
    memoHits: (scorer.memo?.hits ?? 0) - hits0,
    scoreMs,
  };
}
