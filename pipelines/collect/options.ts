/**
 * `options`: the option chains of the nearest `optionExpiries` expirations of each symbol (default 3) into the
 * `options` table (one snapshot per contract and observation day, `known_at` = the response time, with the
 * underlying's price and each contract's last trade time); raw responses to `raw/yahoo/...`. A failed request
 * for any expiry fails the symbol and writes none of its rows. Collected again the same New York day, the
 * symbol's snapshot of that day is replaced whole (contracts the new chain does not list are deleted), so a
 * day's rows are always one snapshot with one `known_at`.
 * @module
 */
import { optionToRow } from "@lib/store/mod.ts";
import { type CollectStep, yahooSnapshotStep } from "./common.ts";

/** Default number of expirations collected per symbol. */
export const DEFAULT_OPTION_EXPIRIES = 3;

/** The `options` step. */
export const optionsStep: CollectStep = yahooSnapshotStep(
  "options",
  async (yahoo, symbol, req) =>
    (await yahoo.optionChains(symbol, { expiries: req.optionExpiries ?? DEFAULT_OPTION_EXPIRIES })).map(
      optionToRow,
    ),
  // a same-day re-collection replaces that day's snapshot whole (the chain may list other contracts by then)
  { wholeDay: true },
);
