/**
 * The market data source interface: every source (CSV files, the synthetic market, Yahoo, Nasdaq) turns the
 * outside world into core records (`Bar`, `CorporateAction`, `NewsItem`) that carry `knownAt`.
 * @module
 */
import { checkSymbols, dayNumber, InputError, sessions } from "../core/mod.ts";
import type { Bar, CorporateAction, IsoDate, NewsItem } from "../core/mod.ts";

/** What to fetch: symbols and an inclusive session-date range. */
export interface BarRequest {
  symbols: string[];
  /** First session date, inclusive. */
  from: IsoDate;
  /** Last session date, inclusive. */
  to: IsoDate;
}

/**
 * A source of market data. Contract for every implementation:
 * - `bars` returns one entry per requested symbol, bars in ascending date order, `knownAt = closeTime(date)`;
 *   a symbol with no bars inside the range maps to an empty array.
 * - an unknown symbol throws `DataSourceError` (userError) naming it;
 * - a symbol outside the documented pattern (`SYMBOL_PATTERN` in `lib/core`), `from > to`, a range without
 *   sessions, or a range where no requested symbol has any bar throws `InputError` (one line; the range
 *   messages start `empty date range`), before anything is fetched;
 * - every record returned passes the shared plausibility rules ({@linkcode checkBars}: no negative, zero or
 *   absurd prices, high >= low, no negative volume, `knownAt` not in the future) or the call throws.
 */
export interface MarketSource {
  /** Short name used in errors and provenance (`csv`, `synthetic`, `yahoo`). */
  readonly name: string;
  /** Symbols this source can serve (may be expensive; optional). */
  listSymbols?(): Promise<string[]>;
  /** Daily bars per symbol, ascending by date. */
  bars(req: BarRequest): Promise<Map<string, Bar[]>>;
  /**
   * The first and last date the source holds for `symbols`, when its data is fixed (CSV files): a range past
   * it has no bar there, ever (null when they have none). Live sources, whose data grows, have none.
   */
  extent?(symbols: string[]): Promise<readonly [IsoDate, IsoDate] | null>;
  /** Splits and dividends with ex-date in the range. */
  actions?(req: BarRequest): Promise<CorporateAction[]>;
  /** News items about the symbols published in the range (sorted by `publishedAt`). */
  news?(req: BarRequest): Promise<NewsItem[]>;
}

/**
 * Validates a request once, before anything is fetched: every symbol against the documented pattern, dates as
 * `YYYY-MM-DD`, and the range (`InputError("empty date range ...")` when `from > to` or the range holds no
 * trading session). Sources call it first, so no symbol reaches a URL, a key or a query unchecked.
 */
export function checkRequest(req: BarRequest): void {
  if (!req || typeof req !== "object") throw new InputError("request must name symbols, from and to");
  checkSymbols(req.symbols, "symbols");
  let a: number, b: number;
  try {
    a = dayNumber(req.from);
    b = dayNumber(req.to);
  } catch (e) {
    throw new InputError(`bad date range ${req.from}..${req.to}: ${(e as Error).message}`, { cause: e });
  }
  if (a > b) throw new InputError(`empty date range: from ${req.from} is after to ${req.to}`);
  // every span of 10+ calendar days holds a session (the longest closure since 1971 is 4 weekdays)
  if (b - a < 10 && sessions(req.from, req.to).length === 0) {
    throw new InputError(`empty date range: no trading session between ${req.from} and ${req.to}`);
  }
}

/** Throws `InputError("empty date range ...")` when every series in `out` is empty. */
export function checkNotEmpty(
  source: string,
  req: BarRequest,
  out: Map<string, Bar[]>,
  covers?: string,
): void {
  for (const v of out.values()) if (v.length > 0) return;
  throw new InputError(
    `empty date range: ${source} has no bars for ${req.symbols.join(",")} between ${req.from} and ${req.to}` +
      (covers ? ` (data covers ${covers})` : ""),
  );
}
