/**
 * Folder-private validation shared by every table backend (SQLite, MySQL): identifiers, schemas, rows,
 * queries and schema migrations. Validation happens before any write so a bad batch never reaches a server.
 * @module
 */
import { DataValidationError, StoreError } from "../core/mod.ts";
import type { ColumnType, Doc, Range, ReplacePart, Row, TableQuery, TableSchema } from "./types.ts";

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const COLUMN_TYPES = new Set<ColumnType>(["text", "real", "int", "date"]);
const RANGE_KEYS = new Set(["gte", "lte", "gt", "lt"]);

/** Throws a TypeError/RangeError unless `name` is a plain SQL identifier (letters, digits, `_`). */
export function checkIdent(name: unknown, what: string): string {
  if (typeof name !== "string") throw new TypeError(`${what} must be a string, got ${typeof name}`);
  if (!IDENT.test(name)) throw new RangeError(`${what} ${JSON.stringify(name)} is not a valid identifier`);
  return name;
}

/** Validates a table schema (identifiers, key and index columns exist, known column types). */
export function checkSchema(schema: TableSchema): void {
  if (schema === null || typeof schema !== "object") throw new TypeError("schema must be an object");
  checkIdent(schema.name, "table name");
  const cols = Object.keys(schema.columns ?? {});
  if (cols.length === 0) throw new RangeError(`table ${schema.name}: no columns`);
  for (const c of cols) {
    checkIdent(c, `table ${schema.name}: column`);
    if (!COLUMN_TYPES.has(schema.columns[c])) {
      throw new RangeError(`table ${schema.name}: column ${c} has unknown type ${String(schema.columns[c])}`);
    }
  }
  if (!Array.isArray(schema.key) || schema.key.length === 0) {
    throw new RangeError(`table ${schema.name}: key must list at least one column`);
  }
  for (const k of schema.key) {
    if (!(k in schema.columns)) throw new RangeError(`table ${schema.name}: key column ${k} is not a column`);
  }
  for (const [c, v] of Object.entries(schema.defaults ?? {})) {
    const t = schema.columns[c];
    if (!t) throw new RangeError(`table ${schema.name}: default for ${c}, which is not a column`);
    if ((typeof v === "number") !== (t === "real" || t === "int")) {
      throw new RangeError(`table ${schema.name}: default of ${c} does not match its type ${t}`);
    }
  }
  for (const idx of schema.indexes ?? []) {
    if (!Array.isArray(idx) || idx.length === 0) throw new RangeError(`table ${schema.name}: empty index`);
    for (const c of idx) {
      if (!(c in schema.columns)) {
        throw new RangeError(`table ${schema.name}: index column ${c} is not a column`);
      }
    }
  }
}

/** True when `s` is a real calendar date `YYYY-MM-DD` (years 1000..9999). */
export function isIsoDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const y = +m[1], mo = +m[2], d = +m[3];
  if (y < 1000 || mo < 1 || mo > 12 || d < 1) return false;
  const dim = [
    31,
    (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ];
  return d <= dim[mo - 1];
}

function describe(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "..." : v);
  if (v === null) return "null";
  return typeof v;
}

/** Why text containing U+0000 is refused by every backend. */
const NUL_PROBLEM = "text contains a NUL character (U+0000), which the backends do not store alike";

/** Problem with one value of a column type, or `null` when it is fine. `null` values are checked elsewhere. */
function valueProblem(type: ColumnType, v: unknown): string | null {
  switch (type) {
    case "real":
      return typeof v === "number" && Number.isFinite(v)
        ? null
        : `expected a finite number, got ${describe(v)}`;
    case "int":
      return typeof v === "number" && Number.isSafeInteger(v)
        ? null
        : `expected a safe integer, got ${describe(v)}`;
    case "text":
      return typeof v === "string" ? null : `expected a string, got ${describe(v)}`;
    case "date":
      return typeof v === "string" && isIsoDate(v) ? null : `expected a date YYYY-MM-DD, got ${describe(v)}`;
  }
}

/**
 * Validates every row of an upsert batch against the schema and returns the rows as value arrays in
 * `Object.keys(schema.columns)` order (missing columns become `null`). Throws `DataValidationError` naming the
 * first bad row index and column: unknown column, `null` key, wrong type, non-finite number, bad date, text with
 * a NUL character (embedded SQLite reads such text back cut at the NUL while MySQL keeps it whole, so no
 * backend accepts it).
 */
