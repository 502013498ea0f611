/**
 * A small, fast reader of the gzipped `all_stocks_5yr.csv.gz` layout (`date,open,high,low,close,volume,Name`)
 * into `bars` rows, for the store benchmark and the ingest script. Empty prices become NULL; `adj_close` is the
 * close (the file has no adjusted close); `known_at` is the session's close time (New York).
 * @module
 */
import { gunzipSync } from "node:zlib";
import { closeTime, DataValidationError } from "../lib/core/mod.ts";
import type { Row } from "../lib/store/mod.ts";

/** Reads the file into `bars` rows in file order; `limit` stops after that many rows. */
export function readSp500Bars(path: string, limit = Infinity): Row[] {
  const raw = Deno.readFileSync(path);
  const text = new TextDecoder().decode(path.endsWith(".gz") ? gunzipSync(raw) : raw);
  const lines = text.split("\n");
  const header = lines[0].trim().split(",");
  const want = ["date", "open", "high", "low", "close", "volume", "Name"];
  const idx = want.map((c) => header.indexOf(c));
  if (idx.some((i) => i < 0)) {
    throw new DataValidationError(`expected columns ${want.join(",")}, got ${header.join(",")}`, {
      where: `${path}:1`,
    });
  }
  const known = new Map<string, number>();
  const num = (s: string): number | null => (s === "" ? null : Number(s));
  const rows: Row[] = [];
  for (let i = 1; i < lines.length && rows.length < limit; i++) {
    const line = lines[i];
    if (line.length === 0 || line === "\r") continue;
    const f = line.replace(/\r$/, "").split(",");
    const date = f[idx[0]];
    let k = known.get(date);
    if (k === undefined) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
        throw new DataValidationError(`bad date ${JSON.stringify(date)}`, { where: `${path}:${i + 1}` });
      }
      k = closeTime(date);
      known.set(date, k);
    }
    const close = num(f[idx[4]]);
    rows.push({
      symbol: f[idx[6]],
      date,
      open: num(f[idx[1]]),
      high: num(f[idx[2]]),
      low: num(f[idx[3]]),
      close,
      adj_close: close,
      volume: num(f[idx[5]]),
      known_at: k,
    });
  }
  return rows;
}
