/**
 * Folder-private: the plausibility rules every source applies to its records before returning them, the same
 * rules the CSV source applies to its rows. A record that breaks them is refused (`DataValidationError` naming
 * source, symbol and date), never stored as fact.
 * @module
 */
import { type Bar, DataValidationError, type Instant, type Known } from "../core/mod.ts";

/** The price and volume columns of one symbol's series, one value per bar. */
export type BarColumns = Record<"open" | "high" | "low" | "close" | "adjClose" | "volume", ArrayLike<number>>;

/** The bar at index `i` of one symbol's columns, dated `date` and known at `knownAt`. */
export function barAt(symbol: string, date: string, c: BarColumns, i: number, knownAt: Instant): Bar {
  return {
    symbol,
    date,
    open: c.open[i],
    high: c.high[i],
    low: c.low[i],
    close: c.close[i],
    adjClose: c.adjClose[i],
    volume: c.volume[i],
    knownAt,
  };
}

/** The largest price taken as real (no listed share or index has traded above it). */
export const MAX_PRICE = 1e8;
/** The largest daily volume taken as real. */
export const MAX_VOLUME = 1e14;
/** How far a record's `knownAt` may lie past the fetch time (clock skew between us and the server). */
export const FUTURE_SKEW_MS = 5 * 60_000;

/** What is wrong with a bar's values: malformed (refused), a missing value, or inconsistent prices. */
export interface BarFault {
  kind: "malformed" | "missing" | "inconsistent";
  reason: string;
}

/**
 * The rules, in order: a negative price or volume, or one beyond {@linkcode MAX_PRICE} /
 * {@linkcode MAX_VOLUME}, is malformed; a NaN value or a price of exactly 0 (vendors print 0 for "unknown") is
 * missing; high < low, or open/close outside [low, high], is inconsistent. `null` when the bar is fine.
 */
export function barFault(o: number, h: number, l: number, c: number, a: number, v: number): BarFault | null {
  if (o < 0 || h < 0 || l < 0 || c < 0 || a < 0) return { kind: "malformed", reason: "negative price" };
  if (v < 0) return { kind: "malformed", reason: `negative volume ${v}` };
  if (o > MAX_PRICE || h > MAX_PRICE || l > MAX_PRICE || c > MAX_PRICE || a > MAX_PRICE) {
    return { kind: "malformed", reason: `implausible price ${Math.max(o, h, l, c, a)} (above ${MAX_PRICE})` };
  }
  if (v > MAX_VOLUME) return { kind: "malformed", reason: `implausible volume ${v}` };
  if (
    o !== o || h !== h || l !== l || c !== c || a !== a || v !== v || o === 0 || h === 0 || l === 0 ||
    c === 0 || a === 0
  ) {
    return { kind: "missing", reason: "missing value" };
  }
  if (h < l || o > h || o < l || c > h || c < l) {
    return {
      kind: "inconsistent",
      reason: h < l ? `high ${h} < low ${l}` : `open/close outside [low ${l}, high ${h}]`,
    };
  }
  return null;
}

/** A record that was skipped (a missing value), and why. */
export interface SkippedRecord {
  symbol: string;
  date: string;
  reason: string;
}

/**
 * Applies {@linkcode barFault} to bars from a source other than CSV: a malformed or inconsistent bar, or one
 * known after `now` (+ skew), throws `DataValidationError` naming `source symbol date`; a bar with a missing
 * value is dropped and listed in the returned `skipped` (callers count it in their summaries), or throws when
 * `strict`. Returns the bars kept.
 */
export function checkBars(
  source: string,
  bars: readonly Bar[],
  opts: { now?: Instant; strict?: boolean } = {},
): { bars: Bar[]; skipped: SkippedRecord[] } {
  const now = opts.now ?? Date.now();
  const kept: Bar[] = [], skipped: SkippedRecord[] = [];
  for (const b of bars) {
    const where = `${source} ${b.symbol} ${b.date}`;
    if (!(b.knownAt <= now + FUTURE_SKEW_MS)) {
      throw new DataValidationError(`dated in the future (known at ${isoOf(b.knownAt)})`, { where });
    }
    const f = barFault(b.open, b.high, b.low, b.close, b.adjClose, b.volume);
    if (f === null) kept.push(b);
    else if (f.kind === "missing" && !opts.strict) {
      skipped.push({ symbol: b.symbol, date: b.date, reason: f.reason });
    } else throw new DataValidationError(f.reason, { where });
  }
  return { bars: kept, skipped };
}

/**
 * Splits records into those known by `now` (+ skew) and those dated in the future (a bad clock or a bad
 * record at the source): the future ones must not be stored, or an incremental cursor would jump past real
 * data.
 */
export function splitFuture<T extends Known>(
  records: readonly T[],
  now: Instant,
): { known: T[]; future: T[] } {
  const known: T[] = [], future: T[] = [];
  for (const r of records) (r.knownAt <= now + FUTURE_SKEW_MS ? known : future).push(r);
  return { known, future };
}

function isoOf(t: number): string {
  return Number.isFinite(t) && Math.abs(t) < 8.64e15 ? new Date(t).toISOString() : String(t);
}
