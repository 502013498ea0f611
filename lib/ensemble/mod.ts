/**
 * Ensemble layer: six ways to combine K trend models' class probabilities (`n x 3`, `[down, neutral, up]`).
 * @module
 */
export type { EnsembleMethod, EnsembleName, EnsembleState } from "./types.ts";
export { accuracy, argmaxRows } from "./argmax.ts";
export { MajorityVoting } from "./majority.ts";
export { WeightedVoting, type WeightedVotingOptions } from "./weighted.ts";
export { SoftVoting } from "./soft.ts";
export { Stacking, type StackingOptions } from "./stacking.ts";
export { BayesianModelAveraging, type BmaOptions } from "./bma.ts";
export { ThresholdEnsemble, type ThresholdOptions } from "./threshold.ts";
export {
  createEnsemble,
  ENSEMBLE_METHODS,
  ensembleFromJSON,
  fitEnsembles,
  type FittedEnsemble,
} from "./registry.ts";
