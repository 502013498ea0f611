/**
 * Point-in-time dataset: as-of joins, labels, walk-forward segments.
 * @module
 */
export * from "./types.ts";
export * from "./series.ts";
export * from "./asof.ts";
export * from "./labels.ts";
export * from "./segments.ts";
export * from "./lookahead.ts";
export * from "./build.ts";
export * from "./scaler.ts";
export * from "./rows.ts";
export * from "./market.ts";
export * from "./resegment.ts";
export * from "./windows.ts";
