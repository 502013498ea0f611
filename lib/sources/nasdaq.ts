/**
 * Nasdaq source on `fetch` against the public api.nasdaq.com JSON endpoints: earnings, dividend, economic
 * event and IPO calendars, a stock's dividend history, company SEC filings, the stock screener and symbol
 * search.
 *
 * Every body has the envelope `{data, message, status: {rCode, bCodeMessage, developerMessage}}`; Nasdaq
 * answers HTTP 200 with `rCode != 200` (or `data: null`) for errors, which become `DataSourceError`s.
 * Values are display strings (`"$1,234"`, `"($0.53)"`, `"N/A"`, `MM/DD/YYYY`), parsed here.
 *
 * `knownAt` rules:
 * - earnings row already reported (`eps` present): pre-market -> the day's open; after-hours -> 20:00 New York;
 *   time not supplied -> the end of the day (next midnight New York). Upcoming rows: the observation time.
 * - dividend (calendar and history): the end of the announcement/declaration day; when unknown, the ex-date's
 *   open (as for Yahoo's dividends).
 * - economic event: its New York release time (`gmt` is New York time in practice), or the end of the day
 *   for `All Day`.
 * - IPO: priced -> end of the priced day; filed -> end of the filed day; upcoming -> observation time.
 * - SEC filing: the end of the filing day (EDGAR accepts filings until 22:00).
 * - screener rows and search results: the observation time.
 * @module
 */
import {
  addDays,
  type CorporateAction,
  DataSourceError,
  type Filing,
  type Instant,
  type IsoDate,
  nyTime,
  openTime,
} from "../core/mod.ts";
import { sourceFetch, type SourceHttpOptions, systemClock } from "./_http.ts";
import { arrayOf, optional, type Shape, validateShape } from "./_validate.ts";

const SOURCE = "nasdaq";
const BASE = "https://api.nasdaq.com";

/** A calendar row (earnings, dividends, economic events, IPOs) with its parsed values. */
export interface CalendarRow {
  source: "nasdaq";
  kind: "earnings" | "dividend" | "economic" | "ipo-priced" | "ipo-upcoming" | "ipo-filed" | "ipo-withdrawn";
  /** Symbol, or the country for economic events. */
  symbol: string;
  /** The calendar day (earnings/event day, ex-date, priced/expected/filed date). */
  date: IsoDate;
  /** Parsed fields (numbers, ISO dates, strings, null for `N/A`). */
  payload: Record<string, string | number | null>;
  knownAt: Instant;
}

/** One screener row. */
export interface ScreenerRow {
  symbol: string;
  name: string;
  lastSale: number | null;
  netChange: number | null;
  pctChange: number | null;
  marketCap: number | null;
  knownAt: Instant;
}

/** One symbol-search hit. */
export interface SymbolMatch {
  symbol: string;
  name: string;
  exchange: string | null;
  /** `STOCKS`, `ETF`, `INDEX`, `MUTUALFUNDS`... */
  asset: string | null;
}

/** Options of {@linkcode createNasdaqSource}. */
export interface NasdaqSourceOptions extends SourceHttpOptions {
  /** Requests per second (default 1). */
  rateLimitPerSec?: number;
}

/** The Nasdaq source. */
export interface NasdaqSource {
  readonly name: "nasdaq";
  /** Earnings calendar of one day (reported or upcoming rows). */
  earningsCalendar(date: IsoDate): Promise<CalendarRow[]>;
  /** Dividend calendar of one ex-date. */
  dividendCalendar(date: IsoDate): Promise<CalendarRow[]>;
  /** Economic events of one day. */
  economicEvents(date: IsoDate): Promise<CalendarRow[]>;
  /** IPO calendar of one month (`YYYY-MM`): priced, upcoming, filed and withdrawn deals. */
  ipoCalendar(month: string): Promise<CalendarRow[]>;
  /** A stock's cash dividend history as corporate actions. */
  dividends(symbol: string): Promise<CorporateAction[]>;
  /** A company's SEC filings of one year and form group (e.g. `Annual Reports`, `Quarterly Reports`). */
  secFilings(symbol: string, opts: { year: number; formGroup?: string; limit?: number }): Promise<Filing[]>;
  /** The stock screener (filters as Nasdaq names them, e.g. `{marketcap: "large", sector: "consumer_staples"}`). */
  screener(filters?: Record<string, string>, opts?: { limit?: number }): Promise<ScreenerRow[]>;
  /** Symbol search (autocomplete). */
  search(query: string, opts?: { limit?: number }): Promise<SymbolMatch[]>;
}

