/**
 * `prices`: daily bars plus splits and dividends into the `bars` and `corporate_actions` tables, raw chart
 * responses into `raw/yahoo/...`.
 *
 * Incremental: per symbol, the stored dates in `[from, to]` are looked up first (a store error fails the
 * symbol: it is never taken for "nothing stored yet") and compared with the exchange sessions. When every
 * session is stored the symbol is skipped; when only the tail is missing, `[last stored date, to]` is fetched
 * (the last stored day again, to catch revisions); a hole in the middle is fetched from its first session
 * through `to` (see `incrementalRange`) when the request asks for it (`fillHoles`: `deno task collect`; the
 * daily run and the Lambdas extend the stored range at its end only, from two indexed lookups). A hole the
 * source has no bars for (a halt) is counted in `skipped`, not an error, and is asked for again by later
 * explicit collects; so is a session missing between the bars a fetch returned (from 1971 on). Sessions whose
 * close is still in the future are never stored, so a stored last day is final.
 *
 * A symbol's unit of work is all of its writes: raw responses, then corporate actions, then bars. Bars are the
 * incremental marker and go last, so the cursor advances only when everything else landed; a run that fails
 * (or is killed) between two writes re-fetches the symbol, and the idempotent upserts make that exact. Each
 * write is one all-or-nothing upsert. Bars left out are counted in `skipped`: those the source left out
 * (a missing value) and those whose session has not closed yet (a `to` after today: the synthetic market
 * has future sessions).
 *
 * Yahoo's bars are split-adjusted to the day of the request and a response names only the splits in its range:
 * the stored splits are handed to `chart`, which undoes those the response does not name. When a response names
 * a split not stored yet and the store holds bars of the symbol before the fetched range, those bars may be in
 * the split's scale (fetched after it, from a range that did not reach it) or as traded (fetched before it):
 * `[first stored day, to]` is fetched again in one request and its bars and actions replace the stored ones of
 * that span in one transaction (`replaceMany`; stored rows the response lacks are kept, nothing is deleted).
 * A failure writes nothing and, the split still not being stored, the next run does it again.
 *
 * Yahoo's corporate actions are merged with the stored ones (`mergeActions`): the earliest `known_at` stays, and a
 * dividend amount Nasdaq stated is kept.
 *
 * A market source that answers for another spelling than the symbol asked for (the CSV source finds `SPY.csv`
 * for `spy`) fails the symbol naming both: its bars are not dropped in silence. The CLI asks for the source's
 * own spelling (`resolveMarketSymbols`).
 * @module
 */
import {
  type Bar,
  CALENDAR_CHECKED_FROM,
  closeTime,
  type CorporateAction,
  DataSourceError,
  type IsoDate,
  isSession,
  nextSession,
  sessionOnOrBefore,
  sessions,
} from "@lib/core/mod.ts";
import { actionToRow, barToRow, isUnknownTable, rowToAction, type Stores } from "@lib/store/mod.ts";
import {
  type CollectRequest,
  type CollectSources,
  type CollectStep,
  ensureTables,
  mergeActions,
  type PlanRow,
  runSymbols,
  storeRawFor,
  type UnitResult,
} from "./common.ts";

/**
 * The stored first and last bar date of a symbol (null when none, or when the table does not exist yet): two
 * indexed lookups, what extending the range at its end needs. Any other store error is thrown.
 */
async function storedEnds(
  stores: Stores | null,
  symbol: string,
): Promise<{ first: IsoDate; last: IsoDate } | null> {
  if (!stores) return null;
  try {
    const last = await stores.tables.query("bars", { where: { symbol }, orderBy: ["-date"], limit: 1 });
    if (!last.length) return null;
    const first = await stores.tables.query("bars", { where: { symbol }, orderBy: ["date"], limit: 1 });
    return { first: String(first[0].date), last: String(last[0].date) };
  } catch (e) {
    if (isUnknownTable(e)) return null;
    throw e;
  }
}

/**
 * The stored bar dates of a symbol in `[from, to]`, ascending (empty when none, or when the table does not
 * exist yet). Any other store error is thrown: a failing store is not an empty one.
 */
