/**
 * Stores: tables, documents, objects; embedded defaults and server backends.
 * @module
 */
export * from "./types.ts";
