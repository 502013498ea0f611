/**
 * Mixture of experts. The calibrated mixture: experts whose raw scores are mapped to one common language (the
 * expected next traded return per unit of forecast risk, `ExpertCalibration`), a regime gate (a TensorFlow.js
 * network over market conditions with an abstain output and specialist slopes, `RegimeGate`), the market
 * conditions it reads (`marketConditions`, `expertReliability`), regime labels and per-regime attribution.
 * @module
 */
export {
  crossFitEdges,
  DEFAULT_EXPERTS,
  ExpertCalibration,
  type ExpertCalibrationJSON,
  type ExpertCalibrationOptions,
  type ExpertInfo,
  type ExpertReliability,
  EXPERTS,
  levelBounceScores,
  MARKET_EXPERT,
  marketExpertScores,
  momentumExpertScores,
  type NewsExpertInput,
  newsExpertScores,
  reversalExpertScores,
} from "./experts.ts";
export {
  fillMissingEdges,
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
