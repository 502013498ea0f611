/**
 * Loaders of the protocol's data files (given the shared data directory; nothing read from the environment):
 * `sp500-5yr-ohlcv` through `csvPresets.sp500_5yr`, and the market context (^GSPC, ^VIX) of
 * `us-index-etf-daily-yahoo` through `csvPresets.yahooDaily`, as the dataset builder's `MarketInput`.
 * @module
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { DataSourceError, mulberry32, shuffleInPlace } from "../core/mod.ts";
import {
  marketFromSeries,
  type MarketInput,
  publishedCloses,
  type SymbolSeries,
  toSeries,
} from "../dataset/mod.ts";
import { csvPresets } from "../sources/mod.ts";
import type { EvalContext, SectionResult } from "./types.ts";

/** Folder of the S&P 500 five-year OHLCV file, relative to the shared data directory. */
export const SP500_DIR = "sp500-5yr-ohlcv";
/** Folder of the Yahoo daily index/ETF files. */
export const INDEX_DIR = "us-index-etf-daily-yahoo";
/** Tickers of a reduced (CI) run. */
export const REDUCED_TICKERS = 60;

/** What every result measured on the sp500 file says about its universe. */
export const SURVIVORSHIP_NOTE =
  "Survivorship bias: the sp500-5yr-ohlcv universe is the fixed list of the 2018 S&P 500 members; companies " +
  "that left the index or the market before then are missing, which flatters these results.";

/**
 * `r` with {@link SURVIVORSHIP_NOTE} added to its notes (once) when any of its metrics was measured on the sp500
 * file, so `deno task evaluate` and the notebooks, which call the sections directly, both show the caveat.
 */
export function withSurvivorshipNote<R extends SectionResult>(r: R): R {
  if (r.metrics.some((m) => m.data.includes(SP500_DIR)) && !r.notes.includes(SURVIVORSHIP_NOTE)) {
    r.notes.push(SURVIVORSHIP_NOTE);
  }
  return r;
}

const cache = new Map<string, Promise<Map<string, SymbolSeries>>>();

/** Every sp500 series (parsed once per directory and process; callers must not mutate the arrays). */
export function loadAllSp500(sharedDir: string): Promise<Map<string, SymbolSeries>> {
  const key = join(sharedDir, SP500_DIR);
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const src = csvPresets.sp500_5yr(key);
      const symbols = (await src.listSymbols!()).sort();
      const bars = await src.bars({ symbols, from: "2000-01-01", to: "2030-12-31" });
      const out = new Map<string, SymbolSeries>();
      for (const s of symbols) {
        const b = bars.get(s);
        if (b && b.length > 0) out.set(s, toSeries(b));
      }
      return out;
    })();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/**
 * `k` of the sorted `symbols`, chosen by a seeded shuffle (all of them when `k >= symbols.length`), returned
 * sorted: the same seed picks the same tickers.
 */
export function chooseTickers(symbols: readonly string[], k: number, seed: number): string[] {
  const s = [...symbols].sort();
  if (k >= s.length) return s;
  if (!(k >= 1)) throw new RangeError(`tickers must be >= 1, got ${k}`);
  shuffleInPlace(s, mulberry32(seed ^ 0x9e3779b9));
  return s.slice(0, k).sort();
}

/** How many tickers a context asks for: `ctx.tickers`, else 60 reduced, else all. */
export function tickerCount(ctx: EvalContext): number {
  return ctx.tickers ?? (ctx.reduced ? REDUCED_TICKERS : Infinity);
}

/** The sp500 series of the context's tickers (a seeded, sorted choice). */
export async function loadSp500(ctx: EvalContext): Promise<Map<string, SymbolSeries>> {
  const all = await loadAllSp500(ctx.sharedDir);
  const chosen = chooseTickers([...all.keys()], tickerCount(ctx), ctx.seed);
  return new Map(chosen.map((s) => [s, all.get(s)!]));
}

/**
 * ^GSPC closes with ^VIX closes joined on the ^GSPC dates (NaN where VIX has no bar), each with its
 * publication time from its bars: ^GSPC at the close, ^VIX at 16:15 New York (`barKnownAt`), so the dataset's
 * as-of join uses the previous session's VIX at a 16:00 decision.
 */
export async function loadMarket(sharedDir: string): Promise<MarketInput> {
  const src = csvPresets.yahooDaily(join(sharedDir, INDEX_DIR));
  const bars = await src.bars({ symbols: ["^GSPC", "^VIX"], from: "1990-01-01", to: "2030-12-31" });
  const spx = bars.get("^GSPC") ?? [];
  if (spx.length === 0) throw new RangeError(`no ^GSPC bars under ${join(sharedDir, INDEX_DIR)}`);
  return marketFromSeries(publishedCloses("^GSPC", spx), publishedCloses("^VIX", bars.get("^VIX") ?? []));
}

/**
 * A file of the shared data (a path relative to `sharedDir`) as bytes, or as text in `encoding`; a file that cannot
 * be read is a `DataSourceError` naming it (a user's `--data` without the file, or data not fetched), not a bug.
 */
export function readSharedFile(sharedDir: string, file: string): Uint8Array;
export function readSharedFile(sharedDir: string, file: string, encoding: "utf8"): string;
export function readSharedFile(sharedDir: string, file: string, encoding?: "utf8"): Uint8Array | string {
  const path = join(sharedDir, file);
  try {
    return encoding ? readFileSync(path, encoding) : readFileSync(path);
  } catch (e) {
    throw new DataSourceError(`shared data: cannot read ${path}: ${(e as Error).message}`, {
      source: "shared-data",
      cause: e,
    });
  }
}
