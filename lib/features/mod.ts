/**
 * Features: pure math on typed arrays (indicators, returns, volatility estimators, ranks) and feature sets.
 *
 * Conventions (checked against R's TTR 0.24.3 on real data in `reference_test.ts`, relative error <= 1e-8):
 * - The value at index `i` uses only inputs at `i` and before; warm-up values are NaN, with TTR's warm-up
 *   lengths (e.g. SMA/rolling: `n - 1` NaNs; RSI, ATR, MFI: `n`; ADX: `2n - 1`).
 * - Rolling windows are NaN while they hold a NaN input; EMA/Wilder recursions seed with the SMA of the first
 *   `n` consecutive valid values (TTR) and skip later NaNs. `wilderSum` keeps TTR's seed (used by ADX).
 * - Deliberate differences from TTR, only in degenerate windows: RSI 50 (flat window), stochastic %K 0.5
 *   (`HH == LL`), CCI 0 (zero deviation), DI/DX 0 (no range); TTR returns NaN/Inf there.
 * - `closeToCloseVol(C, n)` counts returns (TTR's `volatility(n)` counts prices: ours `n` = TTR `n + 1`);
 *   volatility estimators default to daily units (`N = 1`; TTR's default is 260).
 * - `williamsR` is TTR's `WPR` in [0, 1] (1 = at the low), not the textbook -100..0 scale.
 * @module
 */
export * from "./moving_averages.ts";
export * from "./rolling.ts";
export * from "./returns.ts";
export * from "./momentum.ts";
export * from "./trend.ts";
export * from "./bands.ts";
export * from "./volatility.ts";
export * from "./volume.ts";
export * from "./calendar_features.ts";
export * from "./market_context.ts";
export * from "./ranks.ts";
export * from "./feature_set.ts";
export * from "./options_chain.ts";
