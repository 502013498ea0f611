/**
 * Stacking: a multinomial logistic meta-model on the base models' probabilities.
 * @module
 */
import type { EnsembleMethod, EnsembleState } from "./types.ts";
import { checkK, checkLabels, checkProbs } from "./_util.ts";
import { ModelError } from "../core/mod.ts";
import { type ConvergenceReport, fitSoftmax, softmaxProbs } from "../models/mod.ts";

/** Options of {@link Stacking}. */
export interface StackingOptions {
  /**
   * L2 penalty on the meta-model's weights (not the intercepts): mean loss + `l2 |W|^2`. Default 1e-3 (the
   * project's solver takes `l2/2 |W|^2`, so it is handed twice this).
   */
  l2?: number;
  /** Solver iterations (default 300). */
  maxIter?: number;
  /** At most this many validation rows (an even stride) are used to fit the meta-model. Default 20,000. */
  maxRows?: number;
}

/** The fitted meta-model: features standardized with `mean`/`std`, then softmax regression `weights`. */
interface MetaModel {
  d: number;
  mean: Float64Array;
  std: Float64Array;
  /** Row-major `3 x (d + 1)`, intercept last. */
  weights: Float64Array;
}

/** Standardizes the columns of row-major `X` (`n x d`) in place with `mean`/`std`. */
function standardize(X: Float64Array, d: number, mean: Float64Array, std: Float64Array): Float64Array {
  for (let i = 0; i < X.length; i++) X[i] = (X[i] - mean[i % d]) / std[i % d];
  return X;
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
 * rows), so the meta-model learns how far to trust each base model. Fitted by the project's one softmax solver
 * (`lib/models`, L-BFGS to convergence; `convergence` says how it ended).
 */
export class Stacking implements EnsembleMethod {
  readonly name = "stacking" as const;
  #model: MetaModel | undefined;
  /** How the last fit's solver ended. */
  convergence: ConvergenceReport | null = null;
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
    // rows with a known label (negative = unknown, skipped as the ensemble contract says), then an even stride
    const known: number[] = [];
    for (let i = 0; i < n; i++) if (valLabels[i] >= 0) known.push(i);
    if (known.length === 0) throw new ModelError("stacking.fit: no validation row has a known label");
    const stride = Math.max(1, Math.ceil(known.length / maxRows));
    let probs = valProbs, labels = valLabels, m = n;
    if (stride > 1 || known.length < n) {
      const take = known.filter((_, r) => r % stride === 0);
      m = take.length;
      labels = Int8Array.from(take, (i) => valLabels[i]);
      probs = valProbs.map((p) => {
        const out = new Float64Array(3 * m);
        take.forEach((i, r) => out.set(p.subarray(3 * i, 3 * i + 3), 3 * r));
        return out;
      });
    }
    this.#k = valProbs.length;
    const d = 3 * this.#k, X = metaFeatures(probs, m);
    const mean = new Float64Array(d), std = new Float64Array(d);
    for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) mean[j] += X[i * d + j] / m;
    for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) std[j] += (X[i * d + j] - mean[j]) ** 2 / m;
    for (let j = 0; j < d; j++) std[j] = std[j] > 1e-18 ? Math.sqrt(std[j]) : 1;
    const fit = fitSoftmax({ dense: standardize(X, d, mean, std), rows: m, cols: d }, labels, {
      classes: 3,
      l2: 2 * (this.#opts.l2 ?? 1e-3),
      maxIter: this.#opts.maxIter ?? 300,
    });
    this.convergence = fit.report;
    this.#model = { d, mean, std, weights: fit.weights };
  }
  /** Meta-model probabilities. */
  combine(probs: Float64Array[]): Float64Array {
    if (!this.#model) throw new ModelError("stacking.combine: call fit first");
    const n = checkProbs(probs, "stacking.combine");
    checkK(probs, this.#k, "stacking.combine");
    const { d, mean, std, weights } = this.#model;
    return softmaxProbs(
      { dense: standardize(metaFeatures(probs, n), d, mean, std), rows: n, cols: d },
      weights,
      3,
    );
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
          weights: Array.from(md.weights),
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
        weights: Float64Array.from(s.meta.weights),
      };
    }
    return m;
  }
}
