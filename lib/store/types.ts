/**
 * The three small store interfaces: tables (structured rows), documents (news, reports), objects (files).
 * Every backend (embedded SQLite/folder, MySQL, MongoDB, S3) implements them and passes the contract suites in
 * `contract_*.ts`.
 * @module
 */

/** Column types a table may use. `date` is a `YYYY-MM-DD` string; `int` fits in a JS safe integer. */
export type ColumnType = "text" | "real" | "int" | "date";

/** A table: its columns, primary key (upsert identity) and secondary indexes. */
export interface TableSchema {
  name: string;
  columns: Record<string, ColumnType>;
  /** Primary key columns; upserts replace the row with the same key. */
  key: string[];
  /** Secondary indexes (each a list of columns) serving the hot queries. */
  indexes?: string[][];
  /**
   * Values existing rows get when a migration adds these columns. A migration may extend the key only by added
   * columns with a default here (e.g. `signals` gained `model_version`, default `""`), so old rows stay unique
   * and keep answering lookups by the old key.
   */
  defaults?: Record<string, string | number>;
}

/** A table row. `null` is SQL NULL; non-finite numbers are not allowed. */
export type Row = Record<string, string | number | null>;

/** A range condition on one column (bounds inclusive unless `gt`/`lt`). */
export interface Range {
  gte?: string | number;
  lte?: string | number;
  gt?: string | number;
  lt?: string | number;
}

/** A table query: equality, `IN` lists or ranges per column, ordering and limit. */
export interface TableQuery {
  where?: Record<string, string | number | (string | number)[] | Range>;
  /** Columns to order by, ascending; prefix with `-` for descending. */
  orderBy?: string[];
  limit?: number;
}

/** How many rows (or documents) an upsert inserted as new and how many existing ones it replaced. */
export interface UpsertResult {
  inserted: number;
  updated: number;
}

/** An upsert's counts plus the rows {@link TableStore.replace} deleted. */
export interface ReplaceResult extends UpsertResult {
  deleted: number;
}

/** One table's share of a {@link TableStore.replaceMany}: what {@link TableStore.replace} takes. */
export interface ReplacePart {
  table: string;
  where: NonNullable<TableQuery["where"]>;
  rows: Row[];
}

/**
 * Structured data. `upsert` is all-or-nothing: it validates every row first (a bad row is a
 * `DataValidationError` naming its index) and writes in one transaction. Re-running the same upsert inserts 0.
 */
export interface TableStore {
  readonly backend: string;
  /** Creates the table and its indexes when missing (idempotent). */
  ensureTable(schema: TableSchema): Promise<void>;
  /**
   * Whether the table exists (made by {@link ensureTable}); reads only, so a command that only reads a store can
   * skip a table it never held instead of creating it.
   */
  hasTable(table: string): Promise<boolean>;
  upsert(table: string, rows: Row[]): Promise<UpsertResult>;
  /**
   * Upserts `rows` and deletes the rows matching `where` whose key is not among `rows`, all in one transaction
   * (a job replacing its earlier output leaves either the old rows or the new ones, never a mix). Validated
   * like `upsert` before anything is written, and every row must match `where` (a row outside is a
   * `DataValidationError`); `rows` may be empty (then it deletes everything `where` matches).
   */
  replace(table: string, where: NonNullable<TableQuery["where"]>, rows: Row[]): Promise<ReplaceResult>;
  /**
   * {@link replace} of several tables in one transaction (a job whose output spans tables leaves all of its
   * earlier output or all of the new, never one table of each). Every part is validated before anything is
   * written; a table named twice is a `RangeError` (two scopes of one table would delete each other's rows).
   * The results are in the parts' order.
   */
  replaceMany(parts: readonly ReplacePart[]): Promise<ReplaceResult[]>;
  query(table: string, q?: TableQuery): Promise<Row[]>;
  count(table: string, where?: TableQuery["where"]): Promise<number>;
  /** Deletes matching rows; returns how many. */
  delete(table: string, where: NonNullable<TableQuery["where"]>): Promise<number>;
  /** Drops a table and its indexes when present (tests clean up with it; optional for backends). */
  dropTable?(table: string): Promise<void>;
  close(): Promise<void>;
}

/** A document: unique `id`, `knownAt` (epoch ms), optional `symbols`, any JSON fields. */
export interface Doc {
  id: string;
  knownAt: number;
  symbols?: string[];
  [field: string]: unknown;
}

/** A document query: by symbol, `knownAt` range (inclusive), and full-text words in `text` fields. */
export interface DocQuery {
  symbol?: string;
  from?: number;
  to?: number;
  /** Words that must all appear in the collection's text fields (headline, summary, title). */
  text?: string;
  limit?: number;
  /** Order by knownAt; default ascending. */
  order?: "asc" | "desc";
}

/** Documents (news, reports). `upsert` keys on `id` and is idempotent. */
export interface DocumentStore {
  readonly backend: string;
  upsert(collection: string, docs: Doc[]): Promise<UpsertResult>;
  get(collection: string, id: string): Promise<Doc | null>;
  find(collection: string, q?: DocQuery): Promise<Doc[]>;
  count(collection: string, q?: DocQuery): Promise<number>;
  /** Drops a collection when present (tests clean up with it; optional for backends). */
  dropCollection?(collection: string): Promise<void>;
  close(): Promise<void>;
}

/** Metadata of a stored object. */
export interface ObjectInfo {
  key: string;
  size: number;
  contentType: string;
}

/** Files and artifacts under `/`-separated keys (see `keys.ts` for the layout). */
export interface ObjectStore {
  readonly backend: string;
  put(key: string, body: Uint8Array | string, opts?: { contentType?: string }): Promise<void>;
  get(key: string): Promise<Uint8Array | null>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Objects whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
  /**
   * The object's bytes and a tag naming this version of it (changes whenever it is written), or `null`: with
   * {@link ObjectStore.putIf}, a read-change-write that loses no concurrent writer's change.
   */
  getTagged(key: string): Promise<{ body: Uint8Array; tag: string } | null>;
  /**
   * Writes `body` only while the object is still the version `expected` names (a `getTagged` tag, or `null`:
   * the object does not exist); returns false, writing nothing, when another writer changed it in between.
   */
  putIf(
    key: string,
    body: Uint8Array | string,
    expected: string | null,
    opts?: { contentType?: string },
  ): Promise<boolean>;
  close(): Promise<void>;
}

/** The three stores a pipeline is handed. */
export interface Stores {
  tables: TableStore;
  documents: DocumentStore;
  objects: ObjectStore;
  close(): Promise<void>;
}