export function validateRows(schema: TableSchema, rows: Row[]): (string | number | null)[][] {
  if (!Array.isArray(rows)) throw new TypeError(`upsert ${schema.name}: rows must be an array`);
  const cols = Object.keys(schema.columns);
  const types = cols.map((c) => schema.columns[c]);
  const isKey = cols.map((c) => schema.key.includes(c));
  const out: (string | number | null)[][] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const where = `upsert ${schema.name} row ${i}`;
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new DataValidationError(`expected an object, got ${describe(row)}`, { where });
    }
    let known = 0;
    const vals: (string | number | null)[] = new Array(cols.length);
    for (let j = 0; j < cols.length; j++) {
      const v = row[cols[j]];
      if (v === undefined || v === null) {
        if (v !== undefined) known++;
        if (isKey[j]) throw new DataValidationError(`key column "${cols[j]}" is null`, { where });
        vals[j] = null;
        continue;
      }
      known++;
      const p = valueProblem(types[j], v);
      if (p !== null) throw new DataValidationError(`column "${cols[j]}": ${p}`, { where });
      if (types[j] === "text" && (v as string).includes("\0")) {
        throw new DataValidationError(`column "${cols[j]}": ${NUL_PROBLEM}`, { where });
      }
      vals[j] = v;
    }
    if (known !== Object.keys(row).length) {
      for (const k of Object.keys(row)) {
        if (!(k in schema.columns)) throw new DataValidationError(`unknown column "${k}"`, { where });
      }
      // keys present with value undefined only: fine
    }
    out[i] = vals;
  }
  return out;
}

/** A SQL fragment with its parameters. */
export interface SqlPart {
  sql: string;
  params: (string | number)[];
}

function checkQueryValue(schema: TableSchema, col: string, v: unknown): string | number {
  const p = valueProblem(schema.columns[col], v);
  if (p !== null) throw new TypeError(`query ${schema.name}: column ${col}: ${p}`);
  return v as string | number;
}

/**
 * Builds a parameterized `WHERE` clause (empty string when no condition). `quote` quotes an identifier for
 * the dialect. Unknown columns are a RangeError; values of the wrong type a TypeError.
 */
export function buildWhere(
  schema: TableSchema,
  where: TableQuery["where"] | undefined,
  quote: (id: string) => string,
): SqlPart {
  if (where === undefined || where === null) return { sql: "", params: [] };
  if (typeof where !== "object") throw new TypeError(`query ${schema.name}: where must be an object`);
  const parts: string[] = [];
  const params: (string | number)[] = [];
  for (const [col, cond] of Object.entries(where)) {
    if (!(col in schema.columns)) throw new RangeError(`query ${schema.name}: unknown column ${col}`);
    const q = quote(col);
    if (Array.isArray(cond)) {
      if (cond.length === 0) {
        parts.push("1=0");
        continue;
      }
      parts.push(`${q} IN (${cond.map(() => "?").join(",")})`);
      for (const v of cond) params.push(checkQueryValue(schema, col, v));
    } else if (cond !== null && typeof cond === "object") {
      const r = cond as Range;
      const keys = Object.keys(r);
      if (keys.length === 0) throw new RangeError(`query ${schema.name}: empty range on ${col}`);
      for (const k of keys) {
        if (!RANGE_KEYS.has(k)) {
          throw new RangeError(`query ${schema.name}: unknown range bound ${k} on ${col}`);
        }
        const v = r[k as keyof Range];
        if (v === undefined) continue;
        const op = k === "gte" ? ">=" : k === "lte" ? "<=" : k === "gt" ? ">" : "<";
        parts.push(`${q} ${op} ?`);
        params.push(checkQueryValue(schema, col, v));
      }
    } else {
      parts.push(`${q} = ?`);
      params.push(checkQueryValue(schema, col, cond));
    }
  }
  return { sql: parts.length ? ` WHERE ${parts.join(" AND ")}` : "", params };
}

/**
 * Checks that every validated row (`vals`, in the schema's column order) lies in the scope `where` (the rows a
 * `replace` writes must be rows it replaces): a row outside is a DataValidationError naming its index and the
 * column. Compares as SQL does for these types: numbers as numbers, text and dates as strings; NULL matches
 * nothing. `where` must have passed {@link buildWhere} (its columns and value types are not checked again).
 * Returns how many distinct keys the rows have.
 */
