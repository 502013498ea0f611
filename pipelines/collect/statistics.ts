/**
 * `statistics`: Yahoo key statistics (`summaryDetail`, `defaultKeyStatistics`, `financialData`) as rows of
 * the `statistics` table, one row per (symbol, New York day of observation, name); raw responses to
 * `raw/yahoo/...`. A snapshot: re-collecting the same day replaces that day's values (idempotent).
 * @module
 */
import { type CollectStep, yahooSnapshotStep } from "./common.ts";

/** The `statistics` step. */
export const statisticsStep: CollectStep = yahooSnapshotStep(
  "statistics",
  async (yahoo, symbol) =>
    (await yahoo.statistics(symbol)).map((s) => ({
      symbol: s.symbol,
      date: s.date,
      name: s.name,
      value: s.value,
      known_at: s.knownAt,
    })),
);
