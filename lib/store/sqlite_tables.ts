/**
 * The embedded `TableStore`: SQLite through `node:sqlite` (a file or `":memory:"`), WAL journal, one
 * `WITHOUT ROWID` table per schema clustered on its key, prepared multi-row
 * `INSERT ... ON CONFLICT(key) DO UPDATE` upserts, each call validated first and written in one transaction.
 * Schema versions are recorded in `schema_migrations`.
 * @module
 */
import { SqliteFile } from "./_sqlite.ts";
import { StoreError } from "../core/mod.ts";
import type {
  ColumnType,
  ReplacePart,
  ReplaceResult,
  Row,
  TableQuery,
  TableSchema,
  TableStore,
  UpsertResult,
} from "./types.ts";
import {
  buildOrderLimit,
  buildWhere,
  canonicalSchema,
  checkDistinctTables,
  checkIdent,
  checkRowsInScope,
  checkSchema,
  diffSchema,
  indexName,
  validateRows,
} from "./_validate.ts";

const SQL_TYPE: Record<ColumnType, string> = { text: "TEXT", real: "REAL", int: "INTEGER", date: "TEXT" };
const MAX_PARAMS = 30_000;
/** Batches at least this large (and at least the table's size) rebuild secondary indexes instead. */
const BULK_REBUILD_ROWS = 50_000;
const q = (id: string): string => `"${id}"`;
/** A default value as an SQL literal (numbers as they are, text single-quoted). */
const sqlLiteral = (v: string | number | null): string =>
  v === null ? "NULL" : typeof v === "number" ? String(v) : `'${v.replaceAll("'", "''")}'`;

/** Options of the SQLite table store. */
export interface SqliteTablesOptions {
  /** Rows per `INSERT` statement (default: as many as fit 30,000 parameters, at most 1,000). */
  rowsPerStatement?: number;
}

/**
 * Opens (creating when missing) a SQLite table store at `path` (a file path or `":memory:"`).
 * @example
 * ```ts
 * import { openSqliteTables } from "./sqlite_tables.ts";
 * const t = await openSqliteTables(":memory:");
 * await t.ensureTable({ name: "x", columns: { k: "text", v: "real" }, key: ["k"] });
 * await t.upsert("x", [{ k: "a", v: 1 }]);
 * await t.close();
 * ```
 */
