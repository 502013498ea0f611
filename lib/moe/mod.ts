/**
 * Mixture of experts: trend, level and volatility experts weighed by a gating network over market conditions.
 * @module
 */
export {
  EXPERT_NAMES,
  levelExpertScores,
  type LevelInputs,
  trendExpertScores,
  volatilityExpertScores,
} from "./experts.ts";
export { type GateObjective, type GateOptions, type GateState, GatingNetwork } from "./gate.ts";
export { MoeCombiner, type MoeInputs, type MoeOptions, type MoeOutput } from "./combiner.ts";
