/**
 * Market context built from a universe itself, for sources without an index or VIX series: an equal-weight
 * index and a VIX stand-in, both known at each close.
 * @module
 */
import { closeTime, type IsoDate } from "../core/mod.ts";
import type { MarketInput, SymbolSeries } from "./types.ts";

/**
 * An equal-weight index of the universe itself (mean daily log return across the symbols trading that day,
 * cumulated): a market context known at each close, for sources without an index series.
 */
export function universeIndex(
  series: Map<string, SymbolSeries>,
): { dates: IsoDate[]; indexClose: Float64Array } {
  const sum = new Map<IsoDate, [number, number]>();
  for (const s of series.values()) {
    for (let i = 1; i < s.dates.length; i++) {
      const r = Math.log(s.close[i] / s.close[i - 1]);
      if (!Number.isFinite(r)) continue;
      const e = sum.get(s.dates[i]) ?? [0, 0];
      sum.set(s.dates[i], [e[0] + r, e[1] + 1]);
    }
  }
  const dates = [...new Set([...series.values()].flatMap((s) => s.dates))].sort();
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
 * index's 20-session realized volatility, annualized, in percent), both known at each close.
 */
export function syntheticMarketContext(series: Map<string, SymbolSeries>): MarketInput {
  const { dates, indexClose } = universeIndex(series);
  const vix = new Float64Array(dates.length).fill(NaN);
  for (let i = 20; i < dates.length; i++) {
    let s = 0, s2 = 0;
    for (let k = i - 19; k <= i; k++) {
      const r = Math.log(indexClose[k] / indexClose[k - 1]);
      s += r;
      s2 += r * r;
    }
    vix[i] = 100 * Math.sqrt(Math.max(0, (s2 - s * s / 20) / 19) * 252);
  }
  // computed from closes, so known at the close (unlike the real VIX, printed at 16:15)
  return { dates, indexClose, vix, vixKnownAt: Float64Array.from(dates, (d) => closeTime(d)) };
}
