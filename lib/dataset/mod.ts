/**
 * Point-in-time dataset: as-of joins, labels, walk-forward segments.
 * @module
 */
export * from "./types.ts";
