/**
 * Folder-private: opening an embedded SQLite file the same way for tables and documents.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { StoreError } from "../core/mod.ts";

/**
 * Opens `path` with the busy timeout set before anything else (so two processes creating the same new store
 * at once wait for each other's lock instead of failing with "database is locked"), then WAL and the other
 * pragmas. A failure is a one-line `StoreError` naming the file (a user error: usually a bad `--store-dir`).
 */
export function openSqliteFile(path: string, pragmas = ""): DatabaseSync {
  if (typeof path !== "string" || path === "") throw new TypeError("sqlite path must be a non-empty string");
  try {
    const db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout=30000;");
    db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;${pragmas}`);
    return db;
  } catch (e) {
    throw new StoreError(`cannot open sqlite database ${path}: ${(e as Error).message}`, {
      backend: "sqlite",
      cause: e,
      userError: true,
    });
  }
}
