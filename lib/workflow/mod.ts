/**
 * The fitted system: spec -> fit (nested windows, walk-forward) -> predict for a decision date -> serialize.
 * This is the one object the pipeline, `deno task evaluate`, the notebooks and the production run/API use, so
 * what is measured is what is served. `lib/evaluate` only scores what this layer produced.
 *
 * ## The API
 *
 * - {@link SystemSpec} (plain JSON; {@link makeSpec} merges overrides onto {@link DEFAULT_SPEC} and checks them):
 *   labels and windows (`dataset`), experts, combiner, sizing, costs, walk-forward, seed.
 * - {@link systemDataset}`(spec, input, segments)`: the point-in-time dataset (features, labels, segments).
 *   {@link resolveSegments} turns a user's choice (three date ranges, or fractions) into segments and refuses
 *   a range that does not fit the data or, given a warm-up and a minimum, holds too few usable sessions
 *   (`ConfigError`); nothing is substituted.
 * - {@link fitSystem}`(spec, ds, opts) -> Promise<FittedSystem>`: base trend models fit on train less an inner
 *   slice (early stopping on that slice only), GARCH on train; the six ensembles, the gate and the score scales
 *   on the validation ("calibration") window the base models never saw; the test segment is not read.
 *   `system.windows` ({@link SystemWindows}) says which dates each part saw.
 * - `FittedSystem.predict(ds, decisionDate) -> Promise<SystemSignal[]>`: one signal per symbol with a row on
 *   that date: `action` and `size` from the book, `confidence` from the edge the book decided on
 *   (`decisionEdge`), the combined `edge`, `dailyVol`, per expert its output and gate weight
 *   (`contributions: {expert, weight, score}[]`), and `untradable` with the reason on a symbol the system has
 *   no fitted volatility state for (`hold`, size 0). `FittedSystem.predictRows(ds, rows)` gives the same for
 *   any rows, columnar ({@link SystemPredictions}), with every base model's and ensemble's probabilities and
 *   every strategy's calibrated edge.
 * - `FittedSystem.toArtifacts() -> Promise<Record<string, Uint8Array | string>>` and
 *   {@link loadSystem}`(files) -> Promise<FittedSystem>`: the loaded system predicts bit for bit what the
 *   original did. {@link saveSystem} / {@link loadSystemFrom} put them in the model registry
 *   (`models/<name>/<version>/` on an object store).
 * - {@link walkForward}`(spec, ds, opts) -> Promise<WalkForwardResult>`: refit every `refitEvery` sessions on
 *   an expanding or rolling window ({@link walkForwardFolds}), the same nesting in every fold; the folds' test
 *   slices join into one continuous out-of-sample test (`predictions`), and `system` is the last fold's.
 * - {@link backtestPredictions}`(ds, predictions, opts)`: every strategy plus equal-weight buy-and-hold and
 *   always-long at the volatility target, through one simulation.
 *
 * @example
 * ```ts ignore
 * const spec = makeSpec({ experts: { trend: ["logistic", "gbdt"] } });
 * const ds = systemDataset(spec, { series, market }, segments);
 * const system = await fitSystem(spec, ds);
 * const signals = await system.predict(ds, "2018-02-07");
 * const files = await system.toArtifacts();          // -> saveModelArtifact / saveSystem
 * const again = await loadSystem(files);             // same predictions, bit for bit
 * ```
 * @module
 */
export {
  checkSpec,
  checkUniverseSize,
  DEFAULT_SPEC,
  EXPERT_CHOICES,
  makeSpec,
  RANKING_METHODS,
  type SpecOverrides,
  type SystemSpec,
  type WalkForwardMode,
} from "./spec.ts";
export {
  type DateRange,
  type Fold,
  type NestedRows,
  nestedWindows,
  resolveSegments,
  type SegmentChoice,
  type SegmentSource,
  type SystemWindows,
  walkForwardFolds,
} from "./windows.ts";
export { type SystemDataInput, systemDataset } from "./data.ts";
export {
  actionAndConfidence,
  BOOK_PATH,
  bookSignals,
  EDGE_FULL_CONFIDENCE,
  type FitOptions,
  fitSystem,
  FittedSystem,
  loadSystem,
  RISK_BOOK_PATH,
  SYSTEM_FORMAT_VERSION,
  type SystemPredictions,
  type SystemSignal,
} from "./system.ts";
export {
  datasetConditions,
  dateDecisionTimes,
  type DayIndex,
  dayIndex,
  gateConditions,
  marketAsOf,
  rawExpertScores,
  RELIABILITY,
} from "./mixture.ts";
export {
  concatPredictions,
  type FoldSummary,
  walkForward,
  type WalkForwardOptions,
  type WalkForwardResult,
} from "./walk_forward.ts";
export { backtestPredictions, UNLIMITED_MOE } from "./backtests.ts";
export {
  ALWAYS_LONG,
  backtestBook,
  baselineBacktests,
  type BookOptions,
  type BookPanels,
  bookPanels,
  type BookRows,
  bookText,
  buildBook,
  BUY_AND_HOLD,
  costOptions,
  costsText,
  portfolioOptions,
  RISK_WARMUP,
  riskLimitsText,
  sizingRule,
} from "./book.ts";
export { loadSystemFrom, saveSystem } from "./registry.ts";
export { systemAttribution } from "./attribution.ts";
