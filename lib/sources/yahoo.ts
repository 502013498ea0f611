/**
 * Yahoo Finance source on `yahoo-finance2` v4 (the only file that imports it): daily and intraday bars with
 * splits and dividends (`chart`), quotes and key statistics (`quote`, `quoteSummary`), statements and
 * earnings (`quoteSummary` statement modules, `earnings`, `fundamentalsTimeSeries`), option chains (`options`)
 * and news (`search`), mapped to `lib/core` types with `knownAt`.
 *
 * HTTP goes through the library (its cookie/crumb handling and URL building) with our `fetch` injected as
 * the constructor's `fetch` option, wrapped by `sourceFetch` (`resilientFetch`: rate limit, retries, 401/403).
 * The library's own result validation is switched off per call (`validateResult: false`: it rejects whole
 * responses over fields we do not use); {@linkcode validateShape} checks the fields we do use instead.
 *
 * `knownAt` rules (the dataset layer joins on them):
 * - daily bar: `closeTime(date)`; intraday bar: its end (start + interval);
 * - split/dividend: the ex-date's open (`openTime(exDate)`); Yahoo gives no announcement date, and the
 *   action is certainly public once the stock trades ex, so this is late but never early;
 * - news: `providerPublishTime`;
 * - statements, time series and earnings: Yahoo gives no filing date, so {@linkcode statementKnownAt}:
 *   17:30 New York on the SEC deadline (period end + 45 days for quarterly 10-Q, + 90 days for annual 10-K,
 *   the longest deadlines, for non-accelerated filers; rolled to the next business day);
 * - statistics, quotes' derived rows and option quotes: the moment they were observed (the response's HTTP
 *   `Date` header, else the clock), except quote rows, which use `regularMarketTime`.
 * @module
 */
import {
  addDays,
  type Bar,
  barKnownAt,
  checkSymbol,
  checkSymbols,
  type CorporateAction,
  DataSourceError,
  type Filing,
  InputError,
  type Instant,
  type IsoDate,
  isSession,
  type NewsItem,
  nyDate,
  nyTime,
  oneLine,
  openTime,
  type OptionQuote,
} from "../core/mod.ts";
import { checkBars, FUTURE_SKEW_MS, type SkippedRecord } from "./_records.ts";
import { collectMany, sourceFetch, type SourceHttpOptions, systemClock } from "./_http.ts";
import { type BarRequest, checkNotEmpty, checkRequest, type MarketSource } from "./source.ts";
import { arrayOf, optional, type Shape, validateShape } from "./_validate.ts";

/**
 * yahoo-finance2 is loaded on a source's first request, not when this module is imported: the import costs
 * about 100 ms, which runs on the CSV or synthetic sources need not pay.
 */
let yahooModules:
  | Promise<[typeof import("yahoo-finance2"), typeof import("yahoo-finance2/lib/cookieJar")]>
  | undefined;
const loadYahooFinance = () =>
  yahooModules ??= Promise.all([import("yahoo-finance2"), import("yahoo-finance2/lib/cookieJar")]);

const SOURCE = "yahoo";

/** A bar with its start instant (intraday). */
export interface IntradayBar extends Bar {
  /** Bar start (epoch ms); `knownAt` is its end. */
  start: Instant;
}

/** One numeric statistic observed for a symbol (`name` is `module.field`, e.g. `summaryDetail.trailingPE`). */
export interface StatisticRow {
  symbol: string;
  /** New York date of `knownAt`. */
  date: IsoDate;
  name: string;
  value: number;
  knownAt: Instant;
}

/** Options of {@linkcode createYahooSource}. */
export interface YahooSourceOptions extends SourceHttpOptions {
  /** Requests per second per host (default 2). */
  rateLimitPerSec?: number;
  /** Symbols fetched at once by the multi-symbol methods (default 4). */
  concurrency?: number;
  /**
   * Where per-symbol failures of `bars`/`actions`/`news` go. Without it, those methods throw one
   * `DataSourceError` naming every failed symbol after the others finished.
   */
  onSymbolError?: (symbol: string, error: unknown) => void;
  /** Receives the library's warnings and errors (default: `console.warn`); info/debug are dropped. */
  log?: (level: "warn" | "error", message: string) => void;
}

/** Statement period. */
export type StatementPeriod = "annual" | "quarterly";
/** Statement kind. */
export type StatementKind = "income" | "balance" | "cashflow";

const STATEMENT_MODULES: Record<StatementKind, { annual: string; quarterly: string; list: string }> = {
  income: {
    annual: "incomeStatementHistory",
    quarterly: "incomeStatementHistoryQuarterly",
    list: "incomeStatementHistory",
  },
  balance: {
    annual: "balanceSheetHistory",
    quarterly: "balanceSheetHistoryQuarterly",
    list: "balanceSheetStatements",
  },
  cashflow: {
    annual: "cashflowStatementHistory",
    quarterly: "cashflowStatementHistoryQuarterly",
    list: "cashflowStatements",
  },
};

/** Default `quoteSummary` modules of {@linkcode YahooSource.statistics}. */
export const STATISTICS_MODULES = ["summaryDetail", "defaultKeyStatistics", "financialData"] as const;

