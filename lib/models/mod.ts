/**
 * Models: Dataset -> predictions per objective. Trend classifiers (majority, momentum, logistic, mlp-tfjs),
 * volatility forecasters (GARCH(1,1), EWMA, HAR-RV) with plain-array functions, support/resistance detectors
 * (swing pivots, floor pivots), evaluation metrics, the TensorFlow.js backend selection and the model registry.
 * @module
 */
export * from "./types.ts";
export * from "./metrics.ts";
export * from "./majority.ts";
export * from "./momentum.ts";
export * from "./logistic.ts";
export * from "./softmax.ts";
export * from "./tf_backend.ts";
export * from "./mlp.ts";
export * from "./gbdt.ts";
export * from "./garch.ts";
export * from "./ewma.ts";
export * from "./har.ts";
export * from "./levels.ts";
export * from "./registry.ts";
export * from "./factory.ts";
export * from "./chance.ts";
export * from "./text.ts";
export * from "./lexicon.ts";
export * from "./text_logistic.ts";
export * from "./seq_layers.ts";
export * from "./sequence.ts";
export * from "./text_lm.ts";
export * from "./news_scores.ts";
export * from "./distributions.ts";
export * from "./forecast_tests.ts";
export * from "./var_backtest.ts";
export * from "./gjr.ts";
export * from "./harx.ts";
export * from "./risk.ts";
export * from "./calibration.ts";
export * from "./bounce.ts";
export { solveNormal } from "./_linear.ts";
