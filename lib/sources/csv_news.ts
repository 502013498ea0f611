/**
 * News from CSV files (plain or gzipped, UTF-8): one headline per row about one symbol, such as the Benzinga
 * headlines (`title,date,stock`) and the StockNet tweets (`ticker,created_at_utc,text_tokens`) in
 * `../shared/data`. The CSV source serves them as its `news` (`CsvSourceOptions.newsFiles`), so they enter the
 * stores through the same collect step as Yahoo's news and are scored by the run's news scorer; a sentiment
 * column, if any, is never read.
 *
 * Columns are matched by name, case-insensitively, the first candidate present winning:
 * - headline: `headline`, `headlines`, `title`, `text`, `text_tokens`, `tweet`;
 * - time: `published_at`, `publishedat`, `published`, `created_at_utc`, `created_at`, `datetime`, `timestamp`,
 *   `time`, `date`;
 * - symbol: `symbol`, `ticker`, `stock`, `name` (required: a file of market-wide headlines is refused, as the
 *   news features are per symbol);
 * - optional: `summary`/`description`, `url`/`link`.
 *
 * Point in time: a time with a zone (`2020-06-05 10:30:00-04:00`, `2014-01-01T03:59:03Z`) is the item's
 * `publishedAt` and `knownAt`. A date alone (`2020-06-05`) says nothing about the hour, so the item is taken as
 * published at the end of that New York day: it counts for the next session, never for the date's own close.
 * A time without a zone is refused (its instant is unknown), as is any other format. A row with an empty
 * headline or symbol is skipped and counted (`strict`: an error); a bad symbol or time is a
 * `DataValidationError` naming `file:line`. Rows repeated to the letter (same symbol, time and headline), in one
 * file or across files, are one item. An item's id is a hash of its symbol, time and headline (a file's own id
 * column is not trusted to be unique, and a renamed file must not duplicate its items), so re-reading a file never
 * duplicates an item; a headline edited in the file is a new item.
 * @module
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import {
  addDays,
  closeTime,
  DataSourceError,
  DataValidationError,
  isCalendarDate,
  isSymbol,
  nyTime,
  prevSession,
  sessionOnOrBefore,
  shown,
} from "../core/mod.ts";
import type { Instant, NewsItem } from "../core/mod.ts";
import { readCsvTable } from "./csv_records.ts";
import { checkRequest } from "./source.ts";
import type { BarRequest } from "./source.ts";

/** Header names tried for each field, in order (lower case). */
export const NEWS_COLUMNS = {
  headline: ["headline", "headlines", "title", "text", "text_tokens", "tweet"],
  time: [
    "published_at",
    "publishedat",
    "published",
    "created_at_utc",
    "created_at",
    "datetime",
    "timestamp",
    "time",
    "date",
  ],
  symbol: ["symbol", "ticker", "stock", "name"],
  summary: ["summary", "description"],
  url: ["url", "link"],
} as const;

/** What reading the news files found. */
export interface NewsCsvReport {
  files: string[];
  /** Data rows read (header excluded). */
  rows: number;
  /** Items kept (after merging rows repeated to the letter). */
  items: number;
  /** Rows repeated to the letter, merged into one item. */
  duplicates: number;
  /** Rows without a headline or a symbol (`file:line` and why). */
  skipped: { where: string; reason: string }[];
  /** Rows dated by day only (taken as published after that day's close). */
  dateOnly: number;
}

/** News served from CSV files (see the module doc). */
export interface CsvNews {
  /** Items about `req.symbols` that count for the sessions `req.from..req.to` (sorted by `publishedAt`). */
  news(req: BarRequest): Promise<NewsItem[]>;
  /** Reads every file (once) and returns the report. */
  load(): Promise<NewsCsvReport>;
  /** The report of what has been read so far. */
  report(): NewsCsvReport;
}

const ZONED =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(?:(Z)|([+-])(\d{2}):?(\d{2}))$/i;
const NO_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The instant a news time names, and whether it was a date alone (then the end of that New York day), or a
 * message saying why it is not one. A day, hour, minute, second or offset out of range is refused (no rolling
 * over, as `Date.parse` would do for `2020-02-30`).
 */
