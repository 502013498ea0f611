/**
 * Folder-private, for tests and the dataset benchmark only: a fast reader of `sp500-5yr-ohlcv`'s gzipped CSV
 * (`date,open,high,low,close,volume,Name`) straight into columnar series. The product reads CSV through
 * `lib/sources`; this exists so dataset tests do not depend on another folder's work in progress.
 * @module
 */
import { gunzipSync } from "node:zlib";
import { closeTime, type IsoDate } from "../core/mod.ts";
import type { SymbolSeries } from "./types.ts";

/** Path of the shared S&P 500 five-year file, relative to this file. */
export const SP500_URL = new URL(
  "../../../shared/data/sp500-5yr-ohlcv/all_stocks_5yr.csv.gz",
  import.meta.url,
);

function f(s: string): number {
  return s === "" ? NaN : +s;
}

/** Parses the gzipped CSV; `symbols` filters (default all). Bars get `knownAt = closeTime(date)`. */
export function readSp500(gz: Uint8Array, symbols?: ReadonlySet<string>): Map<string, SymbolSeries> {
  const text = new TextDecoder().decode(gunzipSync(gz));
  const rows = new Map<string, { d: IsoDate[]; v: number[] }>();
  let pos = text.indexOf("\n") + 1;
  const dt = new Map<IsoDate, number>();
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(pos, end - 1) : text.slice(pos, end);
    pos = end + 1;
    if (line.length === 0) continue;
    const c = line.split(",");
    const name = c[6];
    if (symbols && !symbols.has(name)) continue;
    let g = rows.get(name);
    if (!g) rows.set(name, g = { d: [], v: [] });
    g.d.push(c[0]);
    g.v.push(f(c[1]), f(c[2]), f(c[3]), f(c[4]), f(c[5]));
  }
  const out = new Map<string, SymbolSeries>();
  for (const [symbol, g] of rows) {
    const n = g.d.length;
    const s: SymbolSeries = {
      symbol,
      dates: g.d,
      open: new Float64Array(n),
      high: new Float64Array(n),
      low: new Float64Array(n),
      close: new Float64Array(n),
      adjClose: new Float64Array(n),
      volume: new Float64Array(n),
      knownAt: new Float64Array(n),
    };
    for (let i = 0; i < n; i++) {
      if (i > 0 && !(g.d[i] > g.d[i - 1])) throw new Error(`${symbol}: dates out of order at ${g.d[i]}`);
      s.open[i] = g.v[5 * i];
      s.high[i] = g.v[5 * i + 1];
      s.low[i] = g.v[5 * i + 2];
      s.close[i] = s.adjClose[i] = g.v[5 * i + 3];
      s.volume[i] = g.v[5 * i + 4];
      let k = dt.get(g.d[i]);
      if (k === undefined) dt.set(g.d[i], k = closeTime(g.d[i]));
      s.knownAt![i] = k;
    }
    out.set(symbol, s);
  }
  return out;
}

/** Reads `SP500_URL` (or another path) and parses it. */
export async function loadSp500(
  symbols?: Iterable<string>,
  url: URL = SP500_URL,
): Promise<Map<string, SymbolSeries>> {
  return readSp500(await Deno.readFile(url), symbols ? new Set(symbols) : undefined);
}

/** Index/VIX closes from `us-index-etf-daily-yahoo` (`Date,...,Close,...`), as `{ dates, indexClose, vix }`. */
export async function loadMarket(
  indexFile = "INDEX_GSPC.csv",
  vixFile = "INDEX_VIX.csv",
): Promise<{ dates: IsoDate[]; indexClose: Float64Array; vix: Float64Array }> {
  const dir = new URL("../../../shared/data/us-index-etf-daily-yahoo/", import.meta.url);
  const read = async (f: string) => {
    const m = new Map<IsoDate, number>();
    const lines = (await Deno.readTextFile(new URL(f, dir))).split("\n");
    const head = lines[0].split(",");
    const ci = head.indexOf("Close");
    for (const line of lines.slice(1)) {
      if (!line) continue;
      const c = line.split(",");
      if (c[ci] !== "" && c[ci] !== "null") m.set(c[0], +c[ci]);
    }
    return m;
  };
  const [idx, vix] = await Promise.all([read(indexFile), read(vixFile)]);
  const dates = [...idx.keys()].filter((d) => vix.has(d)).sort();
  return {
    dates,
    indexClose: Float64Array.from(dates, (d) => idx.get(d)!),
    vix: Float64Array.from(dates, (d) => vix.get(d)!),
  };
}
