/**
 * Lambda `options`: the option chains of the nearest `FMAI_OPTION_EXPIRIES` expirations (default 3) of each
 * symbol (one snapshot per contract and day).
 * Scheduled on weekdays at 19:45 UTC while quotes are live: 15 minutes before the US close in summer (EDT), 75
 * in winter (EST); on an early-close day (13:00 New York) it runs after the close and stores the last quotes.
 * @module
 */
import { makeHandler } from "./_handler.ts";

/** The Lambda entry point. */
export const handler = makeHandler(["options"], "snapshot");
