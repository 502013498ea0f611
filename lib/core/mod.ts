/**
 * Core domain: types, trading calendar, typed errors, time helpers, the parsing of symbols and whole numbers.
 * Imports nothing third-party.
 * @module
 */
export * from "./types.ts";
export * from "./errors.ts";
export * from "./calendar.ts";
export * from "./random.ts";
export * from "./hash.ts";
export * from "./symbols.ts";
export * from "./search.ts";
export * from "./numbers.ts";