export function openSqliteTables(path: string, opts: SqliteTablesOptions = {}): Promise<TableStore> {
  try {
    return Promise.resolve(new SqliteTables(path, opts));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The SQLite `TableStore`; see {@link openSqliteTables}. */
export class SqliteTables implements TableStore {
  readonly backend = "sqlite";
  readonly #f: SqliteFile;
  readonly #schemas = new Map<string, TableSchema>();
  readonly #rowsPerStatement: number | undefined;

  constructor(path: string, opts: SqliteTablesOptions = {}) {
    this.#rowsPerStatement = opts.rowsPerStatement;
    this.#f = new SqliteFile(path, "table", " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;");
    try {
      this.#f.db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (table_name TEXT NOT NULL, version INTEGER NOT NULL," +
          " schema TEXT NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (table_name, version))",
      );
    } catch (e) {
      throw new StoreError(`cannot open sqlite database ${path}: ${(e as Error).message}`, {
        backend: "sqlite",
        cause: e,
        userError: true,
      });
    }
  }

  #stored(name: string): { version: number; schema: TableSchema } | null {
    const r = this.#f.stmt(
      "SELECT version, schema FROM schema_migrations WHERE table_name = ? ORDER BY version DESC LIMIT 1",
    ).get(name) as { version: number; schema: string } | undefined;
    return r ? { version: r.version, schema: JSON.parse(r.schema) } : null;
  }

  #schema(table: string): TableSchema {
    checkIdent(table, "table name");
    let s = this.#schemas.get(table);
    if (!s) {
      const st = this.#stored(table);
      if (!st) {
        throw new StoreError(`unknown table ${table}: call ensureTable first`, {
          backend: "sqlite",
          userError: true,
        });
      }
      s = st.schema;
      this.#schemas.set(table, s);
    }
    return s;
  }

  /**
   * The statements that create `canon`, or migrate the stored version `st` to it: added columns (with their
   * defaults) and indexes in place; a key extended by defaulted columns by rebuilding the table (SQLite cannot
   * change a primary key in place), all inside the caller's transaction.
   */
  #migration(canon: TableSchema, st: { schema: TableSchema } | null): string[] {
    const t = q(canon.name);
    const create = (table: string) => {
      const cols = Object.entries(canon.columns).map(([c, ty]) =>
        `${q(c)} ${SQL_TYPE[ty]}${canon.key.includes(c) ? " NOT NULL" : ""}`
      );
      return `CREATE TABLE IF NOT EXISTS ${q(table)} (${cols.join(", ")}, PRIMARY KEY (${
        canon.key.map(q).join(", ")
      })) WITHOUT ROWID`;
    };
    const indexes = (idxs: readonly string[][]) =>
      idxs.map((idx) =>
        `CREATE INDEX IF NOT EXISTS ${q(indexName(canon.name, idx))} ON ${t} (${idx.map(q).join(", ")})`
      );
    if (!st) return [create(canon.name), ...indexes(canon.indexes!)];
    const diff = diffSchema(st.schema, canon);
    if (diff.rekey) {
      // The new key columns take their defaults in the rows already stored.
      const tmp = `${canon.name}__rekey`;
      const oldCols = Object.keys(st.schema.columns);
      const added = diff.addColumns;
      const vals = added.map((c) => sqlLiteral(canon.defaults?.[c] ?? null));
      return [
        `DROP TABLE IF EXISTS ${q(tmp)}`,
        create(tmp),
        `INSERT INTO ${q(tmp)} (${[...oldCols, ...added].map(q).join(", ")}) SELECT ${
          [...oldCols.map(q), ...vals].join(", ")
        } FROM ${t}`,
        `DROP TABLE ${t}`,
        `ALTER TABLE ${q(tmp)} RENAME TO ${t}`,
        ...indexes(canon.indexes!),
      ];
    }
    const stmts: string[] = [];
    for (const c of diff.addColumns) {
      const d = canon.defaults?.[c];
      stmts.push(
        `ALTER TABLE ${t} ADD COLUMN ${q(c)} ${SQL_TYPE[canon.columns[c]]}${
          d === undefined ? "" : ` DEFAULT ${sqlLiteral(d)}`
        }`,
      );
    }
    stmts.push(...indexes(diff.addIndexes));
    return stmts;
  }

  /** Whether `table` has been made by {@link ensureTable} (a read of `schema_migrations`). */
  hasTable(table: string): Promise<boolean> {
    return this.#f.run("hasTable", () => {
      checkIdent(table, "table name");
      return this.#schemas.has(table) || this.#stored(table) !== null;
    });
  }

  /** Creates the table (or migrates it by adding columns/indexes) and records the version. */
  ensureTable(schema: TableSchema): Promise<void> {
    return this.#f.run("ensureTable", () => {
      checkSchema(schema);
      const canon = canonicalSchema(schema);
      const json = JSON.stringify(canon);
      const current = this.#stored(schema.name);
      if (current && JSON.stringify(current.schema) === json) {
        this.#schemas.set(schema.name, canon);
        return;
      }
      // Read again under the write lock: another process may have created or migrated the table meanwhile.
      this.#f.db.exec("BEGIN IMMEDIATE");
      try {
        const st = this.#stored(schema.name);
        if (!st || JSON.stringify(st.schema) !== json) {
          for (const s of this.#migration(canon, st)) this.#f.db.exec(s);
          this.#f.stmt(
            "INSERT INTO schema_migrations (table_name, version, schema, applied_at) VALUES (?, ?, ?, ?)",
          ).run(canon.name, (st?.version ?? 0) + 1, json, Date.now());
        }
        this.#f.db.exec("COMMIT");
      } catch (e) {
        this.#f.db.exec("ROLLBACK");
        throw e;
      }
      this.#schemas.set(canon.name, canon);
      this.#f.forget(`"${canon.name}"`);
    });
  }

  /** Rows of `table` matching the built `WHERE` clause `w` (all rows without one). */
  #count(table: string, w: { sql: string; params: (string | number)[] } = { sql: "", params: [] }): number {
    return (this.#f.stmt(`SELECT count(*) AS n FROM ${q(table)}${w.sql}`).get(...w.params) as { n: number })
      .n;
  }

  /** Validates all rows, then writes them in one transaction. */
  upsert(table: string, rows: Row[]): Promise<UpsertResult> {
    return this.#f.run(`upsert ${table}`, () => {
      const schema = this.#schema(table);
      const vals = validateRows(schema, rows);
      if (vals.length === 0) return { inserted: 0, updated: 0 };
      return this.#transaction(() => this.#write(table, schema, vals));
    });
  }

  /**
   * Upserts `rows` and deletes the rows matching `where` whose key is not among them, in one transaction: a
   * temporary table of the written keys and one `DELETE ... WHERE NOT EXISTS`, skipped when the scope holds no
   * more rows than were written. A bad row, a row outside `where` or a bad `where` is refused before anything
   * is written.
   */
  async replace(table: string, where: NonNullable<TableQuery["where"]>, rows: Row[]): Promise<ReplaceResult> {
    return (await this.#replace(`replace ${table}`, [{ table, where, rows }]))[0];
  }

  /** {@link replace} of each part, all in one transaction, after every part is validated. */
  replaceMany(parts: readonly ReplacePart[]): Promise<ReplaceResult[]> {
    return this.#replace(`replaceMany ${parts.map((p) => p.table).join(", ")}`, parts);
  }

  #replace(what: string, parts: readonly ReplacePart[]): Promise<ReplaceResult[]> {
    return this.#f.run(what, () => {
      checkDistinctTables(parts);
      const plans = parts.map(({ table, where, rows }) => {
        const schema = this.#schema(table);
        const vals = validateRows(schema, rows);
        const w = buildWhere(schema, where, q);
        return { table, schema, vals, w, unique: checkRowsInScope(schema, where, vals) };
      });
      if (plans.length === 0) return [];
      return this.#transaction(() => plans.map((p) => this.#replaceIn(p)));
    });
  }

  /** One validated part of a replace, inside the caller's transaction. */
  #replaceIn(
    { table, schema, vals, w, unique }: {
      table: string;
      schema: TableSchema;
      vals: (string | number | null)[][];
      w: { sql: string; params: (string | number)[] };
      unique: number;
    },
  ): ReplaceResult {
    const written = vals.length ? this.#write(table, schema, vals) : { inserted: 0, updated: 0 };
    // every row written lies in the scope: a scope holding just as many rows has nothing stale (a re-run)
    if (this.#count(table, w) === unique) return { ...written, deleted: 0 };
    const cols = Object.keys(schema.columns);
    const keyAt = schema.key.map((k) => cols.indexOf(k));
    const keep = q("fmai_keep");
    this.#f.db.exec(
      `CREATE TEMP TABLE ${keep} (${schema.key.map(q).join(", ")}, PRIMARY KEY (${
        schema.key.map(q).join(", ")
      })) WITHOUT ROWID`,
    );
    try {
      // the kept keys in multi-row statements (as `#write` does)
      const nk = keyAt.length, per = Math.min(1000, Math.floor(MAX_PARAMS / nk));
      const sqlFor = (n: number) =>
        `INSERT OR IGNORE INTO temp.${keep} VALUES ` +
        Array(n).fill(`(${keyAt.map(() => "?").join(",")})`).join(",");
      for (let i = 0; i < vals.length; i += per) {
        const n = Math.min(per, vals.length - i);
        const params: (string | number | null)[] = new Array(n * nk);
        for (let r = 0; r < n; r++) {
          for (let c = 0; c < nk; c++) params[r * nk + c] = vals[i + r][keyAt[c]];
        }
        (n === per ? this.#f.stmt(sqlFor(n)) : this.#f.db.prepare(sqlFor(n))).run(...params);
      }
      const match = schema.key.map((k) => `k.${q(k)} = ${q(table)}.${q(k)}`).join(" AND ");
      const r = this.#f.db.prepare(
        `DELETE FROM ${q(table)}${w.sql ? `${w.sql} AND` : " WHERE"} NOT EXISTS ` +
          `(SELECT 1 FROM temp.${keep} k WHERE ${match})`,
      ).run(...w.params);
      return { ...written, deleted: Number(r.changes) };
    } finally {
      this.#f.db.exec(`DROP TABLE temp.${keep}`);
    }
  }

  /** Runs `f` inside `BEGIN IMMEDIATE ... COMMIT`, rolling back when it throws. */
  #transaction<T>(f: () => T): T {
    this.#f.db.exec("BEGIN IMMEDIATE");
    try {
      const out = f();
      this.#f.db.exec("COMMIT");
      return out;
    } catch (e) {
      if (this.#f.db.isTransaction) this.#f.db.exec("ROLLBACK");
      throw e;
    }
  }

  /** Writes validated rows inside the caller's transaction; returns how many were new. */
  #write(table: string, schema: TableSchema, vals: (string | number | null)[][]): UpsertResult {
    const cols = Object.keys(schema.columns);
    const per = Math.max(1, Math.min(this.#rowsPerStatement ?? 1000, Math.floor(MAX_PARAMS / cols.length)));
    const nonKey = cols.filter((c) => !schema.key.includes(c));
    const head = `INSERT INTO ${q(table)} (${cols.map(q).join(", ")}) VALUES `;
    const tuple = `(${cols.map(() => "?").join(",")})`;
    const tail = ` ON CONFLICT (${schema.key.map(q).join(", ")}) DO ` +
      (nonKey.length
        ? `UPDATE SET ${nonKey.map((c) => `${q(c)} = excluded.${q(c)}`).join(", ")}`
        : "NOTHING");
    const sqlFor = (n: number) => head + Array(n).fill(tuple).join(",") + tail;
    const nc = cols.length;
    const before = this.#count(table);
    // A bulk load at least as large as the table: maintaining secondary indexes row by row costs about 4x the
    // insert itself (random B-tree inserts); dropping and rebuilding them (sorted) inside the same transaction
    // is atomic and much faster.
    const rebuild = vals.length >= BULK_REBUILD_ROWS && vals.length >= before ? (schema.indexes ?? []) : [];
    for (const idx of rebuild) this.#f.db.exec(`DROP INDEX IF EXISTS ${q(indexName(table, idx))}`);
    const full = this.#f.stmt(sqlFor(per));
    const params: (string | number | null)[] = new Array(per * nc);
    let i = 0;
    for (; i + per <= vals.length; i += per) {
      for (let r = 0; r < per; r++) {
        const v = vals[i + r];
        for (let c = 0; c < nc; c++) params[r * nc + c] = v[c];
      }
      full.run(...params);
    }
    const rest = vals.length - i;
    if (rest > 0) {
      const p2: (string | number | null)[] = [];
      for (let r = i; r < vals.length; r++) for (const x of vals[r]) p2.push(x);
      this.#f.db.prepare(sqlFor(rest)).run(...p2);
    }
    for (const idx of rebuild) {
      this.#f.db.exec(`CREATE INDEX ${q(indexName(table, idx))} ON ${q(table)} (${idx.map(q).join(", ")})`);
    }
    const inserted = this.#count(table) - before;
    return { inserted, updated: vals.length - inserted };
  }

  /** Rows matching the query, as plain objects with the schema's columns. */
  query(table: string, qry: TableQuery = {}): Promise<Row[]> {
    return this.#f.run(`query ${table}`, () => {
      const schema = this.#schema(table);
      const w = buildWhere(schema, qry.where, q);
      const sql = `SELECT ${Object.keys(schema.columns).map(q).join(", ")} FROM ${q(table)}${w.sql}${
        buildOrderLimit(schema, qry, q)
      }`;
      const rows = this.#f.stmt(sql).all(...w.params) as Row[];
      const out: Row[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = { ...rows[i] };
      return out;
    });
  }

  /** Number of rows matching `where`. */
  count(table: string, where?: TableQuery["where"]): Promise<number> {
    return this.#f.run(`count ${table}`, () => {
      return this.#count(table, buildWhere(this.#schema(table), where, q));
    });
  }

  /** Deletes rows matching `where` (`{}` deletes all); returns how many. */
  delete(table: string, where: NonNullable<TableQuery["where"]>): Promise<number> {
    return this.#f.run(`delete ${table}`, () => {
      const schema = this.#schema(table);
      const w = buildWhere(schema, where, q);
      const r = this.#f.stmt(`DELETE FROM ${q(table)}${w.sql}`).run(...w.params);
      return Number(r.changes);
    });
  }

  /** Drops a table and its migration records. */
  dropTable(table: string): Promise<void> {
    return this.#f.run(`drop ${table}`, () => {
      checkIdent(table, "table name");
      this.#f.forget(`"${table}"`);
      this.#f.db.exec("BEGIN IMMEDIATE");
      try {
        this.#f.db.exec(`DROP TABLE IF EXISTS ${q(table)}`);
        this.#f.stmt("DELETE FROM schema_migrations WHERE table_name = ?").run(table);
        this.#f.db.exec("COMMIT");
      } catch (e) {
        this.#f.db.exec("ROLLBACK");
        throw e;
      }
      this.#schemas.delete(table);
    });
  }

  /** Closes the database (idempotent). */
  close(): Promise<void> {
    return this.#f.close();
  }
}