export function newsInstant(text: string): { at: Instant; dateOnly: boolean } | string {
  const t = text.trim();
  if (DATE_ONLY.test(t)) {
    return isCalendarDate(t) ? { at: nyTime(addDays(t, 1), 0), dateOnly: true } : `bad date ${shown(t)}`;
  }
  const m = ZONED.exec(t);
  if (m) {
    const [y, mo, d, h, mi] = [+m[1], +m[2], +m[3], +m[4], +m[5]];
    const sec = m[6] === undefined ? 0 : +m[6];
    const ms = m[7] === undefined ? 0 : Math.floor(+`0.${m[7]}` * 1000);
    const day = Date.UTC(y, mo - 1, d);
    const offH = m[8] ? 0 : +m[10], offM = m[8] ? 0 : +m[11];
    if (mo < 1 || mo > 12 || new Date(day).getUTCDate() !== d) return `bad date ${shown(t)}`;
    if (h > 23 || mi > 59 || sec > 59 || offH > 23 || offM > 59) return `bad time ${shown(t)}`;
    const offset = (m[9] === "-" ? -1 : 1) * (offH * 60 + offM);
    return { at: day + ((h * 60 + mi - offset) * 60 + sec) * 1000 + ms, dateOnly: false };
  }
  if (NO_ZONE.test(t)) return `time ${shown(t)} has no zone: add Z or an offset such as -05:00`;
  return `time ${shown(t)} is not YYYY-MM-DD or an ISO 8601 time with a zone`;
}

/** Reads a (possibly gzipped) file as UTF-8 text. */
async function readText(path: string, name: string): Promise<string> {
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new DataSourceError(`${name}: cannot read news file ${path}: ${(e as Error).message}`, {
      source: name,
      cause: e,
      userError: true,
    });
  }
  if (buf.length > 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    throw new DataValidationError("invalid UTF-8 bytes (the file must be UTF-8 encoded)", {
      where: basename(path),
    });
  }
}

/**
 * The columns of a news file's header (`-1` where the file has none); throws naming the file when a required
 * one (headline, time, symbol) is missing.
 */
