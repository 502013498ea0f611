/**
 * Folder-private, for tests only: `sp500-5yr-ohlcv` and the ^GSPC/^VIX closes of `us-index-etf-daily-yahoo`,
 * read through the product's CSV source (`csvPresets`) into columnar series. Each file is parsed once per
 * process.
 * @module
 */
import type { IsoDate } from "../core/mod.ts";
import { csvPresets, type CsvSource } from "../sources/mod.ts";
import { toSeries } from "./series.ts";
import type { SymbolSeries } from "./types.ts";

const DATA = new URL("../../../shared/data/", import.meta.url);
const ALL = { from: "1990-01-01", to: "2030-12-31" };
let sp500: CsvSource | undefined, yahoo: CsvSource | undefined;

/** The series of `symbols` (default all, sorted) from `sp500-5yr-ohlcv`; unknown symbols are left out. */
export async function loadSp500(symbols?: Iterable<string>): Promise<Map<string, SymbolSeries>> {
  sp500 ??= csvPresets.sp500_5yr(new URL("sp500-5yr-ohlcv/", DATA));
  const want = symbols ? [...symbols] : (await sp500.listSymbols!()).sort();
  const bars = await sp500.bars({ symbols: want, ...ALL });
  const out = new Map<string, SymbolSeries>();
  for (const s of want) {
    const b = bars.get(s);
    if (b && b.length > 0) out.set(s, toSeries(b));
  }
  return out;
}

/** ^GSPC and ^VIX closes on the dates both have, with their publication times (^VIX: 16:15 New York). */
export async function loadMarket(): Promise<
  { dates: IsoDate[]; indexClose: Float64Array; vix: Float64Array; vixKnownAt: Float64Array }
> {
  yahoo ??= csvPresets.yahooDaily(new URL("us-index-etf-daily-yahoo/", DATA));
  const bars = await yahoo.bars({ symbols: ["^GSPC", "^VIX"], ...ALL });
  const vix = new Map((bars.get("^VIX") ?? []).map((b) => [b.date, b]));
  const spx = (bars.get("^GSPC") ?? []).filter((b) => vix.has(b.date));
  return {
    dates: spx.map((b) => b.date),
    indexClose: Float64Array.from(spx, (b) => b.close),
    vix: Float64Array.from(spx, (b) => vix.get(b.date)!.close),
    vixKnownAt: Float64Array.from(spx, (b) => vix.get(b.date)!.knownAt),
  };
}