// ---------------------------------------------------------------- parsing helpers

/** Parses Nasdaq display numbers: `"$71,008,400,000"`, `"($0.53)"` -> -0.53, `"-0.055%"`, `"N/A"` -> null. */
export function parseDisplayNumber(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v !== "string") return null;
  let s = v.replace(/&nbsp;|\u00a0/g, "").trim();
  if (s === "" || s === "-" || s === "--" || /^n\/?a$/i.test(s)) return null;
  let neg = false;
  if (/^\(.*\)$/.test(s)) {
    neg = true;
    s = s.slice(1, -1);
  }
  s = s.replace(/[$,%\s]/g, "");
  const n = Number(s);
  if (s === "" || !Number.isFinite(n)) return null;
  return neg ? -n : n;
}

/** `MM/DD/YYYY` -> `YYYY-MM-DD`; anything else (`N/A`, empty) -> null. */
export function parseUsDate(v: unknown): IsoDate | null {
  if (typeof v !== "string") return null;
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v.trim());
  return m ? `${m[3]}-${m[1].padStart(2, "0")}-${m[2].padStart(2, "0")}` : null;
}

function endOfDay(date: IsoDate): Instant {
  return nyTime(addDays(date, 1), 0, 0);
}

function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v).replace(/&nbsp;|\u00a0/g, " ").trim();
  return s === "" || /^n\/?a$/i.test(s) ? null : s;
}

function checkDate(date: string): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`date must be YYYY-MM-DD, got ${date}`);
}

// ---------------------------------------------------------------- the source

const ENVELOPE: Shape = { status: { rCode: "number" } };

