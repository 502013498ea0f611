/**
 * The common contract of the six ensemble methods.
 * @module
 */

/** Names of the six ensemble methods of the seed. */
export type EnsembleName = "majority" | "weighted" | "soft" | "stacking" | "bma" | "threshold";

/**
 * Combines K models' class probabilities. Every matrix is row-major `n x 3` in class order `[down, neutral, up]`
 * (see `TREND_CLASSES` in lib/core).
 */
export interface EnsembleMethod {
  /** Method name (one of {@link EnsembleName}). */
  readonly name: EnsembleName;
  /**
   * Learns whatever the method needs (weights, meta-model, threshold) from the K models' predictions on the
   * VALIDATION rows and their labels (0 down, 1 neutral, 2 up; negative = unknown, ignored). Methods with
   * nothing to learn accept and ignore the call; `combine` works without `fit` for those only.
   */
  fit(valProbs: Float64Array[], valLabels: Int8Array): void;
  /** Combined probabilities, row-major `n x 3`, each row summing to 1. */
  combine(probs: Float64Array[]): Float64Array;
  /** What `fit` learned and the options, as plain JSON (restored by `ensembleFromJSON`). */
  toJSON(): EnsembleState;
}

/** A serialized ensemble method: its name, options and what it learned (numbers round-trip exactly). */
export interface EnsembleState {
  method: EnsembleName;
  /** Constructor options. */
  options?: Record<string, unknown>;
  /** Learned weights (weighted, bma). */
  weights?: number[];
  /** Tuned threshold (threshold). */
  threshold?: number | null;
  /** Meta-model (stacking): models K, features d, standardization and coefficients. */
  meta?: { k: number; d: number; mean: number[]; std: number[]; weights: number[] };
}
