/**
 * Bayesian model averaging with a tempered likelihood.
 * @module
 */
import type { EnsembleMethod, EnsembleState } from "./types.ts";
import { checkK, checkLabels, checkProbs, meanLogLik, weightedMean } from "./_util.ts";
import { ModelError } from "../core/mod.ts";

/** Options of {@link BayesianModelAveraging}. */
export interface BmaOptions {
  /** Prior model probabilities (normalized internally). Default uniform. */
  prior?: number[];
  /**
   * Effective sample size of the evidence: the log-likelihood of the validation labels is scaled to count as
   * `nEff` independent rows, `log w_k = log prior_k + nEff * mean_i log p_k(y_i)`. Default 100. Rows of a
   * panel are correlated (same day across symbols, overlapping features across days), and with the raw
   * `n` the posterior collapses to a 0/1 weight on whichever model is marginally better.
   */
  nEff?: number;
}

/**
 * Bayesian model averaging: `p = sum_k w_k p_k`, posterior `w_k ∝ prior_k * exp(nEff * mean_i log p_k(y_i))`
 * over the known validation labels (a power posterior with exponent `nEff / n`).
 */
export class BayesianModelAveraging implements EnsembleMethod {
  readonly name = "bma" as const;
  /** Posterior weights (sum 1); empty before `fit`. */
  weights: Float64Array = new Float64Array(0);
  readonly #opts: BmaOptions;
  constructor(options: BmaOptions = {}) {
    if (options.nEff !== undefined && !(options.nEff > 0)) throw new RangeError("bma: nEff must be > 0");
    this.#opts = options;
  }
  /** Posterior weights from the validation log-likelihood. */
  fit(valProbs: Float64Array[], valLabels: Int8Array): void {
    const n = checkProbs(valProbs, "bma.fit");
    checkLabels(valLabels, n, "bma.fit");
    const K = valProbs.length;
    const prior = this.#opts.prior;
    if (prior && (prior.length !== K || prior.some((p) => !(p > 0)))) {
      throw new RangeError(`bma: prior needs ${K} positive numbers`);
    }
    const nEff = this.#opts.nEff ?? 100;
    const logw = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      logw[k] = Math.log(prior ? prior[k] : 1) + nEff * meanLogLik(valProbs[k], valLabels);
    }
    const mx = Math.max(...logw);
    let s = 0;
    for (let k = 0; k < K; k++) s += logw[k] = Math.exp(logw[k] - mx);
    for (let k = 0; k < K; k++) logw[k] /= s;
    this.weights = logw;
  }
  /** Posterior-weighted mean of probabilities. */
  combine(probs: Float64Array[]): Float64Array {
    if (this.weights.length === 0) throw new ModelError("bma.combine: call fit first");
    checkProbs(probs, "bma.combine");
    checkK(probs, this.weights.length, "bma.combine");
    return weightedMean(probs, this.weights);
  }

  /** Options and posterior weights. */
  toJSON(): EnsembleState {
    return { method: "bma", options: { ...this.#opts }, weights: Array.from(this.weights) };
  }

  /** Restores from {@link BayesianModelAveraging.toJSON}. */
  static fromJSON(s: EnsembleState): BayesianModelAveraging {
    const m = new BayesianModelAveraging(s.options as BmaOptions);
    m.weights = Float64Array.from(s.weights ?? []);
    return m;
  }
}
