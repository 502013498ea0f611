/**
 * Market context: from a source's own index and VIX series ({@link marketFromSeries}, each with its publication
 * times), or built from a universe itself for sources without them ({@link syntheticMarketContext}: an
 * equal-weight index and a realized-volatility VIX stand-in, both known at each close).
 * @module
 */
import { type Bar, barKnownAt, closeTime, type CorporateAction, type IsoDate } from "../core/mod.ts";
import { forwardAdjust } from "./series.ts";
import type { MarketInput, SymbolSeries } from "./types.ts";

/**
 * An equal-weight index of the universe itself (mean daily log return across the symbols trading that day and
 * the session before it, cumulated): a market context known at each close, for sources without an index series.
 * A symbol back from missing bars adds nothing on its first day back: its return since its last bar spans several
 * sessions, not one. Each symbol's return is its total return ({@link forwardAdjust}: a split or dividend in
 * `actions` counts from its ex-date when known by that close, as in the features), not the raw closes' jump.
 */
export function universeIndex(
  series: Map<string, SymbolSeries>,
  actions: readonly CorporateAction[] = [],
): { dates: IsoDate[]; indexClose: Float64Array } {
  const dates = [...new Set([...series.values()].flatMap((s) => s.dates))].sort();
  const previous = new Map<IsoDate, IsoDate>(dates.slice(1).map((d, i) => [d, dates[i]]));
  const sum = new Map<IsoDate, [number, number]>();
  const bySymbol = Map.groupBy(actions, (a) => a.symbol);
  for (const [name, raw] of series) {
    const own = bySymbol.get(name);
    const s = own ? forwardAdjust(raw, own) : raw;
    for (let i = 1; i < s.dates.length; i++) {
      if (previous.get(s.dates[i]) !== s.dates[i - 1]) continue;
      const r = Math.log(s.close[i] / s.close[i - 1]);
      if (!Number.isFinite(r)) continue;
      const e = sum.get(s.dates[i]) ?? [0, 0];
      sum.set(s.dates[i], [e[0] + r, e[1] + 1]);
    }
  }
  const indexClose = new Float64Array(dates.length);
  let level = 0;
  dates.forEach((d, i) => {
    const e = sum.get(d);
    if (e) level += e[0] / e[1];
    indexClose[i] = 100 * Math.exp(level);
  });
  return { dates, indexClose };
}

/**
 * Market context for a universe without an index: the equal-weight universe index, and a VIX stand-in (the
 * index's 20-session realized volatility, annualized, in percent), both known at each close; the symbols'
 * splits and dividends in `actions` are taken into account as in {@link universeIndex}.
 */
export function syntheticMarketContext(
  series: Map<string, SymbolSeries>,
  actions: readonly CorporateAction[] = [],
): MarketInput {
  const { dates, indexClose } = universeIndex(series, actions);
  // computed from closes, so known at the close (unlike the real VIX, printed at 16:15)
  return {
    dates,
    indexClose,
    vix: realizedVolStandIn(indexClose),
    vixKnownAt: Float64Array.from(dates, (d) => closeTime(d)),
  };
}

/**
 * A VIX stand-in: the index's 20-session realized volatility of daily log returns, annualized, in percent (NaN
 * for the first 20 sessions). Known when the index close is.
 */
export function realizedVolStandIn(indexClose: Float64Array): Float64Array {
  const vix = new Float64Array(indexClose.length).fill(NaN);
  for (let i = 20; i < indexClose.length; i++) {
    let s = 0, s2 = 0;
    for (let k = i - 19; k <= i; k++) {
      const r = Math.log(indexClose[k] / indexClose[k - 1]);
      s += r;
      s2 += r * r;
    }
    vix[i] = 100 * Math.sqrt(Math.max(0, (s2 - s * s / 20) / 19) * 252);
  }
  return vix;
}

/** Daily closes of one series with when each became public (ascending dates). */
export interface PublishedCloses {
  symbol: string;
  dates: readonly IsoDate[];
  close: ArrayLike<number>;
  /** Publication time of each close (a bar's `knownAt`: the close, 16:15 New York for the VIX). */
  knownAt: ArrayLike<number>;
}

/** {@link PublishedCloses} of a symbol's daily bars, as its source stamped them. */
export function publishedCloses(symbol: string, bars: readonly Bar[]): PublishedCloses {
  return {
    symbol,
    dates: bars.map((b) => b.date),
    close: Float64Array.from(bars, (b) => b.close),
    knownAt: Float64Array.from(bars, (b) => b.knownAt),
  };
}

/**
 * Market context from a source's own series: the index closes on the index's dates with their publication
 * times, and the VIX closes joined on those dates (NaN where the VIX has no bar), each public at its bar's
 * `knownAt` but no earlier than the CBOE's VIX settles (`barKnownAt("^VIX")`, 16:15 New York), whatever the
 * series is named: the dataset's as-of join uses the previous session's VIX at a 16:00 decision. Without a VIX series (`null`), the index's realized-volatility stand-in
 * ({@link realizedVolStandIn}), known with the index.
 */
export function marketFromSeries(index: PublishedCloses, vix: PublishedCloses | null): MarketInput {
  const dates = [...index.dates];
  const indexClose = Float64Array.from(index.close);
  const knownAt = Float64Array.from(index.knownAt);
  if (!vix) return { dates, indexClose, knownAt, vix: realizedVolStandIn(indexClose), vixKnownAt: knownAt };
  const at = new Map(vix.dates.map((d, i) => [d, i]));
  return {
    dates,
    indexClose,
    knownAt,
    vix: Float64Array.from(dates, (d) => (at.has(d) ? vix.close[at.get(d)!] : NaN)),
    // the series in the VIX's role is public no earlier than the CBOE's VIX settles (16:15), whatever its name
    // (a file VIX.csv is stamped at the close)
    vixKnownAt: Float64Array.from(
      dates,
      (d) => Math.max(at.has(d) ? vix.knownAt[at.get(d)!] : -Infinity, barKnownAt("^VIX", d)),
    ),
  };
}
