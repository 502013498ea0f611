/**
 * Weighted voting with weights from validation performance.
 * @module
 */
import type { EnsembleMethod, EnsembleState } from "./types.ts";
import { accuracy } from "./argmax.ts";
import {
  argmax3,
  checkK,
  checkLabels,
  checkProbs,
  classFrequencies,
  meanLogLik,
  weightedMean,
} from "./_util.ts";
import { ModelError } from "../core/mod.ts";

/** Options of {@link WeightedVoting}. */
export interface WeightedVotingOptions {
  /**
   * `accuracy` (default): `w_k ∝ max(0, acc_k - acc_0)` where `acc_0` is the validation frequency of the most
   * common class (the accuracy of always guessing it). `logloss`: `w_k ∝ 1 / logloss_k`.
   * When every weight is 0 (no model beats chance) the weights are equal.
   */
  metric?: "accuracy" | "logloss";
  /** `soft` (default): weighted mean of probabilities. `hard`: weighted vote shares of the models' argmax classes. */
  vote?: "soft" | "hard";
}

/** Weighted voting: weights normalized to sum to 1, learned from each model's validation performance. */
export class WeightedVoting implements EnsembleMethod {
  readonly name = "weighted" as const;
  /** Learned weights (sum 1), one per model; empty before `fit`. */
  weights: Float64Array = new Float64Array(0);
  readonly #metric: "accuracy" | "logloss";
  readonly #vote: "soft" | "hard";
  constructor(options: WeightedVotingOptions = {}) {
    this.#metric = options.metric ?? "accuracy";
    this.#vote = options.vote ?? "soft";
  }
  /** Weights from validation accuracy above chance (or inverse log loss). */
  fit(valProbs: Float64Array[], valLabels: Int8Array): void {
    const n = checkProbs(valProbs, "weighted.fit");
    checkLabels(valLabels, n, "weighted.fit");
    const K = valProbs.length;
    const w = new Float64Array(K);
    if (this.#metric === "accuracy") {
      const base = Math.max(...classFrequencies(valLabels));
      for (let k = 0; k < K; k++) w[k] = Math.max(0, accuracy(valProbs[k], valLabels) - base);
    } else {
      for (let k = 0; k < K; k++) w[k] = 1 / Math.max(-meanLogLik(valProbs[k], valLabels), 1e-9);
    }
    let s = 0;
    for (let k = 0; k < K; k++) s += w[k];
    if (!(s > 0)) w.fill(1 / K);
    else for (let k = 0; k < K; k++) w[k] /= s;
    this.weights = w;
  }
  /** Weighted mean of probabilities (or weighted hard votes). */
  combine(probs: Float64Array[]): Float64Array {
    if (this.weights.length === 0) throw new ModelError("weighted.combine: call fit first");
    const n = checkProbs(probs, "weighted.combine");
    checkK(probs, this.weights.length, "weighted.combine");
    if (this.#vote === "soft") return weightedMean(probs, this.weights);
    const out = new Float64Array(3 * n);
    for (let k = 0; k < probs.length; k++) {
      const p = probs[k], w = this.weights[k];
      for (let i = 0; i < n; i++) out[3 * i + argmax3(p[3 * i], p[3 * i + 1], p[3 * i + 2])] += w;
    }
    return out;
  }

  /** Options and learned weights. */
  toJSON(): EnsembleState {
    return {
      method: "weighted",
      options: { metric: this.#metric, vote: this.#vote },
      weights: Array.from(this.weights),
    };
  }

  /** Restores from {@link WeightedVoting.toJSON}. */
  static fromJSON(s: EnsembleState): WeightedVoting {
    const m = new WeightedVoting(s.options as WeightedVotingOptions);
    m.weights = Float64Array.from(s.weights ?? []);
    return m;
  }
}
