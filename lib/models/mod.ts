/**
 * Models: Dataset -> predictions per objective.
 * @module
 */
export * from "./types.ts";
