/**
 * A finance sentiment lexicon baseline (`name = "lexicon"`), Loughran-McDonald style: compact hand-written
 * lists of positive and negative finance words (written for this project; NOT the Loughran-McDonald
 * dictionary, which cannot be downloaded here), with negation handling and a small rule for "bad things
 * going down" (`loss narrowed`, `costs decreased` count as positive).
 * @module
 */
import { tokenize } from "./text.ts";

/** Positive finance words (stems matched as whole tokens or listed inflections). */
export const LEXICON_POSITIVE: readonly string[] = [
  "gain",
  "gains",
  "gained",
  "rise",
  "rises",
  "rose",
  "risen",
  "rising",
  "increase",
  "increased",
  "increases",
  "increasing",
  "grow",
  "grows",
  "grew",
  "grown",
  "growth",
  "growing",
  "improve",
  "improved",
  "improves",
  "improvement",
  "improving",
  "strong",
  "stronger",
  "strongest",
  "strength",
  "strengthen",
  "strengthened",
  "record",
  "exceed",
  "exceeded",
  "exceeds",
  "beat",
  "beats",
  "outperform",
  "outperformed",
  "upgrade",
  "upgraded",
  "upgrades",
  "expand",
  "expanded",
  "expansion",
  "boost",
  "boosted",
  "surge",
  "surged",
  "soar",
  "soared",
  "jump",
  "jumped",
  "climb",
  "climbed",
  "advance",
  "advanced",
  "profitable",
  "profitability",
  "success",
  "successful",
  "successfully",
  "win",
  "wins",
  "won",
  "award",
  "awarded",
  "positive",
  "favorable",
  "favourable",
  "benefit",
  "benefits",
  "benefited",
  "efficient",
  "efficiency",
  "opportunity",
  "opportunities",
  "robust",
  "solid",
  "optimistic",
  "confident",
  "confidence",
  "recovery",
  "recovered",
  "rebound",
  "rebounded",
  "higher",
  "up",
  "upbeat",
  "bullish",
  "buy",
  "attractive",
  "excellent",
  "good",
  "better",
  "best",
  "pleased",
  "agreement",
  "contract",
  "contracts",
  "order",
  "orders",
  "raise",
  "raised",
  "raises",
  "dividend",
  "doubled",
  "tripled",
  "achieve",
  "achieved",
  "innovative",
  "leading",
  "leader",
  "enhance",
  "enhanced",
  "accelerate",
  "accelerated",
  "momentum",
  "highs",
  "rally",
  "rallied",
  "overweight",
];

/** Negative finance words. */
export const LEXICON_NEGATIVE: readonly string[] = [
  "loss",
  "losses",
  "lost",
  "lose",
  "losing",
  "decline",
  "declined",
  "declines",
  "declining",
  "decrease",
  "decreased",
  "decreases",
  "decreasing",
  "fall",
  "falls",
  "fell",
  "fallen",
  "falling",
  "drop",
  "dropped",
  "drops",
  "down",
  "lower",
  "lowered",
  "weak",
  "weaker",
  "weakened",
  "weakness",
  "cut",
  "cuts",
  "cutting",
  "layoff",
  "layoffs",
  "redundancies",
  "dismissed",
  "negative",
  "warn",
  "warned",
  "warning",
  "warns",
  "downgrade",
  "downgraded",
  "downgrades",
  "miss",
  "missed",
  "misses",
  "bankrupt",
  "bankruptcy",
  "insolvency",
  "lawsuit",
  "litigation",
  "fined",
  "penalty",
  "fraud",
  "investigation",
  "impairment",
  "writedown",
  "write-down",
  "deficit",
  "deteriorate",
  "deteriorated",
  "deterioration",
  "slump",
  "slumped",
  "plunge",
  "plunged",
  "tumble",
  "tumbled",
  "sank",
  "sink",
  "slide",
  "slid",
  "shrink",
  "shrank",
  "shrunk",
  "contraction",
  "recession",
  "crisis",
  "difficult",
  "difficulties",
  "adverse",
  "unfavorable",
  "worse",
  "worst",
  "poor",
  "disappointing",
  "disappointed",
  "concern",
  "concerns",
  "risk",
  "risks",
  "uncertainty",
  "volatile",
  "bearish",
  "sell",
  "underperform",
  "underweight",
  "delay",
  "delayed",
  "terminate",
  "terminated",
  "closure",
  "close-down",
  "shutdown",
  "lows",
  "halt",
  "halted",
  "default",
  "defaults",
  "restructuring",
  "negatively",
  "failure",
  "failed",
  "fails",
  "temporary",
  "strike",
  "suspend",
  "suspended",
];

