/**
 * Shared types and helpers of the collection steps: what a step is handed (sources, stores, request,
 * progress), the summary row every step returns per symbol (or per calendar unit), the raw-response recorder
 * that routes the JSON bodies as fetched to the object store, and the per-unit fan-out on `collectMany`.
 * @module
 */
import {
  type Bar,
  ConfigError,
  type CorporateAction,
  fewOf,
  InputError,
  type IsoDate,
  oneLine,
  openTime,
  sessions,
  sha256Hex,
  StoreError,
} from "@lib/core/mod.ts";
import { collectMany, type MarketSource, type NasdaqSource, type YahooSource } from "@lib/sources/mod.ts";
import { actionToRow, ALL_SCHEMAS, rawKey, type Row, type Stores, type TableStore } from "@lib/store/mod.ts";
import type { Progress } from "../progress.ts";

/** Data kinds the collectors know, in the order the CLI runs them. */
export const COLLECT_KINDS = [
  "prices",
  "statistics",
  "statements",
  "news",
  "options",
  "calendars",
  "charts",
] as const;
/** A data kind. */
export type CollectKind = typeof COLLECT_KINDS[number];

/** Nasdaq calendar feeds collected by the `calendars` kind. */
export const CALENDAR_FEEDS = [
  "earnings",
  "dividends",
  "economic",
  "ipo",
  "filings",
  "dividend-history",
] as const;
/** A Nasdaq calendar feed. */
export type CalendarFeed = typeof CALENDAR_FEEDS[number];

/** The sources a step may use; each step uses the ones its kind needs and fails clearly without them. */
export interface CollectSources {
  /** Generic bars/actions/news source (CSV, synthetic); used by `prices`/`news` when `yahoo` is absent. */
  market?: MarketSource;
  yahoo?: YahooSource;
  nasdaq?: NasdaqSource;
  /** Records the raw JSON responses of the fetch the sources were built on (see {@linkcode createRawRecorder}). */
  raw?: RawRecorder;
  /** Clock (ms) used for "now" (drop unfinished sessions, dry-run notes). Default `Date.now`. */
  now?: () => number;
}

/** What to collect. */
export interface CollectRequest {
  symbols: string[];
  from: IsoDate;
  to: IsoDate;
  /** Symbols in flight at once (default 4). */
  concurrency?: number;
  /** A record the source would leave out (a missing value) is an error instead of a counted skip. */
  strict?: boolean;
  /** Nasdaq feeds of the `calendars` kind (default all). */
  calendars?: readonly CalendarFeed[];
  /** `calendars`: SEC form groups of the `filings` feed (default annual and quarterly reports). */
  filingGroups?: string[];
  /** `charts`: bars shown per chart (default 120). */
  chartWindow?: number;
  /** `options`: how many of the nearest expirations to collect (default 3, so a term slope exists). */
  optionExpiries?: number;
  /**
   * `prices`: also fetch holes inside the stored range (`deno task collect`, where the user names the range).
   * Off (default) the stored range is only extended at its end: the daily run and the Lambdas ask for the
   * whole history every day, and a session a source never has (a halt, a dropped row) would refetch years.
   */
  fillHoles?: boolean;
}

/** One line of the final summary. */
export interface SummaryRow {
  kind: CollectKind;
  /** Symbol, or the calendar unit (`earnings:2023-11-13`). */
  symbol: string;
  ok: boolean;
  /** Rows/documents/objects written (inserted + replaced). */
  rows: number;
  /** Of those, how many were new. */
  inserted: number;
  /** Raw responses or chart images put into the object store. */
  objects: number;
  /** Records the source returned that were left out: a missing value, or dated in the future. */
  skipped?: number;
  /** The date range actually fetched after the incremental lookup (`""` when skipped). */
  range: string;
  error?: string;
  /** The error itself (not printed). */
  cause?: unknown;
}

/** One line of a dry-run plan. */
export interface PlanRow {
  kind: CollectKind;
  symbol: string;
  /** What would be fetched: a date range, `snapshot`, or `skip (...)`. */
  fetch: string;
}

/** A collection step: one data kind. */
export interface CollectStep {
  kind: CollectKind;
  /** Fetches and stores; one summary row per symbol/unit; never throws for a single symbol's failure. */
  run(
    sources: CollectSources,
    stores: Stores,
    req: CollectRequest,
    progress?: Progress,
  ): Promise<SummaryRow[]>;
  /** What `run` would fetch (after the incremental lookup); reads the stores, writes nothing. */
  plan(sources: CollectSources, stores: Stores | null, req: CollectRequest): Promise<PlanRow[]>;
}

