/**
 * News sentiment scoring: one small interface for every text scorer (the fine-tuned transformer, the lexicon,
 * TF-IDF logistic regression) and a point-in-time score cache on a document store.
 *
 * A score is a number in [-1, 1] (`P(positive) - P(negative)` for a classifier). Each cached score is a document
 * `{id: "<scorer id>|<item id>", item, scorer, score, knownAt}` whose `knownAt` is the scored item's: a score is
 * known exactly when its text is, so joins by decision time treat both alike. Re-runs read the cache and score
 * only items not scored before by the same scorer (its id names the model, version and variant).
 * @module
 */
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
  /** Wall time of the scoring itself (ms). */
  scoreMs: number;
}

/**
 * Scores `items` with `scorer`, reading and filling the cache in `documents` (collection
 * {@link NEWS_SCORES_COLLECTION}) when given. The returned items carry the score as `sentiment` (any
 * source-provided sentiment is replaced: every item goes through the same text path). Missing items are scored
 * in chunks of `chunk` texts, each chunk upserted before the next, so an interrupted run keeps its work.
 */
export async function scoreNews(
  items: readonly NewsItem[],
  scorer: SentimentScorer,
  documents?: DocumentStore,
  opts: { chunk?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<ScoredNews> {
  const chunk = opts.chunk ?? 2048;
  const known = new Map<string, number>();
  if (documents && items.length) {
    let lo = Infinity, hi = -Infinity;
    for (const it of items) {
      lo = Math.min(lo, it.knownAt);
      hi = Math.max(hi, it.knownAt);
    }
    for (const d of await documents.find(NEWS_SCORES_COLLECTION, { from: lo, to: hi })) {
      if (d.scorer === scorer.id && typeof d.score === "number") known.set(d.item as string, d.score);
    }
  }
  const todo: number[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const id = items[i].id;
    if (!known.has(id) && !seen.has(id)) {
      seen.add(id);
      todo.push(i);
    }
  }
  const t0 = performance.now();
  for (let s = 0; s < todo.length; s += chunk) {
    const part = todo.slice(s, s + chunk);
    const sc = await scorer.score(part.map((i) => newsText(items[i])));
    const docs: Doc[] = [];
    part.forEach((i, k) => {
      const it = items[i], v = sc[k];
      if (!(v >= -1 && v <= 1)) throw new RangeError(`${scorer.id}: score ${v} of ${it.id} outside [-1, 1]`);
      known.set(it.id, v);
      docs.push({
        id: `${scorer.id}|${it.id}`,
        item: it.id,
        scorer: scorer.id,
        score: v,
        knownAt: it.knownAt,
        symbols: it.symbols,
      });
    });
    if (documents) await documents.upsert(NEWS_SCORES_COLLECTION, docs);
    opts.onProgress?.(Math.min(s + chunk, todo.length), todo.length);
  }
  const scoreMs = performance.now() - t0;
  return {
    items: items.map((it) => ({ ...it, sentiment: known.get(it.id)! })),
    scored: todo.length,
    cached: items.length - todo.length,
    scoreMs,
  };
}