export function checkRowsInScope(
  schema: TableSchema,
  where: NonNullable<TableQuery["where"]>,
  vals: readonly (string | number | null)[][],
): number {
  const cols = Object.keys(schema.columns);
  const tests = Object.entries(where).map(([col, cond]) => {
    const at = cols.indexOf(col);
    let ok: (v: string | number) => boolean;
    if (Array.isArray(cond)) {
      const set = new Set<string | number>(cond);
      ok = (v) => set.has(v);
    } else if (cond !== null && typeof cond === "object") {
      const r = cond as Range;
      ok = (v) =>
        (r.gte === undefined || v >= r.gte) && (r.lte === undefined || v <= r.lte) &&
        (r.gt === undefined || v > r.gt) && (r.lt === undefined || v < r.lt);
    } else ok = (v) => v === cond;
    return { col, at, ok };
  });
  const keyAt = schema.key.map((k) => cols.indexOf(k));
  const keys = new Set<string>();
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    for (const t of tests) {
      const x = v[t.at];
      if (x === null || !t.ok(x)) {
        throw new DataValidationError(
          `column "${t.col}": ${JSON.stringify(x)} lies outside the replaced scope`,
          {
            where: `replace ${schema.name} row ${i}`,
          },
        );
      }
    }
    // text cannot hold NUL (validateRows), so NUL joins the key columns unambiguously
    keys.add(keyAt.map((j) => v[j]).join("\u0000"));
  }
  return keys.size;
}

/** Builds ` ORDER BY ... LIMIT n` for a query. */
export function buildOrderLimit(
  schema: TableSchema,
  q: TableQuery | undefined,
  quote: (id: string) => string,
): string {
  let sql = "";
  if (q?.orderBy !== undefined) {
    if (!Array.isArray(q.orderBy)) throw new TypeError(`query ${schema.name}: orderBy must be an array`);
    const parts = q.orderBy.map((o) => {
      if (typeof o !== "string") throw new TypeError(`query ${schema.name}: orderBy entries must be strings`);
      const desc = o.startsWith("-");
      const col = desc ? o.slice(1) : o;
      if (!(col in schema.columns)) {
        throw new RangeError(`query ${schema.name}: unknown orderBy column ${col}`);
      }
      return `${quote(col)} ${desc ? "DESC" : "ASC"}`;
    });
    if (parts.length) sql += ` ORDER BY ${parts.join(", ")}`;
  }
  if (q?.limit !== undefined) {
    if (!Number.isSafeInteger(q.limit) || q.limit < 0) {
      throw new RangeError(`query ${schema.name}: limit must be a non-negative integer, got ${q.limit}`);
    }
    sql += ` LIMIT ${q.limit}`;
  }
  return sql;
}

/**
 * What a migration from `old` to `next` schema does: added columns and indexes, and a key extended by added
 * columns that have a default (`rekey`).
 */
export interface SchemaDiff {
  addColumns: string[];
  addIndexes: string[][];
  /** The key changed: the old key followed by added columns with defaults (the table is re-keyed). */
  rekey: boolean;
}

/** Difference between a stored schema and a requested one; throws a RangeError on unsupported changes. */
export function diffSchema(old: TableSchema, next: TableSchema): SchemaDiff {
  for (const [c, t] of Object.entries(old.columns)) {
    if (!(c in next.columns)) {
      throw new RangeError(`table ${next.name}: dropping column ${c} is not supported`);
    }
    if (next.columns[c] !== t) {
      throw new RangeError(
        `table ${next.name}: changing column ${c} from ${t} to ${next.columns[c]} is not supported`,
      );
    }
  }
  const addColumns = Object.keys(next.columns).filter((c) => !(c in old.columns));
  const rekey = old.key.join(",") !== next.key.join(",");
  if (rekey) {
    const prefix = next.key.slice(0, old.key.length).join(",") === old.key.join(",");
    const extra = next.key.slice(old.key.length);
    if (!prefix || extra.some((c) => !addColumns.includes(c) || next.defaults?.[c] === undefined)) {
      throw new RangeError(
        `table ${next.name}: changing the key is not supported (only extending it by added columns with defaults)`,
      );
    }
  }
  const have = new Set((old.indexes ?? []).map((i) => i.join(",")));
  const addIndexes = (next.indexes ?? []).filter((i) => !have.has(i.join(",")));
  return { addColumns, addIndexes, rekey };
}

/** The schema as stored in `schema_migrations` (a fixed key order, so equal schemas compare equal as JSON). */
export function canonicalSchema(schema: TableSchema): TableSchema {
  const canon: TableSchema = {
    name: schema.name,
    columns: { ...schema.columns },
    key: [...schema.key],
    indexes: (schema.indexes ?? []).map((i) => [...i]),
  };
  if (schema.defaults && Object.keys(schema.defaults).length) canon.defaults = { ...schema.defaults };
  return canon;
}