/**
 * Checks what a run asks of a market source (CSV files, the synthetic market) before any store is opened or
 * written, the way the pipeline does (its `fetchAll` asks the source for every bar first): the source's
 * `bars` refuses an unknown symbol (`DataSourceError`, a user error naming what the source holds) and a range
 * in which no requested symbol has a bar (`InputError`, `empty date range ... (data covers ...)`), in its own
 * one-line messages. Returns the symbols as the source spells them, in the order asked, the pairs
 * `[asked, spelled]` that differ (the CSV source finds `SPY.csv` for `spy`; bars are stored under the
 * source's spelling), and the latest session any of them has a bar on in the range (`last`).
 */
export async function resolveMarketSymbols(
  market: MarketSource,
  req: { symbols: readonly string[]; from: IsoDate; to: IsoDate },
  opts: { each?: boolean } = {},
): Promise<{ symbols: string[]; renamed: [string, string][]; last: IsoDate }> {
  const got = await market.bars({ symbols: [...req.symbols], from: req.from, to: req.to });
  const keys = [...got.keys()];
  const symbols: string[] = [], renamed: [string, string][] = [];
  let last = "";
  for (const s of req.symbols) {
    const k = got.has(s) ? s : keys.find((k) => k.toUpperCase() === s.toUpperCase());
    if (k === undefined) {
      throw new Error(`${market.name}: bars() returned no entry for ${s} (breaks its contract)`);
    }
    symbols.push(k);
    if (k !== s) renamed.push([s, k]);
    const bars = got.get(k)!;
    if (bars.length && bars[bars.length - 1].date > last) last = bars[bars.length - 1].date;
  }
  if (opts.each) await checkEachHasBars(market, got, req);
  return { symbols, renamed, last };
}

/**
 * Which ends of a requested range reach past `data` (the first and last date held): `before` when `from` is a
 * session or more before the first date, `after` when `to` is a session or more after the last (a weekend or
 * holiday between them is not a session the data misses). A null end reaches nowhere.
 */
export function rangePastData(
  requested: { from?: IsoDate | null; to?: IsoDate | null },
  data: readonly [IsoDate, IsoDate],
): { before: boolean; after: boolean } {
  const [first, last] = data;
  const { from, to } = requested;
  return {
    before: from != null && from < first && sessions(from, first).length > 1,
    after: to != null && to > last && sessions(last, to).length > 1,
  };
}

/**
 * Refuses (`ConfigError`, one line naming the flag and where the data begins or ends) a requested range that
 * reaches past the data of a run's symbols (`rangePastData`): a session before the first bar any of them has,
 * or after the last. The research run (`--from`/`--to`, `source.from`/`source.to`) and `collect` from a source
 * of fixed extent (a CSV folder) would otherwise quietly use the data's range instead; a symbol listed later
 * than `from` is the late-listed note's, not this. `names` says how the flags and the data are named; with
 * `whole`, `data` is all the data holds, and the message names that range.
 */
export function checkRequestedRange(
  requested: { from: IsoDate | null; to: IsoDate | null },
  data: readonly [IsoDate, IsoDate],
  names: { from: string; to: string; data: string; whole?: boolean } = {
    from: "--from (source.from)",
    to: "--to (source.to)",
    data: "the data of the run's symbols",
  },
): void {
  const [first, last] = data;
  const past = rangePastData(requested, data);
  const held = (side: string) => names.whole ? `it holds ${first}..${last}` : `no bar ${side} it`;
  if (past.before) {
    throw new ConfigError(
      `${names.from} ${requested.from}: ${names.data} begins ${first} (${held("before")}; pass --from ` +
        `${first} or later)`,
    );
  }
  if (past.after) {
    throw new ConfigError(
      `${names.to} ${requested.to}: ${names.data} ends ${last} (${held("after")}; pass --to ${last} or ` +
        `earlier)`,
    );
  }
}

/**
 * Refuses (`InputError`, one line) the symbols of `req` without a bar in `[from, to]` in `got` (the source's
 * answer for the range), naming where each one's bars are when the source is a local one that lists its symbols
 * (CSV, synthetic): a symbol the user named that has no bar in the range would otherwise fail only after the
 * others were stored.
 */
