/**
 * Threshold-based ensemble: act only on confident averaged predictions.
 * @module
 */
import type { EnsembleMethod, EnsembleState } from "./types.ts";
import { argmax3, checkLabels, checkProbs, weightedMean } from "./_util.ts";
import { ModelError } from "../core/mod.ts";

/** Options of {@link ThresholdEnsemble}. */
export interface ThresholdOptions {
  /** Fixed threshold in (1/3, 1). When given, `fit` learns nothing. */
  threshold?: number;
  /**
   * What `fit` maximizes over the grid 0.34, 0.35, ..., 0.90 on validation:
   * `accuracy` (default): accuracy of the output classes (holds count as neutral predictions);
   * `precision`: hit rate of the acted (non-hold) rows, among thresholds acting on at least `minCoverage`.
   * Ties go to the lowest threshold.
   */
  objective?: "accuracy" | "precision";
  /** Minimum fraction of validation rows acted on (`precision` objective). Default 0.05. */
  minCoverage?: number;
}

/**
 * Threshold-based: average the K models' probabilities (soft vote) to `p`. A row ACTS when its argmax class is
 * down or up and that probability is at least the threshold `τ`; it keeps `p`. Any other row HOLDS: its output is
 * `[(p_d + p_u)/4, (1 + p_n)/2, (p_d + p_u)/4]`: half the mass moves to neutral and the directional mass is split
 * evenly, so its argmax is neutral and its directional score `P(up) - P(down)` is 0, while its log loss stays
 * finite.
 */
export class ThresholdEnsemble implements EnsembleMethod {
  readonly name = "threshold" as const;
  /** The threshold in use (given or tuned); NaN before `fit` when not given. */
  threshold: number;
  readonly #opts: ThresholdOptions;
  constructor(options: ThresholdOptions = {}) {
    const t = options.threshold;
    if (t !== undefined && !(t > 1 / 3 && t < 1)) throw new RangeError(`threshold: ${t} is not in (1/3, 1)`);
    this.threshold = t ?? NaN;
    this.#opts = options;
  }
  /** Tunes the threshold on validation (unless one was given). */
  fit(valProbs: Float64Array[], valLabels: Int8Array): void {
    const n = checkProbs(valProbs, "threshold.fit");
    checkLabels(valLabels, n, "threshold.fit");
    if (this.#opts.threshold !== undefined) return;
    const p = weightedMean(valProbs);
    const objective = this.#opts.objective ?? "accuracy";
    const minCov = this.#opts.minCoverage ?? 0.05;
    // Per row: the directional class and its probability (or -1 when the argmax is neutral).
    let best = -Infinity, bestT = NaN;
    for (let g = 34; g <= 90; g++) {
      const t = g / 100;
      let hits = 0, known = 0, acted = 0, actedHits = 0;
      for (let i = 0; i < n; i++) {
        const y = valLabels[i];
        if (y < 0) continue;
        known++;
        const c = argmax3(p[3 * i], p[3 * i + 1], p[3 * i + 2]);
        const act = c !== 1 && p[3 * i + c] >= t;
        const out = act ? c : 1;
        if (out === y) hits++;
        if (act) {
          acted++;
          if (c === y) actedHits++;
        }
      }
      let score: number;
      if (objective === "accuracy") score = hits / known;
      else score = acted / known >= minCov ? actedHits / acted : -Infinity;
      if (score > best) {
        best = score;
        bestT = t;
      }
    }
    this.threshold = Number.isNaN(bestT) ? 0.9 : bestT;
  }
  /** Averaged probabilities on acting rows, the hold vector elsewhere. */
  combine(probs: Float64Array[]): Float64Array {
    if (Number.isNaN(this.threshold)) {
      throw new ModelError("threshold.combine: call fit first or give a threshold");
    }
    const n = checkProbs(probs, "threshold.combine");
    const p = weightedMean(probs);
    const t = this.threshold;
    for (let i = 0; i < n; i++) {
      const c = argmax3(p[3 * i], p[3 * i + 1], p[3 * i + 2]);
      if (c !== 1 && p[3 * i + c] >= t) continue;
      const dir = (p[3 * i] + p[3 * i + 2]) / 4;
      p[3 * i + 1] = (1 + p[3 * i + 1]) / 2;
      p[3 * i] = dir;
      p[3 * i + 2] = dir;
    }
    return p;
  }

  /** Options and the threshold in use (null before `fit`). */
  toJSON(): EnsembleState {
    return {
      method: "threshold",
      options: { ...this.#opts },
      threshold: Number.isNaN(this.threshold) ? null : this.threshold,
    };
  }

  /** Restores from {@link ThresholdEnsemble.toJSON}. */
  static fromJSON(s: EnsembleState): ThresholdEnsemble {
    const m = new ThresholdEnsemble(s.options as ThresholdOptions);
    m.threshold = s.threshold ?? NaN;
    return m;
  }
}
