/**
 * The paper scorecard of issued signals: once the traded return of a decision date is known (fill at the next
 * session's open, exit at the open after), each day's signals are scored: how many traded, how many were on the
 * right side, the P&L of the sized positions after costs, and the cross-sectional IC of score and return; and
 * the book they make: its return after the costs of its turnover from the previous session's book, beside the
 * equal-weight return of the same symbols.
 * @module
 */
import { spearman } from "../models/mod.ts";
import type { Row } from "../store/mod.ts";
import { computeMetrics } from "./metrics.ts";

/** One issued signal of a day, as scored. */
export interface ScoredInput {
  symbol: string;
  /** Target position in [-1, 1]. */
  size: number;
  /** The score the position came from (NaN when unknown: left out of the IC). */
  score: number;
}

/** A scored day. */
export interface DayScore {
  /** Signals with a known return. */
  n: number;
  /** Of those, with a position (size != 0). */
  traded: number;
  /** Traded signals whose sign matched the return's (a zero return is a miss). */
  hits: number;
  /** Mean over the `n` symbols of `size * return - 2 * cost * |size|` (one round trip). */
  pnl: number;
  /** Spearman correlation of score and return over the `n` symbols (NaN below 3 symbols or no spread). */
  ic: number;
  /**
   * The book's return, as a fraction of capital: `Σ size x return` over the symbols with a known return, less
   * `cost x turnover` (the sizes are portfolio weights, so this is what the book earned from the next open to
   * the open after).
   */
  bookPnl: number;
  /**
   * `Σ |size - previous size|` over the day's symbols and the previous book's (a name the previous book held
   * and this day's signals leave out is sold): what the day's orders trade, as a fraction of capital. Without a
   * previous book the day starts from cash.
   */
  turnover: number;
  /** Equal-weight mean return of the `n` symbols (no costs): holding the scored universe instead. NaN when `n` is 0. */
  benchmark: number;
}

/** Names a day's IC needs (a rank correlation of fewer says nothing); under it the day has no IC. */
export const MIN_IC_NAMES = 3;

/**
 * Scores one day: `returns` maps a symbol to its traded return (next open to the open after); symbols without
 * one are left out of the counts, the IC, the per-signal P&L and the benchmark, and earn nothing in the book.
 * `costBps` is charged per side. `previous` maps each symbol to its size in the book the day's orders trade from
 * (the same system's signals of the previous session); null or absent: the book starts from cash.
 */
export function scoreDay(
  signals: readonly ScoredInput[],
  returns: ReadonlyMap<string, number>,
  costBps: number,
  previous: ReadonlyMap<string, number> | null = null,
): DayScore {
  const c = costBps / 10_000;
  let n = 0, traded = 0, hits = 0, pnl = 0, gross = 0, turnover = 0, sum = 0;
  const sc: number[] = [], rt: number[] = [];
  const seen = new Set<string>();
  for (const s of signals) {
    if (seen.has(s.symbol)) throw new RangeError(`scorecard: ${s.symbol} is signalled twice on one day`);
    seen.add(s.symbol);
    turnover += Math.abs(s.size - (previous?.get(s.symbol) ?? 0));
    const r = returns.get(s.symbol);
    if (r === undefined || !Number.isFinite(r)) continue;
    n++;
    sum += r;
    if (s.size !== 0) {
      traded++;
      if (Math.sign(s.size) === Math.sign(r)) hits++;
    }
    gross += s.size * r;
    pnl += s.size * r - 2 * c * Math.abs(s.size);
    if (Number.isFinite(s.score)) {
      sc.push(s.score);
      rt.push(r);
    }
  }
  for (const [symbol, size] of previous ?? []) if (!seen.has(symbol)) turnover += Math.abs(size);
  const ic = sc.length >= MIN_IC_NAMES ? spearman(sc, rt) : NaN;
  return {
    n,
    traded,
    hits,
    pnl: n ? pnl / n : 0,
    ic,
    bookPnl: gross - c * turnover,
    turnover,
    benchmark: n ? sum / n : NaN,
  };
}