/** Options of {@linkcode YahooSource.chart}. */
export interface ChartOptions {
  from: IsoDate;
  to: IsoDate;
  /** Yahoo's `events` parameter (the library's default `div|split|earn` when absent). */
  events?: string;
  /** A bar with a missing value is an error instead of a skipped record. */
  strict?: boolean;
  /**
   * Splits of this symbol known from elsewhere (the store). Yahoo adjusts its quotes for every split up to the
   * day of the request but names only those inside the range, so one of these with an ex-date on or before the
   * response's day is undone too when the response does not name it (a range that ends before a stored split).
   */
  splits?: readonly CorporateAction[];
}

/** The Yahoo source: a `MarketSource` (`bars`, `actions`, `news`) plus Yahoo-specific methods. */
export interface YahooSource extends MarketSource {
  readonly name: "yahoo";
  /** Daily bars per symbol, `from..to` inclusive (the `MarketSource` contract). */
  bars(req: BarRequest): Promise<Map<string, Bar[]>>;
  /** Splits and dividends with ex-date in `from..to`, all symbols, sorted by date. */
  actions(req: BarRequest): Promise<CorporateAction[]>;
  /**
   * News about the symbols published in `from..to` (New York dates), sorted by `publishedAt`, deduplicated by
   * id. Yahoo search returns only the latest items, so past ranges are usually empty.
   */
  news(req: BarRequest): Promise<NewsItem[]>;
  /** Latest news of one symbol (no date filter). */
  latestNews(symbol: string): Promise<NewsItem[]>;
  /**
   * One `chart` call: daily bars and corporate actions of one symbol. Bars pass the shared plausibility rules
   * (a bar with a missing value is left out and listed in `skipped`; `strict` refuses it); a response about
   * another symbol, or with timestamps outside any plausible range, is refused.
   */
  chart(
    symbol: string,
    opts: ChartOptions,
  ): Promise<{ bars: Bar[]; actions: CorporateAction[]; skipped: SkippedRecord[] }>;
  /** Intraday bars (`interval` like `1m`, `5m`, `1h`) between `from` and `to` (inclusive dates). */
  intraday(
    symbol: string,
    opts: { from: IsoDate; to: IsoDate; interval?: string; includePrePost?: boolean },
  ): Promise<IntradayBar[]>;
  /** Key statistics as rows, one `quoteSummary` request per module. */
  statistics(symbol: string, opts?: { modules?: readonly string[] }): Promise<StatisticRow[]>;
  /** Statements from the `quoteSummary` statement-history modules. */
  statements(
    symbol: string,
    opts?: { period?: StatementPeriod | "both"; kinds?: readonly StatementKind[] },
  ): Promise<Filing[]>;
  /** Statements from `fundamentalsTimeSeries` (periods ending in `from..to`). */
  timeSeries(
    symbol: string,
    opts: {
      from: IsoDate;
      to: IsoDate;
      period?: StatementPeriod;
      module?: "financials" | "balance-sheet" | "cash-flow" | "all";
    },
  ): Promise<Filing[]>;
  /** Quarterly EPS actual/estimate and revenue/earnings from the `earnings` module. */
  earnings(symbol: string): Promise<Filing[]>;
  /** One option chain (nearest expiry, or `expiry`). */
  options(symbol: string, opts?: { expiry?: IsoDate }): Promise<OptionQuote[]>;
  /**
   * The chains of the nearest `expiries` expirations (default 3): the nearest one, then one request per further
   * expiry from the list the first response gives. Fewer when fewer are listed; any failed request fails all.
   */
  optionChains(symbol: string, opts?: { expiries?: number }): Promise<OptionQuote[]>;
  /** Quotes of several symbols in one request, as statistic rows (`quote.<field>`). */
  quote(symbols: readonly string[]): Promise<StatisticRow[]>;
}

// ---------------------------------------------------------------- value helpers

/** A number from a number, numeric string, `{raw}` or Date; `null` otherwise. */
export function yahooNumber(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === "string") {
    const n = Number(v);
    return v.trim() !== "" && Number.isFinite(n) ? n : null;
  }
  if (v && typeof v === "object" && typeof (v as { raw?: unknown }).raw === "number") {
    return (v as { raw: number }).raw;
  }
  return null;
}

/** Epoch ms from a Date, unix seconds, epoch ms, `{raw}` or a date string. */
export function yahooInstant(v: unknown): Instant | null {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "string") {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : null;
  }
  const n = yahooNumber(v);
  if (n === null) return null;
  return Math.abs(n) < 1e11 ? n * 1000 : n;
}

function utcDate(t: Instant): IsoDate {
  return new Date(t).toISOString().slice(0, 10);
}

/**
 * Conservative publication time of a statement without a known filing date: 17:30 New York (EDGAR's
 * same-day cut-off) on the SEC deadline, period end + 45 days (10-Q) or + 90 days (10-K), moved to the next
 * business day when it falls on a weekend or holiday.
 */
export function statementKnownAt(periodEnd: IsoDate, period: StatementPeriod): Instant {
  let d = addDays(periodEnd, period === "annual" ? 90 : 45);
  while (!isSession(d)) d = addDays(d, 1);
  return nyTime(d, 17, 30);
}

const IV_PLACEHOLDER_POWERS = Array.from({ length: 12 }, (_, k) => 2 ** -k);

/**
 * Yahoo's implied volatility, or NaN when it is a placeholder: below 0.001 (e.g. `1e-5`), a bisection
 * artefact (a power of two such as 0.5, 0.25, ... 0.0156 plus < 2e-5), or quoted without any market
 * (bid and ask both 0, e.g. recorded before the open).
 */
