/**
 * Lambda `statements`: key statistics (snapshot) plus quarterly/annual statements and earnings (periods
 * ending in the 400 days before the event date; annual ones two more years back). Scheduled on weekdays.
 * @module
 */
import { makeHandler } from "./_handler.ts";

/** The Lambda entry point. */
export const handler = makeHandler(["statistics", "statements"], "statements");
