/**
 * Lambda `prices`: daily bars, splits and dividends of the universe (incremental: each symbol fetches only
 * sessions newer than its last stored one, within the last `FMAI_LOOKBACK_DAYS` days of the event date).
 * Scheduled after the US close.
 * @module
 */
import { makeHandler } from "./_handler.ts";

/** The Lambda entry point. */
export const handler = makeHandler(["prices"], "prices");
