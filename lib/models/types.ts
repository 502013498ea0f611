/**
 * Model contracts: Dataset -> predictions, per objective.
 * @module
 */
import type { Dataset, SymbolSeries } from "../dataset/mod.ts";
import type { Level } from "../core/mod.ts";

/** A next-day direction classifier. */
export interface TrendModel {
  readonly name: string;
  /** Fits on the given rows (all must be in train; `valid` rows may be used for early stopping only). */
  fit(ds: Dataset, train: Int32Array, valid?: Int32Array): Promise<void>;
  /** Class probabilities `[down, neutral, up]` per row, row-major `rows.length x 3`. */
  predict(ds: Dataset, rows: Int32Array): Promise<Float64Array>;
}

/** A volatility forecaster: mean daily variance over `horizon` sessions after `t`, using data up to `t`. */
export interface VolatilityModel {
  readonly name: string;
  fit(ds: Dataset, train: Int32Array): Promise<void>;
  /** Forecast variance per row. */
  predict(ds: Dataset, rows: Int32Array, horizon: number): Promise<Float64Array>;
}

/** A support/resistance detector using bars up to index `t` (inclusive) of a series. */
export interface LevelModel {
  readonly name: string;
  levels(series: SymbolSeries, t: number): { supports: Level[]; resistances: Level[] };
}