async function storedDates(
  stores: Stores | null,
  symbol: string,
  from: IsoDate,
  to: IsoDate,
): Promise<IsoDate[]> {
  if (!stores) return [];
  try {
    const rows = await stores.tables.query("bars", {
      where: { symbol, date: { gte: from, lte: to } },
      orderBy: ["date"],
    });
    return rows.map((r) => String(r.date));
  } catch (e) {
    if (isUnknownTable(e)) return [];
    throw e;
  }
}

/** What to fetch for a symbol: `[from, to]`, and the missing sessions before the last stored one (holes). */
export interface FetchRange {
  from: IsoDate;
  to: IsoDate;
  /** Sessions missing between the first and the last stored session of `[from, to]` (a hole), ascending. */
  holes: IsoDate[];
}

/**
 * The range to fetch for a symbol given its stored dates in `[from, to]` (`storedDates`): null when every
 * session of `[from, to]` is stored; `[last stored day, to]` when only the tail is missing (the last stored day
 * again, to catch revisions); else `[first missing session, to]` (everything when nothing is stored, or the
 * start is missing). A hole is fetched through `to`, like a clean run from it, so the response names the same
 * splits as the bars already stored (Yahoo bars are split-adjusted to the fetch day) and always holds bars.
 */
export function incrementalRange(stored: readonly IsoDate[], from: IsoDate, to: IsoDate): FetchRange | null {
  const have = new Set(stored);
  const missing = sessions(from, to).filter((d) => !have.has(d));
  if (!missing.length) return null;
  const first = stored[0], last = stored[stored.length - 1];
  if (last === undefined) return { from, to, holes: [] };
  const holes = missing.filter((d) => d > first && d < last);
  if (missing[0] < first) return { from, to, holes };
  return { from: holes.length ? holes[0] : last, to, holes };
}

/**
 * The stored splits of a symbol (empty when none, or when the table does not exist yet); any other store
 * error is thrown.
 */
async function storedSplits(stores: Stores, symbol: string): Promise<CorporateAction[]> {
  try {
    return (await stores.tables.query("corporate_actions", { where: { symbol, kind: "split" } })).map(
      rowToAction,
    );
  } catch (e) {
    if (isUnknownTable(e)) return [];
    throw e;
  }
}

async function fetchPrices(
  sources: CollectSources,
  symbol: string,
  range: { from: IsoDate; to: IsoDate },
  strict = false,
  splits: readonly CorporateAction[] = [],
): Promise<{ bars: Bar[]; actions: CorporateAction[]; skipped?: { date?: IsoDate }[] }> {
  if (sources.yahoo) return await sources.yahoo.chart(symbol, { ...range, strict, splits });
  const m = sources.market;
  if (!m) throw new TypeError("collect prices: needs the yahoo or a market source");
  const req = { symbols: [symbol], ...range };
  const got = await m.bars(req);
  const bars = got.get(symbol) ?? [];
  const actions = m.actions ? await m.actions(req) : [];
  const other = [...got.keys(), ...bars.map((b) => b.symbol), ...actions.map((a) => a.symbol)]
    .find((s) => s !== symbol);
  if (other !== undefined || !got.has(symbol)) {
    const said = `${m.name} answered for ${other ?? "nothing"} when asked for ${symbol}`;
    throw new DataSourceError(`${said} (bars are stored under the symbol asked for)`, {
      source: m.name,
      symbol,
      userError: false,
    });
  }
  return { bars, actions };
}

