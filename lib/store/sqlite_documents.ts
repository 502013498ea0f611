/**
 * The embedded `DocumentStore` in SQLite (`node:sqlite`): per collection a table `docs_<c>` (id unique,
 * known_at, JSON body), a side table `docs_<c>__sym` (symbol -> document, indexed by symbol and knownAt) and an
 * FTS5 index `docs_<c>__fts` over the text fields (headline, summary, title) for word search; where FTS5 is not
 * compiled in, word search falls back to `LIKE` over a lower-cased text column.
 * @module
 */
import { SqliteFile } from "./_sqlite.ts";
import type { Doc, DocQuery, DocumentStore, UpsertResult } from "./types.ts";
import { checkCollection, TEXT_FIELDS, textWords, validateDocs } from "./_validate.ts";

/**
 * Opens (creating when missing) a SQLite document store at `path` (a file or `":memory:"`).
 * @example
 * ```ts
 * import { openSqliteDocuments } from "./sqlite_documents.ts";
 * const d = await openSqliteDocuments(":memory:");
 * await d.upsert("news", [{ id: "1", knownAt: 0, symbols: ["AAPL"], headline: "Apple rises" }]);
 * (await d.find("news", { text: "apple" })).length; // 1
 * await d.close();
 * ```
 */
export function openSqliteDocuments(path: string): Promise<DocumentStore> {
  try {
    return Promise.resolve(new SqliteDocuments(path));
  } catch (e) {
    return Promise.reject(e);
  }
}

function docText(d: Doc): string {
  const parts: string[] = [];
  for (const f of TEXT_FIELDS) if (typeof d[f] === "string") parts.push(d[f] as string);
  return parts.join("\n");
}

/** The SQLite `DocumentStore`; see {@link openSqliteDocuments}. */
export class SqliteDocuments implements DocumentStore {
  readonly backend = "sqlite";
  readonly #f: SqliteFile;
  readonly #known = new Set<string>();
  readonly #fts: boolean;

  constructor(path: string) {
    this.#f = new SqliteFile(path, "document");
    let fts = true;
    try {
      this.#f.db.exec("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x); DROP TABLE temp.fts5_probe;");
    } catch {
      fts = false;
    }
    this.#fts = fts;
  }

  /** True when word search uses SQLite FTS5 (else `LIKE`). */
  get fullText(): boolean {
    return this.#fts;
  }

