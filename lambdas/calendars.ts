/**
 * Lambda `calendars`: Nasdaq earnings, dividend, economic-event and IPO calendars for the `FMAI_CALENDAR_DAYS`
 * days from the event date on, plus SEC filings and dividend history of the universe. Scheduled daily.
 * @module
 */
import { makeHandler } from "./_handler.ts";

/** The Lambda entry point. */
export const handler = makeHandler(["calendars"], "calendars");