async function collectSymbol(
  sources: CollectSources,
  stores: Stores,
  req: CollectRequest,
  symbol: string,
): Promise<UnitResult> {
  const { range } = await rangeFor(stores, symbol, req);
  if (!range) return { rows: 0, inserted: 0, objects: 0, range: "" };
  const now = (sources.now ?? Date.now)();
  // Yahoo: the stored splits are undone too where the response does not name them (see `YahooSource.chart`)
  const known = sources.yahoo ? await storedSplits(stores, symbol) : [];
  const got = await fetchPrices(sources, symbol, range, req.strict, known);
  const resplit = sources.yahoo ? await splitRefetch(stores, symbol, range, known, got.actions) : null;
  if (resplit) {
    return await storeRefetch(sources, stores, symbol, range, { ...resplit, known }, now, req.strict);
  }
  // a session not closed yet is never stored (a stored last day is final), and is counted as left out
  const bars = got.bars.filter((b) => closeTime(b.date) <= now);
  const future = got.bars.length - bars.length;
  // a hole the source has no bar for (halted, or no trading) is counted as left out, not an error
  const answered = new Set([...bars.map((b) => b.date), ...(got.skipped ?? []).flatMap((s) => s.date ?? [])]);
  const unfilled = range.holes.filter((d) => !answered.has(d)).length;
  // so is a session inside what the source answered that it has no bar for (a first fetch has no known holes);
  // only from 1971, since when the calendar's holiday rules hold (an older file holds sessions they call holidays)
  const holes = new Set(range.holes);
  const span = bars.length ? [bars[0].date, bars[bars.length - 1].date].sort() : [];
  const first = span[0] > CALENDAR_CHECKED_FROM ? span[0] : CALENDAR_CHECKED_FROM;
  const gaps = bars.length && span[1] >= first
    ? sessions(first, span[1]).filter((d) => !answered.has(d) && !holes.has(d)).length
    : 0;
  let rows = 0, inserted = 0;
  // raw responses, actions, then bars (the cursor) last: see the module doc
  const objects = sources.yahoo ? await storeRawFor(sources, stores, "yahoo", "chart", symbol) : 0;
  if (got.actions.length) {
    const merged = sources.yahoo
      ? await mergeActions(stores.tables, got.actions, "yahoo")
      : got.actions.map(actionToRow);
    const r = await stores.tables.upsert("corporate_actions", merged);
    rows += r.inserted + r.updated;
    inserted += r.inserted;
  }
  if (bars.length) {
    const r = await stores.tables.upsert("bars", bars.map(barToRow));
    rows += r.inserted + r.updated;
    inserted += r.inserted;
  }
  return {
    rows,
    inserted,
    objects,
    range: `${range.from}..${range.to}`,
    skipped: (got.skipped?.length ?? 0) + future + unfilled + gaps,
  };
}

/**
 * When a Yahoo response names a split that is not stored yet and the store holds bars of the symbol before
 * `range.from` (which that response did not cover), the range to fetch again (`[first stored bar, range.to]`)
 * and the new splits; else null. Those stored bars cannot be told apart: fetched before the split, they are as
 * traded; fetched after it from a range that did not reach it, they are in its scale. One response over all of
 * them names the split and states them all in today's scale, so undoing it stores them as traded either way.
 */
async function splitRefetch(
  stores: Stores,
  symbol: string,
  range: FetchRange,
  known: readonly CorporateAction[],
  named: readonly CorporateAction[],
): Promise<{ from: IsoDate; splits: IsoDate[] } | null> {
  const have = new Set(known.map((a) => a.date));
  const fresh = named.filter((a) => a.kind === "split" && !have.has(a.date)).map((a) => a.date);
  if (!fresh.length) return null;
  const first = (await storedEnds(stores, symbol))?.first;
  if (first === undefined || first >= range.from) return null;
  return { from: first, splits: fresh };
}

/**
 * Fetches `[re.from, range.to]` again (one request, naming the new splits) and writes its bars and actions in
 * one transaction (`replaceMany`): a stored bar or action in that span the response does not hold is kept as
 * it was, so nothing is deleted, and a failed or killed run leaves the store as before and is redone by the
 * next run (the split is still not stored).
 */
