/**
 * Text helpers shared by the sentiment models: the class order and a tokenizer for English financial text.
 * @module
 */

/** Sentiment classes in index order (like `TREND_CLASSES`: bad, neutral, good). */
export const SENTIMENT_CLASSES = ["negative", "neutral", "positive"] as const;
/** A sentiment class. */
export type SentimentClass = typeof SENTIMENT_CLASSES[number];

/** Index of a sentiment label (`negative` 0, `neutral` 1, `positive` 2); throws RangeError on others. */
export function sentimentIndex(label: string): 0 | 1 | 2 {
  const i = SENTIMENT_CLASSES.indexOf(label.trim().toLowerCase() as SentimentClass);
  if (i < 0) throw new RangeError(`unknown sentiment label ${JSON.stringify(label)}`);
  return i as 0 | 1 | 2;
}

const NUM = /^[+-]?\d[\d.,]*%?$/;

/**
 * Lower-cased word tokens: letters (with inner apostrophes or hyphens kept), `<num>` for numbers and `<pct>`
 * for percentages; `n't` becomes its own `not` token. Punctuation is dropped.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const raw = text.toLowerCase().replace(/n't\b/g, " not").split(/[^a-z0-9%.,'+-]+/);
  for (let w of raw) {
    if (!w) continue;
    if (w === "%") {
      out.push("<pct>");
      continue;
    }
    if (NUM.test(w)) {
      out.push(w.endsWith("%") ? "<pct>" : "<num>");
      continue;
    }
    w = w.replace(/^[^a-z0-9]+|[^a-z0-9%]+$/g, "");
    if (!w) continue;
    if (w.endsWith("%")) {
      out.push("<pct>");
      continue;
    }
    if (/^[a-z][a-z'-]*$/.test(w)) out.push(w);
    else if (/\d/.test(w)) out.push("<num>");
    else out.push(w);
  }
  return out;
}
