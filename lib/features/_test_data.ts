/**
 * Test-only helper: reads one ticker's first rows from ../shared/data/sp500-5yr-ohlcv (never copied into the
 * repo). Used by the reference and feature-set tests.
 * @module
 */
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import type { OhlcvColumns } from "./feature_set.ts";

/** Path of the shared S&P 500 five-year OHLCV file. */
export const SP500_FILE = new URL(
  "../../../shared/data/sp500-5yr-ohlcv/all_stocks_5yr.csv.gz",
  import.meta.url,
);

let text: string | undefined;

/** OHLCV columns plus dates of `ticker`'s first `rows` rows (all rows when omitted), in file (date) order. */
export function loadTicker(ticker: string, rows = Infinity): OhlcvColumns & { dates: string[] } {
  text ??= gunzipSync(readFileSync(SP500_FILE)).toString("utf8");
  const dates: string[] = [], o: number[] = [], h: number[] = [], l: number[] = [], c: number[] = [];
  const v: number[] = [];
  let p = text.indexOf(`,${ticker}\n`);
  if (p < 0) throw new RangeError(`ticker ${ticker} not in ${SP500_FILE.pathname}`);
  p = text.lastIndexOf("\n", p) + 1;
  while (p < text.length && dates.length < rows) {
    const e = text.indexOf("\n", p);
    const f = text.slice(p, e < 0 ? text.length : e).split(",");
    if (f[6] !== ticker) break;
    dates.push(f[0]);
    const num = (s: string) => (s === "" ? NaN : Number(s));
    o.push(num(f[1]));
    h.push(num(f[2]));
    l.push(num(f[3]));
    c.push(num(f[4]));
    v.push(num(f[5]));
    p = e < 0 ? text.length : e + 1;
  }
  const F = (a: number[]) => Float64Array.from(a);
  return { dates, open: F(o), high: F(h), low: F(l), close: F(c), volume: F(v) };
}

/** Close column of a us-index-etf-daily-yahoo file (e.g. `INDEX_GSPC`, `INDEX_VIX`) aligned to `dates`. */
export function loadIndexClose(file: string, dates: readonly string[]): Float64Array {
  const url = new URL(`../../../shared/data/us-index-etf-daily-yahoo/${file}.csv`, import.meta.url);
  const byDate = new Map<string, number>();
  for (const line of readFileSync(url, "utf8").split("\n").slice(1)) {
    const f = line.split(",");
    if (f.length >= 5 && f[4] !== "" && f[4] !== "null") byDate.set(f[0], Number(f[4]));
  }
  return Float64Array.from(dates, (d) => byDate.get(d) ?? NaN);
}
