/**
 * The MySQL/MariaDB `TableStore` on `npm:mysql2` (promise API, pooled, `dateStrings` so dates never drift).
 *
 * - Schemas are versioned in `schema_migrations` (one row per table version with the schema as JSON);
 *   `ensureTable` creates the table with its indexes, or migrates it by adding columns and indexes.
 * - Tables are InnoDB, `utf8mb4_bin` (exact, case-sensitive text like SQLite), clustered on the key, so one
 *   symbol's date range is one key range; secondary indexes per schema (e.g. `bars(date)` for one day across
 *   symbols). Text columns in a key or index are `VARCHAR(191)`, others `MEDIUMTEXT`.
 * - `upsert` validates every row first (the same validator as SQLite), then writes
 *   `INSERT ... ON DUPLICATE KEY UPDATE` statements of up to 2,000 rows in one transaction. Every statement is
 *   parameterized (`?` placeholders): reads use server-side prepared statements, bulk writes the driver's
 *   client-side escaping (faster for thousands of values per statement).
 * - A lost or refused connection is retried with exponential backoff; after the last attempt the operation
 *   fails with `StoreError`.
 * @module
 */
import mysql from "mysql2/promise";
import { DataValidationError, FmaiError, StoreError } from "../core/mod.ts";
import type { ColumnType, Row, TableQuery, TableSchema, TableStore, UpsertResult } from "./types.ts";
import {
  buildOrderLimit,
  buildWhere,
  checkIdent,
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
  /** Connections in the pool (default 4). */
  poolSize?: number;
  /** Attempts per operation on connection errors before a `StoreError` (default 4). */
  retries?: number;
  /** First retry delay in ms; doubles each attempt (default 200). */
  retryDelayMs?: number;
  /** Connect timeout in ms (default 5000). */
  connectTimeoutMs?: number;
  /** Rows per `INSERT` statement (default 2,000). */
  rowsPerStatement?: number;
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
  const store = new MySqlTables(cfg);
  try {
    await store.init();
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
  #closed = false;

  constructor(cfg: MySqlConfig) {
    this.#cfg = cfg;
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
    });
    // A pool emits 'error' for idle connections dropped by the server; it recovers by itself.
    (this.#pool as unknown as { on?: (ev: string, f: () => void) => void }).on?.("error", () => {});
  }

  /** Checks the connection and creates `schema_migrations`. */
  async init(): Promise<void> {
    await this.#retry("connect", (c) =>
      c.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (table_name VARCHAR(64) NOT NULL, version INT NOT NULL," +
          " schema_json MEDIUMTEXT NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (table_name, version))" +
          " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
      ));
  }

  /** Runs `fn` on a pooled connection; retries connection errors with exponential backoff. */
  async #retry<T>(what: string, fn: (c: Conn) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError("mysql table store is closed", { backend: BACKEND });
    const attempts = Math.max(1, this.#cfg.retries ?? 4);
    const delay0 = this.#cfg.retryDelayMs ?? 200;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      let conn: Conn | undefined;
      try {
        conn = await this.#pool.getConnection();
        const r = await fn(conn);
        conn.release();
        return r;
      } catch (e) {
        if (conn) {
          if (isConnectionError(e)) conn.destroy();
          else conn.release();
        }
        if (e instanceof FmaiError || e instanceof TypeError || e instanceof RangeError) throw e;
        if (!isConnectionError(e)) {
          throw new StoreError(`mysql ${what}: ${(e as Error)?.message ?? String(e)}`, {
            backend: BACKEND,
            cause: e,
          });
        }
        last = e;
        if (i + 1 < attempts) await new Promise((res) => setTimeout(res, delay0 * 2 ** i));
      }
    }
    const code = (last as { code?: string })?.code ?? (last as Error)?.message ?? "unknown";
    throw new StoreError(
      `mysql ${what}: connection to ${this.#cfg.host}:${this.#cfg.port} failed after ${attempts} attempts (${code})`,
      { backend: BACKEND, cause: last },
    );
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

  /** Creates the table with its indexes, or migrates it (added columns/indexes); records the version. */
  async ensureTable(schema: TableSchema): Promise<void> {
    checkSchema(schema);
    const canon: TableSchema = {
      name: schema.name,
      columns: { ...schema.columns },
      key: [...schema.key],
      indexes: (schema.indexes ?? []).map((i) => [...i]),
    };
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
        for (const col of diff.addColumns) {
          await ignoreCodes(c.query(`ALTER TABLE ${t} ADD COLUMN ${q(col)} ${sqlType(canon, col)} NULL`), [
            "ER_DUP_FIELDNAME",
          ]);
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

  /** Validates all rows, then writes them in batches inside one transaction. */
  async upsert(table: string, rows: Row[]): Promise<UpsertResult> {
    const schema = await this.#schema(table);
    const vals = validateRows(schema, rows);
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
    if (vals.length === 0) return { inserted: 0, updated: 0 };
    const per = Math.max(1, Math.min(this.#cfg.rowsPerStatement ?? 2000, Math.floor(60_000 / cols.length)));
    const nonKey = cols.filter((c) => !schema.key.includes(c));
    const head = `INSERT INTO ${q(table)} (${cols.map(q).join(", ")}) VALUES `;
    const tuple = `(${cols.map(() => "?").join(",")})`;
    const tail = nonKey.length
      ? ` ON DUPLICATE KEY UPDATE ${nonKey.map((c) => `${q(c)} = VALUES(${q(c)})`).join(", ")}`
      : ` ON DUPLICATE KEY UPDATE ${q(schema.key[0])} = ${q(schema.key[0])}`;
    const sqlFor = (n: number) => head + Array(n).fill(tuple).join(",") + tail;
    const countSql = `SELECT COUNT(*) AS n FROM ${q(table)}`;
    return await this.#retry(`upsert ${table}`, async (c) => {
      await c.beginTransaction();
      try {
        const [b] = await c.query(countSql);
        const before = Number((b as { n: number }[])[0].n);
        // Text protocol: the driver escapes each `?` value (`format`), about 1.4x faster here than a prepared
        // statement with 18,000 bound parameters; values never enter the SQL text unescaped. The next
        // statement is built while the server runs the previous one.
        let inflight: Promise<unknown> | null = null;
        for (let i = 0; i < vals.length; i += per) {
          const n = Math.min(per, vals.length - i);
          const params: Param[] = new Array(n * cols.length);
          let p = 0;
          for (let r = i; r < i + n; r++) for (const x of vals[r]) params[p++] = x;
          const text = c.format(sqlFor(n), params);
          if (inflight) await inflight;
          inflight = c.query(text);
        }
        await inflight;
        const [a] = await c.query(countSql);
        const after = Number((a as { n: number }[])[0].n);
        await c.commit();
        const inserted = after - before;
        return { inserted, updated: vals.length - inserted };
      } catch (e) {
        await c.rollback().catch(() => {});
        throw e;
      }
    });
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

async function ignoreCodes<T>(p: Promise<T>, codes: string[]): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (codes.includes((e as { code?: string }).code ?? "")) return undefined;
    throw e;
  }
}
