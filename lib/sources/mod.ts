/**
 * Sources: the outside world -> core records. The `MarketSource` interface, CSV files (plain or gzipped), and
 * the seeded synthetic market with its ground truth.
 * @module
 */
export * from "./source.ts";
export * from "./csv.ts";
export { checkUtf8 } from "./_utf8.ts";
export * from "./csv_records.ts";
export * from "./csv_news.ts";
export * from "./synthetic.ts";
export * from "./yahoo.ts";
export * from "./nasdaq.ts";
export * from "./replay.ts";
export {
  barFault,
  checkBars,
  FUTURE_SKEW_MS,
  MAX_PRICE,
  MAX_VOLUME,
  type SkippedRecord,
  splitFuture,
} from "./_records.ts";
export {
  type Clock,
  collectMany,
  type CollectResult,
  type HttpOptions,
  resilientFetch,
  systemClock,
} from "./_http.ts";
