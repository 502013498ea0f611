/**
 * The paper scorecard of issued signals: once the traded return of a decision date is known (fill at the next
 * session's open, exit at the open after), each day's signals are scored: how many traded, how many were on the
 * right side, the P&L of the sized positions after costs, and the cross-sectional IC of score and return.
 * @module
 */
import { spearman } from "../models/mod.ts";

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
}

/**
 * Scores one day: `returns` maps a symbol to its traded return (next open to the open after); symbols without
 * one are left out. `costBps` is charged per side.
 */
export function scoreDay(
  signals: readonly ScoredInput[],
  returns: ReadonlyMap<string, number>,
  costBps: number,
): DayScore {
  const c = costBps / 10_000;
  let n = 0, traded = 0, hits = 0, pnl = 0;
  const sc: number[] = [], rt: number[] = [];
  for (const s of signals) {
    const r = returns.get(s.symbol);
    if (r === undefined || !Number.isFinite(r)) continue;
    n++;
    if (s.size !== 0) {
      traded++;
      if (Math.sign(s.size) === Math.sign(r)) hits++;
    }
    pnl += s.size * r - 2 * c * Math.abs(s.size);
    if (Number.isFinite(s.score)) {
      sc.push(s.score);
      rt.push(r);
    }
  }
  const ic = sc.length >= 3 ? spearman(sc, rt) : NaN;
  return { n, traded, hits, pnl: n ? pnl / n : 0, ic };
}
