/**
 * Lambda `news`: the latest news of each symbol (incremental by the latest stored `knownAt`). Scheduled
 * every 30 minutes during US market hours.
 * @module
 */
import { makeHandler } from "./_handler.ts";

/** The Lambda entry point. */
export const handler = makeHandler(["news"], "snapshot");
