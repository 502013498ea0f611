/**
 * `options`: the nearest-expiry option chain of each symbol into the `options` table (one snapshot per
 * contract and observation day, `known_at` = the response time); raw responses to `raw/yahoo/...`.
 * @module
 */
import { optionToRow } from "@lib/store/mod.ts";
import { type CollectStep, yahooSnapshotStep } from "./common.ts";

/** The `options` step. */
export const optionsStep: CollectStep = yahooSnapshotStep(
  "options",
  async (yahoo, symbol) => (await yahoo.options(symbol)).map(optionToRow),
);
