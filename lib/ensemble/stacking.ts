/**
 * Stacking: a multinomial logistic meta-model on the base models' probabilities.
 * @module
 */
import type { EnsembleMethod, EnsembleState } from "./types.ts";
import { checkK, checkLabels, checkProbs } from "./_util.ts";
import { fitMLogit, type MLogit, type MLogitOptions, predictMLogit } from "./_mlogit.ts";
import { ModelError } from "../core/mod.ts";

/** Options of {@link Stacking}. */
export interface StackingOptions extends MLogitOptions {
  /** At most this many validation rows (an even stride) are used to fit the meta-model. Default 20,000. */
  maxRows?: number;
}

const FLOOR = 1e-6;

/** Meta-features of row i: `log max(p_k(c), 1e-6)` for every model k and class c (3K columns). */
function metaFeatures(probs: Float64Array[], n: number): Float64Array {
  const K = probs.length, d = 3 * K;
  const X = new Float64Array(n * d);
  for (let k = 0; k < K; k++) {
    const p = probs[k];
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) X[i * d + 3 * k + c] = Math.log(Math.max(p[3 * i + c], FLOOR));
    }
  }
  return X;
}

/**
 * Stacking: `p = softmax(W x + b)` where `x` holds the 3K log-probabilities of the K base models (standardized),
 * fitted by L2-penalized maximum likelihood on the VALIDATION predictions only (the base models never saw those
 * rows), so the meta-model learns how far to trust each base model.
 */
export class Stacking implements EnsembleMethod {
  readonly name = "stacking" as const;
  #model: MLogit | undefined;
  #k = 0;
  readonly #opts: StackingOptions;
  constructor(options: StackingOptions = {}) {
    this.#opts = options;
  }
  /** Fits the meta-model on validation predictions and labels. */
  fit(valProbs: Float64Array[], valLabels: Int8Array): void {
    const n = checkProbs(valProbs, "stacking.fit");
    checkLabels(valLabels, n, "stacking.fit");
    const maxRows = this.#opts.maxRows ?? 20_000;
    const stride = Math.max(1, Math.ceil(n / maxRows));
    let probs = valProbs, labels = valLabels, m = n;
    if (stride > 1) {
      m = Math.ceil(n / stride);
      labels = new Int8Array(m);
      probs = valProbs.map(() => new Float64Array(3 * m));
      for (let r = 0; r < m; r++) {
        const i = r * stride;
        labels[r] = valLabels[i];
        for (let k = 0; k < valProbs.length; k++) {
          for (let c = 0; c < 3; c++) probs[k][3 * r + c] = valProbs[k][3 * i + c];
        }
      }
    }
    this.#k = valProbs.length;
    this.#model = fitMLogit(metaFeatures(probs, m), 3 * this.#k, labels, this.#opts);
  }
  /** Meta-model probabilities. */
  combine(probs: Float64Array[]): Float64Array {
    if (!this.#model) throw new ModelError("stacking.combine: call fit first");
    const n = checkProbs(probs, "stacking.combine");
    checkK(probs, this.#k, "stacking.combine");
    return predictMLogit(this.#model, metaFeatures(probs, n));
  }

  /** Options and the fitted meta-model. */
  toJSON(): EnsembleState {
    const md = this.#model;
    return {
      method: "stacking",
      options: { ...this.#opts },
      meta: md
        ? {
          k: this.#k,
          d: md.d,
          mean: Array.from(md.mean),
          std: Array.from(md.std),
          coef: Array.from(md.coef),
        }
        : undefined,
    };
  }

  /** Restores from {@link Stacking.toJSON}. */
  static fromJSON(s: EnsembleState): Stacking {
    const m = new Stacking(s.options as StackingOptions);
    if (s.meta) {
      m.#k = s.meta.k;
      m.#model = {
        d: s.meta.d,
        mean: Float64Array.from(s.meta.mean),
        std: Float64Array.from(s.meta.std),
        coef: Float64Array.from(s.meta.coef),
      };
    }
    return m;
  }
}