/** A stored scored day as {@link scorecardTotals} reads it (`bookPnl`, `turnover`, `benchmark` null before they were recorded). */
export interface StoredDayScore {
  n: number;
  traded: number;
  hits: number;
  pnl: number;
  ic: number | null;
  bookPnl: number | null;
  turnover: number | null;
  benchmark: number | null;
}

/** Totals of scored days (one model version and source, dates ascending). */
export interface ScorecardTotals {
  days: number;
  signals: number;
  traded: number;
  /** `hits / traded` (null without a traded signal). */
  hitRate: number | null;
  /** Sum of the days' per-signal P&L. */
  pnl: number;
  meanDailyPnl: number | null;
  meanIc: number | null;
  /** Mean IC over its sample standard deviation (null below 2 days with an IC or no spread). */
  icir: number | null;
  /** Days with the book's return recorded (the book totals below are over these). */
  bookDays: number;
  /** The book's compounded return `Π (1 + bookPnl) - 1` (null without a book day). */
  bookReturn: number | null;
  /** The equal-weight benchmark compounded over the same days. */
  benchmarkReturn: number | null;
  /** Annualized Sharpe of the book's daily returns, `mean / sd x √252` (null below 2 days or no spread). */
  bookSharpe: number | null;
  /** The book's largest peak-to-trough fall over those days (a non-positive fraction). */
  bookMaxDrawdown: number | null;
  /** Mean daily turnover (fraction of capital traded per day). */
  meanTurnover: number | null;
}

const mean = (v: readonly number[]) => v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
const finite = (v: number) => Number.isFinite(v) ? v : null;

/** Totals of a run of scored days: hit rate, per-signal P&L, IC and ICIR, and the book's compounded return. */
export function scorecardTotals(g: readonly StoredDayScore[]): ScorecardTotals {
  const traded = g.reduce((a, r) => a + r.traded, 0);
  const hits = g.reduce((a, r) => a + r.hits, 0);
  const pnl = g.reduce((a, r) => a + r.pnl, 0);
  const ics = g.map((r) => r.ic).filter((v): v is number => v !== null && Number.isFinite(v));
  const none = { turnover: 0, hitRate: NaN, trades: 0, exposure: 0 };
  // per period (`periodsPerYear` 1): the IC's Sharpe-like ratio mean / sd is its ICIR
  const ic = computeMetrics(Float64Array.from(ics), none, 1);
  const book = g.filter((r) => r.bookPnl !== null && Number.isFinite(r.bookPnl));
  const m = computeMetrics(Float64Array.from(book, (r) => r.bookPnl!), none);
  const bench = computeMetrics(Float64Array.from(book, (r) => r.benchmark ?? 0), none);
  return {
    days: g.length,
    signals: g.reduce((a, r) => a + r.n, 0),
    traded,
    hitRate: traded ? hits / traded : null,
    pnl,
    meanDailyPnl: g.length ? pnl / g.length : null,
    meanIc: mean(ics),
    icir: finite(ic.sharpe),
    bookDays: book.length,
    bookReturn: book.length ? m.totalReturn : null,
    benchmarkReturn: book.length ? bench.totalReturn : null,
    bookSharpe: finite(m.sharpe),
    bookMaxDrawdown: book.length ? m.maxDrawdown : null,
    meanTurnover: mean(book.map((r) => r.turnover ?? 0)),
  };
}

/** A stored `scorecard` row (lib/store `SCORECARD`) as a scored day; a NULL column reads as null. */
export function storedDayScore(r: Row): StoredDayScore {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    n: Number(r.n),
    traded: Number(r.traded),
    hits: Number(r.hits),
    pnl: Number(r.pnl),
    ic: num(r.ic),
    bookPnl: num(r.book_pnl),
    turnover: num(r.turnover),
    benchmark: num(r.benchmark),
  };
}

/** Totals of stored `scorecard` rows (one model version and source, dates ascending). */
export function scorecardRowTotals(rows: readonly Row[]): ScorecardTotals {
  return scorecardTotals(rows.map(storedDayScore));
}
