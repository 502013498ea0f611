/**
 * Store tables as frames and back, for any `TableSchema` (so a column a table gains travels without a code
 * change): `text` -> str, `real` -> f64, `int` -> i64, `date` -> date, and the point-in-time column `known_at`
 * -> datetime (ms, UTC). Column names are the table's. Rows -> frame -> rows is the identity (NULL stays NULL).
 * @module
 */
import type pl from "nodejs-polars";
import type { Row, TableSchema } from "../store/mod.ts";
import { type FrameSchema, type FrameType, fromFrame, toFrame } from "./schema.ts";

/** The store column that says when a record became public; a datetime in frames. */
export const KNOWN_AT_COLUMN = "known_at";

/** The frame schema of a store table. */
export function tableFrameSchema(t: TableSchema): FrameSchema {
  return Object.entries(t.columns).map(([name, type]): [string, FrameType] => {
    if (name === KNOWN_AT_COLUMN && type === "int") return [name, "datetime"];
    return [name, type === "text" ? "str" : type === "real" ? "f64" : type === "int" ? "i64" : "date"];
  });
}

/** Store rows as a frame of the table's schema. */
export function rowsToFrame(t: TableSchema, rows: readonly Row[]): pl.DataFrame {
  const schema = tableFrameSchema(t);
  const cols: Record<string, (string | number | null)[]> = {};
  for (const [name] of schema) {
    const c = new Array<string | number | null>(rows.length);
    for (let i = 0; i < rows.length; i++) c[i] = rows[i][name] ?? null;
    cols[name] = c;
  }
  return toFrame(schema, cols);
}

/** A frame of a table's schema as store rows (a `TypeError` when the frame's columns or dtypes differ). */
export function frameToRows(t: TableSchema, df: pl.DataFrame): Row[] {
  const schema = tableFrameSchema(t);
  const { n, columns } = fromFrame(df, schema, `table ${t.name}`);
  const rows: Row[] = Array.from({ length: n }, () => ({}));
  for (const [name, type] of schema) {
    const c = columns[name];
    if (type === "str" || type === "date") {
      const v = c as (string | null)[];
      for (let i = 0; i < n; i++) rows[i][name] = v[i];
    } else {
      const v = c as Float64Array;
      for (let i = 0; i < n; i++) rows[i][name] = Number.isNaN(v[i]) ? null : v[i];
    }
  }
  return rows;
}