/** Words that flip the polarity of the next few tokens. */
export const LEXICON_NEGATORS: readonly string[] = [
  "not",
  "no",
  "never",
  "without",
  "neither",
  "nor",
  "none",
  "cannot",
  "hardly",
];

/** "Bad" nouns: a decrease word near one of them reads as good news (`loss narrowed`). */
const BAD_NOUNS = new Set(["loss", "losses", "costs", "cost", "expenses", "debt", "deficit", "unemployment"]);
const DOWN_WORDS = new Set([
  "decrease",
  "decreased",
  "decreases",
  "decline",
  "declined",
  "fell",
  "fall",
  "drop",
  "dropped",
  "lower",
  "lowered",
  "narrowed",
  "narrow",
  "narrows",
  "reduced",
  "reduce",
  "cut",
  "down",
  "shrank",
]);
const POS = new Set(LEXICON_POSITIVE), NEG = new Set(LEXICON_NEGATIVE), NEGATORS = new Set(LEXICON_NEGATORS);

/** Counts of a text's matched positive and negative words after negation, and the net score in [-1, 1]. */
export interface LexiconScore {
  positive: number;
  negative: number;
  /** `(positive - negative) / (positive + negative + 1)`. */
  score: number;
}

/**
 * Scores one text: each listed word counts +1 on its side; within 3 tokens after a negator the side flips;
 * a decrease word within 3 tokens of a "bad" noun (`loss`, `costs`, `debt`...) counts as positive and the noun
 * itself is not counted.
 */
export function lexiconScore(text: string, negationWindow = 3): LexiconScore {
  const tok = tokenize(text);
  let pos = 0, neg = 0, negUntil = -1;
  const skip = new Set<number>();
  for (let i = 0; i < tok.length; i++) {
    if (!BAD_NOUNS.has(tok[i])) continue;
    for (let j = Math.max(0, i - 3); j <= Math.min(tok.length - 1, i + 3); j++) {
      if (j !== i && DOWN_WORDS.has(tok[j])) {
        skip.add(i);
        skip.add(j);
        pos++;
        break;
      }
    }
  }
  for (let i = 0; i < tok.length; i++) {
    const w = tok[i];
    if (NEGATORS.has(w)) {
      negUntil = i + negationWindow;
      continue;
    }
    if (skip.has(i)) continue;
    const s = POS.has(w) ? 1 : NEG.has(w) ? -1 : 0;
    if (!s) continue;
    const flipped = i <= negUntil ? -s : s;
    if (flipped > 0) pos++;
    else neg++;
  }
  return { positive: pos, negative: neg, score: (pos - neg) / (pos + neg + 1) };
}

/** Lexicon polarity tags of a text (`<lexpos>` / `<lexneg>` per match, after negation), as extra tokens. */
export function lexiconTags(text: string): string[] {
  const s = lexiconScore(text), out: string[] = [];
  for (let i = 0; i < s.positive; i++) out.push("<lexpos>");
  for (let i = 0; i < s.negative; i++) out.push("<lexneg>");
  return out;
}

/**
 * Lexicon sentiment classifier (`name = "lexicon"`): nothing to fit; class `positive` when positive matches
 * outnumber negative ones by at least `margin`, `negative` in the mirror case, else `neutral`.
 */
export class LexiconModel {
  readonly name = "lexicon";
  constructor(readonly margin = 1) {}

  /** Net scores in [-1, 1]. */
  score(texts: readonly string[]): Float64Array {
    return Float64Array.from(texts, (t) => lexiconScore(t).score);
  }

  /** Class indices (0 negative, 1 neutral, 2 positive). */
  predict(texts: readonly string[]): Int8Array {
    return Int8Array.from(texts, (t) => {
      const s = lexiconScore(t), d = s.positive - s.negative;
      return d >= this.margin ? 2 : d <= -this.margin ? 0 : 1;
    });
  }
}
