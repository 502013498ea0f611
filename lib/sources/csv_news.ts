/**
 * News from CSV files (plain or gzipped, UTF-8): one headline per row, about one symbol, such as the Benzinga
 * headlines (`title,date,stock`) and the StockNet tweets (`ticker,created_at_utc,text_tokens`) in
 * `../shared/data`, or about the market as a whole, such as the CNBC and Guardian headlines
 * (`financial-news-headlines-cnbc-guardian`). The CSV source serves them as its `news`
 * (`CsvSourceOptions.newsFiles`), so they enter the stores through the same collect step as Yahoo's news and are
 * scored by the run's news scorer; a sentiment column, if any, is never read.
 *
 * Columns are matched by name, case-insensitively, the first candidate present winning:
 * - headline: `headline`, `headlines`, `title`, `text`, `text_tokens`, `tweet`;
 * - time: `published_at`, `publishedat`, `published`, `created_at_utc`, `created_at`, `datetime`, `timestamp`,
 *   `time`, `date`;
 * - symbol: `symbol`, `ticker`, `stock` (optional: see below; not `name`, which in a news file is as often an
 *   author or an outlet);
 * - optional: `summary`/`description`, `url`/`link`.
 *
 * Headline and time are required. A file without a symbol column is **market-wide**: each row is one item with
 * `symbols: []`, served with the items of whatever symbols are asked for (`news(req)` returns the items about
 * `req.symbols` plus every market-wide item of the window, each once), and counted in the report's `marketWide`
 * (the files in `marketWideFiles`).
 *
 * Point in time (see {@linkcode newsInstant}): a time with a zone (`2020-06-05 10:30:00-04:00`,
 * `2014-01-01T03:59:03Z`) or CNBC's New York time (`" 7:51  PM ET Fri, 17 July 2020"`) is the item's
 * `publishedAt` and `knownAt` (the end of the minute when it has no seconds; a time at second `00` without a
 * fraction, how Benzinga stamps any time of a minute, is `knownAt` the end of that minute, {@link newsKnownAt}).
 * A date alone (`2020-06-05`, or the Guardian's `18-Jul-20`) says nothing about the hour, so the item is taken as
 * published at the end of that New York day: it counts for the next session, never for the date's own close
 * (counted in `dateOnly`). A month alone (`Jul-18`) is taken as published at the end of
 * the month's last New York day, never early (counted in `monthOnly`, not in `dateOnly`). A time without a zone is
 * refused (its instant is unknown), as is any other format. A row with an empty headline, or an empty symbol in a
 * file with a symbol column, is skipped and counted (`strict`: an error); a bad symbol or time is a
 * `DataValidationError` naming `file:line`. Rows repeated to the letter (same symbol, time and headline; no
 * symbol for market-wide rows), in one file or across files, are one item. An item's id is a hash of its symbol
 * (`""` for a market-wide item), time and headline (a file's own id column is not trusted to be unique, and a
 * renamed file must not duplicate its items), so re-reading a file never duplicates an item; a headline edited in
 * the file is a new item, and a market-wide item is never the same item as a per-symbol one.
 * @module
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import {
  addDays,
  closeTime,
  DataSourceError,
  DataValidationError,
  dayOfWeek,
  isCalendarDate,
  isSymbol,
  nyTime,
  prevSession,
  sessionOnOrBefore,
  shown,
  upperBound,
} from "../core/mod.ts";
import type { Instant, NewsItem } from "../core/mod.ts";
import { checkUtf8 } from "./_utf8.ts";
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
  // not `name` (the prices files' symbol column): in a news file it is as often an author or an outlet, which
  // would turn a market-wide file into one about a symbol named after them
  symbol: ["symbol", "ticker", "stock"],
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
  /** Items dated by day only (taken as published at the end of that New York day). */
  dateOnly: number;
  /**
   * Items dated by month only (taken as published at the end of the month's last New York day); not counted in
   * `dateOnly`.
   */
  monthOnly: number;
  /** Items kept from market-wide files (files without a symbol column; these items have `symbols: []`). */
  marketWide: number;
  /** The paths of the files read as market-wide (a subset of `files`). */
  marketWideFiles: string[];
}

