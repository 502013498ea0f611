/**
 * The market context a config names (`source.market`): the source's own index and VIX series, or (without an
 * index) the universe's own equal-weight index and a realized-volatility VIX stand-in, built by the dataset step.
 * The research run fetches the series from the source; the daily run collects them into the store and reads
 * them back point in time. Both build the context with `lib/dataset` `marketFromSeries`. A source with a context
 * of its own (the synthetic market) gives it to every run alike when the config names no series.
 * @module
 */
import { type Bar, closeTime, ConfigError, type IsoDate } from "@lib/core/mod.ts";
import {
  marketFromSeries,
  type MarketInput,
  type PublishedCloses,
  publishedCloses,
} from "@lib/dataset/mod.ts";
import type { MarketSource } from "@lib/sources/mod.ts";
import type { Config } from "../config.ts";

/** `source.market` of a config. */
export type MarketConfig = Config["source"]["market"];

/** The symbols of the source's own market series a config names (none without an index). */
export function marketSymbols(m: MarketConfig): string[] {
  return m.index === null ? [] : m.vix === null ? [m.index] : [m.index, m.vix];
}

/**
 * The market context a source carries itself when the config names no series (`source.market.index` null): the
 * synthetic market's own index and VIX-like series, each known at its close. The research run, the daily run
 * and the feature export all join it, so a system is served on the context it was fitted on. Undefined for a
 * source without one (csv), when the config names series, and when the source holds none of the traded
 * symbols: a run on real symbols read from the stores (a Lambda's, on the default synthetic config) is not on
 * the synthetic market, so it gets the universe's own index and VIX stand-in. A symbol the source does not hold
 * beside its own (a typo, one never collected) leaves the context as it is: it has no bars and the run names it
 * (refused when the run collects, a `listing` warning with `--no-collect`); it used to turn the whole run's
 * context into the universe's, so a system fitted on the synthetic market was refused for it.
 */
export async function ownMarketContext(
  source: MarketSource,
  m: MarketConfig,
  symbols: readonly string[],
): Promise<MarketInput | undefined> {
  if (m.index !== null) return undefined;
  const ctx = (source as { marketContext?: () => MarketInput }).marketContext?.();
  if (!ctx) return undefined;
  const held = new Set(await source.listSymbols?.() ?? []);
  if (!symbols.some((s) => held.has(s))) return undefined;
  return { ...ctx, vixKnownAt: ctx.vixKnownAt ?? Float64Array.from(ctx.dates, (d) => closeTime(d)) };
}

/** The run's line on a source's own market context ({@link ownMarketContext}). */
export const OWN_MARKET_NOTE = "market context: the synthetic market's own index and VIX-like series";

/**
 * What a fitted system's market context was, as its lineage records it: `^GSPC,^VIX` (the source's series),
 * `own` (the source's own context, {@link ownMarketContext}), or `universe` (the universe's own index and the VIX
 * stand-in: every version registered before it was recorded).
 */
export function marketId(m: MarketConfig, own = false): string {
  return m.index === null ? (own ? "own" : "universe") : marketSymbols(m).join(",");
}

/** One line on the run's market context, for the terminal and the report. */
export function marketNote(m: MarketConfig): string {
  if (m.index === null) {
    return "market context: the universe's own equal-weight index and a realized-volatility VIX stand-in " +
      "(source.market / --market name the source's own series)";
  }
  const vix = m.vix === null
    ? `no VIX (the realized-volatility stand-in of ${m.index})`
    : `${m.vix} (public when the CBOE's VIX settles, 15 min after the close)`;
  return `market context: ${m.index} and ${vix} from the source, each joined by its publication time`;
}

/**
 * The context from each named series' bars (a one-line `ConfigError` when `holder` (the source, the store) has
 * none of one in `from..to`, naming the series and the range); undefined without `source.market.index`.
 */
export function marketFromBars(
  m: MarketConfig,
  bars: ReadonlyMap<string, readonly Bar[]>,
  from: IsoDate,
  to: IsoDate,
  holder = "the source has",
): MarketInput | undefined {
  if (m.index === null) return undefined;
  const series = (key: "index" | "vix", symbol: string): PublishedCloses => {
    const list = bars.get(symbol) ?? [];
    if (!list.length) {
      throw new ConfigError(`source.market.${key} ${symbol}: ${holder} no bars of it in ${from}..${to}`);
    }
    return publishedCloses(symbol, list);
  };
  return marketFromSeries(series("index", m.index), m.vix === null ? null : series("vix", m.vix));
}

/**
 * The bars of the named series from the source (an empty map without `source.market.index`); a series the source
 * does not have is the source's own error, naming what it holds.
 */
export async function fetchMarketBars(
  source: MarketSource,
  m: MarketConfig,
  from: IsoDate,
  to: IsoDate,
): Promise<Map<string, Bar[]>> {
  const symbols = marketSymbols(m);
  return symbols.length ? await source.bars({ symbols, from, to }) : new Map();
}
