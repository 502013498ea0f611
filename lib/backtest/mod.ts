/**
 * Backtest layer: walk-forward simulation with costs (fills at the next open), benchmark and metrics.
 * @module
 */
export { openToOpenReturns, type Panel, positionsFromSignals, toPanel } from "./panel.ts";
export { computeMetrics, equityAndDrawdown, type Metrics } from "./metrics.ts";
export {
  backtest,
  type BacktestInput,
  type BacktestOptions,
  type BacktestResult,
  buyAndHold,
} from "./backtest.ts";
export * from "./scorecard.ts";