/** News served from CSV files (see the module doc). */
export interface CsvNews {
  /**
   * Items about `req.symbols`, and every market-wide item, that count for the sessions `req.from..req.to` (sorted
   * by `publishedAt`, then id).
   */
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
/** CNBC: `7:51 PM ET Fri, 17 July 2020` (whitespace collapsed). */
const CNBC = /^(\d{1,2}):(\d{2}) ?([AP]M) ET ([A-Z]+),? (\d{1,2}) ([A-Z]+) (\d{4})$/i;
/** The Guardian: `18-Jul-20` (`DD-Mon-YY`), or a month alone, `Jul-18` (`Mon-YY`). */
const DAY_MON_YY = /^(\d{1,2})-([A-Z]+)-(\d{2})$/i;
const MON_YY = /^([A-Z]+)-(\d{2})$/i;

/** Added to a time given to the minute: it is known at the end of that minute, never early. */
const END_OF_MINUTE_MS = 59_999;

/** Month numbers (1-12) by lower-case name: full, 3-letter and `sept`. */
const MONTHS: ReadonlyMap<string, number> = new Map(
  [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
  ].flatMap((m, i) => [[m, i + 1], [m.slice(0, 3), i + 1]] as [string, number][]).concat([["sept", 9]]),
);
const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

/** `YYYY-MM-DD` of year, month (1-12) and day, or null when there is no such day. */
function calendarDate(y: number, m: number, d: number): string | null {
  const date = `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
  return m >= 1 && m <= 12 && isCalendarDate(date) ? date : null;
}

/** A two-digit year as POSIX `%y` reads it: 00-68 are 2000-2068, 69-99 are 1969-1999. */
function fullYear(yy: string): number {
  const n = +yy;
  return n <= 68 ? 2000 + n : 1900 + n;
}

/** A parsed news time (see {@link newsInstant}). */
export interface NewsTime {
  /** The instant the text states (the end of its minute or day where it gives none finer). */
  at: Instant;
  dateOnly: boolean;
  monthOnly?: boolean;
  /** Set when the time is at second `00` without a fraction: maybe a minute's stamp (see {@link newsKnownAt}). */
  minuteStamp?: true;
}

/**
 * When an item stamped `t` is surely known: `t.at`, or the end of its minute for a stamp at second `00` without a
 * fraction (Benzinga writes `16:00:00` for any time in the minute after the close; an item stamped at the exact
 * second is taken at most a minute late, never early).
 */
export function newsKnownAt(t: NewsTime): Instant {
  return t.minuteStamp ? t.at + END_OF_MINUTE_MS : t.at;
}

/**
 * The instant a news time names, whether it was a date alone (then the end of that New York day) or a month alone
 * (then the end of the month's last New York day; `dateOnly` is true as well, `monthOnly` set only then), or a
 * message saying why it is not one. Accepted:
 * - `YYYY-MM-DD`: a date alone;
 * - an ISO 8601 time with `Z` or an offset (`2020-06-05 10:30:00-04:00`, `2017-11-20T16:06-0500`);
 * - CNBC's `h:mm AM|PM ET <Weekday>, <D> <Month> <YYYY>` (`" 7:51  PM ET Fri, 17 July 2020"`): New York time
 *   (EST or EDT as the date has it), whitespace collapsed, case-insensitive, months by full name, 3-letter
 *   abbreviation or `Sept`, weekdays by full name or 3 letters (one that is not the date's weekday is refused);
 * - the Guardian's `DD-Mon-YY` (`18-Jul-20`, `8-Jul-20`): a date alone;
 * - `Mon-YY` (`Jul-18`): a month alone.
 * Two-digit years follow POSIX `%y`: 00-68 are 2000-2068, 69-99 are 1969-1999. A time given to the minute (no
 * seconds) is taken as the end of that minute (`4:00 PM` may be 16:00:59: after the close), never early; one at
 * second `00` without a fraction is flagged `minuteStamp` (see {@link newsKnownAt}). A day,
 * hour, minute, second or offset out of range is refused (no rolling over, as `Date.parse` would do for
 * `2020-02-30`).
 */
export function newsInstant(text: string): NewsTime | string {
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
    // a time to the minute counts from the end of that minute (never early: "16:00" may be 16:00:59)
    const rest = m[6] === undefined ? END_OF_MINUTE_MS : 0;
    const at = day + ((h * 60 + mi - offset) * 60 + sec) * 1000 + ms + rest;
    // second 00 without a fraction is how a file stamped to the minute writes it ("16:00:00"): known only at the
    // end of that minute (the item keeps the time it states as its publication time, and its id)
    return m[6] !== undefined && sec === 0 && m[7] === undefined
      ? { at, dateOnly: false, minuteStamp: true }
      : { at, dateOnly: false };
  }
  if (NO_ZONE.test(t)) return `time ${shown(t)} has no zone: add Z or an offset such as -05:00`;
  const et = t.replace(/\s+/g, " ");
  const c = CNBC.exec(et);
  if (c) {
    const date = calendarDate(+c[7], MONTHS.get(c[6].toLowerCase()) ?? 0, +c[5]);
    if (!date) return `bad date ${shown(t)}`;
    const h12 = +c[1], mi = +c[2];
    if (h12 < 1 || h12 > 12 || mi > 59) return `bad time ${shown(t)}`;
    const wd = c[4].toLowerCase();
    const dow = WEEKDAYS.findIndex((w) => w === wd || w.slice(0, 3) === wd);
    if (dow < 0) return `bad weekday ${shown(c[4])} in ${shown(t)}`;
    if (dow !== dayOfWeek(date)) {
      return `weekday ${c[4]} does not match ${date} (a ${
        WEEKDAYS[dayOfWeek(date)].replace(/^./, (x) => x.toUpperCase())
      }) in ${shown(t)}`;
    }
    const hh = (h12 % 12) + (c[3].toUpperCase() === "PM" ? 12 : 0);
    return { at: nyTime(date, hh, mi) + END_OF_MINUTE_MS, dateOnly: false };
  }
  const g = DAY_MON_YY.exec(t);
  if (g) {
    const date = calendarDate(fullYear(g[3]), MONTHS.get(g[2].toLowerCase()) ?? 0, +g[1]);
    return date ? { at: nyTime(addDays(date, 1), 0), dateOnly: true } : `bad date ${shown(t)}`;
  }
  const mo = MON_YY.exec(t);
  if (mo) {
    const month = MONTHS.get(mo[1].toLowerCase());
    if (!month) return `bad month ${shown(t)}`;
    const y = fullYear(mo[2]);
    const next = month === 12 ? calendarDate(y + 1, 1, 1) : calendarDate(y, month + 1, 1);
    return { at: nyTime(next!, 0), dateOnly: true, monthOnly: true };
  }
  return `time ${
    shown(t)
  } is not YYYY-MM-DD, an ISO 8601 time with a zone, "h:mm PM ET Fri, 17 July 2020", ` +
    "DD-Mon-YY or Mon-YY";
}

/** Reads a (possibly gzipped) file as UTF-8 text. */
async function readText(path: string, name: string): Promise<string> {
  let buf: Uint8Array;
  try {
    // a FIFO or a device would block the read forever: only a regular file is a news file
    if (!(await stat(path)).isFile()) throw new Error("not a regular file");
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
  } catch (e) {
    // refused naming the file and line, as a prices file is (the line is searched for only then)
    checkUtf8(buf, basename(path));
    throw e;
  }
}

/**
 * The columns of a news file's header (`-1` where the file has none); throws naming the file when a required
 * one (headline, time) is missing. A file without a symbol column (`symbol` is `-1`) is market-wide.
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
  const missing = (["headline", "time"] as const).filter((k) => idx[k] < 0);
  if (missing.length) {
    const why = missing.map((k) => `${k} (${NEWS_COLUMNS[k].join(", ")})`).join("; ");
    throw new DataValidationError(`news file has no ${why} column${missing.length > 1 ? "s" : ""}`, {
      where: `${file}:1`,
    });
  }
  return idx;
}

/** Characters with nothing to show that `trim` keeps: zero-width space, non-joiner and joiner, word joiner. */
const INVISIBLE = /[\u200B-\u200D\u2060]/g;

/** The id of an item: a hash of its symbol (`""` for a market-wide item), time and headline (set on first use). */
function itemId(it: NewsItem): string {
  if (it.id === "") {
    const key = `${it.symbols[0] ?? ""}\u0000${it.publishedAt}\u0000${it.headline}`;
    it.id = `csv:${createHash("sha256").update(key).digest("hex").slice(0, 32)}`;
  }
  return it.id;
}

/**
 * Parses one news file into items (symbols upper-cased; `symbols: []` in a market-wide file, one without a symbol
 * column), adding to `rep`; a row whose item `seen` holds already (the same headline at the same symbol, or none,
 * and time, in this or an earlier file) is counted as a repeat.
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
  const marketWide = c.symbol < 0;
  if (marketWide) rep.marketWideFiles.push(path);
  const out: NewsItem[] = [];
  const symbols = new Set<string>(); // symbols checked already
  for (const r of t.rows) {
    rep.rows++;
    const where = () => `${file}:${r.line}`;
    const f = r.fields;
    const headline = f[c.headline].trim(), symbol = marketWide ? "" : f[c.symbol].trim().toUpperCase();
    // a headline of only invisible characters (zero-width spaces and joiners, which trim keeps) has no text
    const blank = headline.replace(INVISIBLE, "").trim() === "";
    if (blank || (symbol === "" && !marketWide)) {
      const reason = blank ? "no headline" : "no symbol";
      if (strict) throw new DataValidationError(`strict: ${reason}`, { where: where() });
      rep.skipped.push({ where: where(), reason });
      continue;
    }
    if (!marketWide && !symbols.has(symbol)) {
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
    if (time.monthOnly) rep.monthOnly++;
    else if (time.dateOnly) rep.dateOnly++;
    if (marketWide) rep.marketWide++;
    const summary = c.summary >= 0 ? f[c.summary].trim() : "";
    const url = c.url >= 0 ? f[c.url].trim() : "";
    out.push({
      id: "", // set when the item is first served (itemId): hashing every row of a large file is wasted
      symbols: marketWide ? [] : [symbol],
      publishedAt: time.at,
      headline,
      ...(summary ? { summary } : {}),
      source,
      ...(url ? { url } : {}),
      knownAt: newsKnownAt(time),
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
  const rep: NewsCsvReport = {
    files: [],
    rows: 0,
    items: 0,
    duplicates: 0,
    skipped: [],
    dateOnly: 0,
    monthOnly: 0,
    marketWide: 0,
    marketWideFiles: [],
  };
  let loaded:
    | Promise<{ bySymbol: Map<string, NewsItem[]>; market: NewsItem[]; marketKnown: Float64Array }>
    | undefined;
  const load = () => {
    loaded ??= (async () => {
      const bySymbol = new Map<string, NewsItem[]>();
      const market: NewsItem[] = []; // market-wide items, by knownAt
      const seen = new Map<string, string[]>();
      for (const path of files) {
        for (const it of await parseNewsFile(path, name, opts.strict ?? false, rep, seen)) {
          if (it.symbols.length === 0) market.push(it);
          else {
            const list = bySymbol.get(it.symbols[0]);
            if (list) list.push(it);
            else bySymbol.set(it.symbols[0], [it]);
          }
          rep.items++;
        }
        rep.files.push(path);
      }
      for (const list of bySymbol.values()) list.sort((a, b) => a.publishedAt - b.publishedAt);
      market.sort((a, b) => a.knownAt - b.knownAt);
      return { bySymbol, market, marketKnown: Float64Array.from(market, (m) => m.knownAt) };
    })();
    return loaded;
  };
  return {
    async news(req: BarRequest) {
      checkRequest(req);
      const { bySymbol, market, marketKnown } = await load();
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
      // every market-wide item of the window (once, whatever the symbols): the first known after `lo` on
      for (let i = upperBound(marketKnown, lo); i < market.length && market[i].knownAt <= hi; i++) {
        itemId(market[i]);
        out.push(market[i]);
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
