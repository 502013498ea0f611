/**
 * CSV source: daily OHLCV from plain or gzipped CSV files, either one file with a symbol column or one file per
 * symbol, with a case-insensitive column mapping. Presets read `../shared/data/sp500-5yr-ohlcv` and
 * `../shared/data/us-index-etf-daily-yahoo`; `csvSourceFor(dir)` picks the layout by itself.
 *
 * Row rules (checked while parsing, `where` = `file:line`):
 * - malformed (always a `DataValidationError`): wrong number of fields, a non-numeric value, a bad date, a
 *   negative price or volume, an empty symbol, a duplicate (symbol, date);
 * - missing values (an empty, `null` or `NaN` field, or a price of exactly 0, which vendors print for "unknown")
 *   in open/high/low/close/adjClose/volume: `missing: "skip"` (default) drops the row and lists it in
 *   `report().skipped`; `missing: "error"` throws; `missing: "keep"` keeps a row whose close is present with NaN
 *   in the missing fields (listed in `report().repaired`), for stores that must hold every row of a file;
 * - a date the exchange did not trade (a weekend or a holiday of `lib/core`'s NYSE calendar, from 1971 on, when
 *   today's holiday rules began): dropped and listed in `report().skipped` (an error with `strict`), never a
 *   session of its own;
 * - inconsistent prices (high < low, or open/close outside [low, high]): `inconsistent: "error"` (default)
 *   throws; `"repair"` widens high/low to cover open and close and lists the row in `report().repaired`;
 *   `"skip"` drops it and lists it in `report().skipped`.
 *
 * - text is UTF-8 (a leading byte-order mark is skipped); bytes that are not UTF-8 are a `DataValidationError`
 *   naming the file and line; symbols must match the documented pattern (`SYMBOL_PATTERN` in `lib/core`).
 *
 * Nothing is dropped without a word: skipped and repaired rows and ignored directory files (with the reason)
 * are in `report()`, which the pipelines print in their summaries; `strict: true` makes each of them an error.
 * An unknown symbol's error names what the files hold. Parsed files are cached per source instance. A daily
 * bar's `knownAt` is `barKnownAt(symbol, date)` (the close; 16:15 for the CBOE volatility indexes).
 * @module
 */
