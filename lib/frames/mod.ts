/**
 * DataFrames at the research edge: the project's typed data (store rows, bars and series, predictions,
 * signals, datasets, backtests, scoreboard metrics) as nodejs-polars DataFrames and back, with fixed column
 * names and dtypes, and frames as Parquet/CSV bytes. Hot paths stay on typed arrays; this folder is the only
 * `lib/` code that imports `nodejs-polars` (pinned in `deno.json`; `0.25.2`, since `0.26.1` does not resolve
 * under Deno). `pl` is re-exported so a notebook needs one import.
 * @module
 */
export { default as pl } from "nodejs-polars";
export * from "./schema.ts";
export * from "./table.ts";
export * from "./domain.ts";
export * from "./bytes.ts";
