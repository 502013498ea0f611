/**
 * As-of joins by `knownAt`: a record is usable at decision time `t` only when `knownAt <= t`.
 * @module
 */
import {
  closeTime,
  type Instant,
  type IsoDate,
  type Known,
  lowerBound,
  type NewsItem,
  sessionForKnownAt,
  upperBound,
} from "../core/mod.ts";

/**
 * Index of the last entry of ascending `knownAts` with `knownAt <= t`, or -1 when none. Binary search.
 */
export function asOfIndex(knownAts: ArrayLike<number>, t: Instant): number {
  return upperBound(knownAts, t) - 1;
}

/** Index of the first entry of ascending `times` with `time >= t` (length when none). */
export function firstAtOrAfter(times: ArrayLike<number>, t: Instant): number {
  return lowerBound(times, t);
}

/**
 * For each decision time, the index (into `records`, any order) of the latest record with
 * `knownAt <= decisionTime`, or -1 when none. Ties on `knownAt` resolve to the later record in input order.
 */
export function joinAsOf(records: readonly Known[], decisionTimes: ArrayLike<number>): Int32Array {
  const order = new Int32Array(records.length);
  for (let i = 0; i < order.length; i++) {
    order[i] = i;
    const k = records[i].knownAt;
    if (typeof k !== "number" || Number.isNaN(k)) throw new TypeError(`record ${i} has no numeric knownAt`);
  }
  order.sort((a, b) => records[a].knownAt - records[b].knownAt || a - b);
  const sortedKnown = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) sortedKnown[i] = records[order[i]].knownAt;
  const out = new Int32Array(decisionTimes.length);
  for (let j = 0; j < out.length; j++) {
    const k = asOfIndex(sortedKnown, decisionTimes[j]);
    out[j] = k < 0 ? -1 : order[k];
  }
  return out;
}

/** News aggregated per decision session for one symbol (arrays aligned to the `sessions` given). */
export interface NewsDaily {
  /** Items assigned to the session (with or without sentiment). */
  count: Float64Array;
  /** Items with a finite sentiment. */
  sentCount: Float64Array;
  /** Sum of sentiment. */
  sentSum: Float64Array;
  /** Mean sentiment over items that have one; 0 when none. */
  sentMean: Float64Array;
  /** Latest `knownAt` among the session's items (NaN when none): the join's proof, `<= decision time`. */
  maxKnownAt: Float64Array;
}

/** Result of `newsByDecision`. */
export interface NewsByDecision {
  sessions: IsoDate[];
  /** Decision time of each session. */
  decisionTime: Float64Array;
  /** Per symbol; market-wide items (no symbols) are under `""`. */
  bySymbol: Map<string, NewsDaily>;
  /** Items published before the first session's window or after the last session's close. */
  dropped: number;
}

/**
 * Assigns each news item to the first of `sessions` whose decision time (default: the close) is at or after its
 * `knownAt` (news after the close goes to the next session; the same rule as `sessionForKnownAt`) and
 * aggregates per (symbol, session). Items whose calendar session (`sessionForKnownAt`) is before `sessions[0]`,
 * or that arrive after the last session's close, are dropped. `sessions` must be ascending.
 */
export function newsByDecision(
  news: readonly NewsItem[],
  sessions: readonly IsoDate[],
  decisionTime: (d: IsoDate) => Instant = closeTime,
): NewsByDecision {
  const m = sessions.length;
  const dt = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    dt[i] = decisionTime(sessions[i]);
    if (i > 0 && !(sessions[i] > sessions[i - 1])) {
      throw new RangeError("sessions must be strictly ascending");
    }
  }
  const bySymbol = new Map<string, NewsDaily>();
  const get = (sym: string): NewsDaily => {
    let d = bySymbol.get(sym);
    if (!d) {
      d = {
        count: new Float64Array(m),
        sentCount: new Float64Array(m),
        sentSum: new Float64Array(m),
        sentMean: new Float64Array(m),
        maxKnownAt: new Float64Array(m).fill(NaN),
      };
      bySymbol.set(sym, d);
    }
    return d;
  };
  let dropped = 0;
  for (const item of news) {
    const k = item.knownAt;
    if (typeof k !== "number" || !Number.isFinite(k)) throw new TypeError(`news ${item.id} has no knownAt`);
    const i = firstAtOrAfter(dt, k);
    if (i >= m || (i === 0 && sessionForKnownAt(k) < sessions[0])) {
      dropped++;
      continue;
    }
    const s = item.sentiment;
    const hasSent = typeof s === "number" && Number.isFinite(s);
    const syms = item.symbols.length === 0 ? [""] : item.symbols;
    for (const sym of new Set(syms)) {
      const d = get(sym);
      d.count[i]++;
      if (hasSent) {
        d.sentCount[i]++;
        d.sentSum[i] += s;
      }
      if (!(d.maxKnownAt[i] >= k)) d.maxKnownAt[i] = k;
    }
  }
  for (const d of bySymbol.values()) {
    for (let i = 0; i < m; i++) d.sentMean[i] = d.sentCount[i] > 0 ? d.sentSum[i] / d.sentCount[i] : 0;
  }
  return { sessions: sessions.slice(), decisionTime: dt, bySymbol, dropped };
}