import { constants, gunzipSync } from "node:zlib";
import { closeSync, openSync, readSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { fromFileUrl } from "./_path.ts";
import { checkUtf8 } from "./_utf8.ts";
import {
  CALENDAR_CHECKED_FROM,
  closeTime,
  DataSourceError,
  DataValidationError,
  dayNumber,
  fewOf,
  isSession,
  isSymbol,
  lowerBound,
  openTime,
  publicationDelay,
  shown,
} from "../core/mod.ts";
import type { Bar, IsoDate, UniverseMember } from "../core/mod.ts";
import { checkNotEmpty, checkRequest } from "./source.ts";
import { barAt, barFault } from "./_records.ts";
import { readCsvTable, splitCsvLine } from "./csv_records.ts";
import { createCsvNews, type NewsCsvReport } from "./csv_news.ts";
import type { BarRequest, MarketSource } from "./source.ts";

/** Header names of the OHLCV columns (matched case-insensitively). */
export interface CsvColumns {
  date: string;
  open: string;
  high: string;
  low: string;
  close: string;
  /** Adjusted close; when the file has none, `adjClose = close`. */
  adjClose?: string;
  volume: string;
}

/** How symbols are laid out: one file with a symbol column, or one file per symbol. */
export type CsvLayout = "symbol-column" | "file-per-symbol";

/** Options of {@link createCsvSource}. */
export interface CsvSourceOptions {
  /** Files to read, or a directory (every `*.csv`, `*.csv.gz`, `*.txt(.gz)` file in it). */
  files: string[] | string | URL;
  layout: CsvLayout;
  /** Symbol column header for `symbol-column` (default: the first of `symbol`, `ticker`, `name`). */
  symbolColumn?: string;
  /**
   * Symbol of a file for `file-per-symbol`: a function, or a regular expression whose first group is the
   * symbol (`/^([A-Z.]+)_/`); default {@link defaultSymbolFromFile} (`AAPL_historical_data.csv` -> `AAPL`).
   * A file whose name gives no valid symbol is ignored and listed in `report().ignored`.
   */
  symbolFromFile?: ((fileName: string) => string) | RegExp;
  /** Column mapping; unset entries default to `date`, `open`, `high`, `low`, `close`, `adj close`, `volume`. */
  columns?: Partial<CsvColumns>;
  /** File names (base names) to leave out of a directory. */
  exclude?: (fileName: string) => boolean;
  /** Rows with a missing value: `skip` (default, listed in the report) or `error`. */
  missing?: "skip" | "error" | "keep";
  /** Rows with high < low or open/close outside [low, high]: `error` (default), `repair` or `skip`. */
  inconsistent?: "error" | "repair" | "skip";
  /** Source name used in errors (default `csv`). */
  name?: string;
  /**
   * Refuse instead of tolerating: a row with a missing value, an inconsistent row (instead of `repair`/`skip`)
   * and an ignored directory file are `DataValidationError`s. Default false.
   */
  strict?: boolean;
  /**
   * CSV files of news about the symbols (`csv_news.ts`: headline, time and symbol columns), served as the
   * source's `news`; a directory's file named here is news, not a price file. Without them the source has no
   * `news`.
   */
  newsFiles?: readonly string[];
}

/** A row that was skipped or repaired. */
export interface CsvRowIssue {
  /** `file:line`. */
  where: string;
  symbol: string;
  date: string;
  reason: string;
}

/** What loading has found so far (files parsed, rows, skips). */
export interface CsvLoadReport {
  /** Files parsed so far. */
  files: string[];
  /** Directory files left out because their header has no date/close columns (or excluded by name). */
  ignoredFiles: string[];
  /** The same files with the reason each was left out (`no close column`, `excluded`, ...). */
  ignored: { file: string; reason: string }[];
  /** Data rows read (header excluded). */
  rows: number;
  /** Bars kept. */
  bars: number;
  symbols: number;
  skipped: CsvRowIssue[];
  repaired: CsvRowIssue[];
  /**
   * Bars kept as the file has them whose price looks wrong (see {@link suspectMoves}): a one-day move by a
   * factor of 3 or more, or one of 1.8 or more that the next session undoes.
   */
  suspect: CsvRowIssue[];
  /** What reading the news files found (with `newsFiles`, once they are read). */
  news?: NewsCsvReport;
  /** Milliseconds spent reading, decompressing and parsing. */
  parseMs: number;
  /** Of which parsing alone (after reading and decompressing). */
  parseOnlyMs: number;
}

/** A CSV source: a {@link MarketSource} plus explicit loading and a load report. */
export interface CsvSource extends MarketSource {
  /** Parses every file (cached) and returns the report. */
  load(): Promise<CsvLoadReport>;
  /** The report of what has been parsed so far. */
  report(): CsvLoadReport;
  /** Parses every news file (once; a bad row throws naming `file:line`) and returns their report. */
  loadNews(): Promise<NewsCsvReport | undefined>;
}

/** Columnar series of one symbol, ascending dates: a column per numeric field of `Bar` (and `knownAt`). */
interface Series extends Record<Exclude<keyof Bar, "symbol" | "date">, Float64Array> {
  symbol: string;
  dates: IsoDate[];
}

const DEFAULTS: Record<keyof CsvColumns, string[]> = {
  date: ["date"],
  open: ["open"],
  high: ["high"],
  low: ["low"],
  close: ["close"],
  adjClose: ["adj close", "adj_close", "adjclose", "adjusted close", "adjusted_close"],
  volume: ["volume"],
};
const SYMBOL_DEFAULTS = ["symbol", "ticker", "name"];
const DATA_FILE = /\.(csv|txt)(\.gz)?$/i;

/** Name parts vendors append to a symbol in a file name (`AAPL_historical_data.csv`, `MSFT-daily.csv`). */
const FILE_SUFFIX =
  /[ ._-]+(historical[ _-]?(data|prices|quotes)?|history|daily|prices?|quotes?|ohlcv|data|eod|1d)$/i;

/**
 * Default symbol of a file: the base name without `.csv`/`.txt`/`.gz` and without vendor suffixes such as
 * `_historical_data`, `-daily`, `_prices`, `_ohlcv`, upper-cased (symbols are upper case everywhere: config,
 * flags, stores); a leading `INDEX_` becomes `^` (`INDEX_GSPC.csv` -> `^GSPC`, `SPY.csv.gz` and `spy.csv` ->
 * `SPY`, `AAPL_historical_data.csv` -> `AAPL`).
 */
export function defaultSymbolFromFile(fileName: string): string {
  let base = basename(fileName).replace(/(\.(csv|txt))?(\.gz)?$/i, "");
  for (let prev = ""; prev !== base;) {
    prev = base;
    const cut = base.replace(FILE_SUFFIX, "");
    if (cut !== "") base = cut;
  }
  base = base.toUpperCase();
  return base.startsWith("INDEX_") ? `^${base.slice(6)}` : base;
}

function symbolMapper(opt: CsvSourceOptions["symbolFromFile"]): (fileName: string) => string {
  if (opt instanceof RegExp) {
    return (f) => {
      const m = opt.exec(basename(f));
      return m?.[1] ?? m?.[0] ?? "";
    };
  }
  return opt ?? defaultSymbolFromFile;
}

/** Reads a file, gunzipping it when it starts with the gzip magic bytes. */
async function readBytes(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return buf.length > 2 && buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf;
}

/** A one-day move by this factor or more (up or down) is suspect whatever follows. */
export const SUSPECT_MOVE = 3;
/** A one-day move by this factor or more is suspect when the next session undoes it (to within 10%). */
export const SUSPECT_SPIKE = 1.8;

/**
 * The bars of one symbol's (adjusted) closes, ascending dates, whose price looks wrong: a move from the session
 * before by a factor of {@link SUSPECT_MOVE} or more (a shifted decimal, a split the file does not adjust), or
 * one of {@link SUSPECT_SPIKE} or more that the next session undoes to within 10% (one bad day: the shared
 * S&P 500 file holds LNT at half its price on 2016-05-19, the day of its 2:1 split). Real one-day moves stay
 * below both in the shared data (the VIX's largest, 2.16x on 2018-02-05, is not undone). The bars are kept
 * as the file has them; the caller names them.
 */
export function suspectMoves(
  close: ArrayLike<number>,
  dates?: ArrayLike<string>,
): { at: number; reason: string }[] {
  const out: { at: number; reason: string }[] = [];
  // two significant digits below 0.1 and from 10 on (x0.099, x100), else two decimals (x0.51, x9.90)
  const x = (q: number) =>
    `x${q >= 10 ? String(Number(q.toPrecision(2))) : q < 0.1 ? q.toPrecision(2) : q.toFixed(2)}`;
  // a lasting move names both sessions: either may be the bad one (the first bar of a file has no check of its own)
  const before = (i: number) => (dates ? `the close of ${dates[i - 1]}` : "the session before");
  for (let i = 1; i < close.length; i++) {
    const q = close[i] / close[i - 1];
    if (!(q > 0) || !Number.isFinite(q)) continue; // a missing value kept as NaN
    const size = Math.max(q, 1 / q);
    if (size < SUSPECT_SPIKE) continue;
    // undone: the next session's move back is the bad day's end, not a second suspect move
    const undone = i + 1 < close.length && Math.abs(Math.log(q * close[i + 1] / close[i])) <= Math.log(1.1);
    if (undone) out.push({ at: i++, reason: `close ${x(q)} from the session before, undone the next` });
    else if (size >= SUSPECT_MOVE) out.push({ at: i, reason: `close ${x(q)} from ${before(i)}` });
  }
  return out;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16];

/**
 * Parses a plain decimal (`-12.345`) from bytes `[a, b)`. Exact: mantissa and power of ten are exact doubles, so
 * one division rounds correctly, like `Number()`. Falls back to `num()` for anything else (exponents, spaces,
 * more than 15 digits). `NaN` = missing value, `undefined` = not a number.
 */
function fastNum(bytes: Uint8Array, a: number, b: number): number | undefined {
  if (a === b) return NaN;
  let i = a, neg = false;
  if (bytes[i] === 45) {
    neg = true;
    i++;
  }
  let m = 0, digits = 0, dec = -1;
  for (; i < b; i++) {
    const ch = bytes[i];
    if (ch >= 48 && ch <= 57) {
      m = m * 10 + (ch - 48);
      digits++;
      if (dec >= 0) dec++;
    } else if (ch === 46 && dec < 0) dec = 0;
    else return num(text8(bytes, a, b));
  }
  if (digits === 0 || digits > 15) return num(text8(bytes, a, b));
  const v = dec > 0 ? m / POW10[dec] : m;
  return neg ? -v : v;
}

/** `YYYYMMDD` as a number when bytes `[a, b)` look like `YYYY-MM-DD`, else -1. */
function dateKey(bytes: Uint8Array, a: number, b: number): number {
  if (b - a !== 10 || bytes[a + 4] !== 45 || bytes[a + 7] !== 45) return -1;
  let k = 0;
  for (let i = a; i < b; i++) {
    if (i === a + 4 || i === a + 7) continue;
    const d = bytes[i] - 48;
    if (d < 0 || d > 9) return -1;
    k = k * 10 + d;
  }
  return k;
}

function sameBytes(bytes: Uint8Array, p: number, q: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (bytes[p + i] !== bytes[q + i]) return false;
  return true;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Bytes `[a, b)` as a string, decoded as UTF-8 (ASCII, the usual case, without a decoder call). */
function text8(bytes: Uint8Array, a: number, b: number): string {
  if (b - a < 64) {
    let s = "";
    for (let i = a; i < b; i++) {
      const c = bytes[i];
      if (c >= 0x80) return UTF8.decode(bytes.subarray(a, b));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return UTF8.decode(bytes.subarray(a, b));
}

/** First line of a (possibly gzipped) file, reading at most 64 KiB. */
function readHeaderLine(path: string): string {
  const fd = openSync(path, "r");
  let n = 0;
  const b = new Uint8Array(65536);
  try {
    n = readSync(fd, b, 0, b.length, 0);
  } finally {
    closeSync(fd);
  }
  let bytes: Uint8Array = b.subarray(0, n);
  if (n > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    bytes = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH });
  }
  const text = new TextDecoder().decode(bytes);
  const nl = text.indexOf("\n");
  return (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, "").replace(/^\uFEFF/, "");
}

function headerIndex(header: string[], wanted: string | undefined, defaults: string[]): number {
  const lower = header.map((h) => h.trim().toLowerCase());
  const names = wanted !== undefined ? [wanted.toLowerCase()] : defaults;
  for (const n of names) {
    const i = lower.indexOf(n);
    if (i >= 0) return i;
  }
  return -1;
}

/** The file column of each field of `Bar` (-1 where the file has none). */
type ColumnIndex = Record<Exclude<keyof Bar, "knownAt">, number>;

function resolveColumns(
  header: string[],
  opts: CsvSourceOptions,
): { idx: ColumnIndex; missing: string[] } {
  const c = opts.columns ?? {};
  const idx: ColumnIndex = {
    date: headerIndex(header, c.date, DEFAULTS.date),
    open: headerIndex(header, c.open, DEFAULTS.open),
    high: headerIndex(header, c.high, DEFAULTS.high),
    low: headerIndex(header, c.low, DEFAULTS.low),
    close: headerIndex(header, c.close, DEFAULTS.close),
    adjClose: headerIndex(header, c.adjClose, DEFAULTS.adjClose),
    volume: headerIndex(header, c.volume, DEFAULTS.volume),
    symbol: opts.layout === "symbol-column" ? headerIndex(header, opts.symbolColumn, SYMBOL_DEFAULTS) : -1,
  };
  const missing: string[] = [];
  for (const k of ["date", "open", "high", "low", "close", "volume"] as const) {
    if (idx[k] < 0) missing.push(c[k] ?? DEFAULTS[k][0]);
  }
  if (c.adjClose !== undefined && idx.adjClose < 0) missing.push(c.adjClose);
  if (opts.layout === "symbol-column" && idx.symbol < 0) missing.push(opts.symbolColumn ?? "symbol");
  return { idx, missing };
}

/** Number of a field: a number, `NaN` for a missing value, or `undefined` when not numeric. */
function num(s: string): number | undefined {
  if (s === "" || s === "null" || s === "NaN" || s === "nan" || s === "NA") return NaN;
  const v = +s;
  if (v !== v) {
    const t = s.trim();
    return t === "" || t === "null" ? NaN : undefined;
  }
  return v;
}

/** Creates a CSV {@link MarketSource}. Nothing is read until the first call. */
export function createCsvSource(opts: CsvSourceOptions): CsvSource {
  if (!opts || (opts.layout !== "symbol-column" && opts.layout !== "file-per-symbol")) {
    throw new TypeError(`csv: layout must be "symbol-column" or "file-per-symbol"`);
  }
  const name = opts.name ?? "csv";
  const strict = opts.strict ?? false;
  const missingPolicy = strict ? "error" : opts.missing ?? "skip";
  const inconsistentPolicy = strict ? "error" : opts.inconsistent ?? "error";
  const symbolFromFile = symbolMapper(opts.symbolFromFile);
  const isDir = !Array.isArray(opts.files);
  const dirPath = isDir ? fromFileUrl(opts.files as string | URL) : "";
  const rep: CsvLoadReport = {
    files: [],
    ignoredFiles: [],
    ignored: [],
    rows: 0,
    bars: 0,
    symbols: 0,
    skipped: [],
    repaired: [],
    suspect: [],
    parseMs: 0,
    parseOnlyMs: 0,
  };
  const newsFiles = (opts.newsFiles ?? []).map((f) => fromFileUrl(f));
  const newsPaths = new Set(newsFiles.map((f) => resolve(f)));
  const newsReader = newsFiles.length ? createCsvNews(newsFiles, { name, strict }) : undefined;
  const series = new Map<string, Series>();
  const dateCache = new Map<string, number>(); // date -> knownAt
  let fileList: Promise<string[]> | undefined;
  const fileLoads = new Map<string, Promise<void>>();
  let allLoaded: Promise<void> | undefined;

  function knownAtOf(date: string, where: () => string): number {
    let k = dateCache.get(date);
    if (k === undefined) {
      try {
        dayNumber(date);
      } catch {
        throw new DataValidationError(`bad date ${JSON.stringify(date)} (want YYYY-MM-DD)`, {
          where: where(),
        });
      }
      k = closeTime(date);
      dateCache.set(date, k);
    }
    return k;
  }

  function files(): Promise<string[]> {
    if (!fileList) {
      fileList = (async () => {
        if (!isDir) return (opts.files as string[]).map((f) => fromFileUrl(f));
        let names: string[];
        try {
          names = (await readdir(dirPath)).sort();
        } catch (e) {
          throw new DataSourceError(`${name}: cannot read directory ${dirPath}`, { source: name, cause: e });
        }
        const out: string[] = [];
        const ignore = (p: string, reason: string) => {
          rep.ignoredFiles.push(p);
          rep.ignored.push({ file: basename(p), reason });
        };
        for (const n of names) {
          if (!DATA_FILE.test(n)) continue;
          const p = join(dirPath, n);
          if (newsPaths.has(resolve(p))) continue; // read as news
          if (opts.exclude?.(n)) {
            ignore(p, "excluded by name");
            continue;
          }
          // A directory may hold side files (holidays, sector lists): those without OHLC columns are left out,
          // and said so (`report().ignored`; an error with `strict`).
          const { missing } = resolveColumns(splitCsvLine(readHeaderLine(p)), opts);
          if (missing.length > 0) {
            ignore(p, `no ${missing.join(", ")} column${missing.length > 1 ? "s" : ""}`);
          } else if (opts.layout === "file-per-symbol" && !isSymbol(symbolFromFile(n))) {
            ignore(p, `file name gives no symbol (${shown(symbolFromFile(n))})`);
          } else out.push(p);
        }
        const why = rep.ignored.map((f) => `${f.file} (${f.reason})`).join(", ");
        if (out.length === 0) {
          throw new DataSourceError(
            `${name}: no OHLCV CSV files in ${dirPath}${why ? `; ignored: ${why}` : ""}`,
            { source: name, userError: true },
          );
        }
        if (strict && rep.ignored.length) {
          throw new DataValidationError(`strict: files ignored: ${why}`, { where: dirPath });
        }
        return out;
      })();
    }
    return fileList;
  }

  function parseFile(path: string, bytes: Uint8Array): void {
    const file = basename(path);
    checkUtf8(bytes, file);
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3); // UTF-8 BOM
    const len = bytes.length;
    let nl = bytes.indexOf(10);
    if (nl < 0) nl = len;
    const headerLine = text8(bytes, 0, nl).replace(/\r$/, "");
    if (headerLine.trim() === "") {
      throw new DataValidationError("empty file (no header)", { where: `${file}:1` });
    }
    const header = splitCsvLine(headerLine);
    const { idx, missing } = resolveColumns(header, opts);
    if (missing.length > 0) {
      throw new DataValidationError(`missing column(s) ${missing.join(", ")} in header`, {
        where: `${file}:1`,
      });
    }
    const nf = header.length;
    const fileSymbol = opts.layout === "file-per-symbol" ? symbolFromFile(file) : "";
    const fileKey = fileSymbol.toUpperCase(); // once per file, not per row
    // flat columns for the whole file, grouped by symbol at the end
    let cap = 1;
    for (let p = bytes.indexOf(10); p >= 0; p = bytes.indexOf(10, p + 1)) cap++;
    const O = new Float64Array(cap), H = new Float64Array(cap), L = new Float64Array(cap);
    const C = new Float64Array(cap), A = new Float64Array(cap), V = new Float64Array(cap);
    const K = new Float64Array(cap), SYM = new Int32Array(cap), DATE = new Int32Array(cap);
    const LINE = new Int32Array(cap);
    const symIds = new Map<string, number>(), symNames: string[] = [];
    const dateIds = new Map<string, number>(), dateNames: string[] = [], dateKnown: number[] = [];
    const dateOpen: boolean[] = [];
    const keyIds = new Map<number, number>();
    let rows = 0, kept = 0, lineNo = 1, pos = nl + 1;
    let fields: string[] | undefined; // set for a quoted line (slow path)
    const starts = new Int32Array(nf + 1), ends = new Int32Array(nf + 1);
    const text = (k: number) => fields ? fields[k] : text8(bytes, starts[k], ends[k]);
    const where = () => `${file}:${lineNo}`;
    const bad = (msg: string): never => {
      throw new DataValidationError(msg, { where: where() });
    };
    const value = (k: number): number | undefined =>
      fields ? num(fields[k]) : fastNum(bytes, starts[k], ends[k]);
    const iO = idx.open, iH = idx.high, iL = idx.low, iC = idx.close, iA = idx.adjClose, iV = idx.volume;
    let prevSymStart = -1, prevSymLen = 0, prevSymId = -1;
    let prevDateKey = -1, prevDateId = -1;
    while (pos < len) {
      nl = bytes.indexOf(10, pos);
      if (nl < 0) nl = len;
      let end = nl;
      if (end > pos && bytes[end - 1] === 13) end--;
      lineNo++;
      const lineStart = pos;
      pos = nl + 1;
      if (end === lineStart) continue;
      let k = 0, s0 = lineStart, quoted = false;
      for (let i = lineStart; i < end; i++) {
        const ch = bytes[i];
        if (ch === 44) {
          if (k < nf) {
            starts[k] = s0;
            ends[k] = i;
          }
          k++;
          s0 = i + 1;
        } else if (ch === 34) {
          quoted = true;
          break;
        }
      }
      if (quoted) {
        fields = splitCsvLine(text8(bytes, lineStart, end));
        k = fields.length;
      } else {
        fields = undefined;
        if (k < nf) {
          starts[k] = s0;
          ends[k] = end;
        }
        k++;
      }
      if (k !== nf) bad(`expected ${nf} fields, got ${k}`);
      rows++;
      // symbol
      let symId: number;
      if (idx.symbol < 0 || fields) {
        const sym = idx.symbol < 0 ? fileSymbol : fields![idx.symbol].trim();
        symId = symIds.get(idx.symbol < 0 ? fileKey : sym.toUpperCase()) ?? -1;
        if (symId < 0) symId = newSymbol(sym);
        prevSymStart = -1;
      } else {
        const a = starts[idx.symbol], l = ends[idx.symbol] - a;
        if (l === prevSymLen && prevSymStart >= 0 && sameBytes(bytes, prevSymStart, a, l)) symId = prevSymId;
        else {
          const sym = text8(bytes, a, a + l).trim();
          symId = symIds.get(sym.toUpperCase()) ?? -1;
          if (symId < 0) symId = newSymbol(sym);
        }
        prevSymStart = a;
        prevSymLen = l;
        prevSymId = symId;
      }
      // date
      const dk = fields ? -1 : dateKey(bytes, starts[idx.date], ends[idx.date]);
      let dateId = dk >= 0 ? (dk === prevDateKey ? prevDateId : keyIds.get(dk) ?? -1) : -1;
      if (dateId < 0) {
        const date = text(idx.date);
        dateId = dateIds.get(date) ?? -1;
        if (dateId < 0) {
          dateId = dateNames.length;
          dateKnown.push(knownAtOf(date, where));
          // lib/core's calendar has today's holiday rules, in force since 1971 (the Monday holidays act): an
          // earlier date is taken as the file has it (before 1971 it holds sessions the rules call holidays)
          dateOpen.push(date < CALENDAR_CHECKED_FROM || isSession(date));
          dateNames.push(date);
          dateIds.set(date, dateId);
        }
        if (dk >= 0) keyIds.set(dk, dateId);
      }
      prevDateKey = dk;
      prevDateId = dateId;
      // a bar on a day the exchange did not trade (a weekend, a holiday) would become a session of its own
      if (!dateOpen[dateId]) {
        const reason = "not a trading session (a weekend or an exchange holiday)";
        if (strict) bad(reason);
        rep.skipped.push({ where: where(), symbol: symNames[symId], date: dateNames[dateId], reason });
        continue;
      }
      // values
      const o = value(iO), c = value(iC), v = value(iV);
      let h = value(iH), l = value(iL);
      const a = iA >= 0 ? value(iA) : c;
      if (o === undefined) bad(`non-numeric open ${JSON.stringify(text(iO))}`);
      if (h === undefined) bad(`non-numeric high ${JSON.stringify(text(iH))}`);
      if (l === undefined) bad(`non-numeric low ${JSON.stringify(text(iL))}`);
      if (c === undefined) bad(`non-numeric close ${JSON.stringify(text(iC))}`);
      if (a === undefined) bad(`non-numeric adj close ${JSON.stringify(text(iA))}`);
      if (v === undefined) bad(`non-numeric volume ${JSON.stringify(text(iV))}`);
      const fault = barFault(o!, h!, l!, c!, a!, v!);
      if (fault?.kind === "malformed") bad(fault.reason);
      if (fault?.kind === "missing") {
        if (missingPolicy === "error") bad("missing value (empty or zero price/volume)");
        if (missingPolicy === "keep" && c! > 0) {
          const nan = (x: number | undefined) => (x === undefined || x === 0 ? NaN : x);
          rep.repaired.push({
            where: where(),
            symbol: symNames[symId],
            date: dateNames[dateId],
            reason: "missing value kept as NaN",
          });
          O[kept] = nan(o);
          H[kept] = nan(h);
          L[kept] = nan(l);
          C[kept] = c!;
          A[kept] = nan(a);
          V[kept] = v! >= 0 ? v! : NaN;
          K[kept] = dateKnown[dateId];
          SYM[kept] = symId;
          DATE[kept] = dateId;
          LINE[kept] = lineNo;
          kept++;
          continue;
        }
        rep.skipped.push({
          where: where(),
          symbol: symNames[symId],
          date: dateNames[dateId],
          reason: "missing value",
        });
        continue;
      }
      if (fault?.kind === "inconsistent") {
        const reason = fault.reason;
        if (inconsistentPolicy === "error") bad(reason);
        const issue = { where: where(), symbol: symNames[symId], date: dateNames[dateId], reason };
        if (inconsistentPolicy === "skip") {
          rep.skipped.push(issue);
          continue;
        }
        const hi = Math.max(o!, h!, l!, c!), lo = Math.min(o!, h!, l!, c!);
        h = hi;
        l = lo;
        rep.repaired.push(issue);
      }
      O[kept] = o!;
      H[kept] = h!;
      L[kept] = l!;
      C[kept] = c!;
      A[kept] = a!;
      V[kept] = v!;
      K[kept] = dateKnown[dateId];
      SYM[kept] = symId;
      DATE[kept] = dateId;
      LINE[kept] = lineNo;
      kept++;
    }
    rep.rows += rows;

    /** A new series for `raw` as the file spells it (checked so), named in upper case. */
    function newSymbol(raw: string): number {
      if (raw === "") bad("empty symbol");
      const sym = raw.toUpperCase();
      if (!isSymbol(raw) || !isSymbol(sym)) {
        bad(`${shown(raw)} is not a symbol (letters, digits and . - _ = after an optional ^, at most 24)`);
      }
      if (series.has(sym)) bad(`symbol ${sym} already read from another file`);
      const id = symNames.length;
      symNames.push(sym);
      symIds.set(sym, id);
      return id;
    }

    // group rows by symbol (counting sort, stable), then order each symbol by date
    const ns = symNames.length;
    const start = new Int32Array(ns + 1);
    for (let r = 0; r < kept; r++) start[SYM[r] + 1]++;
    for (let q = 0; q < ns; q++) start[q + 1] += start[q];
    const fill = start.slice(0, ns);
    const order = new Int32Array(kept);
    for (let r = 0; r < kept; r++) order[fill[SYM[r]]++] = r;
    for (let q = 0; q < ns; q++) {
      let ix = order.subarray(start[q], start[q + 1]);
      let sorted = true;
      for (let i = 1; i < ix.length; i++) {
        if (dateNames[DATE[ix[i]]] <= dateNames[DATE[ix[i - 1]]]) {
          sorted = false;
          break;
        }
      }
      if (!sorted) {
        ix = Int32Array.from(ix).sort((x, y) => {
          const dx = dateNames[DATE[x]], dy = dateNames[DATE[y]];
          return dx < dy ? -1 : dx > dy ? 1 : x - y;
        });
        for (let i = 1; i < ix.length; i++) {
          if (DATE[ix[i]] === DATE[ix[i - 1]]) {
            throw new DataValidationError(`duplicate date ${dateNames[DATE[ix[i]]]} for ${symNames[q]}`, {
              where: `${file}:${LINE[ix[i]]}`,
            });
          }
        }
      }
      const n = ix.length;
      const pick = (src: Float64Array) => {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = src[ix[i]];
        return out;
      };
      const dates: IsoDate[] = new Array(n);
      for (let i = 0; i < n; i++) dates[i] = dateNames[DATE[ix[i]]];
      const adj = pick(A);
      for (const m of suspectMoves(adj, dates)) {
        rep.suspect.push({
          where: `${file}:${LINE[ix[m.at]]}`,
          symbol: symNames[q],
          date: dates[m.at],
          reason: m.reason,
        });
      }
      series.set(symNames[q], {
        symbol: symNames[q],
        dates,
        knownAt: pick(K),
        open: pick(O),
        high: pick(H),
        low: pick(L),
        close: pick(C),
        adjClose: adj,
        volume: pick(V),
      });
      rep.bars += n;
    }
    rep.symbols = series.size;
  }

  function loadFile(path: string): Promise<void> {
    let p = fileLoads.get(path);
    if (!p) {
      p = (async () => {
        const t0 = performance.now();
        let bytes: Uint8Array;
        try {
          bytes = await readBytes(path);
        } catch (e) {
          throw new DataSourceError(`${name}: cannot read ${path}: ${(e as Error).message}`, {
            source: name,
            cause: e,
          });
        }
        const t1 = performance.now();
        parseFile(path, bytes);
        rep.parseOnlyMs += performance.now() - t1;
        rep.files.push(path);
        rep.parseMs += performance.now() - t0;
      })();
      fileLoads.set(path, p);
    }
    return p;
  }

  function loadAll(): Promise<void> {
    if (!allLoaded) {
      allLoaded = (async () => {
        for (const f of await files()) await loadFile(f);
      })();
    }
    return allLoaded;
  }

  /** Symbol -> file of a file-per-symbol directory (from the file names). */
  async function fileSymbols(): Promise<Map<string, string>> {
    const bySymbol = new Map<string, string>();
    for (const f of await files()) {
      const sym = symbolFromFile(basename(f));
      const other = bySymbol.get(sym);
      if (other !== undefined) {
        throw new DataValidationError(`${basename(other)} and ${basename(f)} both map to symbol ${sym}`, {
          where: dirPath || basename(f),
        });
      }
      bySymbol.set(sym, f);
    }
    return bySymbol;
  }

  /** Loads what `symbols` need: its own files for file-per-symbol, everything otherwise. */
  async function ensure(symbols: string[]): Promise<void> {
    if (opts.layout === "symbol-column") return loadAll();
    const bySymbol = await fileSymbols();
    for (const s of symbols) {
      const f = bySymbol.get(s) ?? findCi(bySymbol, s);
      if (f !== undefined) await loadFile(f);
    }
  }

  function findCi<T>(m: Map<string, T>, s: string): T | undefined {
    const u = s.toUpperCase();
    for (const [k, v] of m) if (k.toUpperCase() === u) return v;
    return undefined;
  }

  /** Finds every requested symbol; an unknown one is an `InputError` naming what the files hold. */
  async function lookupAll(symbols: string[]): Promise<Series[]> {
    const found: Series[] = [], unknown: string[] = [];
    for (const sym of symbols) {
      const s = series.get(sym) ?? findCi(series, sym);
      if (s) found.push(s);
      else unknown.push(sym);
    }
    if (unknown.length === 0) return found;
    const files = opts.layout === "symbol-column" ? undefined : await fileSymbols();
    // a symbol whose own file holds no bar is not unknown: say what its file lacks
    const empty = files ? unknown.filter((u) => findCi(files, u) !== undefined) : [];
    if (empty.length) {
      const named = empty.map((u) => basename(String(findCi(files!, u)))).join(", ");
      throw new DataSourceError(
        `${name}: ${named} hold${
          empty.length === 1 ? "s" : ""
        } no bar (no row after the header, or every row ` +
          `skipped: see the run's input line)`,
        { source: name, symbol: empty.join(","), userError: true },
      );
    }
    const known = files ? [...files.keys()] : [...series.keys()];
    known.sort();
    const list = fewOf(known, 12);
    const ignored = rep.ignored.length
      ? `; ignored files: ${rep.ignored.map((f) => `${f.file} (${f.reason})`).join(", ")}`
      : "";
    throw new DataSourceError(
      `${name}: unknown symbol${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}: ` +
        `${dirPath || "the files"} hold${known.length === 1 ? "s" : ""} ${known.length} symbol${
          known.length === 1 ? "" : "s"
        } (${list || "none"})${ignored}`,
      { source: name, symbol: unknown.join(","), userError: true },
    );
  }

  /** The first and last date of `list`'s series (null when none holds a date). */
  function span(list: Iterable<Series>): [IsoDate, IsoDate] | null {
    let a = "", z = "";
    for (const s of list) {
      if (s.dates.length === 0) continue;
      if (a === "" || s.dates[0] < a) a = s.dates[0];
      if (z === "" || s.dates[s.dates.length - 1] > z) z = s.dates[s.dates.length - 1];
    }
    return a === "" ? null : [a, z];
  }

  function coverage(): string {
    const all = span(series.values());
    return all ? `${all[0]}..${all[1]}` : "nothing";
  }

  return {
    name,
    async listSymbols() {
      await loadAll();
      return [...series.keys()].sort();
    },
    async bars(req: BarRequest) {
      checkRequest(req);
      await ensure(req.symbols);
      const found = await lookupAll(req.symbols); // throws naming the unknown symbols, before building anything
      const out = new Map<string, Bar[]>();
      found.forEach((s) => {
        const delay = publicationDelay(s.symbol);
        const i0 = lowerBound(s.dates, req.from);
        let i1 = lowerBound(s.dates, req.to);
        if (i1 < s.dates.length && s.dates[i1] === req.to) i1++;
        const bars: Bar[] = new Array(Math.max(0, i1 - i0));
        for (let i = i0; i < i1; i++) {
          bars[i - i0] = barAt(s.symbol, s.dates[i], s, i, s.knownAt[i] + delay);
        }
        // keyed by the file's spelling, like each bar's `symbol` (a request for `aapl` finds `AAPL`)
        out.set(s.symbol, bars);
      });
      checkNotEmpty(name, req, out, coverage());
      return out;
    },
    /** The files' first and last date of `symbols` (an unknown symbol throws, as in `bars`). */
    async extent(symbols: string[]) {
      await ensure(symbols);
      return span(await lookupAll(symbols));
    },
    /** CSV files carry no corporate actions: validates the request and returns `[]`. */
    async actions(req: BarRequest) {
      checkRequest(req);
      await ensure(req.symbols);
      await lookupAll(req.symbols);
      return [];
    },
    ...(newsReader
      ? {
        /** The news files' items about the symbols that count for the sessions `from..to`. */
        async news(req: BarRequest) {
          const items = await newsReader.news(req);
          rep.news = newsReader.report();
          return items;
        },
      }
      : {}),
    async load() {
      await loadAll();
      if (newsReader) rep.news = await newsReader.load();
      return rep;
    },
    async loadNews() {
      if (newsReader) rep.news = await newsReader.load();
      return rep.news;
    },
    report() {
      return rep;
    },
  };
}

/** Options of the data sets in `../shared/data` (see {@linkcode csvPresets}). */
const PRESET_OPTIONS = {
  sp500_5yr: (dir: string): CsvSourceOptions => ({
    files: [join(dir, "all_stocks_5yr.csv.gz")],
    layout: "symbol-column",
    symbolColumn: "Name",
    inconsistent: "repair",
    name: "csv:sp500-5yr",
  }),
  yahooDaily: (dir: string): CsvSourceOptions => ({
    files: dir,
    layout: "file-per-symbol",
    exclude: (f) => /^us_market_holidays\.csv$/i.test(f),
    inconsistent: "repair",
    name: "csv:yahoo-daily",
  }),
};

/** Ready-made options for the data sets in `../shared/data`. */
export const csvPresets = {
  /**
   * `sp500-5yr-ohlcv`: one gzipped file `all_stocks_5yr.csv.gz`, symbol column `Name`, no adjusted close.
   * Its 11 rows with empty prices are skipped; its 12 rows with high < low or open/close outside [low, high]
   * (bad prints) are repaired (high/low widened), both listed in `report()`.
   */
  sp500_5yr(dir: string | URL, overrides: Partial<Omit<CsvSourceOptions, "files">> = {}): CsvSource {
    return createCsvSource({ ...PRESET_OPTIONS.sp500_5yr(fromFileUrl(dir)), ...overrides });
  },
  /**
   * `us-index-etf-daily-yahoo`: one Yahoo-format file per symbol (`Date,Open,High,Low,Close,Adj Close,Volume`);
   * `INDEX_GSPC.csv` is `^GSPC`, `SPY.csv` is `SPY`; `us_market_holidays.csv` is left out (and listed).
   */
  yahooDaily(dir: string | URL, overrides: Partial<Omit<CsvSourceOptions, "files">> = {}): CsvSource {
    return createCsvSource({ ...PRESET_OPTIONS.yahooDaily(fromFileUrl(dir)), ...overrides });
  },
};

/**
 * A CSV source for a directory, layout detected: the sp500-5yr file gets its preset; otherwise, when a data
 * file's header has a `symbol`/`ticker`/`name` column the layout is `symbol-column`, else `file-per-symbol`.
 * `overrides` replace the detected options (e.g. `strict`, `inconsistent`, `symbolFromFile`). The news files
 * (`overrides.newsFiles`) are parsed before it returns: a bad row is an error here, before any work.
 */
export async function csvSourceFor(
  dir: string | URL,
  overrides: Partial<Omit<CsvSourceOptions, "files">> = {},
): Promise<CsvSource> {
  const src = await detectCsvSource(dir, overrides);
  // the news files are parsed now: a bad row is refused before anything is fetched or written
  await src.loadNews();
  return src;
}

async function detectCsvSource(
  dir: string | URL,
  overrides: Partial<Omit<CsvSourceOptions, "files">>,
): Promise<CsvSource> {
  const path = fromFileUrl(dir);
  let names: string[];
  try {
    names = (await readdir(path)).sort();
  } catch (e) {
    throw new DataSourceError(`csv: cannot read directory ${path}: ${(e as Error).message}`, {
      source: "csv",
      cause: e,
      userError: true,
    });
  }
  if (names.includes("all_stocks_5yr.csv.gz") && overrides.layout === undefined) {
    return csvPresets.sp500_5yr(path, overrides);
  }
  for (const n of names) {
    if (!DATA_FILE.test(n)) continue;
    const header = splitCsvLine(readHeaderLine(join(path, n)));
    const probe = { files: path, layout: "symbol-column" as const, ...overrides };
    const { missing } = resolveColumns(header, probe);
    if (missing.length === 0 && (overrides.layout ?? "symbol-column") === "symbol-column") {
      return createCsvSource({ name: "csv", ...probe });
    }
  }
  if (names.includes("us_market_holidays.csv") && overrides.layout === undefined) {
    return csvPresets.yahooDaily(path, overrides);
  }
  return createCsvSource({ name: "csv", files: path, layout: "file-per-symbol", ...overrides });
}

/** The text with its header line lower-cased (column names are matched case-insensitively). */
function lowerHeader(text: string): string {
  const nl = text.indexOf("\n");
  return nl < 0 ? text.toLowerCase() : text.slice(0, nl).toLowerCase() + text.slice(nl);
}

/**
 * Reads a point-in-time universe: a UTF-8 CSV file with a header `symbol,from,to` (`to` empty = still a
 * member; column names case-insensitive, extra columns ignored; symbols upper-cased), one membership spell per row, as
 * `UniverseMember`s named `universe`. `knownAt` is the open of `from` (index changes are announced before they
 * take effect, so this is late, never early). Every symbol must match the pattern, every date be `YYYY-MM-DD`
 * with `from <= to`; a bad row is a `DataValidationError` naming `file:line`.
 */
export async function readUniverseCsv(path: string, universe: string): Promise<UniverseMember[]> {
  const file = basename(path);
  let bytes: Uint8Array;
  try {
    bytes = await readBytes(path);
  } catch (e) {
    throw new DataSourceError(`universe: cannot read ${path}: ${(e as Error).message}`, {
      source: "csv",
      cause: e,
      userError: true,
    });
  }
  checkUtf8(bytes, file);
  const t = readCsvTable(lowerHeader(new TextDecoder().decode(bytes)), {
    file,
    require: ["symbol", "from", "to"],
  });
  const [si, fi, ti] = ["symbol", "from", "to"].map(t.col);
  const out: UniverseMember[] = [];
  for (const r of t.rows) {
    const where = `${file}:${r.line}`;
    const f = r.fields.map((x) => x.trim());
    if (!isSymbol(f[si])) throw new DataValidationError(`${shown(f[si])} is not a symbol`, { where });
    const to = f[ti] === "" ? null : f[ti];
    for (const d of [f[fi], to]) {
      if (d === null) continue;
      try {
        dayNumber(d);
      } catch {
        throw new DataValidationError(`bad date ${shown(d)} (want YYYY-MM-DD)`, { where });
      }
    }
    if (to !== null && to < f[fi]) {
      throw new DataValidationError(`from ${f[fi]} is after to ${to}`, { where });
    }
    out.push({ universe, symbol: f[si].toUpperCase(), from: f[fi], to, knownAt: openTime(f[fi]) });
  }
  if (out.length === 0) throw new DataValidationError("no membership rows", { where: file });
  return out;
}
