/**
 * Folder-private: an embedded SQLite file as both embedded stores (tables, documents) use it: opened the same
 * way, with a statement cache, the closed-store check, error wrapping and an idempotent close.
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { FmaiError, StoreError } from "../core/mod.ts";

/** One open SQLite database of a store (`what` names the store in messages: `table`, `document`). */
export class SqliteFile {
  readonly db: DatabaseSync;
  readonly #stmts = new Map<string, StatementSync>();
  readonly #what: string;
  #closed = false;

  /**
   * Opens `path` with the busy timeout set before anything else (so two processes creating the same new store
   * at once wait for each other's lock instead of failing with "database is locked"), then WAL and `pragmas`.
   * A failure is a one-line `StoreError` naming the file (a user error: usually a bad `--store-dir`).
   */
  constructor(path: string, what: string, pragmas = "") {
    if (typeof path !== "string" || path === "") {
      throw new TypeError("sqlite path must be a non-empty string");
    }
    this.#what = what;
    try {
      this.db = new DatabaseSync(path);
      this.db.exec("PRAGMA busy_timeout=30000;");
      // Switching a new file to WAL can answer "database is locked" at once, without the busy handler, while
      // another process makes the same switch (SQLite's deadlock avoidance): wait and retry, up to 30 s too.
      for (let attempt = 0;; attempt++) {
        try {
          this.db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;${pragmas}`);
          break;
        } catch (e) {
          if (!/database is locked/.test((e as Error).message) || attempt >= 600) throw e;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        }
      }
    } catch (e) {
      throw new StoreError(`cannot open sqlite database ${path}: ${(e as Error).message}`, {
        backend: "sqlite",
        cause: e,
        userError: true,
      });
    }
  }

  /** A prepared statement, cached by its SQL. */
  stmt(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /** Drops the cached statements whose SQL contains `text` (a table that was dropped or migrated). */
  forget(text: string): void {
    for (const k of [...this.#stmts.keys()]) if (k.includes(text)) this.#stmts.delete(k);
  }

  /** Throws when the store is closed. */
  check(): void {
    if (this.#closed) throw new StoreError(`sqlite ${this.#what} store is closed`, { backend: "sqlite" });
  }

  /** `e` as the store's error: typed errors as they are, anything else a `StoreError` naming `what`. */
  wrap(what: string, e: unknown): Error {
    if (e instanceof FmaiError || e instanceof TypeError || e instanceof RangeError) return e;
    return new StoreError(`sqlite ${what}: ${(e as Error)?.message ?? String(e)}`, {
      backend: "sqlite",
      cause: e,
    });
  }

  /**
   * Runs one synchronous store operation as the async interface wants it: the closed-store check, then `fn`;
   * its value resolves, its error rejects as {@linkcode SqliteFile.wrap} makes it.
   */
  run<T>(what: string, fn: () => T): Promise<T> {
    try {
      this.check();
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(this.wrap(what, e));
    }
  }

  /** Closes the database (idempotent). */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#stmts.clear();
      this.db.close();
    }
    return Promise.resolve();
  }
}
