/**
 * Majority (hard) voting.
 * @module
 */
import type { EnsembleMethod, EnsembleState } from "./types.ts";
import { argmax3, checkProbs } from "./_util.ts";

/**
 * Majority voting: each model votes for its argmax class (model-level ties go to neutral). The class with the
 * most votes wins; a tie between classes is broken by the larger summed probability of the tied classes over all
 * models, and a tie that remains goes to neutral (including an exact down/up deadlock).
 *
 * Output probabilities are vote shares in which the winner gets an extra half vote, so the row's argmax is the
 * decided class: `p(c) = (votes(c) + 0.5 [c = winner]) / (K + 0.5)`. Nothing to fit.
 */
export class MajorityVoting implements EnsembleMethod {
  readonly name = "majority" as const;
  /** Checks the inputs; nothing is learned. */
  fit(valProbs: Float64Array[], _valLabels: Int8Array): void {
    checkProbs(valProbs, "majority.fit");
  }
  /** Vote shares with the tie-broken winner on top. */
  combine(probs: Float64Array[]): Float64Array {
    const n = checkProbs(probs, "majority.combine");
    const K = probs.length;
    const out = new Float64Array(3 * n);
    const denom = K + 0.5;
    for (let i = 0; i < n; i++) {
      let v0 = 0, v1 = 0, v2 = 0, s0 = 0, s1 = 0, s2 = 0;
      for (let k = 0; k < K; k++) {
        const p = probs[k];
        const a = p[3 * i], b = p[3 * i + 1], c = p[3 * i + 2];
        s0 += a;
        s1 += b;
        s2 += c;
        const v = argmax3(a, b, c);
        if (v === 0) v0++;
        else if (v === 1) v1++;
        else v2++;
      }
      const top = Math.max(v0, v1, v2);
      // Tied classes compete on summed probability; non-tied classes are out (-Infinity).
      const t0 = v0 === top ? s0 : -Infinity;
      const t1 = v1 === top ? s1 : -Infinity;
      const t2 = v2 === top ? s2 : -Infinity;
      const w = argmax3(t0, t1, t2);
      out[3 * i] = (v0 + (w === 0 ? 0.5 : 0)) / denom;
      out[3 * i + 1] = (v1 + (w === 1 ? 0.5 : 0)) / denom;
      out[3 * i + 2] = (v2 + (w === 2 ? 0.5 : 0)) / denom;
    }
    return out;
  }

  /** Nothing learned. */
  toJSON(): EnsembleState {
    return { method: "majority" };
  }
}
