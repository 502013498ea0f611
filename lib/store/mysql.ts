/**
 * The MySQL/MariaDB `TableStore` on `npm:mysql2` (promise API, pooled, `dateStrings` so dates never drift).
 *
 * - Schemas are versioned in `schema_migrations` (one row per table version with the schema as JSON);
 *   `ensureTable` creates the table with its indexes, or migrates it by adding columns and indexes.
 * - Tables are InnoDB, `utf8mb4_bin` (exact, case-sensitive text like SQLite), clustered on the key, so one
 *   symbol's date range is one key range; secondary indexes per schema (e.g. `bars(date)` for one day across
 *   symbols). Text columns in a key or index are `VARCHAR(191)`, others `MEDIUMTEXT`.
 * - `upsert` validates every row first (the same validator as SQLite) and writes all-or-nothing:
 *   - up to `stagingFromRows` rows (default 10,000): `INSERT ... ON DUPLICATE KEY UPDATE` statements of up to
 *     2,000 rows in one transaction, the driver escaping each `?` value (faster than server-side prepared
 *     statements with thousands of parameters; values never enter the SQL text unescaped);
 *   - a larger batch is staged: de-duplicated by key (the last row wins), loaded with `LOAD DATA LOCAL INFILE`
 *     (a stream from memory through the driver, no file) into a temporary table of the connection, then applied
 *     by one `INSERT ... SELECT ... ON DUPLICATE KEY UPDATE` in one transaction. The target's rows are locked
 *     only while that statement runs, and a writer killed at any point leaves nothing behind (the temporary
 *     table dies with its connection, the open transaction rolls back): no recovery protocol is needed.
 *     This replaced an XA transaction split over 4 connections (measured side by side in `bench/store_bench.ts`).
 * - Inserted/updated counts come from the server's reply (`affectedRows` and its `Duplicates: N`, see
 *   {@linkcode insertedBy}), so an upsert never scans the table.
 * - A lost or refused connection is retried with exponential backoff; after the last attempt the server's
 *   circuit breaker opens (an `unavailable` `StoreError` naming it, and every later call fails at once for a
 *   while). A deadlock or lock-wait timeout between concurrent writers is retried the same way (without the
 *   breaker).
 * @module
 */
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import mysql from "mysql2/promise";
import { ConfigError, DataValidationError, StoreError } from "../core/mod.ts";
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
import { CircuitBreaker } from "./_breaker.ts";
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

/** Connection settings of the MySQL backend. */
export interface MySqlConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Connections in the pool: a whole number >= 1 (default 4). */
  poolSize?: number;
  /** Attempts per operation on connection errors before a `StoreError` (default 4). */
  retries?: number;
  /** First retry delay in ms; doubles each attempt (default 200). */
  retryDelayMs?: number;
  /** Connect timeout in ms: a whole number >= 1 (default 5000). */
  connectTimeoutMs?: number;
  /** Rows per `INSERT` statement (default 2,000). */
  rowsPerStatement?: number;
  /** Rows from which an upsert is staged through a temporary table (default 10,000). */
  stagingFromRows?: number;
  /**
   * Open only a store that exists (a command that only reads): the database must hold `schema_migrations`, which
   * every writer creates when it opens, else a `ConfigError` naming it; nothing is created. Default false.
   */
  existing?: boolean;
}

const BACKEND = "mysql";
const VARCHAR = 191;
const q = (id: string): string => `\`${id}\``;
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_CONNECTION_KILLED",
  "ER_QUERY_INTERRUPTED",
  "ECONNABORTED",
]);

export { mySqlConfigFromUrl } from "./config.ts";

/** True when an error means the connection is gone (worth a retry). */
export function isConnectionError(e: unknown): boolean {
  if (e === null || typeof e !== "object") return false;
  const err = e as { code?: unknown; fatal?: unknown; errno?: unknown };
  if (typeof err.code === "string" && CONNECTION_CODES.has(err.code)) return true;
  if (err.fatal === true) return true;
  return err.errno === 2006 || err.errno === 2013 || err.errno === 1927;
}