export function cleanImpliedVol(iv: unknown, bid: number, ask: number): number {
  const v = yahooNumber(iv);
  if (v === null || !(v >= 0.001)) return NaN;
  if (!(bid > 0) && !(ask > 0)) return NaN;
  for (const p of IV_PLACEHOLDER_POWERS) if (v >= p && v - p < 2e-5) return NaN;
  return v;
}

const INTERVAL_MS: Record<string, number> = {
  "1m": 60_000,
  "2m": 120_000,
  "5m": 300_000,
  "15m": 900_000,
  "30m": 1_800_000,
  "60m": 3_600_000,
  "90m": 5_400_000,
  "1h": 3_600_000,
};

// ---------------------------------------------------------------- shapes

const CHART_SHAPE: Shape = {
  meta: { symbol: "string" },
  timestamp: optional(arrayOf("any")),
  indicators: { quote: arrayOf("object") },
  events: optional("object"),
};
const QUOTE_ARRAYS: Shape = {
  open: arrayOf("number"),
  high: arrayOf("number"),
  low: arrayOf("number"),
  close: arrayOf("number"),
  volume: arrayOf("number"),
};
const DIVIDEND_SHAPE: Shape = { amount: "numeric", date: "numeric" };
const SPLIT_SHAPE: Shape = { date: "numeric", numerator: "numeric", denominator: "numeric" };
const OPTION_CONTRACT: Shape = { contractSymbol: "string", strike: "numeric", expiration: "numeric" };
const OPTIONS_SHAPE: Shape = {
  underlyingSymbol: "string",
  options: arrayOf({ calls: arrayOf(OPTION_CONTRACT), puts: arrayOf(OPTION_CONTRACT) }),
};
const NEWS_SHAPE: Shape = {
  news: arrayOf({ uuid: "string", title: "string", providerPublishTime: "numeric" }),
};
const QUOTE_SHAPE: Shape = arrayOf({ symbol: "string" });

// ---------------------------------------------------------------- errors

function mapError(err: unknown, symbol: string | undefined, what: string): DataSourceError {
  const sym = symbol ? ` ${symbol}` : "";
  if (err instanceof DataSourceError) {
    if (err.symbol === symbol && err.message.includes(what)) return err;
    const msg = err.message.startsWith(`${SOURCE}:`)
      ? err.message.slice(SOURCE.length + 1).trim()
      : err.message;
    return new DataSourceError(`${SOURCE}${sym} ${what}: ${msg}`, {
      source: SOURCE,
      symbol,
      status: err.status,
      cause: err,
      userError: err.userError,
    });
  }
  const name = err instanceof Error ? err.name : "";
  const msg = oneLine(err);
  let status: number | undefined;
  if (name === "HTTPError") status = Number((err as { code?: unknown }).code) || undefined;
  else if (
    name === "NotFoundError" || /not ?found|no (\w+ )?data found|delisted|no recorded response/i.test(msg)
  ) {
    status = 404;
  } else if (name === "BadRequestError") status = 400;
  else if (name === "UnauthorizedError") status = 401;
  const shape = name === "FailedYahooValidationError" || /^Unexpected result|No timestamp with/.test(msg) ||
    err instanceof TypeError;
  const text = shape ? `changed response shape: ${msg}` : status === 404 ? `not found: ${msg}` : msg;
  return new DataSourceError(`${SOURCE}${sym} ${what}: ${text}`, {
    source: SOURCE,
    symbol,
    status,
    cause: err,
    userError: status === 404,
  });
}

// ---------------------------------------------------------------- the source

// Loosely typed view of the library: results are validated by us, not by its types.
type Loose = (...args: unknown[]) => Promise<unknown>;
interface YahooApi {
  chart: Loose;
  quoteSummary: Loose;
  quote: Loose;
  options: Loose;
  search: Loose;
  fundamentalsTimeSeries: Loose;
}

/**
 * Creates the Yahoo source. Every call goes through yahoo-finance2 with the given `fetch` (wrapped with the
 * rate limit and retries); a replaying fetch makes the library's cookie/crumb handshake and every module run
 * offline.
 *
 * @example
 * ```ts ignore
 * const yahoo = createYahooSource({ fetch: await createReplayFetch(dir) });
 * const { bars, actions } = await yahoo.chart("AAPL", { from: "2020-08-31", to: "2020-11-06" });
 * ```
 */