export function newsColumns(
  header: readonly string[],
  file: string,
): Record<keyof typeof NEWS_COLUMNS, number> {
  const lower = header.map((h) => h.trim().toLowerCase());
  const find = (names: readonly string[]) => {
    for (const n of names) {
      const i = lower.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  const idx = {
    headline: find(NEWS_COLUMNS.headline),
    time: find(NEWS_COLUMNS.time),
    symbol: find(NEWS_COLUMNS.symbol),
    summary: find(NEWS_COLUMNS.summary),
    url: find(NEWS_COLUMNS.url),
  };
  const missing = (["headline", "time", "symbol"] as const).filter((k) => idx[k] < 0);
  if (missing.length) {
    const why = missing.map((k) => `${k} (${NEWS_COLUMNS[k].join(", ")})`).join("; ");
    throw new DataValidationError(
      `news file has no ${why} column${missing.length > 1 ? "s" : ""}${
        missing.includes("symbol") ? ": market-wide headlines are not joined to symbols" : ""
      }`,
      { where: `${file}:1` },
    );
  }
  return idx;
}

/** The id of an item: a hash of its symbol, time and headline (set on first use). */
function itemId(it: NewsItem): string {
  if (it.id === "") {
    const key = `${it.symbols[0]}\u0000${it.publishedAt}\u0000${it.headline}`;
    it.id = `csv:${createHash("sha256").update(key).digest("hex").slice(0, 32)}`;
  }
  return it.id;
}

/**
 * Parses one news file into items (symbols upper-cased), adding to `rep`; a row whose item `seen` holds already
 * (the same headline at the same symbol and time, in this or an earlier file) is counted as a repeat.
 */
async function parseNewsFile(
  path: string,
  name: string,
  strict: boolean,
  rep: NewsCsvReport,
  seen: Map<string, string[]>,
): Promise<NewsItem[]> {
  const file = basename(path);
  const t = readCsvTable(await readText(path, name), { file });
  const c = newsColumns(t.header, file);
  const source = `${name}/${file}`;
  const out: NewsItem[] = [];
  const symbols = new Set<string>(); // symbols checked already
  for (const r of t.rows) {
    rep.rows++;
    const where = () => `${file}:${r.line}`;
    const f = r.fields;
    const headline = f[c.headline].trim(), symbol = f[c.symbol].trim().toUpperCase();
    if (headline === "" || symbol === "") {
      const reason = headline === "" ? "no headline" : "no symbol";
      if (strict) throw new DataValidationError(`strict: ${reason}`, { where: where() });
      rep.skipped.push({ where: where(), reason });
      continue;
    }
    if (!symbols.has(symbol)) {
      if (!isSymbol(symbol)) {
        throw new DataValidationError(`${shown(f[c.symbol])} is not a symbol`, { where: where() });
      }
      symbols.add(symbol);
    }
    const time = newsInstant(f[c.time]);
    if (typeof time === "string") throw new DataValidationError(time, { where: where() });
    // one item per symbol, time and headline: the headlines seen at (symbol, time), compared only there
    const at = `${symbol}\u0000${time.at}`;
    const same = seen.get(at);
    if (same?.includes(headline)) {
      rep.duplicates++;
      continue;
    }
    if (same) same.push(headline);
    else seen.set(at, [headline]);
    if (time.dateOnly) rep.dateOnly++;
    const summary = c.summary >= 0 ? f[c.summary].trim() : "";
    const url = c.url >= 0 ? f[c.url].trim() : "";
    out.push({
      id: "", // set when the item is first served (itemId): hashing every row of a large file is wasted
      symbols: [symbol],
      publishedAt: time.at,
      headline,
      ...(summary ? { summary } : {}),
      source,
      ...(url ? { url } : {}),
      knownAt: time.at,
    });
  }
  return out;
}

/**
 * News served from `files` (see the module doc); `name` is the source's name in errors and in each item's
 * `source` (`csv/<file>`). Nothing is read until the first call; each file is read once.
 */
export function createCsvNews(
  files: readonly string[],
  opts: { name?: string; strict?: boolean } = {},
): CsvNews {
  const name = opts.name ?? "csv";
  const rep: NewsCsvReport = { files: [], rows: 0, items: 0, duplicates: 0, skipped: [], dateOnly: 0 };
  let loaded: Promise<Map<string, NewsItem[]>> | undefined;
  const load = () => {
    loaded ??= (async () => {
      const bySymbol = new Map<string, NewsItem[]>();
      const seen = new Map<string, string[]>();
      for (const path of files) {
        for (const it of await parseNewsFile(path, name, opts.strict ?? false, rep, seen)) {
          const list = bySymbol.get(it.symbols[0]);
          if (list) list.push(it);
          else bySymbol.set(it.symbols[0], [it]);
          rep.items++;
        }
        rep.files.push(path);
      }
      for (const list of bySymbol.values()) list.sort((a, b) => a.publishedAt - b.publishedAt);
      return bySymbol;
    })();
    return loaded;
  };
  return {
    async news(req: BarRequest) {
      checkRequest(req);
      const bySymbol = await load();
      // the items decided on at the closes of from..to: after the close before `from`, up to the close of `to`
      const lo = closeTime(prevSession(req.from)), hi = closeTime(sessionOnOrBefore(req.to));
      const out: NewsItem[] = [];
      for (const s of new Set(req.symbols.map((x) => x.toUpperCase()))) {
        for (const it of bySymbol.get(s) ?? []) {
          if (it.knownAt > lo && it.knownAt <= hi) {
            itemId(it);
            out.push(it);
          }
        }
      }
      return out.sort((a, b) => a.publishedAt - b.publishedAt || (a.id < b.id ? -1 : 1));
    },
    async load() {
      await load();
      return rep;
    },
    report() {
      return rep;
    },
  };
}