function sqlType(schema: TableSchema, col: string): string {
  const t: ColumnType = schema.columns[col];
  switch (t) {
    case "real":
      return "DOUBLE";
    case "int":
      return "BIGINT";
    case "date":
      return "DATE";
    case "text":
      return varcharCols(schema).has(col) ? `VARCHAR(${VARCHAR})` : "MEDIUMTEXT";
  }
}

function varcharCols(schema: TableSchema): Set<string> {
  const s = new Set<string>(schema.key);
  for (const idx of schema.indexes ?? []) for (const c of idx) s.add(c);
  for (const c of [...s]) if (schema.columns[c] !== "text") s.delete(c);
  return s;
}

type Pool = mysql.Pool;
type Conn = mysql.PoolConnection;
type Param = string | number | null;

/**
 * Opens a pooled MySQL table store and checks the connection (retrying with backoff).
 * Throws `StoreError` when the server cannot be reached.
 */
export async function openMySqlTables(cfg: MySqlConfig): Promise<TableStore> {
  for (const k of ["host", "user", "database"] as const) {
    if (typeof cfg?.[k] !== "string" || cfg[k] === "") {
      throw new TypeError(`mysql config: ${k} must be a string`);
    }
  }
  if (!Number.isInteger(cfg.port) || cfg.port <= 0 || cfg.port > 65535) {
    throw new RangeError(`mysql config: bad port ${cfg.port}`);
  }
  // mysql2 reads 0 as "no limit": an unlimited pool, a connect that never times out
  for (const k of ["poolSize", "connectTimeoutMs"] as const) {
    const v = cfg[k];
    if (v !== undefined && v !== null && !(Number.isSafeInteger(v) && v >= 1)) {
      throw new RangeError(`mysql config: ${k} must be a whole number >= 1, got ${v}`);
    }
  }
  const store = new MySqlTables(cfg);
  try {
    await store.init(cfg.existing === true);
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
  return store;
}

/** The MySQL `TableStore`; see {@link openMySqlTables}. */
export class MySqlTables implements TableStore {
  readonly backend = BACKEND;
  readonly #pool: Pool;
  readonly #cfg: MySqlConfig;
  readonly #schemas = new Map<string, TableSchema>();
  readonly #breaker: CircuitBreaker;
  #closed = false;

  constructor(cfg: MySqlConfig) {
    this.#cfg = cfg;
    this.#breaker = new CircuitBreaker(BACKEND, `mysql server ${cfg.host}:${cfg.port}`);
    this.#pool = mysql.createPool({
      host: cfg.host,
      port: cfg.port,
      user: cfg.user,
      password: cfg.password,
      database: cfg.database,
      connectionLimit: cfg.poolSize ?? 4,
      connectTimeout: cfg.connectTimeoutMs ?? 5000,
      dateStrings: true,
      charset: "UTF8MB4_BIN",
      supportBigNumbers: false,
      multipleStatements: false,
      enableKeepAlive: true,
      waitForConnections: true,
      // affectedRows counts changed rows only (see insertedBy)
      flags: ["-FOUND_ROWS"],
    });
    // A pool emits 'error' for idle connections dropped by the server; it recovers by itself.
    (this.#pool as unknown as { on?: (ev: string, f: () => void) => void }).on?.("error", () => {});
  }

  /** Checks the connection and creates `schema_migrations` (with `existing`: checks that it is there). */
  async init(existing = false): Promise<void> {
    await this.#retry("connect", async (c) => {
      if (existing) {
        const [rows] = await c.query(
          "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'",
        );
        if ((rows as unknown[]).length === 0) {
          throw new ConfigError(
            `mysql database ${this.#cfg.database} holds no store (no schema_migrations table: nothing was ever ` +
              `written there; a mistyped database?)`,
          );
        }
        return;
      }
      await c.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (table_name VARCHAR(64) NOT NULL, version INT NOT NULL," +
          " schema_json MEDIUMTEXT NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (table_name, version))" +
          " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
      );
    });
  }

  /** Runs `fn` on a pooled connection; retries connection errors with exponential backoff. */
  #retry<T>(what: string, fn: (c: Conn) => Promise<T>): Promise<T> {
    return this.#attempts(what, async () => {
      const conn = await this.#pool.getConnection();
      try {
        const r = await fn(conn);
        conn.release();
        return r;
      } catch (e) {
        if (isConnectionError(e)) conn.destroy();
        else conn.release();
        throw e;
      }
    });
  }

  /**
   * Runs `once` until it succeeds or fails with something other than a lost connection; connection errors
   * are retried with exponential backoff, then become a `StoreError`.
   */
  #attempts<T>(what: string, once: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError("mysql table store is closed", { backend: BACKEND });
    return this.#breaker.run(`mysql ${what}`, once, {
      attempts: this.#cfg.retries ?? 4,
      delayMs: this.#cfg.retryDelayMs ?? 200,
      connection: isConnectionError,
      transient: isLockConflict,
      code: (e) => (e as { code?: string })?.code ?? (e as Error)?.message ?? "unknown",
    });
  }

  async #stored(c: Conn, name: string): Promise<{ version: number; schema: TableSchema } | null> {
    const [rows] = await c.execute(
      "SELECT version, schema_json FROM schema_migrations WHERE table_name = ? ORDER BY version DESC LIMIT 1",
      [name],
    );
    const r = (rows as { version: number; schema_json: string }[])[0];
    return r ? { version: Number(r.version), schema: JSON.parse(r.schema_json) } : null;
  }

  async #schema(table: string): Promise<TableSchema> {
    checkIdent(table, "table name");
    const s = this.#schemas.get(table);
    if (s) return s;
    const st = await this.#retry(`schema ${table}`, (c) => this.#stored(c, table));
    if (!st) {
      throw new StoreError(`unknown table ${table}: call ensureTable first`, {
        backend: BACKEND,
        userError: true,
      });
    }
    this.#schemas.set(table, st.schema);
    return st.schema;
  }

  /** Whether `table` has been made by {@link ensureTable} (a read of `schema_migrations`). */
  async hasTable(table: string): Promise<boolean> {
    checkIdent(table, "table name");
    if (this.#schemas.has(table)) return true;
    return (await this.#retry(`schema ${table}`, (c) => this.#stored(c, table))) !== null;
  }

  /** Creates the table with its indexes, or migrates it (added columns/indexes); records the version. */
  async ensureTable(schema: TableSchema): Promise<void> {
    checkSchema(schema);
    const canon = canonicalSchema(schema);
    const json = JSON.stringify(canon);
    await this.#retry(`ensureTable ${canon.name}`, async (c) => {
      const st = await this.#stored(c, canon.name);
      if (st && JSON.stringify(st.schema) === json) return;
      const t = q(canon.name);
      if (!st) {
        const cols = Object.keys(canon.columns).map((col) =>
          `${q(col)} ${sqlType(canon, col)}${canon.key.includes(col) ? " NOT NULL" : " NULL"}`
        );
        const idx = canon.indexes!.map((i) =>
          `INDEX ${q(indexName(canon.name, i))} (${i.map(q).join(", ")})`
        );
        await c.query(
          `CREATE TABLE IF NOT EXISTS ${t} (${
            [...cols, `PRIMARY KEY (${canon.key.map(q).join(", ")})`, ...idx].join(", ")
          })` +
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        );
      } else {
        const diff = diffSchema(st.schema, canon);
        // A re-run after a crash between the DDL and the migration record finds some columns already there.
        const [have] = await c.query(`SHOW COLUMNS FROM ${t}`);
        const present = new Set((have as { Field: string }[]).map((r) => r.Field));
        const colDef = (col: string) => {
          const d = canon.defaults?.[col];
          const def = d === undefined ? "" : ` DEFAULT ${c.escape(d)}`;
          return `${q(col)} ${sqlType(canon, col)}${canon.key.includes(col) ? " NOT NULL" : " NULL"}${def}`;
        };
        if (diff.rekey) {
          // One ALTER (atomic): add the new key columns with their defaults, then swap the primary key.
          const [keys] = await c.query(`SHOW KEYS FROM ${t} WHERE Key_name = 'PRIMARY'`);
          const pk = (keys as { Column_name: string; Seq_in_index: number }[])
            .sort((a, b) => a.Seq_in_index - b.Seq_in_index).map((r) => r.Column_name);
          const parts = diff.addColumns.filter((col) => !present.has(col)).map((col) =>
            `ADD COLUMN ${colDef(col)}`
          );
          if (pk.join(",") !== canon.key.join(",")) {
            parts.push(`DROP PRIMARY KEY`, `ADD PRIMARY KEY (${canon.key.map(q).join(", ")})`);
          }
          if (parts.length) await c.query(`ALTER TABLE ${t} ${parts.join(", ")}`);
        } else {
          for (const col of diff.addColumns) {
            if (present.has(col)) continue;
            await ignoreCodes(c.query(`ALTER TABLE ${t} ADD COLUMN ${colDef(col)}`), ["ER_DUP_FIELDNAME"]);
          }
        }
        for (const i of diff.addIndexes) {
          await ignoreCodes(
            c.query(`ALTER TABLE ${t} ADD INDEX ${q(indexName(canon.name, i))} (${i.map(q).join(", ")})`),
            [
              "ER_DUP_KEYNAME",
            ],
          );
        }
      }
      await c.execute(
        "INSERT IGNORE INTO schema_migrations (table_name, version, schema_json, applied_at) VALUES (?, ?, ?, ?)",
        [canon.name, (st?.version ?? 0) + 1, json, Date.now()],
      );
    });
    this.#schemas.set(canon.name, canon);
  }

  /** Validates all rows (types, keys, VARCHAR lengths) against the table's schema. */
  async #validated(table: string, rows: Row[]): Promise<{ schema: TableSchema; vals: Param[][] }> {
    const schema = await this.#schema(table);
    const vals = validateRows(schema, rows) as Param[][];
    const cols = Object.keys(schema.columns);
    const varchar = cols.map((c) => varcharCols(schema).has(c));
    for (let i = 0; i < vals.length; i++) {
      for (let j = 0; j < cols.length; j++) {
        const v = vals[i][j];
        if (varchar[j] && typeof v === "string" && v.length > VARCHAR) {
          throw new DataValidationError(`column "${cols[j]}": longer than ${VARCHAR} characters`, {
            where: `upsert ${table} row ${i}`,
          });
        }
      }
    }
    return { schema, vals };
  }

  /** Validates all rows, then writes them in batches inside one transaction. */
  async upsert(table: string, rows: Row[]): Promise<UpsertResult> {
    const { schema, vals } = await this.#validated(table, rows);
    if (vals.length === 0) return { inserted: 0, updated: 0 };
    const w = writePlan(table, schema, this.#cfg.rowsPerStatement ?? 2000);
    if (vals.length >= (this.#cfg.stagingFromRows ?? 10_000)) {
      const unique = uniqueByKey(vals, schema.key.map((k) => w.cols.indexOf(k)));
      const [{ inserted }] = await this.#retry(
        `upsert ${table}`,
        (c) => this.#upsertStaged(c, [{ w, schema, vals: unique }]),
      );
      return { inserted, updated: vals.length - inserted };
    }
    const inserted = await this.#retry(`upsert ${table}`, async (c) => {
      await c.beginTransaction();
      try {
        const n = await writeRows(c, w, vals);
        await c.commit();
        return n;
      } catch (e) {
        await c.rollback().catch(() => {});
        throw e;
      }
    });
    return { inserted, updated: vals.length - inserted };
  }

  /**
   * Upserts `rows` and deletes the rows matching `where` whose key is not among them, in one transaction: the
   * staged upsert's statement, then (unless the scope holds no more rows than were staged) one
   * `DELETE ... WHERE NOT EXISTS` against the staged keys. A row outside `where` is refused before any write.
   */
  async replace(table: string, where: NonNullable<TableQuery["where"]>, rows: Row[]): Promise<ReplaceResult> {
    return (await this.#replace(`replace ${table}`, [{ table, where, rows }]))[0];
  }

  /** {@link replace} of each part, all in one transaction, after every part is validated. */
  async replaceMany(parts: readonly ReplacePart[]): Promise<ReplaceResult[]> {
    return await this.#replace(`replaceMany ${parts.map((p) => p.table).join(", ")}`, parts);
  }

  async #replace(what: string, parts: readonly ReplacePart[]): Promise<ReplaceResult[]> {
    checkDistinctTables(parts);
    const staged: StagedPart[] = [];
    for (const { table, where, rows } of parts) {
      const { schema, vals } = await this.#validated(table, rows);
      const del = buildWhere(schema, where, q);
      checkRowsInScope(schema, where, vals);
      const w = writePlan(table, schema, this.#cfg.rowsPerStatement ?? 2000);
      staged.push({
        w,
        schema,
        vals: uniqueByKey(vals, schema.key.map((k) => w.cols.indexOf(k))),
        replace: del,
      });
    }
    if (staged.length === 0) return [];
    const r = await this.#retry(what, (c) => this.#upsertStaged(c, staged));
    return r.map((x, i) => ({
      inserted: x.inserted,
      updated: parts[i].rows.length - x.inserted,
      deleted: x.deleted,
    }));
  }

  /**
   * One try of a staged upsert on connection `c`: each part's rows (unique by key, in key order) go into a
   * temporary table of this connection (no redo log), then in one transaction one
   * `INSERT ... SELECT ... ON DUPLICATE KEY UPDATE` per part applies them: all or nothing, and the targets' rows
   * are locked only while those statements run. A part with `replace` then deletes, in the same transaction,
   * its target's rows matching it whose key is not staged (the stage is keyed then), unless the scope holds no
   * more rows than were staged. A writer killed at any point leaves nothing (the temporary tables die with their
   * connection, an unfinished transaction rolls back). Returns per part the rows inserted ("Records -
   * Duplicates") and deleted.
   */
  async #upsertStaged(
    c: Conn,
    parts: readonly StagedPart[],
  ): Promise<{ inserted: number; deleted: number }[]> {
    const stages = parts.map((_, i) => q(i ? `fmai_stage_${i}` : "fmai_stage"));
    try {
      for (const [i, { w, schema, vals, replace }] of parts.entries()) {
        const cols = w.cols.map(q).join(", ");
        const keyed = replace ? `, KEY (${schema.key.map(q).join(", ")})` : "";
        await c.query(`DROP TEMPORARY TABLE IF EXISTS ${stages[i]}`);
        await c.query(
          `CREATE TEMPORARY TABLE ${stages[i]} (${
            w.cols.map((col) => `${q(col)} ${sqlType(schema, col)} NULL`).join(", ")
          }${keyed}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
        );
        if (vals.length) {
          await c.query({
            sql: `LOAD DATA LOCAL INFILE 'fmai-stage' INTO TABLE ${stages[i]} CHARACTER SET utf8mb4 ` +
              `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${cols})`,
            infileStreamFactory: () => Readable.from(tsvChunks(vals)),
          });
        }
      }
      await c.beginTransaction();
      try {
        const out: { inserted: number; deleted: number }[] = [];
        for (const [i, { w, schema, vals, replace }] of parts.entries()) {
          const cols = w.cols.map(q).join(", "), stage = stages[i];
          let inserted = 0, deleted = 0;
          if (vals.length) {
            const [h] = await c.query(
              `INSERT INTO ${q(w.table)} (${cols}) SELECT ${cols} FROM ${stage}${w.onDuplicate}`,
            );
            inserted = insertedBy(h as mysql.ResultSetHeader);
          }
          if (replace) {
            const t = q(w.table);
            const [cnt] = await c.execute(`SELECT COUNT(*) AS n FROM ${t}${replace.sql}`, replace.params);
            // every row staged lies in the scope: a scope holding just as many rows has nothing stale (a re-run)
            if (Number((cnt as { n: number }[])[0].n) !== vals.length) {
              const match = schema.key.map((k) => `s.${q(k)} = ${t}.${q(k)}`).join(" AND ");
              const [d] = await c.execute(
                `DELETE FROM ${t}${replace.sql ? `${replace.sql} AND` : " WHERE"} NOT EXISTS ` +
                  `(SELECT 1 FROM ${stage} s WHERE ${match})`,
                replace.params,
              );
              deleted = Number((d as mysql.ResultSetHeader).affectedRows);
            }
          }
          out.push({ inserted, deleted });
        }
        await c.commit();
        return out;
      } catch (e) {
        await c.rollback().catch(() => {});
        throw e;
      }
    } finally {
      for (const stage of stages) await c.query(`DROP TEMPORARY TABLE IF EXISTS ${stage}`).catch(() => {});
    }
  }

  /** Rows matching the query. */
  async query(table: string, qry: TableQuery = {}): Promise<Row[]> {
    const schema = await this.#schema(table);
    const w = buildWhere(schema, qry.where, q);
    const sql = `SELECT ${Object.keys(schema.columns).map(q).join(", ")} FROM ${q(table)}${w.sql}${
      buildOrderLimit(schema, qry, q)
    }`;
    return await this.#retry(`query ${table}`, async (c) => {
      const [rows] = await c.execute(sql, w.params);
      const list = rows as Row[];
      const ints = Object.keys(schema.columns).filter((k) => schema.columns[k] === "int");
      const out: Row[] = new Array(list.length);
      for (let i = 0; i < list.length; i++) {
        const r = { ...list[i] };
        for (const k of ints) if (typeof r[k] === "string") r[k] = Number(r[k]);
        out[i] = r;
      }
      return out;
    });
  }

  /** Number of rows matching `where`. */
  async count(table: string, where?: TableQuery["where"]): Promise<number> {
    const schema = await this.#schema(table);
    const w = buildWhere(schema, where, q);
    return await this.#retry(`count ${table}`, async (c) => {
      const [rows] = await c.execute(`SELECT COUNT(*) AS n FROM ${q(table)}${w.sql}`, w.params);
      return Number((rows as { n: number }[])[0].n);
    });
  }

  /** Deletes rows matching `where` (`{}` deletes all); returns how many. */
  async delete(table: string, where: NonNullable<TableQuery["where"]>): Promise<number> {
    const schema = await this.#schema(table);
    const w = buildWhere(schema, where, q);
    return await this.#retry(`delete ${table}`, async (c) => {
      const [r] = await c.execute(`DELETE FROM ${q(table)}${w.sql}`, w.params);
      return Number((r as { affectedRows: number }).affectedRows);
    });
  }

  /** Drops a table and its migration records. */
  async dropTable(table: string): Promise<void> {
    checkIdent(table, "table name");
    await this.#retry(`drop ${table}`, async (c) => {
      await c.query(`DROP TABLE IF EXISTS ${q(table)}`);
      await c.execute("DELETE FROM schema_migrations WHERE table_name = ?", [table]);
    });
    this.#schemas.delete(table);
  }

  /** Closes the pool (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end().catch(() => {});
  }
}

/** How one upsert is written: the statement for `n` rows and the rows per statement. */
interface WritePlan {
  table: string;
  cols: string[];
  per: number;
  sql: (n: number) => string;
  /** The `ON DUPLICATE KEY UPDATE ...` clause. */
  onDuplicate: string;
}

/** One table's share of a staged upsert: its rows unique by key, and for a replace the built scope. */
interface StagedPart {
  w: WritePlan;
  schema: TableSchema;
  vals: Param[][];
  replace?: { sql: string; params: (string | number)[] };
}

function writePlan(table: string, schema: TableSchema, rowsPerStatement: number): WritePlan {
  const cols = Object.keys(schema.columns);
  const per = Math.max(1, Math.min(rowsPerStatement, Math.floor(60_000 / cols.length)));
  const nonKey = cols.filter((c) => !schema.key.includes(c));
  const head = `INSERT INTO ${q(table)} (${cols.map(q).join(", ")}) VALUES `;
  const tuple = `(${cols.map(() => "?").join(",")})`;
  const tail = nonKey.length
    ? ` ON DUPLICATE KEY UPDATE ${nonKey.map((c) => `${q(c)} = VALUES(${q(c)})`).join(", ")}`
    : ` ON DUPLICATE KEY UPDATE ${q(schema.key[0])} = ${q(schema.key[0])}`;
  return { table, cols, per, sql: (n) => head + Array(n).fill(tuple).join(",") + tail, onDuplicate: tail };
}

/**
 * Writes `vals` on `c` in statements of about `w.per` rows (balanced sizes) and returns how many rows were new.
 * Text protocol: the driver escapes each `?` value (`format`), about 1.4x faster here than a prepared statement
 * with 18,000 bound parameters; values never enter the SQL text unescaped. The next statement is built while
 * the server runs the previous one.
 */
async function writeRows(c: Conn, w: WritePlan, vals: Param[][]): Promise<number> {
  const lo = 0, hi = vals.length;
  const m = Math.ceil((hi - lo) / w.per);
  let inserted = 0;
  let inflight: Promise<void> | null = null;
  for (let s = 0; s < m; s++) {
    const a = lo + Math.floor(((hi - lo) * s) / m);
    const b = lo + Math.floor(((hi - lo) * (s + 1)) / m);
    // a lone row is sent twice: only multi-row INSERTs report "Records: N  Duplicates: N"; the second copy
    // equals the first, so it changes nothing and the count of new rows stays right
    const n = b - a === 1 ? 2 : b - a;
    const params: Param[] = new Array(n * w.cols.length);
    let p = 0;
    for (let r = a; r < b; r++) for (const x of vals[r]) params[p++] = x;
    if (n !== b - a) { for (const x of vals[a]) params[p++] = x; }
    const text = c.format(w.sql(n), params);
    if (inflight) await inflight;
    inflight = c.query(text).then(([h]) => {
      inserted += insertedBy(h as mysql.ResultSetHeader);
    });
  }
  await inflight;
  return inserted;
}

/** A value in `LOAD DATA` text: `\\N` for NULL, tab/newline/backslash escaped; numbers round-trip exactly. */
function tsvField(v: Param): string {
  if (v === null) return "\\N";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "\\N";
  return v.replace(
    /[\\\t\n\r\0]/g,
    (ch) => (ch === "\t" ? "\\t" : ch === "\n" ? "\\n" : ch === "\r" ? "\\r" : ch === "\0" ? "\\0" : "\\\\"),
  );
}

/** The rows as tab-separated `LOAD DATA` text (UTF-8), in chunks of about 1 MB. */
function* tsvChunks(vals: Param[][]): Generator<Buffer> {
  let buf = "";
  for (const row of vals) {
    buf += row.map(tsvField).join("\t") + "\n";
    if (buf.length > 1 << 20) {
      yield Buffer.from(buf, "utf8");
      buf = "";
    }
  }
  if (buf) yield Buffer.from(buf, "utf8");
}

/**
 * New rows of one multi-row `INSERT ... ON DUPLICATE KEY UPDATE` (`VALUES` or `SELECT`). The pool connects
 * without CLIENT_FOUND_ROWS, so the server counts each new row once and each changed row twice in
 * `affectedRows` (an unchanged duplicate not at all), and reports the changed rows as `Duplicates: N` in its
 * info line: new rows = `affectedRows - 2 * Duplicates`. The same for `INSERT ... SELECT`, whose `Duplicates`
 * never counts unchanged rows whatever the flag.
 */
export function insertedBy(h: { info?: string; affectedRows?: number }): number {
  const m = /Records:\s*(\d+)\s+Duplicates:\s*(\d+)/.exec(h.info ?? "");
  if (m && typeof h.affectedRows === "number") return h.affectedRows - 2 * Number(m[2]);
  throw new StoreError(`mysql upsert: the server did not report "Records: N  Duplicates: N"`, {
    backend: BACKEND,
  });
}

/**
 * The rows ordered by key with each key once (the last occurrence wins, as sequential upserts would leave it);
 * input already in key order (the usual case: bars by symbol then date) is only checked, not sorted.
 */
export function uniqueByKey(vals: Param[][], keyAt: number[]): Param[][] {
  const cmp = (a: Param[], b: Param[]): number => {
    for (const j of keyAt) {
      const x = a[j]!, y = b[j]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
  let sorted = vals;
  for (let i = 1; i < vals.length; i++) {
    if (cmp(vals[i - 1], vals[i]) > 0) {
      const idx = vals.map((_, j) => j);
      idx.sort((a, b) => cmp(vals[a], vals[b]) || a - b);
      sorted = idx.map((j) => vals[j]);
      break;
    }
  }
  const out: Param[][] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i + 1 < sorted.length && cmp(sorted[i], sorted[i + 1]) === 0) continue;
    out.push(sorted[i]);
  }
  return out.length === vals.length && sorted === vals ? vals : out;
}

/** A deadlock or lock-wait timeout between concurrent writers (the operation is retried whole). */
function isLockConflict(e: unknown): boolean {
  const errno = (e as { errno?: unknown })?.errno;
  return errno === 1213 || errno === 1205;
}

async function ignoreCodes<T>(p: Promise<T>, codes: string[]): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (codes.includes((e as { code?: string }).code ?? "")) return undefined;
    throw e;
  }
}