export function createYahooSource(opts: YahooSourceOptions = {}): YahooSource {
  const clock = opts.clock ?? systemClock;
  const serverDates = new Map<string, number>();
  const http = sourceFetch(SOURCE, opts, 2, clock);
  // Remembers the server's Date header per path (observation time of snapshot data).
  const observingFetch: typeof fetch = async (input, init) => {
    const res = await http(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const t = Date.parse(res.headers.get("date") ?? "");
    if (Number.isFinite(t)) serverDates.set(observationKey(url), t);
    return res;
  };
  const log = opts.log ?? ((level, message) => console.warn(`[yahoo-finance2 ${level}] ${message}`));
  const logger = {
    info: () => {},
    debug: () => {},
    dir: () => {},
    warn: (...a: unknown[]) => log("warn", a.map(String).join(" ")),
    error: (...a: unknown[]) => log("error", a.map(String).join(" ")),
  };
  let apiPromise: Promise<YahooApi> | undefined;
  const yahooApi = () =>
    apiPromise ??= loadYahooFinance().then(([{ default: YahooFinance }, { ExtendedCookieJar }]) =>
      new YahooFinance({
        fetch: observingFetch,
        cookieJar: new ExtendedCookieJar(),
        suppressNotices: ["yahooSurvey", "ripHistorical"],
        versionCheck: false,
        validation: { logErrors: false, logOptionsErrors: false },
        queue: { concurrency: Math.max(1, opts.concurrency ?? 4) },
        logger,
      }) as unknown as YahooApi
    );
  const noValidate = { validateResult: false };
  const concurrency = opts.concurrency ?? 4;

  function observedAt(url: string): Instant {
    return serverDates.get(url) ?? clock.now();
  }

  async function call<T>(
    symbol: string | undefined,
    what: string,
    fn: (api: YahooApi) => Promise<T>,
  ): Promise<T> {
    try {
      return await fn(await yahooApi());
    } catch (err) {
      throw mapError(err, symbol, what);
    }
  }

  async function chartRaw(
    symbol: string,
    q: Record<string, unknown>,
    what: string,
  ): Promise<
    { ts: Instant[]; q: Record<string, (number | null)[]>; adj?: (number | null)[]; events: unknown }
  > {
    const ctx = { source: SOURCE, symbol };
    checkSymbol(symbol);
    const res = await call(symbol, what, (api) => api.chart(symbol, { ...q, return: "object" }, noValidate));
    return call(symbol, what, () => {
      const r = validateShape<Record<string, unknown>>(res, CHART_SHAPE, "chart.result[0]", ctx);
      checkAbout(symbol, (r.meta as { symbol: string }).symbol, "chart.result[0].meta.symbol");
      const stamps = (r.timestamp as unknown[] | undefined) ?? [];
      const ts = stamps.map((s) => yahooInstant(s) ?? NaN);
      const latest = clock.now() + FUTURE_SKEW_MS;
      for (const t of ts) {
        if (!(t >= EARLIEST && t <= latest)) {
          throw new DataSourceError(
            `${SOURCE} ${symbol} ${what}: timestamp ${String(t)} outside any plausible range (1900 to now)`,
            { source: SOURCE, symbol, userError: false },
          );
        }
      }
      const ind = r.indicators as { quote: Record<string, unknown>[]; adjclose?: { adjclose?: unknown }[] };
      if (ts.length === 0) return Promise.resolve({ ts, q: {}, events: r.events });
      const quote = validateShape<Record<string, (number | null)[]>>(
        ind.quote[0],
        QUOTE_ARRAYS,
        "chart.result[0].indicators.quote[0]",
        ctx,
      );
      for (const k of ["open", "high", "low", "close", "volume"]) {
        if (quote[k].length !== ts.length) {
          validateShape(
            undefined,
            "array",
            `chart.result[0].indicators.quote[0].${k}[${ts.length - 1}]`,
            ctx,
          );
        }
      }
      const adj = ind.adjclose?.[0]?.adjclose;
      return Promise.resolve({ ts, q: quote, adj: Array.isArray(adj) ? adj : undefined, events: r.events });
    });
  }

  /** Every dividend and split a chart response names (any date), validated, in date order. */
  function mapActions(symbol: string, events: unknown): CorporateAction[] {
    const out: CorporateAction[] = [];
    if (!events || typeof events !== "object") return out;
    const ev = events as { dividends?: Record<string, unknown>; splits?: Record<string, unknown> };
    const ctx = { source: SOURCE, symbol };
    for (const [k, d] of Object.entries(ev.dividends ?? {})) {
      validateShape(d, DIVIDEND_SHAPE, `chart.result[0].events.dividends.${k}`, ctx);
      const date = nyDate(yahooInstant((d as { date: unknown }).date)!);
      out.push({
        symbol,
        date,
        kind: "dividend",
        value: yahooNumber((d as { amount: unknown }).amount)!,
        knownAt: openTime(date),
      });
    }
    for (const [k, s] of Object.entries(ev.splits ?? {})) {
      validateShape(s, SPLIT_SHAPE, `chart.result[0].events.splits.${k}`, ctx);
      const sp = s as { date: unknown; numerator: unknown; denominator: unknown };
      const date = nyDate(yahooInstant(sp.date)!);
      const den = yahooNumber(sp.denominator)!;
      out.push({
        symbol,
        date,
        kind: "split",
        value: den === 0 ? NaN : yahooNumber(sp.numerator)! / den,
        knownAt: openTime(date),
      });
    }
    return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.kind < b.kind ? -1 : 1));
  }

  async function chart(
    symbol: string,
    o: ChartOptions,
  ): Promise<{ bars: Bar[]; actions: CorporateAction[]; skipped: SkippedRecord[] }> {
    checkRange(o.from, o.to);
    const q: Record<string, unknown> = { period1: o.from, period2: addDays(o.to, 1), interval: "1d" };
    if (o.events !== undefined) q.events = o.events;
    const raw = await chartRaw(symbol, q, "chart");
    const byDate = new Map<IsoDate, Bar>();
    const skipped: SkippedRecord[] = [];
    let outside = 0;
    for (let i = 0; i < raw.ts.length; i++) {
      const date = nyDate(raw.ts[i]);
      if (date < o.from || date > o.to) {
        outside++;
        continue;
      }
      const close = raw.q.close[i];
      if (close === null || close === undefined) {
        skipped.push({ symbol, date, reason: "missing close" });
        continue;
      }
      const adj = raw.adj?.[i];
      byDate.set(date, {
        symbol,
        date,
        open: raw.q.open[i] ?? NaN,
        high: raw.q.high[i] ?? NaN,
        low: raw.q.low[i] ?? NaN,
        close,
        adjClose: typeof adj === "number" ? adj : close,
        volume: raw.q.volume[i] ?? 0,
        knownAt: barKnownAt(symbol, date),
      });
    }
    if (byDate.size === 0 && skipped.length === 0 && outside > 0) {
      throw new DataSourceError(
        `${SOURCE} ${symbol} chart: the response holds ${outside} bars, none in ${o.from}..${o.to}`,
        { source: SOURCE, symbol, userError: false },
      );
    }
    const sorted = [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
    // Yahoo's daily quotes are split-adjusted to the day they are fetched; bars are stored as traded (the
    // dataset applies each split at its ex-date, point in time), so every split the response names is undone
    // on the bars before its ex-date, and so is every known split (`o.splits`, the store's) it does not name
    // whose ex-date is on or before the response's day. A split after the response's range that is not known
    // either keeps its scale: the collector re-fetches a symbol's stored bars when a response names a new one.
    // every action the response names, mapped once: all its splits undo the scale, those in range are returned
    const named = await call(
      symbol,
      "chart",
      () => Promise.resolve(mapActions(symbol, raw.events)),
    );
    const seen = nyDate(observedAt(`/v8/finance/chart/${symbol}`));
    const namedSplits = new Set(named.filter((a) => a.kind === "split").map((a) => a.date));
    const known = (o.splits ?? []).filter((a) =>
      a.kind === "split" && a.symbol === symbol && a.date <= seen && !namedSplits.has(a.date)
    );
    const splits = [...named, ...known].filter((a) =>
      a.kind === "split" && Number.isFinite(a.value) && a.value > 0 && a.value !== 1
    );
    for (const sp of splits) {
      for (const b of sorted) {
        if (b.date >= sp.date) break;
        b.open *= sp.value;
        b.high *= sp.value;
        b.low *= sp.value;
        b.close *= sp.value;
        b.volume = Math.round(b.volume / sp.value);
      }
      // Yahoo's dividends are split-adjusted too: one paid before the split is stored as paid (per share as
      // traded then), in the scale of the bars beside it (and as Nasdaq's dividend history states it)
      for (const d of named) if (d.kind === "dividend" && d.date < sp.date) d.value *= sp.value;
    }
    const checked = await call(
      symbol,
      "chart",
      () => Promise.resolve(checkBars(SOURCE, sorted, { now: clock.now(), strict: o.strict })),
    );
    if (o.strict && skipped.length) {
      throw new DataSourceError(
        `${SOURCE} ${symbol} chart: strict: ${skipped.length} bars without a close (${skipped[0].date}...)`,
        { source: SOURCE, symbol, userError: false },
      );
    }
    const actions = named.filter((a) => a.date >= o.from && a.date <= o.to);
    return { bars: checked.bars, actions, skipped: [...skipped, ...checked.skipped] };
  }

  async function intraday(
    symbol: string,
    o: { from: IsoDate; to: IsoDate; interval?: string; includePrePost?: boolean },
  ): Promise<IntradayBar[]> {
    checkRange(o.from, o.to);
    checkSymbol(symbol);
    const interval = o.interval ?? "5m";
    const step = INTERVAL_MS[interval];
    if (!step) throw new RangeError(`unsupported intraday interval ${interval}`);
    const raw = await chartRaw(symbol, {
      period1: o.from,
      period2: addDays(o.to, 1),
      interval,
      includePrePost: o.includePrePost ?? false,
    }, "chart");
    const out: IntradayBar[] = [];
    for (let i = 0; i < raw.ts.length; i++) {
      const close = raw.q.close[i];
      if (close === null || close === undefined || !Number.isFinite(raw.ts[i])) continue;
      out.push({
        symbol,
        date: nyDate(raw.ts[i]),
        start: raw.ts[i],
        open: raw.q.open[i] ?? NaN,
        high: raw.q.high[i] ?? NaN,
        low: raw.q.low[i] ?? NaN,
        close,
        adjClose: close,
        volume: raw.q.volume[i] ?? 0,
        knownAt: raw.ts[i] + step,
      });
    }
    return out;
  }

  async function quoteSummaryModule(
    symbol: string,
    module: string,
  ): Promise<{ data: Record<string, unknown>; at: Instant }> {
    checkSymbol(symbol);
    const res = await call(
      symbol,
      `quoteSummary ${module}`,
      (api) => api.quoteSummary(symbol, { modules: [module] }, noValidate),
    );
    const at = observedAt(`/v10/finance/quoteSummary/${symbol}`);
    const r = await call(symbol, `quoteSummary ${module}`, () =>
      Promise.resolve(
        validateShape<Record<string, Record<string, unknown>>>(
          res,
          { [module]: "object" },
          "quoteSummary.result[0]",
          { source: SOURCE, symbol },
        ),
      ));
    return { data: r[module], at };
  }

  function numericFields(
    obj: Record<string, unknown>,
    skip: ReadonlySet<string>,
  ): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (skip.has(k)) continue;
      if (v && typeof v === "object" && !(v instanceof Date) && Object.keys(v).length === 0) out[k] = null;
      else if (typeof v === "number" || (v && typeof v === "object" && "raw" in v)) out[k] = yahooNumber(v);
    }
    return out;
  }

  async function statistics(
    symbol: string,
    o: { modules?: readonly string[] } = {},
  ): Promise<StatisticRow[]> {
    const rows: StatisticRow[] = [];
    const modules = o.modules ?? STATISTICS_MODULES;
    let missing: DataSourceError | undefined, found = 0;
    for (const module of modules) {
      let got: Awaited<ReturnType<typeof quoteSummaryModule>>;
      try {
        got = await quoteSummaryModule(symbol, module);
      } catch (e) {
        // a module Yahoo has nothing in for this symbol (an ETF has no financialData): the others are kept; a
        // symbol with none of them fails below
        if (e instanceof DataSourceError && /not found/i.test(e.message)) {
          missing ??= e;
          continue;
        }
        throw e;
      }
      found++;
      const { data, at } = got;
      const date = nyDate(at);
      for (const [k, v] of Object.entries(numericFields(data, new Set(["maxAge"])))) {
        if (v !== null) rows.push({ symbol, date, name: `${module}.${k}`, value: v, knownAt: at });
      }
    }
    if (!found && missing) throw missing;
    return rows;
  }

  async function statements(
    symbol: string,
    o: { period?: StatementPeriod | "both"; kinds?: readonly StatementKind[] } = {},
  ): Promise<Filing[]> {
    const periods: StatementPeriod[] = o.period === "annual"
      ? ["annual"]
      : o.period === "quarterly"
      ? ["quarterly"]
      : ["annual", "quarterly"];
    const out: Filing[] = [];
    for (const kind of o.kinds ?? (["income", "balance", "cashflow"] as const)) {
      for (const period of periods) {
        const m = STATEMENT_MODULES[kind];
        const module = m[period];
        const { data } = await quoteSummaryModule(symbol, module);
        const list = await call(symbol, `quoteSummary ${module}`, () =>
          Promise.resolve(
            validateShape<Record<string, unknown>[]>(
              data[m.list],
              arrayOf({ endDate: "numeric" }),
              `quoteSummary.result[0].${module}.${m.list}`,
              { source: SOURCE, symbol },
            ),
          ));
        for (const st of list) {
          const periodEnd = utcDate(yahooInstant(st.endDate)!);
          out.push({
            id: `yahoo:${symbol}:${module}:${periodEnd}`,
            symbol,
            kind: period,
            periodEnd,
            source: SOURCE,
            fields: numericFields(st, new Set(["maxAge", "endDate"])),
            meta: { module, statement: kind },
            knownAt: statementKnownAt(periodEnd, period),
          });
        }
      }
    }
    return out;
  }

  async function timeSeries(
    symbol: string,
    o: { from: IsoDate; to: IsoDate; period?: StatementPeriod; module?: string },
  ): Promise<Filing[]> {
    checkRange(o.from, o.to);
    checkSymbol(symbol);
    const period = o.period ?? "quarterly";
    const module = o.module ?? "all";
    const what = `fundamentalsTimeSeries ${module} ${period}`;
    const res = await call(symbol, what, (api) =>
      api.fundamentalsTimeSeries(
        symbol,
        { period1: o.from, period2: addDays(o.to, 1), type: period, module },
        noValidate,
      ));
    const rows = await call(symbol, what, () =>
      Promise.resolve(
        validateShape<Record<string, unknown>[]>(res, arrayOf({ date: "numeric" }), "timeseries.result", {
          source: SOURCE,
          symbol,
        }),
      ));
    return rows.map((r) => {
      const periodEnd = utcDate(yahooInstant(r.date)!);
      return {
        id: `yahoo:${symbol}:fts-${module}-${period}:${periodEnd}`,
        symbol,
        kind: period,
        periodEnd,
        source: SOURCE,
        fields: numericFields(r, new Set(["date", "TYPE", "periodType"])),
        meta: { module: `fundamentalsTimeSeries:${module}`, periodType: r.periodType },
        knownAt: statementKnownAt(periodEnd, period),
      } satisfies Filing;
    }).sort((a, b) => (a.periodEnd < b.periodEnd ? -1 : 1));
  }

  async function earnings(symbol: string): Promise<Filing[]> {
    const { data } = await quoteSummaryModule(symbol, "earnings");
    const ctx = { source: SOURCE, symbol };
    type Q = { date: string; actual?: unknown; estimate?: unknown; revenue?: unknown; earnings?: unknown };
    const e = await call(symbol, "quoteSummary earnings", () =>
      Promise.resolve(
        validateShape<{ earningsChart: { quarterly: Q[] }; financialsChart?: { quarterly?: Q[] } }>(
          data,
          {
            earningsChart: { quarterly: arrayOf({ date: "string" }) },
            financialsChart: optional({ quarterly: optional(arrayOf({ date: "string" })) }),
          },
          "quoteSummary.result[0].earnings",
          ctx,
        ),
      ));
    const byQuarter = new Map<string, Record<string, number | null>>();
    for (const q of e.earningsChart.quarterly) {
      byQuarter.set(q.date, { epsActual: yahooNumber(q.actual), epsEstimate: yahooNumber(q.estimate) });
    }
    for (const q of e.financialsChart?.quarterly ?? []) {
      byQuarter.set(q.date, {
        ...(byQuarter.get(q.date) ?? {}),
        revenue: yahooNumber(q.revenue),
        earnings: yahooNumber(q.earnings),
      });
    }
    const out: Filing[] = [];
    for (const [label, fields] of byQuarter) {
      const m = /^([1-4])Q(\d{4})$/.exec(label);
      if (!m) continue;
      // Yahoo labels calendar quarters ("4Q2024" is the quarter ending in December 2024).
      const end = quarterEnd(+m[2], +m[1]);
      out.push({
        id: `yahoo:${symbol}:earnings:${label}`,
        symbol,
        kind: "earnings",
        periodEnd: end,
        source: SOURCE,
        fields,
        meta: { quarter: label },
        knownAt: statementKnownAt(end, "quarterly"),
      });
    }
    return out.sort((a, b) => (a.periodEnd! < b.periodEnd! ? -1 : 1));
  }

  async function chainOf(
    symbol: string,
    o: { expiry?: IsoDate } = {},
  ): Promise<{ quotes: OptionQuote[]; expirations: IsoDate[] }> {
    checkSymbol(symbol);
    const q: Record<string, unknown> = {};
    if (o.expiry) q.date = o.expiry;
    const res = await call(symbol, "options", (api) => api.options(symbol, q, noValidate));
    const at = observedAt(`/v7/finance/options/${symbol}`);
    const chain = await call(symbol, "options", () =>
      Promise.resolve(
        validateShape<{
          options: { calls: Record<string, unknown>[]; puts: Record<string, unknown>[] }[];
          expirationDates?: unknown[];
          quote?: Record<string, unknown>;
        }>(
          res,
          OPTIONS_SHAPE,
          "optionChain.result[0]",
          { source: SOURCE, symbol },
        ),
      ));
    checkAbout(
      symbol,
      (chain as unknown as { underlyingSymbol: unknown }).underlyingSymbol,
      "underlyingSymbol",
    );
    const underlying = yahooNumber(chain.quote?.regularMarketPrice) ?? undefined;
    const out: OptionQuote[] = [];
    for (const group of chain.options) {
      for (const [right, list] of [["call", group.calls], ["put", group.puts]] as const) {
        for (const c of list) {
          const bid = yahooNumber(c.bid) ?? 0;
          const ask = yahooNumber(c.ask) ?? 0;
          const traded = yahooInstant(c.lastTradeDate);
          out.push({
            symbol,
            contract: String(c.contractSymbol),
            expiry: utcDate(yahooInstant(c.expiration)!),
            strike: yahooNumber(c.strike)!,
            right,
            bid,
            ask,
            last: yahooNumber(c.lastPrice) ?? NaN,
            volume: yahooNumber(c.volume) ?? 0,
            openInterest: yahooNumber(c.openInterest) ?? 0,
            impliedVolatility: cleanImpliedVol(c.impliedVolatility, bid, ask),
            knownAt: at,
            ...(underlying !== undefined && underlying > 0 ? { underlying } : {}),
            ...(traded !== null ? { lastTradeAt: traded } : {}),
          });
        }
      }
    }
    const expirations = (chain.expirationDates ?? [])
      .map((v) => yahooInstant(v))
      .filter((v): v is number => v !== null)
      .map(utcDate)
      .sort();
    return { quotes: out, expirations };
  }

  async function options(symbol: string, o: { expiry?: IsoDate } = {}): Promise<OptionQuote[]> {
    return (await chainOf(symbol, o)).quotes;
  }

  async function optionChains(symbol: string, o: { expiries?: number } = {}): Promise<OptionQuote[]> {
    const n = o.expiries ?? 3;
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`expiries must be an integer >= 1, got ${n}`);
    const first = await chainOf(symbol);
    const have = new Set(first.quotes.map((q) => q.expiry));
    const out = [...first.quotes];
    for (const e of first.expirations) {
      if (have.size >= n) break;
      if (have.has(e) || (have.size && e < [...have].sort()[0])) continue;
      out.push(...await options(symbol, { expiry: e }));
      have.add(e);
    }
    return out;
  }

  async function newsFor(symbol: string, from?: IsoDate, to?: IsoDate): Promise<NewsItem[]> {
    checkSymbol(symbol);
    const res = await call(symbol, "search", (api) => api.search(symbol, {}, noValidate));
    const r = await call(symbol, "search", () =>
      Promise.resolve(
        validateShape<{ news: Record<string, unknown>[] }>(res, NEWS_SHAPE, "search", {
          source: SOURCE,
          symbol,
        }),
      ));
    const out: NewsItem[] = [];
    for (const n of r.news) {
      const publishedAt = yahooInstant(n.providerPublishTime)!;
      const day = nyDate(publishedAt);
      if ((from && day < from) || (to && day > to)) continue;
      const related = Array.isArray(n.relatedTickers) ? n.relatedTickers.map(String) : [];
      out.push({
        id: `yahoo:${n.uuid}`,
        symbols: related.length ? related : [symbol],
        publishedAt,
        headline: String(n.title),
        source: typeof n.publisher === "string" ? `yahoo/${n.publisher}` : SOURCE,
        ...(typeof n.link === "string" ? { url: n.link } : {}),
        knownAt: publishedAt,
      });
    }
    return out.sort((a, b) => a.publishedAt - b.publishedAt);
  }

  async function quote(symbols: readonly string[]): Promise<StatisticRow[]> {
    if (symbols.length === 0) return [];
    checkSymbols([...symbols]);
    const what = "quote";
    const res = await call(symbols.join(","), what, (api) => api.quote([...symbols], {}, noValidate));
    const list = await call(
      symbols.join(","),
      what,
      () =>
        Promise.resolve(validateShape<Record<string, unknown>[]>(res, QUOTE_SHAPE, "quoteResponse.result", {
          source: SOURCE,
          symbol: symbols.join(","),
        })),
    );
    const rows: StatisticRow[] = [];
    const asked = new Set(symbols.map((s) => s.toUpperCase()));
    for (const q of list) {
      const symbol = String(q.symbol);
      if (!asked.has(symbol.toUpperCase())) {
        checkAbout(symbols.join(","), symbol, "quoteResponse.result[].symbol");
      }
      const at = yahooInstant(q.regularMarketTime) ?? clock.now();
      const date = nyDate(at);
      for (const [k, v] of Object.entries(q)) {
        if (typeof v !== "number" || !Number.isFinite(v) || /Time$|Timestamp|Milliseconds|Date$/i.test(k)) {
          continue;
        }
        rows.push({ symbol, date, name: `quote.${k}`, value: v, knownAt: at });
      }
    }
    return rows;
  }

  async function many<T>(
    symbols: readonly string[],
    what: string,
    fn: (s: string) => Promise<T>,
  ): Promise<Map<string, T>> {
    const res = await collectMany(symbols, fn, { concurrency });
    for (const f of res.failed) opts.onSymbolError?.(f.symbol, f.error);
    if (res.failed.length && !opts.onSymbolError) {
      throw new DataSourceError(
        `${SOURCE} ${what}: ${res.failed.length} of ${symbols.length} symbols failed: ` +
          res.failed.map((f) => `${f.symbol} (${oneLine(f.error)})`).join("; "),
        {
          source: SOURCE,
          symbol: res.failed.map((f) => f.symbol).join(","),
          status: (res.failed[0].error as { status?: number }).status,
          cause: res.failed[0].error,
          userError: false,
        },
      );
    }
    return new Map(res.ok.map((o) => [o.symbol, o.value]));
  }

  // The collect step asks for bars() and then actions() of the same range: both come from one chart response,
  // so a response is reused for a minute (at most 2,000 kept) instead of being fetched twice.
  const recent = new Map<string, { at: number; value: ReturnType<typeof chart> }>();
  function chartOnce(symbol: string, o: { from: IsoDate; to: IsoDate }): ReturnType<typeof chart> {
    const key = `${symbol}|${o.from}|${o.to}`;
    const hit = recent.get(key);
    if (hit && Date.now() - hit.at < 60_000) return hit.value;
    const value = chart(symbol, { from: o.from, to: o.to });
    recent.delete(key);
    recent.set(key, { at: Date.now(), value });
    value.catch(() => recent.delete(key));
    if (recent.size > 2000) recent.delete(recent.keys().next().value!);
    return value;
  }

  return {
    name: "yahoo",
    bars: async (req) => {
      checkRequest(req);
      const out = await many(req.symbols, "bars", async (s) => (await chartOnce(s, req)).bars);
      checkNotEmpty(SOURCE, req, out);
      return out;
    },
    actions: async (req) => {
      checkRequest(req);
      const out = await many(req.symbols, "actions", async (s) => (await chartOnce(s, req)).actions);
      return [...out.values()].flat().sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    },
    news: async (req) => {
      checkRequest(req);
      const out = await many(req.symbols, "news", (s) => newsFor(s, req.from, req.to));
      const byId = new Map<string, NewsItem>();
      for (const n of [...out.values()].flat()) byId.set(n.id, n);
      return [...byId.values()].sort((a, b) => a.publishedAt - b.publishedAt);
    },
    latestNews: (symbol) => newsFor(symbol),
    chart,
    intraday,
    statistics,
    statements,
    timeSeries: (symbol, o) => timeSeries(symbol, o),
    earnings,
    options,
    optionChains,
    quote,
  };
}

function quarterEnd(year: number, q: number): IsoDate {
  const month = q * 3;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, "0")}-${String(last).padStart(2, "0")}`;
}

function checkRange(from: IsoDate, to: IsoDate): void {
  const re = /^\d{4}-\d{2}-\d{2}$/;
  if (!re.test(from) || !re.test(to)) throw new InputError(`dates must be YYYY-MM-DD, got ${from}..${to}`);
  if (from > to) throw new InputError(`empty date range: from ${from} is after to ${to}`);
}

/** 1900-01-01: no daily market data is older. */
const EARLIEST = Date.UTC(1900, 0, 1);

/** Refuses a response that is about another symbol than the one asked for. */
function checkAbout(asked: string, answered: unknown, path: string): void {
  if (typeof answered === "string" && answered.toUpperCase() === asked.toUpperCase()) return;
  throw new DataSourceError(
    `${SOURCE} ${asked}: the response is about ${JSON.stringify(answered)} (${path}), not ${asked}`,
    { source: SOURCE, symbol: asked, userError: false },
  );
}

function observationKey(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