  #exists(c: string): boolean {
    if (this.#known.has(c)) return true;
    const r = this.#f.stmt("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?").get(
      `docs_${c}`,
    );
    if (r) this.#known.add(c);
    return r !== undefined;
  }

  /**
   * Creates a collection's tables in one transaction, so another process creating the same collection at
   * once sees all of them or none (never the main table without its symbol index).
   */
  #create(c: string): void {
    if (this.#exists(c)) return;
    const t = `"docs_${c}"`;
    this.#f.db.exec("BEGIN IMMEDIATE");
    try {
      this.#f.db.exec(
        `CREATE TABLE IF NOT EXISTS ${t} (id TEXT NOT NULL UNIQUE, known_at REAL NOT NULL, body TEXT NOT NULL` +
          `${this.#fts ? "" : ", text TEXT NOT NULL DEFAULT ''"});` +
          `CREATE INDEX IF NOT EXISTS "ix_docs_${c}_known" ON ${t} (known_at, id);` +
          `CREATE TABLE IF NOT EXISTS "docs_${c}__sym" (symbol TEXT NOT NULL, id TEXT NOT NULL, known_at REAL NOT NULL,` +
          ` PRIMARY KEY (symbol, id)) WITHOUT ROWID;` +
          `CREATE INDEX IF NOT EXISTS "ix_docs_${c}__sym_known" ON "docs_${c}__sym" (symbol, known_at);` +
          `CREATE INDEX IF NOT EXISTS "ix_docs_${c}__sym_id" ON "docs_${c}__sym" (id);` +
          (this.#fts
            ? `CREATE VIRTUAL TABLE IF NOT EXISTS "docs_${c}__fts" USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');`
            : ""),
      );
      this.#f.db.exec("COMMIT");
    } catch (e) {
      if (this.#f.db.isTransaction) this.#f.db.exec("ROLLBACK");
      throw e;
    }
    this.#known.add(c);
  }

  /** Inserts or replaces documents by `id`, all in one transaction after validating every one. */
  upsert(collection: string, docs: Doc[]): Promise<UpsertResult> {
    return this.#f.run(`upsert ${collection}`, () => {
      const c = checkCollection(collection);
      validateDocs(c, docs);
      if (docs.length === 0) return { inserted: 0, updated: 0 };
      const bodies = docs.map((d) => JSON.stringify(d));
      this.#create(c);
      const t = `"docs_${c}"`;
      let inserted = 0;
      this.#f.db.exec("BEGIN IMMEDIATE");
      try {
        const find = this.#f.stmt(`SELECT rowid AS r FROM ${t} WHERE id = ?`);
        const ins = this.#f.stmt(
          this.#fts
            ? `INSERT INTO ${t} (id, known_at, body) VALUES (?, ?, ?)`
            : `INSERT INTO ${t} (id, known_at, body, text) VALUES (?, ?, ?, ?)`,
        );
        const upd = this.#f.stmt(
          this.#fts
            ? `UPDATE ${t} SET known_at = ?, body = ? WHERE rowid = ?`
            : `UPDATE ${t} SET known_at = ?, body = ?, text = ? WHERE rowid = ?`,
        );
        const delSym = this.#f.stmt(`DELETE FROM "docs_${c}__sym" WHERE id = ?`);
        const insSym = this.#f.stmt(
          `INSERT OR IGNORE INTO "docs_${c}__sym" (symbol, id, known_at) VALUES (?, ?, ?)`,
        );
        const delFts = this.#fts ? this.#f.stmt(`DELETE FROM "docs_${c}__fts" WHERE rowid = ?`) : null;
        const insFts = this.#fts
          ? this.#f.stmt(`INSERT INTO "docs_${c}__fts" (rowid, text) VALUES (?, ?)`)
          : null;
        for (let i = 0; i < docs.length; i++) {
          const d = docs[i];
          const text = docText(d);
          const old = find.get(d.id) as { r: number } | undefined;
          let rowid: number;
          if (old) {
            rowid = old.r;
            if (this.#fts) upd.run(d.knownAt, bodies[i], rowid);
            else upd.run(d.knownAt, bodies[i], text.toLowerCase(), rowid);
            delSym.run(d.id);
            delFts?.run(rowid);
          } else {
            const r = this.#fts
              ? ins.run(d.id, d.knownAt, bodies[i])
              : ins.run(d.id, d.knownAt, bodies[i], text.toLowerCase());
            rowid = Number(r.lastInsertRowid);
            inserted++;
          }
          for (const s of d.symbols ?? []) insSym.run(s, d.id, d.knownAt);
          if (insFts && text) insFts.run(rowid, text);
        }
        this.#f.db.exec("COMMIT");
      } catch (e) {
        if (this.#f.db.isTransaction) this.#f.db.exec("ROLLBACK");
        throw e;
      }
      return { inserted, updated: docs.length - inserted };
    });
  }

  /** The document with this id, or `null`. */
  get(collection: string, id: string): Promise<Doc | null> {
    return this.#f.run(`get ${collection}`, () => {
      const c = checkCollection(collection);
      if (typeof id !== "string") throw new TypeError("document id must be a string");
      if (!this.#exists(c)) return null;
      const r = this.#f.stmt(`SELECT body FROM "docs_${c}" WHERE id = ?`).get(id) as
        | { body: string }
        | undefined;
      return r ? JSON.parse(r.body) as Doc : null;
    });
  }

  #where(c: string, q: DocQuery): { sql: string; params: (string | number)[] } {
    const parts: string[] = [];
    const params: (string | number)[] = [];
    if (q.from !== undefined) {
      if (typeof q.from !== "number" || Number.isNaN(q.from)) throw new TypeError("from must be a number");
      parts.push("d.known_at >= ?");
      params.push(q.from);
    }
    if (q.to !== undefined) {
      if (typeof q.to !== "number" || Number.isNaN(q.to)) throw new TypeError("to must be a number");
      parts.push("d.known_at <= ?");
      params.push(q.to);
    }
    if (q.symbol !== undefined) {
      if (typeof q.symbol !== "string") throw new TypeError("symbol must be a string");
      parts.push(`d.id IN (SELECT id FROM "docs_${c}__sym" WHERE symbol = ?)`);
      params.push(q.symbol);
    }
    if (q.text !== undefined) {
      if (typeof q.text !== "string") throw new TypeError("text must be a string");
      const words = textWords(q.text);
      if (words.length) {
        if (this.#fts) {
          parts.push(`d.rowid IN (SELECT rowid FROM "docs_${c}__fts" WHERE "docs_${c}__fts" MATCH ?)`);
          params.push(words.map((w) => `"${w}"`).join(" "));
        } else {
          for (const w of words) {
            parts.push("d.text LIKE ? ESCAPE '\\'");
            params.push(`%${w.replace(/[\\%_]/g, "\\$&")}%`);
          }
        }
      }
    }
    return { sql: parts.length ? ` WHERE ${parts.join(" AND ")}` : "", params };
  }

  /** Documents matching the query, ordered by knownAt (ties by id). */
  find(collection: string, q: DocQuery = {}): Promise<Doc[]> {
    return this.#f.run(`find ${collection}`, () => {
      const c = checkCollection(collection);
      if (!this.#exists(c)) return [];
      const w = this.#where(c, q);
      const dir = q.order === "desc" ? "DESC" : "ASC";
      if (q.order !== undefined && q.order !== "asc" && q.order !== "desc") {
        throw new RangeError(`order must be "asc" or "desc", got ${String(q.order)}`);
      }
      let sql = `SELECT d.body AS body FROM "docs_${c}" d${w.sql} ORDER BY d.known_at ${dir}, d.id ${dir}`;
      if (q.limit !== undefined) {
        if (!Number.isSafeInteger(q.limit) || q.limit < 0) {
          throw new RangeError(`limit must be >= 0, got ${q.limit}`);
        }
        sql += ` LIMIT ${q.limit}`;
      }
      const rows = this.#f.stmt(sql).all(...w.params) as { body: string }[];
      return rows.map((r) => JSON.parse(r.body) as Doc);
    });
  }

  /** Number of documents matching the query (`limit` and `order` are ignored). */
  count(collection: string, q: DocQuery = {}): Promise<number> {
    return this.#f.run(`count ${collection}`, () => {
      const c = checkCollection(collection);
      if (!this.#exists(c)) return 0;
      const w = this.#where(c, q);
      const r = this.#f.stmt(`SELECT count(*) AS n FROM "docs_${c}" d${w.sql}`).get(...w.params) as {
        n: number;
      };
      return r.n;
    });
  }

  /** Drops a collection's tables. */
  dropCollection(collection: string): Promise<void> {
    return this.#f.run(`drop ${collection}`, () => {
      const c = checkCollection(collection);
      this.#f.forget(`docs_${c}`);
      this.#f.db.exec(
        `DROP TABLE IF EXISTS "docs_${c}"; DROP TABLE IF EXISTS "docs_${c}__sym"; DROP TABLE IF EXISTS "docs_${c}__fts";`,
      );
      this.#known.delete(c);
    });
  }

  /** Closes the database (idempotent). */
  close(): Promise<void> {
    return this.#f.close();
  }
}
