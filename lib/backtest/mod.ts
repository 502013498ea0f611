/**
 * Backtest layer: walk-forward simulation with costs (fills at the next open), weights portfolios with a
 * fixed + square-root-impact cost model, baselines (equal-weight buy-and-hold, always long volatility-targeted)
 * and metrics (Sharpe with bootstrap intervals, deflated Sharpe, excess return and information ratio).
 * @module
 */
export { openToOpenReturns, type Panel, positionsFromSignals, toPanel } from "./panel.ts";
export {
  type ActiveMetrics,
  activeMetrics,
  type BootstrapOptions,
  bootstrapSharpe,
  computeMetrics,
  type DeflatedSharpeInput,
  deflatedSharpeOfSet,
  deflatedSharpeRatio,
  equityAndDrawdown,
  expectedMaxSharpe,
  type Metrics,
  type Moments,
  moments,
  normalCdf,
  normalQuantile,
  probabilisticSharpeRatio,
  type SharpeInterval,
} from "./metrics.ts";
export {
  backtest,
  type BacktestInput,
  type BacktestOptions,
  type BacktestResult,
  buyAndHold,
} from "./backtest.ts";
export { topkExcess, type TopkOptions, type TopkResult } from "./topk.ts";
export {
  averageDollarVolume,
  type CostOptions,
  type Costs,
  DEFAULT_CAPITAL,
  resolveCosts,
  tradeCost,
} from "./costs.ts";
export {
  backtestWeights,
  costedSettle,
  type SimulatedDay,
  type WeightBacktestInput,
  type WeightBacktestResult,
  WeightsSimulator,
} from "./weights.ts";
export { alwaysLongVolTargeted, type BaselineInput } from "./baselines.ts";
export * from "./scorecard.ts";
