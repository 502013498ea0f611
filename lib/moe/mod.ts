/**
 * Mixture of experts. The calibrated mixture: experts whose raw scores are mapped to one common language (the
 * expected next traded return per unit of forecast risk, `ExpertCalibration`), a regime gate (a TensorFlow.js
 * network over market conditions with an abstain output and specialist slopes, `RegimeGate`), the market
 * conditions it reads (`marketConditions`, `expertReliability`), regime labels and per-regime attribution. Also
 * the earlier linear gate and combiner over heuristic scores in [-1, 1] (`GatingNetwork`, `MoeCombiner`), kept as
 * a baseline.
 * @module
 */
export {
  crossFitEdges,
  DEFAULT_EXPERTS,
  EXPERT_NAMES,
  ExpertCalibration,
  type ExpertCalibrationJSON,
  type ExpertCalibrationOptions,
  type ExpertInfo,
  type ExpertReliability,
  EXPERTS,
  levelBounceScores,
  levelExpertScores,
  type LevelInputs,
  MARKET_EXPERT,
  marketExpertScores,
  momentumExpertScores,
  type NewsExpertInput,
  newsPlaceholderScores,
  reversalExpertScores,
  trendExpertScores,
  volatilityExpertScores,
} from "./experts.ts";
export { type GateObjective, type GateOptions, GatingNetwork } from "./linear_gate.ts";
export { MoeCombiner, type MoeInputs, type MoeOptions, type MoeOutput } from "./combiner.ts";
export {
  type GateData,
  type GateFitReport,
  RegimeGate,
  type RegimeGateJSON,
  type RegimeGateOptions,
} from "./gate.ts";
export {
  expertReliability,
  MARKET_CONDITION_NAMES,
  type MarketConditions,
  marketConditions,
  RegimeClassifier,
  type RegimeClassifierJSON,
  type RegimeInput,
  withColumns,
} from "./regime.ts";
export { type AttributionInput, type RegimeAttribution, regimeAttribution } from "./attribution.ts";
export { edgeSharpe, type RegimeRows, regimeRows, rowsBetween, take } from "./planted.ts";
