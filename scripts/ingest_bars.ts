/**
 * Ingests an OHLCV CSV (the `all_stocks_5yr.csv.gz` layout) into the `bars` table, chunk by chunk, each chunk
 * its own transaction, so a killed run leaves whole chunks only and a re-run completes it (upserts are
 * idempotent).
 *
 *   deno run -A scripts/ingest_bars.ts --file ../shared/data/sp500-5yr-ohlcv/all_stocks_5yr.csv.gz --db data/fmai.sqlite
 *   FMAI_MYSQL_URL=mysql://fmai:fmai@127.0.0.1:3307/fmai deno run -A scripts/ingest_bars.ts --file ...
 *
 * Options: `--db PATH` (SQLite; else `FMAI_MYSQL_URL`), `--file PATH`, `--table NAME` (default `bars`; the
 * `bars` schema under another name, for tests on shared servers), `--limit N` (first N rows),
 * `--chunk N` (rows per transaction, default 50,000), `--pause-ms N` (sleep after each chunk; a test knob).
 * Prints `chunk <i>/<n> committed <rows>` after each chunk and `done <inserted> inserted <updated> updated`.
 * Bad arguments or input: a one-line message and exit code 2.
 * @module
 */
import { parseArgs } from "node:util";
import { FmaiError, oneLine } from "../lib/core/mod.ts";
import { createCsvSource } from "../lib/sources/mod.ts";
import {
  BARS,
  barToRow,
  embeddedConfig,
  mySqlConfigFromUrl,
  openSqliteTables,
  openTableStore,
  type Row,
  type TableStore,
} from "../lib/store/mod.ts";

/**
 * Reads an OHLCV CSV with a symbol column (plain or gzipped; e.g. `all_stocks_5yr.csv.gz`) through the product's
 * CSV source into `bars` rows, by symbol then date; `limit` keeps the first rows. Every row of the file is kept
 * (a missing price is stored as NULL: the sp500 file's 619,040 rows give 619,040 bars); bad prints (high < low...)
 * are repaired as in `csvPresets.sp500_5yr`.
 */
export async function readBarRows(file: string, limit = Infinity): Promise<Row[]> {
  const src = createCsvSource({
    files: [file],
    layout: "symbol-column",
    inconsistent: "repair",
    missing: "keep",
    name: "csv",
  });
  const symbols = (await src.listSymbols!()).sort();
  const bars = await src.bars({ symbols, from: "1900-01-01", to: "2100-12-31" });
  const rows: Row[] = [];
  for (const s of symbols) {
    for (const b of bars.get(s) ?? []) {
      if (rows.length >= limit) return rows;
      rows.push(barToRow(b));
    }
  }
  return rows;
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      db: { type: "string" },
      file: { type: "string" },
      table: { type: "string", default: "bars" },
      limit: { type: "string" },
      chunk: { type: "string", default: "50000" },
      "pause-ms": { type: "string", default: "0" },
    },
    strict: true,
  });
  if (!values.file) throw new RangeError("--file is required");
  const chunk = Number(values.chunk);
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  const pause = Number(values["pause-ms"]);
  if (!Number.isInteger(chunk) || chunk <= 0) throw new RangeError(`--chunk must be a positive integer`);
  if (limit !== Infinity && (!Number.isInteger(limit) || limit <= 0)) {
    throw new RangeError(`--limit must be > 0`);
  }
  const rows = await readBarRows(values.file, limit);
  let store: TableStore;
  if (values.db) store = await openSqliteTables(values.db);
  else {
    const url = Deno.env.get("FMAI_MYSQL_URL");
    if (!url) throw new RangeError("give --db PATH (SQLite) or set FMAI_MYSQL_URL");
    store = await openTableStore({
      ...embeddedConfig(""),
      tables: { kind: "mysql", ...mySqlConfigFromUrl(url) },
    });
  }
  try {
    const table = values.table;
    await store.ensureTable({ ...BARS, name: table });
    const n = Math.ceil(rows.length / chunk);
    let inserted = 0, updated = 0;
    for (let i = 0; i < n; i++) {
      const r = await store.upsert(table, rows.slice(i * chunk, (i + 1) * chunk));
      inserted += r.inserted;
      updated += r.updated;
      console.log(`chunk ${i + 1}/${n} committed ${Math.min(rows.length, (i + 1) * chunk)}`);
      if (pause > 0) await new Promise((res) => setTimeout(res, pause));
    }
    console.log(`done ${inserted} inserted ${updated} updated`);
  } finally {
    await store.close();
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    const user = e instanceof TypeError || e instanceof RangeError ||
      (e instanceof FmaiError && e.userError) ||
      (e as { code?: string })?.code?.startsWith("ERR_PARSE_ARGS") || e instanceof Deno.errors.NotFound;
    console.error(`ingest_bars: ${oneLine(e)}`);
    Deno.exit(user ? 2 : 1);
  }
}