/** A stable name for an index of a table. */
export function indexName(table: string, cols: string[]): string {
  const n = `ix_${table}_${cols.join("_")}`;
  return n.length <= 64 ? n : `ix_${table.slice(0, 20)}_${hash32(cols.join(",")).toString(16)}`;
}

/** FNV-1a 32-bit hash of a string. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The field in which the MongoDB backend stores the words of a document's text fields. */
export const WORDS_FIELD = "_fmai_words";

/**
 * Top-level document fields the MongoDB backend uses itself (`_id` holds `id`, {@link WORDS_FIELD} the words of
 * the text fields): no backend accepts them in a document.
 */
const RESERVED_DOC_FIELDS: readonly string[] = ["_id", WORDS_FIELD];

/** Objects and arrays nested deeper than this inside a document are refused (MongoDB allows 100 levels). */
const MAX_DOC_DEPTH = 100;

/**
 * The first problem with a field name anywhere inside `v` (objects and arrays at any depth), or `null`: a name
 * that starts with `$`, contains a `.` or a NUL character (MongoDB refuses or cannot encode them), or nesting
 * deeper than {@link MAX_DOC_DEPTH} levels (which also stops on a cyclic value).
 */
function docFieldProblem(v: unknown, depth = 0): string | null {
  if (v === null || typeof v !== "object") return null;
  if (depth >= MAX_DOC_DEPTH) return `nested deeper than ${MAX_DOC_DEPTH} levels`;
  if (Array.isArray(v)) {
    for (const x of v) {
      const p = docFieldProblem(x, depth + 1);
      if (p !== null) return p;
    }
    return null;
  }
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith("$") || k.includes(".") || k.includes("\0")) {
      return `field name ${JSON.stringify(k)} starts with $ or contains a dot or a NUL character`;
    }
    const p = docFieldProblem(x, depth + 1);
    if (p !== null) return p;
  }
  return null;
}

/**
 * Validates a document batch: `id` non-empty string, `knownAt` finite number, `symbols` string array, no
 * reserved top-level field ({@link RESERVED_DOC_FIELDS}) and no field name at any depth that MongoDB refuses
 * ({@link docFieldProblem}). Every document backend calls it before writing, so they all refuse the same input.
 */
export function validateDocs(collection: string, docs: Doc[]): void {
  if (!Array.isArray(docs)) throw new TypeError(`upsert ${collection}: docs must be an array`);
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i];
    const where = `upsert ${collection} doc ${i}`;
    if (d === null || typeof d !== "object" || Array.isArray(d)) {
      throw new DataValidationError(`expected an object, got ${describe(d)}`, { where });
    }
    if (typeof d.id !== "string" || d.id.length === 0) {
      throw new DataValidationError(`id must be a non-empty string, got ${describe(d.id)}`, { where });
    }
    if (typeof d.knownAt !== "number" || !Number.isFinite(d.knownAt)) {
      throw new DataValidationError(`knownAt must be a finite number, got ${describe(d.knownAt)}`, { where });
    }
    if (d.symbols !== undefined) {
      if (!Array.isArray(d.symbols) || d.symbols.some((s) => typeof s !== "string")) {
        throw new DataValidationError(`symbols must be an array of strings`, { where });
      }
    }
    for (const k of RESERVED_DOC_FIELDS) {
      if (Object.hasOwn(d, k)) throw new DataValidationError(`field ${k} is reserved`, { where });
    }
    const p = docFieldProblem(d);
    if (p !== null) throw new DataValidationError(p, { where });
  }
}

/** Validates a collection name (the same rule as table identifiers). */
export function checkCollection(name: unknown): string {
  return checkIdent(name, "collection name");
}

/** The fields searched by a document text query. */
export const TEXT_FIELDS = ["headline", "summary", "title"] as const;

/** Lower-cased words of a text query (letters and digits of any script). */
export function textWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * True when `e` is the `StoreError` every table backend throws for a table that was never created ("unknown
 * table ..."): callers may read that as "nothing stored yet"; every other store error must surface.
 */
export function isUnknownTable(e: unknown): boolean {
  return e instanceof StoreError && /^unknown table \S+: call ensureTable first$/.test(e.message);
}

/** Refuses (a `RangeError`) a `replaceMany` naming one table twice: its two scopes would delete each other's rows. */
export function checkDistinctTables(parts: readonly ReplacePart[]): void {
  const seen = new Set<string>();
  for (const p of parts) {
    if (seen.has(p.table)) {
      throw new RangeError(`replaceMany: table ${p.table} is named twice (one part per table)`);
    }
    seen.add(p.table);
  }
}