async function storeRefetch(
  sources: CollectSources,
  stores: Stores,
  symbol: string,
  range: FetchRange,
  re: { from: IsoDate; splits: IsoDate[]; known: readonly CorporateAction[] },
  now: number,
  strict = false,
): Promise<UnitResult> {
  const got = await sources.yahoo!.chart(symbol, { from: re.from, to: range.to, strict, splits: re.known })
    .catch((e) => {
      const why = e instanceof Error ? e.message : String(e);
      throw new DataSourceError(
        `${symbol}: the response names the new split ${re.splits.join(", ")}, so the stored bars from ` +
          `${re.from} are fetched again to store them as traded; that fetch failed (nothing written): ${why}`,
        { source: "yahoo", symbol, cause: e, status: e?.status, userError: e?.userError === true },
      );
    });
  const bars = got.bars.filter((b) => closeTime(b.date) <= now);
  const future = got.bars.length - bars.length;
  const span = { symbol, date: { gte: re.from, lte: range.to } };
  const barRows = bars.map(barToRow), actionRows = await mergeActions(stores.tables, got.actions, "yahoo");
  const barKeys = new Set(barRows.map((r) => r.date));
  const actionKeys = new Set(actionRows.map((r) => `${r.date}|${r.kind}`));
  const keepBars = (await stores.tables.query("bars", { where: span })).filter((r) => !barKeys.has(r.date));
  const keepActions = (await stores.tables.query("corporate_actions", { where: span }))
    .filter((r) => !actionKeys.has(`${r.date}|${r.kind}`));
  const objects = await storeRawFor(sources, stores, "yahoo", "chart", symbol);
  const [a, b] = await stores.tables.replaceMany([
    { table: "corporate_actions", where: span, rows: [...actionRows, ...keepActions] },
    { table: "bars", where: span, rows: [...barRows, ...keepBars] },
  ]);
  const rows = a.inserted + a.updated + b.inserted + b.updated;
  return {
    rows,
    inserted: a.inserted + b.inserted,
    objects,
    range: `${range.from}..${range.to}, then ${re.from}..${range.to} (new split ${re.splits.join(", ")})`,
    skipped: got.skipped.filter((s) => s.date === undefined || s.date >= range.from).length + future,
  };
}

/**
 * The range to fetch when the stored range is only extended at its end (`storedEnds`, constant time): everything
 * when the store does not reach back to the first session of `[from, to]`, nothing (null) when it holds the
 * last one, else `[last stored day, to]` (the last stored day again, to catch revisions).
 */
export function tailRange(
  stored: { first: IsoDate; last: IsoDate } | null,
  from: IsoDate,
  to: IsoDate,
): FetchRange | null {
  const firstSession = isSession(from) ? from : nextSession(from);
  if (!stored || stored.first > firstSession) return { from, to, holes: [] };
  if (stored.last >= sessionOnOrBefore(to)) return null;
  return { from: stored.last > from ? stored.last : from, to, holes: [] };
}

/**
 * What to fetch for `symbol` (holes too when `req.fillHoles`, else the stored range's missing end), and the
 * last stored date it was decided on.
 */
async function rangeFor(
  stores: Stores | null,
  symbol: string,
  req: CollectRequest,
): Promise<{ range: FetchRange | null; last: IsoDate | undefined }> {
  if (req.fillHoles) {
    const dates = await storedDates(stores, symbol, req.from, req.to);
    return { range: incrementalRange(dates, req.from, req.to), last: dates.at(-1) };
  }
  const ends = await storedEnds(stores, symbol);
  return { range: tailRange(ends, req.from, req.to), last: ends?.last };
}

/** A fetch range for the dry-run: `from..to`, naming the holes it fills. */
function describeFetch(r: FetchRange): string {
  const span = `${r.from}..${r.to}`;
  if (!r.holes.length) return span;
  const n = r.holes.length;
  return `${span} (gap ${r.holes[0]}..${r.holes[n - 1]}: ${n} session${n === 1 ? "" : "s"} missing)`;
}

/** The `prices` step. */
export const pricesStep: CollectStep = {
  kind: "prices",
  async run(sources, stores, req, progress) {
    await ensureTables(stores);
    return await runSymbols(
      "prices",
      "chart",
      sources,
      req,
      progress,
      (s) => collectSymbol(sources, stores, req, s),
    );
  },
  async plan(_sources, stores, req) {
    const out: PlanRow[] = [];
    for (const symbol of req.symbols) {
      const { range, last } = await rangeFor(stores, symbol, req);
      out.push({
        kind: "prices",
        symbol,
        fetch: range ? describeFetch(range) : `skip (stored up to ${last})`,
      });
    }
    return out;
  },
};
