/**
 * Text sentiment classifier (`name = "text-logistic"`): multinomial logistic regression with an L2 penalty on
 * sparse TF-IDF features of word unigrams and bigrams (sublinear tf, smoothed idf, rows L2-normalized), fitted
 * by the project's one softmax solver (`softmax.ts`, L-BFGS). The penalty can be chosen on a validation set.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import { type ConvergenceReport, type CsrMatrix, fitSoftmax, softmaxProbs } from "./softmax.ts";
import { tokenize } from "./text.ts";
import { lexiconTags } from "./lexicon.ts";
import { JsonFitted } from "./_fitted.ts";

/** Options of {@link TextLogisticModel}. */
export interface TextLogisticOptions {
  /** L2 penalty on the weights (mean loss + l2/2 |W|^2). Default 1e-4. */
  l2?: number;
  /** Minimum document frequency of a term. Default 2. */
  minDf?: number;
  /** Use bigrams as well as unigrams. Default true. */
  bigrams?: boolean;
  /** L-BFGS iterations. Default 300. */
  maxIter?: number;
  /** Add the finance lexicon's polarity tags (`<lexpos>`, `<lexneg>`) as extra terms. Default false. */
  lexicon?: boolean;
}

/** Serialized {@link TextLogisticModel}. */
export interface TextLogisticState {
  model: "text-logistic";
  options: Required<TextLogisticOptions>;
  vocab: string[];
  idf: number[];
  /** Row-major `K x (V + 1)` weights, bias last. */
  weights: number[];
  classes: number;
}

type Csr = CsrMatrix;

function terms(text: string, bigrams: boolean, lexicon = false): string[] {
  const t = tokenize(text);
  const out = t.slice();
  if (bigrams) { for (let i = 0; i + 1 < t.length; i++) out.push(t[i] + " " + t[i + 1]); }
  if (lexicon) out.push(...lexiconTags(text));
  return out;
}

function vectorize(
  texts: readonly string[],
  vocab: Map<string, number>,
  idf: Float64Array,
  bigrams: boolean,
  lexicon: boolean,
): Csr {
  const ptr = new Int32Array(texts.length + 1), idx: number[] = [], val: number[] = [];
  for (let i = 0; i < texts.length; i++) {
    const tf = new Map<number, number>();
    for (const w of terms(texts[i], bigrams, lexicon)) {
      const j = vocab.get(w);
      if (j !== undefined) tf.set(j, (tf.get(j) ?? 0) + 1);
    }
    const js = [...tf.keys()].sort((a, b) => a - b);
    let norm = 0;
    const vs = js.map((j) => {
      const v = (1 + Math.log(tf.get(j)!)) * idf[j];
      norm += v * v;
      return v;
    });
    norm = Math.sqrt(norm) || 1;
    js.forEach((j, k) => {
      idx.push(j);
      val.push(vs[k] / norm);
    });
    ptr[i + 1] = idx.length;
  }
  return { ptr, idx: Int32Array.from(idx), val: Float64Array.from(val), rows: texts.length };
}

/** Multinomial logistic regression on TF-IDF unigrams + bigrams. */
export class TextLogisticModel extends JsonFitted<TextLogisticState> {
  readonly name = "text-logistic";
  readonly options: Required<TextLogisticOptions>;
  private vocabMap: Map<string, number> | null = null;
  /** L-BFGS iterations of the last fit. */
  iterations = 0;
  /** How the last fit's solver ended. */
  convergence: ConvergenceReport | null = null;

  constructor(options: TextLogisticOptions = {}) {
    super();
    this.options = { l2: 1e-4, minDf: 2, bigrams: true, maxIter: 300, lexicon: false, ...options };
  }

  /** Fits on `texts` with class indices `labels` (0..classes-1; default 3 classes). */
  fit(texts: readonly string[], labels: ArrayLike<number>, classes = 3): this {
    if (texts.length !== labels.length) throw new RangeError("texts and labels differ in length");
    if (texts.length === 0) throw new RangeError("no training texts");
    const { minDf, bigrams, l2, maxIter, lexicon } = this.options;
    const df = new Map<string, number>();
    for (const t of texts) {
      for (const w of new Set(terms(t, bigrams, lexicon))) df.set(w, (df.get(w) ?? 0) + 1);
    }
    const vocab = [...df.entries()].filter(([, c]) => c >= minDf).map(([w]) => w).sort();
    const vmap = new Map(vocab.map((w, j) => [w, j]));
    const n = texts.length, V = vocab.length, K = classes;
    const idf = Float64Array.from(vocab, (w) => Math.log((1 + n) / (1 + df.get(w)!)) + 1);
    const X = vectorize(texts, vmap, idf, bigrams, lexicon);
    const y = Int32Array.from(labels as ArrayLike<number>);
    for (const c of y) if (!(c >= 0 && c < K)) throw new RangeError(`label ${c} outside 0..${K - 1}`);
    const res = fitSoftmax({ sparse: X, cols: V }, y, { classes: K, l2, maxIter });
    this.iterations = res.report.iterations;
    this.convergence = res.report;
    this.state = {
      model: "text-logistic",
      options: this.options,
      vocab,
      idf: Array.from(idf),
      weights: Array.from(res.weights),
      classes: K,
    };
    this.vocabMap = vmap;
    return this;
  }

  /** Class probabilities, row-major `n x classes`. */
  predictProba(texts: readonly string[]): Float64Array {
    const st = this.state;
    if (!st) throw new ModelError("text-logistic: predict before fit");
    this.vocabMap ??= new Map(st.vocab.map((w, j) => [w, j]));
    const K = st.classes, V = st.vocab.length;
    const X = vectorize(
      texts,
      this.vocabMap,
      Float64Array.from(st.idf),
      st.options.bigrams,
      st.options.lexicon ?? false,
    );
    return softmaxProbs({ sparse: X, cols: V }, st.weights, K);
  }

  /** Most probable class per text. */
  predict(texts: readonly string[]): Int8Array {
    const P = this.predictProba(texts), K = this.state!.classes, out = new Int8Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (P[i * K + k] > P[i * K + best]) best = k;
      out[i] = best;
    }
    return out;
  }

  /** `P(positive) - P(negative)` per text (3-class order negative, neutral, positive). */
  score(texts: readonly string[]): Float64Array {
    const P = this.predictProba(texts), K = this.state!.classes;
    return Float64Array.from({ length: texts.length }, (_, i) => P[i * K + K - 1] - P[i * K]);
  }

  /** Vocabulary size of the fitted model. */
  get vocabularySize(): number {
    return this.state?.vocab.length ?? 0;
  }

  /** Restores from {@link TextLogisticModel.toJSON}. */
  static fromJSON(s: TextLogisticState): TextLogisticModel {
    return JsonFitted.restore(s, "text-logistic", "state", (j) => new TextLogisticModel(j.options));
  }
}