/** Creates the Nasdaq source. */
export function createNasdaqSource(opts: NasdaqSourceOptions = {}): NasdaqSource {
  const clock = opts.clock ?? systemClock;
  const http = sourceFetch(SOURCE, opts, 1, clock);

  /** GETs `path?params`, checks HTTP status and the envelope, returns `data` and the observation time. */
  async function get(
    path: string,
    params: Record<string, string>,
    symbol?: string,
  ): Promise<{ data: Record<string, unknown>; at: Instant }> {
    const url = `${BASE}${path}?${new URLSearchParams(params)}`;
    const res = await http(url, {
      headers: {
        "accept": "application/json, text/plain, */*",
        "user-agent": "Mozilla/5.0 (fmai collector)",
      },
    });
    const t = Date.parse(res.headers.get("date") ?? "");
    const at = Number.isFinite(t) ? t : clock.now();
    const body = await res.text();
    if (!res.ok) {
      throw new DataSourceError(
        `${SOURCE}${symbol ? ` ${symbol}` : ""}: HTTP ${res.status} for ${path}: ${body.slice(0, 160)}`,
        {
          source: SOURCE,
          symbol,
          status: res.status,
          userError: res.status === 404,
        },
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (err) {
      throw new DataSourceError(`${SOURCE}${symbol ? ` ${symbol}` : ""}: ${path} did not return JSON`, {
        source: SOURCE,
        symbol,
        status: res.status,
        cause: err,
        userError: false,
      });
    }
    const ctx = { source: SOURCE, symbol };
    const env = validateShape<{ data?: unknown; message?: unknown; status: Record<string, unknown> }>(
      json,
      ENVELOPE,
      "body",
      ctx,
    );
    const rCode = env.status.rCode as number;
    if (rCode !== 200 || env.data === null || env.data === undefined) {
      const msgs = Array.isArray(env.status.bCodeMessage)
        ? env.status.bCodeMessage.map((m) => (m as { errorMessage?: unknown }).errorMessage).filter(Boolean)
          .join("; ")
        : "";
      const detail = msgs || text(env.message) || text(env.status.developerMessage) || "no data";
      throw new DataSourceError(
        `${SOURCE}${symbol ? ` ${symbol}` : ""}: ${path} answered rCode ${rCode}: ${detail}`,
        {
          source: SOURCE,
          symbol,
          status: rCode,
          userError: rCode === 400 || rCode === 404,
        },
      );
    }
    return { data: env.data as Record<string, unknown>, at };
  }

  function rowsOf(table: unknown, path: string, required: Shape, symbol?: string): Record<string, unknown>[] {
    const ctx = { source: SOURCE, symbol };
    const t = validateShape<{ rows?: unknown } | null>(table, optional("object"), path, ctx);
    if (!t || t.rows === null || t.rows === undefined) return [];
    return validateShape(t.rows, arrayOf(required), `${path}.rows`, ctx);
  }

  function parsedPayload(
    row: Record<string, unknown>,
    numeric: readonly string[],
    dates: readonly string[],
  ): Record<string, string | number | null> {
    const out: Record<string, string | number | null> = {};
    for (const [k, v] of Object.entries(row)) {
      if (numeric.includes(k)) out[k] = parseDisplayNumber(v);
      else if (dates.includes(k)) out[k] = parseUsDate(v);
      else if (typeof v === "number") out[k] = v;
      else out[k] = text(v);
    }
    return out;
  }

  async function earningsCalendar(date: IsoDate): Promise<CalendarRow[]> {
    checkDate(date);
    const { data, at } = await get("/api/calendar/earnings", { date });
    const rows = rowsOf(data, "body.data", { symbol: "string", time: "string" });
    return rows.map((r) => {
      const payload = parsedPayload(
        r,
        ["eps", "surprise", "marketCap", "epsForecast", "noOfEsts", "lastYearEPS"],
        ["lastYearRptDt"],
      );
      const reported = "eps" in r;
      const time = String(r.time);
      const knownAt = !reported
        ? at
        : time === "time-pre-market"
        ? openTime(date)
        : time === "time-after-hours"
        ? nyTime(date, 20, 0)
        : endOfDay(date);
      return { source: SOURCE, kind: "earnings", symbol: String(r.symbol), date, payload, knownAt };
    });
  }

  async function dividendCalendar(date: IsoDate): Promise<CalendarRow[]> {
    checkDate(date);
    const { data } = await get("/api/calendar/dividends", { date });
    const rows = rowsOf(data.calendar, "body.data.calendar", {
      symbol: "string",
      dividend_Ex_Date: "string",
    });
    return rows.map((r) => {
      const payload = parsedPayload(r, ["dividend_Rate", "indicated_Annual_Dividend"], [
        "dividend_Ex_Date",
        "payment_Date",
        "record_Date",
        "announcement_Date",
      ]);
      const ex = (payload.dividend_Ex_Date as IsoDate | null) ?? date;
      const ann = payload.announcement_Date as IsoDate | null;
      return {
        source: SOURCE,
        kind: "dividend",
        symbol: String(r.symbol),
        date: ex,
        payload,
        knownAt: ann ? endOfDay(ann) : openTime(ex),
      };
    });
  }

  async function economicEvents(date: IsoDate): Promise<CalendarRow[]> {
    checkDate(date);
    const { data } = await get("/api/calendar/economicevents", { date });
    const rows = rowsOf(data, "body.data", { country: "string", eventName: "string" });
    return rows.map((r) => {
      const payload = parsedPayload(r, [], []);
      const m = /^(\d{1,2}):(\d{2})$/.exec(String(r.gmt ?? "").trim());
      return {
        source: SOURCE,
        kind: "economic",
        symbol: String(r.country),
        date,
        payload,
        knownAt: m ? nyTime(date, +m[1], +m[2]) : endOfDay(date),
      };
    });
  }

  async function ipoCalendar(month: string): Promise<CalendarRow[]> {
    if (!/^\d{4}-\d{2}$/.test(month)) throw new RangeError(`month must be YYYY-MM, got ${month}`);
    const { data, at } = await get("/api/ipo/calendar", { date: month });
    const out: CalendarRow[] = [];
    const tables: [CalendarRow["kind"], unknown, string, string | null][] = [
      ["ipo-priced", data.priced, "body.data.priced", "pricedDate"],
      [
        "ipo-upcoming",
        (data.upcoming as Record<string, unknown> | undefined)?.upcomingTable,
        "body.data.upcoming.upcomingTable",
        "expectedPriceDate",
      ],
      ["ipo-filed", data.filed, "body.data.filed", "filedDate"],
      ["ipo-withdrawn", data.withdrawn, "body.data.withdrawn", "withdrawDate"],
    ];
    for (const [kind, table, path, dateKey] of tables) {
      for (
        const r of rowsOf(table, path, { proposedTickerSymbol: optional("string"), companyName: "string" })
      ) {
        const payload = parsedPayload(r, [
          "proposedSharePrice",
          "sharesOffered",
          "dollarValueOfSharesOffered",
        ], [
          "pricedDate",
          "expectedPriceDate",
          "filedDate",
          "withdrawDate",
        ]);
        // A price range such as "16.00-18.00" is kept as text.
        if (payload.proposedSharePrice === null && typeof r.proposedSharePrice === "string") {
          payload.proposedSharePrice = text(r.proposedSharePrice);
        }
        const d = (dateKey ? payload[dateKey] as IsoDate | null : null) ?? `${month}-01`;
        const knownAt = kind === "ipo-upcoming" ? at : dateKey && payload[dateKey] ? endOfDay(d) : at;
        out.push({
          source: SOURCE,
          kind,
          symbol: String(r.proposedTickerSymbol ?? ""),
          date: d,
          payload,
          knownAt,
        });
      }
    }
    return out;
  }

  async function dividends(symbol: string): Promise<CorporateAction[]> {
    const { data } = await get(
      `/api/quote/${encodeURIComponent(symbol)}/dividends`,
      { assetclass: "stocks" },
      symbol,
    );
    const rows = rowsOf(
      data.dividends,
      "body.data.dividends",
      { exOrEffDate: "string", amount: "string" },
      symbol,
    );
    const out: CorporateAction[] = [];
    for (const r of rows) {
      const date = parseUsDate(r.exOrEffDate);
      const value = parseDisplayNumber(r.amount);
      if (!date || value === null) continue;
      if (r.type !== undefined && String(r.type).toLowerCase() !== "cash") continue;
      const decl = parseUsDate(r.declarationDate);
      out.push({
        symbol,
        date,
        kind: "dividend",
        value,
        knownAt: decl && decl <= date ? endOfDay(decl) : openTime(date),
      });
    }
    return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  }

  async function secFilings(
    symbol: string,
    o: { year: number; formGroup?: string; limit?: number },
  ): Promise<Filing[]> {
    const { data } = await get(`/api/company/${encodeURIComponent(symbol)}/sec-filings`, {
      FormGroup: o.formGroup ?? "Annual Reports",
      IsQuoteMedia: "true",
      Year: String(o.year),
      limit: String(o.limit ?? 100),
      sortColumn: "filed",
      sortOrder: "desc",
    }, symbol);
    const rows = rowsOf(data, "body.data", { formType: "string", filed: "string" }, symbol);
    const out: Filing[] = [];
    for (const r of rows) {
      const filed = parseUsDate(r.filed);
      if (!filed) continue;
      const period = parseUsDate(r.period);
      const form = String(r.formType);
      const kind = /^10-K/i.test(form) ? "annual" : /^10-Q/i.test(form) ? "quarterly" : "sec-filing";
      const view = (r.view ?? {}) as Record<string, unknown>;
      const filedAt = endOfDay(filed);
      out.push({
        id: `nasdaq:${symbol}:${form}:${filed}:${period ?? ""}`,
        symbol,
        kind,
        ...(period ? { periodEnd: period } : {}),
        filedAt,
        source: SOURCE,
        fields: {},
        meta: {
          formType: form,
          companyName: text(r.companyName),
          reportingOwner: text(r.reportingOwner),
          ...view,
        },
        knownAt: filedAt,
      });
    }
    return out;
  }

  async function screener(
    filters: Record<string, string> = {},
    o: { limit?: number } = {},
  ): Promise<ScreenerRow[]> {
    const { data, at } = await get("/api/screener/stocks", {
      ...filters,
      limit: String(o.limit ?? 10000),
      tableonly: "true",
    });
    return rowsOf(data.table, "body.data.table", { symbol: "string", name: "string" }).map((r) => ({
      symbol: String(r.symbol).trim(),
      name: String(r.name),
      lastSale: parseDisplayNumber(r.lastsale),
      netChange: parseDisplayNumber(r.netchange),
      pctChange: parseDisplayNumber(r.pctchange),
      marketCap: parseDisplayNumber(r.marketCap),
      knownAt: at,
    }));
  }

  async function search(query: string, o: { limit?: number } = {}): Promise<SymbolMatch[]> {
    if (!query.trim()) throw new TypeError("search query is empty");
    const { data } = await get(`/api/autocomplete/slookup/${o.limit ?? 10}`, { search: query });
    const rows = validateShape<Record<string, unknown>[]>(
      data as unknown,
      arrayOf({ symbol: "string", name: "string" }),
      "body.data",
      {
        source: SOURCE,
      },
    );
    return rows.map((r) => ({
      symbol: String(r.symbol).trim(),
      name: String(r.name).trim(),
      exchange: text(r.exchange),
      asset: text(r.asset),
    }));
  }

  return {
    name: "nasdaq",
    earningsCalendar,
    dividendCalendar,
    economicEvents,
    ipoCalendar,
    dividends,
    secFilings,
    screener,
    search,
  };
}
