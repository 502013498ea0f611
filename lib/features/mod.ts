/**
 * Features: pure math on typed arrays (indicators, returns, volatility estimators, ranks) and feature sets.
 * @module
 */
export * from "./feature_set.ts";
