/**
 * `statistics`: Yahoo key statistics (`summaryDetail`, `defaultKeyStatistics`, `financialData`) as rows of
 * the `statistics` table, one row per (symbol, New York day of observation, name); raw responses to
 * `raw/yahoo/...`. A snapshot: re-collecting the same day replaces that day's values (idempotent).
 * @module
 */
import {
  type CollectStep,
  dropRawOnError,
  ensureTables,
  need,
  runUnits,
  storeRawFor,
  yahooMatch,
} from "./common.ts";

/** The `statistics` step. */
export const statisticsStep: CollectStep = {
  kind: "statistics",
  async run(sources, stores, req, progress) {
    await ensureTables(stores);
    return await runUnits(
      "statistics",
      req.symbols,
      (symbol) =>
        dropRawOnError(sources, yahooMatch("statistics", symbol), async () => {
          const yahoo = need(sources.yahoo, "yahoo", "statistics");
          const stats = await yahoo.statistics(symbol);
          const rows = stats.map((s) => ({
            symbol: s.symbol,
            date: s.date,
            name: s.name,
            value: s.value,
            known_at: s.knownAt,
          }));
          const r = rows.length
            ? await stores.tables.upsert("statistics", rows)
            : { inserted: 0, updated: 0 };
          const objects = await storeRawFor(sources, stores, "yahoo", "statistics", symbol);
          return { rows: r.inserted + r.updated, inserted: r.inserted, objects, range: "snapshot" };
        }),
      { concurrency: req.concurrency, progress },
    );
  },
  plan(_sources, _stores, req) {
    return Promise.resolve(req.symbols.map((symbol) => ({ kind: "statistics", symbol, fetch: "snapshot" })));
  },
};