export async function checkEachHasBars(
  market: MarketSource,
  got: ReadonlyMap<string, readonly Bar[]>,
  req: { symbols: readonly string[]; from: IsoDate; to: IsoDate },
): Promise<void> {
  const count = (s: string) =>
    (got.get(s) ?? [...got].find(([k]) => k.toUpperCase() === s.toUpperCase())?.[1] ?? []).length;
  const none = req.symbols.filter((s) => count(s) === 0);
  if (!none.length) return;
  let where = "";
  if (market.listSymbols) {
    const today = new Date().toISOString().slice(0, 10);
    const all = await market.bars({ symbols: none, from: "1970-01-02", to: today });
    where = ` (${
      fewOf(
        none.map((s) => {
          const b = all.get(s) ?? [...all].find(([k]) => k.toUpperCase() === s.toUpperCase())?.[1] ?? [];
          return b.length ? `${s} has bars ${b[0].date}..${b[b.length - 1].date}` : `${s} has none`;
        }),
        5,
      )
    })`;
  }
  throw new InputError(
    `no bars for ${fewOf(none, 5)} between ${req.from} and ${req.to} in ${market.name}${where}: leave ` +
      `${none.length === 1 ? "it" : "them"} out or choose a range ${
        none.length === 1 ? "it has" : "they have"
      } data in`,
  );
}

/**
 * Corporate actions as rows merged with the stored rows of the same key (symbol, date, kind), so the order in
 * which the sources wrote them does not matter: `known_at` is the earliest either source justified (Nasdaq's
 * declaration day, Yahoo's ex-date open), and a dividend amount Nasdaq stated (as paid) is not replaced by
 * Yahoo's (split-adjusted until every later split is known). A stored row known before its ex-date's open is
 * Nasdaq's (Yahoo stamps every action at that open); where Nasdaq had no declaration date either, its row is
 * stamped at the open too, and the last writer's amount stands (both state it as paid).
 */
export async function mergeActions(
  tables: TableStore,
  actions: readonly CorporateAction[],
  source: "yahoo" | "nasdaq",
): Promise<Row[]> {
  const rows = actions.map(actionToRow);
  if (!rows.length) return rows;
  const key = (r: Row) => `${r.symbol}|${r.date}|${r.kind}`;
  const symbols = [...new Set(actions.map((a) => a.symbol))],
    dates = [...new Set(actions.map((a) => a.date))];
  const stored = new Map<string, Row>();
  for (let i = 0; i < dates.length; i += 200) {
    const found = await tables.query("corporate_actions", {
      where: { symbol: symbols, date: dates.slice(i, i + 200) },
    });
    for (const r of found) stored.set(key(r), r);
  }
  return rows.map((r) => {
    const s = stored.get(key(r));
    if (!s) return r;
    const knownAt = Math.min(Number(r.known_at), Number(s.known_at));
    const nasdaqStated = r.kind === "dividend" && Number(s.known_at) < openTime(String(r.date));
    const value = source === "yahoo" && nasdaqStated ? s.value : r.value;
    return { ...r, value, known_at: knownAt };
  });
}

/** Creates every table the collectors write (idempotent). */
export async function ensureTables(stores: Stores): Promise<void> {
  for (const s of ALL_SCHEMAS) await stores.tables.ensureTable(s);
}

/** One recorded HTTP exchange with a JSON body. */
export interface RawExchange {
  url: string;
  status: number;
  /** Server `Date` header (else the local clock) in epoch ms. */
  at: number;
  body: string;
}

/** Records the JSON responses passing through a fetch, so steps can store them as raw objects. */
export interface RawRecorder {
  /** The wrapped fetch to build the sources on. */
  fetch: typeof fetch;
  /** Removes and returns the recorded exchanges `match` accepts (matching by URL). */
  take(match: (url: URL) => boolean): RawExchange[];
}

/** Wraps `base` so every 2xx JSON response body is kept until a step takes it. */
export function createRawRecorder(base: typeof fetch = globalThis.fetch): RawRecorder {
  let kept: RawExchange[] = [];
  const f: typeof fetch = async (input, init) => {
    const res = await base(input, init);
    const type = res.headers.get("content-type") ?? "";
    if (res.ok && type.includes("json")) {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      const body = await res.clone().text();
      const date = Date.parse(res.headers.get("date") ?? "");
      kept.push({ url, status: res.status, at: Number.isFinite(date) ? date : Date.now(), body });
    }
    return res;
  };
  return {
    fetch: f,
    take(match) {
      const out: RawExchange[] = [], rest: RawExchange[] = [];
      for (const e of kept) (match(new URL(e.url)) ? out : rest).push(e);
      kept = rest;
      return out;
    },
  };
}

