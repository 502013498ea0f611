/**
 * Signals layer: scores or probabilities -> buy/sell/hold with a position size; calibrated edges -> portfolio
 * weights (top-k dropout, long-short, Kelly, always-long) with volatility targeting and limits.
 * @module
 */
export {
  actionOf,
  annualVol,
  confidenceOf,
  positionsFromScores,
  resolveSizing,
  scoreScale,
  scoresFromProbs,
  sizeOf,
  type Sizing,
  type SizingOptions,
  standardizeScores,
} from "./sizing.ts";
export { type SignalRows, signalsFromProbs, signalsFromScores } from "./signals.ts";
export {
  applyLimits,
  constructPortfolio,
  DEFAULT_TILT,
  meanEdge,
  type PortfolioInput,
  type PortfolioMethod,
  type PortfolioOptions,
  type PortfolioResult,
  type ResolvedPortfolio,
  resolvePortfolio,
  type RiskContext,
  type RiskHook,
  topkDropoutStep,
} from "./portfolio.ts";
export {
  type CovarianceOptions,
  createRiskModel,
  EwmaCovariance,
  ledoitWolf,
  resolveCovariance,
  type RiskModel,
  RollingLedoitWolf,
} from "./covariance.ts";
export {
  type BrakeState,
  brakeState,
  drawdownBrakeHook,
  type DrawdownBrakeOptions,
  resolveRiskLimits,
  riskLimitHooks,
  type RiskLimitOptions,
  type VarLimitHook,
  varLimitHook,
  type VarLimitOptions,
} from "./risk_limits.ts";
