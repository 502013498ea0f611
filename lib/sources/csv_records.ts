/**
 * The one CSV record parser of the project (RFC 4180): comma-separated fields, double-quoted fields with `""`
 * escapes and embedded commas or line breaks, `\n` or `\r\n` line ends, a leading UTF-8 byte-order mark
 * skipped. The OHLCV source (`csv.ts`) uses it for headers and quoted lines (its unquoted fast path splits the
 * same grammar on bytes); the evaluation's loaders and the benches read their CSV files through it.
 *
 * Every record knows the line it starts on, so callers name `file:line` in errors; a record with the wrong
 * number of fields is an error unless the caller asks to see it (`onShort`), never dropped without a word.
 * @module
 */
import { DataValidationError } from "../core/mod.ts";

/** One record: its fields and the 1-based line it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Splits one line that holds no line break inside quotes (fields unquoted, `""` unescaped). A quote opens or
 * closes quoting wherever it stands, as RFC 4180 readers commonly do; the line is scanned by `indexOf` from quote
 * to quote and comma to comma, not character by character.
 */
export function splitCsvLine(line: string): string[] {
  if (line.indexOf('"') < 0) return line.split(",");
  const out: string[] = [];
  const n = line.length;
  let cur = "", i = 0;
  for (;;) {
    const c = line.indexOf(",", i), q = line.indexOf('"', i);
    if (q >= 0 && (c < 0 || q < c)) {
      // a quote before the next comma: text up to it, then the quoted part (`""` is one quote)
      cur += line.slice(i, q);
      let j = q + 1;
      for (;;) {
        const e = line.indexOf('"', j);
        if (e < 0) {
          out.push(cur + line.slice(j)); // an unclosed quote runs to the end of the line
          return out;
        }
        cur += line.slice(j, e);
        if (line.charCodeAt(e + 1) === 34) {
          cur += '"';
          j = e + 2;
          continue;
        }
        i = e + 1;
        break;
      }
      if (i >= n) {
        out.push(cur);
        return out;
      }
      continue;
    }
    if (c < 0) {
      out.push(cur + line.slice(i));
      return out;
    }
    out.push(cur + line.slice(i, c));
    cur = "";
    i = c + 1;
  }
}

/**
 * The records of `text` in order (blank lines skipped), each with the line it starts on. Quoted fields may
 * span lines. Lines without a quote are split with `String.split` (the common case, fast); a line with a
 * quote is scanned character by character, taking in the next lines while a quote is open.
 */
export function* csvRecords(text: string): Generator<CsvRecord> {
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0, line = 0;
  while (pos < n) {
    let nl = text.indexOf("\n", pos);
    if (nl < 0) nl = n;
    line++;
    let end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const start = pos, startLine = line;
    pos = nl + 1;
    if (end === start) continue;
    let raw = text.slice(start, end);
    if (raw.indexOf('"') < 0) {
      yield { line: startLine, fields: raw.split(",") };
      continue;
    }
    // quoted: extend over line breaks while a quote is open
    while (quoteOpen(raw) && pos < n) {
      nl = text.indexOf("\n", pos);
      if (nl < 0) nl = n;
      line++;
      end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      raw += "\n" + text.slice(pos, end);
      pos = nl + 1;
    }
    yield { line: startLine, fields: splitCsvLine(raw) };
  }
}

/** True when `s` ends inside a quoted field. */
function quoteOpen(s: string): boolean {
  let q = false;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) q = !q;
  return q;
}

/** Options of {@linkcode readCsvTable}. */
export interface CsvTableOptions {
  /** Name of the file in errors (`file:line`). */
  file: string;
  /** Columns that must be in the header (case-sensitive); a missing one is an error naming it. */
  require?: readonly string[];
  /**
   * A record whose field count differs from the header's: by default a `DataValidationError` at its line; with
   * `onShort` the callback decides (return false to leave the record out, and count it yourself).
   */
  onShort?: (r: CsvRecord) => boolean;
}

/** A parsed table: the header, a column index by name, and the data records. */
export interface CsvTable {
  header: string[];
  col: (name: string) => number;
  rows: CsvRecord[];
}

/** Parses a whole CSV text with a header line into a {@linkcode CsvTable}. */
export function readCsvTable(text: string, opts: CsvTableOptions): CsvTable {
  const it = csvRecords(text);
  const first = it.next();
  if (first.done) throw new DataValidationError("empty file (no header)", { where: `${opts.file}:1` });
  const header = first.value.fields.map((h) => h.trim());
  const index = new Map(header.map((h, j) => [h, j]));
  for (const c of opts.require ?? []) {
    if (!index.has(c)) throw new DataValidationError(`no ${c} column in header`, { where: `${opts.file}:1` });
  }
  const rows: CsvRecord[] = [];
  for (const r of it) {
    if (r.fields.length !== header.length) {
      if (!opts.onShort) {
        throw new DataValidationError(`expected ${header.length} fields, got ${r.fields.length}`, {
          where: `${opts.file}:${r.line}`,
        });
      }
      if (!opts.onShort(r)) continue;
    }
    rows.push(r);
  }
  return { header, col: (name) => index.get(name) ?? -1, rows };
}