/** True when `url` is about `symbol`: a path segment, or a `q`/`symbol(s)` query value. */
export function urlMentions(url: URL, symbol: string): boolean {
  const s = symbol.toUpperCase();
  if (url.pathname.split("/").some((seg) => decodeURIComponent(seg).toUpperCase() === s)) return true;
  for (const k of ["q", "symbol", "symbols"]) {
    const v = url.searchParams.get(k);
    if (v && v.split(",").some((x) => x.trim().toUpperCase() === s)) return true;
  }
  return false;
}

async function sha(text: string): Promise<string> {
  return (await sha256Hex(text)).slice(0, 16);
}

/**
 * Stores the raw exchanges under `raw/<source>/<yyyy>/<mm>/<dd>/<kind>-<label>-<hash>.json` (UTC date of the
 * server's `Date`; the hash covers URL and body, so the same response always lands on the same key and a
 * re-run adds nothing). Returns how many keys were new.
 */
export async function storeRaw(
  stores: Stores,
  source: string,
  kind: string,
  label: string,
  exchanges: RawExchange[],
): Promise<number> {
  let added = 0;
  const safe = label.replace(/[^A-Za-z0-9._-]/g, "_");
  for (const e of exchanges) {
    const key = rawKey(source, e.at, `${kind}-${safe}-${await sha(e.url + "\n" + e.body)}.json`);
    if (await stores.objects.head(key)) continue;
    await stores.objects.put(key, e.body, { contentType: "application/json" });
    added++;
  }
  return added;
}

/** URL paths of each Yahoo kind's endpoints (raw responses are attributed by path and symbol). */
export const YAHOO_PATHS: Record<string, RegExp> = {
  chart: /\/v8\/finance\/chart\//,
  statistics: /\/v10\/finance\/quoteSummary\//,
  statements: /\/v10\/finance\/quoteSummary\/|\/fundamentals-timeseries\//,
  news: /\/v1\/finance\/search/,
  options: /\/v7\/finance\/options\//,
};

/** The default raw-exchange matcher of a Yahoo kind and symbol. */
export function yahooMatch(kind: string, symbol: string): (url: URL) => boolean {
  const re = YAHOO_PATHS[kind];
  return (u) => (!re || re.test(u.pathname)) && urlMentions(u, symbol);
}

/** Takes the recorded exchanges about `symbol` (when recording) and stores them; returns the new count. */
export function storeRawFor(
  sources: CollectSources,
  stores: Stores,
  source: string,
  kind: string,
  symbol: string,
  match?: (url: URL) => boolean,
): Promise<number> {
  if (!sources.raw) return Promise.resolve(0);
  const ex = sources.raw.take(match ?? yahooMatch(kind, symbol));
  return storeRaw(stores, source, kind, symbol, ex);
}

/**
 * Runs one unit's work; when it fails, drops the raw exchanges it recorded (nothing is stored for a failed
 * unit) and rethrows.
 */
export async function dropRawOnError<T>(
  sources: CollectSources,
  match: (url: URL) => boolean,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    sources.raw?.take(match);
    throw e;
  }
}

/** Per-unit work result before it becomes a summary row. */
export interface UnitResult {
  rows: number;
  inserted: number;
  objects: number;
  range: string;
  /** Records left out (see {@linkcode SummaryRow.skipped}). */
  skipped?: number;
}

/** True when `e` says a store's server is unreachable (its circuit breaker is open): stop the run. */
export function isStoreDown(e: unknown): e is StoreError {
  return e instanceof StoreError && e.unavailable;
}

/**
 * Runs `fn` per unit (symbol or calendar unit) with `collectMany` (a failure does not stop the others), ticks
 * the progress bar, and returns one summary row per unit in input order. When a store's server is down
 * ({@linkcode isStoreDown}) no further unit starts and the run ends with one `StoreError` naming the server and
 * how many units were done and left (a re-run completes them: every unit's writes are all-or-nothing, but
 * for MongoDB, where a stopped unit may keep a prefix of its items, its oldest, which the cursor then follows).
 */
