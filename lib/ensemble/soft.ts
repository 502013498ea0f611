/**
 * Soft voting: the mean of the models' probabilities.
 * @module
 */
import type { EnsembleMethod, EnsembleState } from "./types.ts";
import { checkProbs, weightedMean } from "./_util.ts";

/**
 * Soft voting: `p(c) = (1/K) sum_k p_k(c)`. Nothing to fit.
 * @example
 * ```ts
 * import { SoftVoting } from "./soft.ts";
 * // The seed's example in class order [down, neutral, up]: -> [0.1, 0.3, 0.6], "up".
 * new SoftVoting().combine([
 *   new Float64Array([0.1, 0.2, 0.7]),
 *   new Float64Array([0.1, 0.3, 0.6]),
 *   new Float64Array([0.1, 0.4, 0.5]),
 * ]);
 * ```
 */
export class SoftVoting implements EnsembleMethod {
  readonly name = "soft" as const;
  /** Checks the inputs; nothing is learned. */
  fit(valProbs: Float64Array[], _valLabels: Int8Array): void {
    checkProbs(valProbs, "soft.fit");
  }
  /** Mean of the K matrices. */
  combine(probs: Float64Array[]): Float64Array {
    checkProbs(probs, "soft.combine");
    return weightedMean(probs);
  }

  /** Nothing learned. */
  toJSON(): EnsembleState {
    return { method: "soft" };
  }
}
