/**
 * Lambda `charts`: the SVG chart (price, SMA/Bollinger/RSI, stored signals) of each symbol for the last
 * session on or before the event date, from the stored bars. Scheduled after the prices run.
 * @module
 */
import { makeHandler } from "./_handler.ts";

/** The Lambda entry point. */
export const handler = makeHandler(["charts"], "snapshot");
