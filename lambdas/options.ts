/**
 * Lambda `options`: the option chains of the nearest `FMAI_OPTION_EXPIRIES` expirations (default 3) of each
 * symbol (one snapshot per contract and day).
 * Scheduled once a day shortly before the US close, when quotes are live.
 * @module
 */
import { makeHandler } from "./_handler.ts";

/** The Lambda entry point. */
export const handler = makeHandler(["options"], "snapshot");