export async function runUnits(
  kind: CollectKind,
  units: readonly string[],
  fn: (unit: string) => Promise<UnitResult>,
  opts: { concurrency?: number; progress?: Progress },
): Promise<SummaryRow[]> {
  let done = 0;
  const end = opts.progress?.start(`collect ${kind}`);
  const res = await collectMany(units, fn, {
    concurrency: opts.concurrency,
    onDone: (u) => opts.progress?.tick(++done, units.length, u),
    stopWhen: isStoreDown,
  });
  const down = res.failed.find((f) => isStoreDown(f.error))?.error as StoreError | undefined;
  // a run the store's server stopped is no finished step
  end?.(down === undefined);
  if (down) {
    const left = units.length - res.ok.length;
    // MongoDB writes have no transaction: a stopped symbol may keep its oldest items (the cursor), never a gap
    const written = down.backend === "mongodb"
      ? "their oldest items may be stored"
      : "nothing of them written";
    throw new StoreError(
      `${down.message}; collect ${kind} stopped: ${res.ok.length} of ${units.length} done, ${left} left ` +
        `(${written}; re-run to complete)`,
      { backend: down.backend, cause: down, unavailable: true },
    );
  }
  const byUnit = new Map<string, SummaryRow>();
  for (const { symbol, value } of res.ok) byUnit.set(symbol, { kind, symbol, ok: true, ...value });
  for (const { symbol, error } of res.failed) {
    byUnit.set(symbol, {
      kind,
      symbol,
      ok: false,
      rows: 0,
      inserted: 0,
      objects: 0,
      range: "",
      error: oneLine(error),
      cause: error,
    });
  }
  return units.map((u) => byUnit.get(u)!);
}

/**
 * Runs a step's per-symbol work with {@linkcode runUnits}; a symbol whose work fails leaves none of the raw
 * responses it recorded (under the Yahoo endpoints of `rawKind`).
 */
export function runSymbols(
  kind: CollectKind,
  rawKind: string,
  sources: CollectSources,
  req: CollectRequest,
  progress: Progress | undefined,
  fn: (symbol: string) => Promise<UnitResult>,
): Promise<SummaryRow[]> {
  return runUnits(kind, req.symbols, (s) => dropRawOnError(sources, yahooMatch(rawKind, s), () => fn(s)), {
    concurrency: req.concurrency,
    progress,
  });
}

/** Throws a `TypeError` naming the missing source of a kind. */
export function need<T>(v: T | undefined, what: string, kind: CollectKind): T {
  if (!v) throw new TypeError(`collect ${kind}: needs the ${what} source`);
  return v;
}

/**
 * A Yahoo snapshot step: per symbol, `fetchRows` fetches the current snapshot as rows of the table named
 * `kind`, which are upserted (idempotent per observation day); raw responses go to `raw/yahoo/...`.
 */
export function yahooSnapshotStep(
  kind: CollectKind,
  fetchRows: (yahoo: YahooSource, symbol: string, req: CollectRequest) => Promise<Row[]>,
  opts: { wholeDay?: boolean } = {},
): CollectStep {
  return {
    kind,
    async run(sources, stores, req, progress) {
      await ensureTables(stores);
      return await runSymbols(kind, kind, sources, req, progress, async (symbol) => {
        const rows = await fetchRows(need(sources.yahoo, "yahoo", kind), symbol, req);
        // the unit's writes, the raw responses first: a unit counts as done only when all of them landed
        const objects = await storeRawFor(sources, stores, "yahoo", kind, symbol);
        // `wholeDay`: the symbol's rows of the snapshot's day are this snapshot alone (one collected earlier that
        // day is replaced whole, not left with the contracts this one does not list under its own knownAt)
        const days = [...new Set(rows.map((x) => x.date as string))];
        const r = !rows.length
          ? { inserted: 0, updated: 0 }
          : opts.wholeDay
          ? await stores.tables.replace(kind, { symbol: [symbol], date: days }, rows)
          : await stores.tables.upsert(kind, rows);
        return { rows: r.inserted + r.updated, inserted: r.inserted, objects, range: "snapshot" };
      });
    },
    plan(_sources, _stores, req) {
      return Promise.resolve(req.symbols.map((symbol) => ({ kind, symbol, fetch: "snapshot" })));
    },
  };
}
