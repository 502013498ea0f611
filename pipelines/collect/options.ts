/**
 * `options`: the nearest-expiry option chain of each symbol into the `options` table (one snapshot per
 * contract and observation day, `known_at` = the response time); raw responses to `raw/yahoo/...`.
 * @module
 */
import { optionToRow } from "@lib/store/mod.ts";
import {
  type CollectStep,
  dropRawOnError,
  ensureTables,
  need,
  runUnits,
  storeRawFor,
  yahooMatch,
} from "./common.ts";

/** The `options` step. */
export const optionsStep: CollectStep = {
  kind: "options",
  async run(sources, stores, req, progress) {
    await ensureTables(stores);
    return await runUnits(
      "options",
      req.symbols,
      (symbol) =>
        dropRawOnError(sources, yahooMatch("options", symbol), async () => {
          const yahoo = need(sources.yahoo, "yahoo", "options");
          const quotes = await yahoo.options(symbol);
          const r = quotes.length
            ? await stores.tables.upsert("options", quotes.map(optionToRow))
            : { inserted: 0, updated: 0 };
          const objects = await storeRawFor(sources, stores, "yahoo", "options", symbol);
          return { rows: r.inserted + r.updated, inserted: r.inserted, objects, range: "snapshot" };
        }),
      { concurrency: req.concurrency, progress },
    );
  },
  plan(_sources, _stores, req) {
    return Promise.resolve(req.symbols.map((symbol) => ({ kind: "options", symbol, fetch: "snapshot" })));
  },
};
