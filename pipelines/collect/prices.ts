/**
 * `prices`: daily bars plus splits and dividends into the `bars` and `corporate_actions` tables, raw chart
 * responses into `raw/yahoo/...`.
 *
 * Incremental: per symbol, the stored date range is looked up first (a store error fails the symbol: it is
 * never taken for "nothing stored yet"). When the store already covers `from`, only `[last stored date, to]`
 * is fetched (the last stored day again, to catch revisions); when it reaches `to`, the symbol is skipped.
 * Sessions whose close is still in the future are never stored, so a stored last day is final.
 *
 * A symbol's unit of work is all of its writes: raw responses, then corporate actions, then bars. Bars are the
 * incremental marker and go last, so the cursor advances only when everything else landed; a run that fails
 * (or is killed) between two writes re-fetches the symbol, and the idempotent upserts make that exact. Each
 * write is one all-or-nothing upsert. Bars left out are counted in `skipped`: those the source left out
 * (a missing value) and those whose session has not closed yet (a `to` after today: the synthetic market
 * has future sessions).
 *
 * A market source that answers for another spelling than the symbol asked for (the CSV source finds `SPY.csv`
 * for `spy`) fails the symbol naming both: its bars are not dropped in silence. The CLI asks for the source's
 * own spelling (`resolveMarketSymbols`).
 * @module
 */
import {
  type Bar,
  closeTime,
  type CorporateAction,
  DataSourceError,
  type IsoDate,
  isSession,
  nextSession,
  prevSession,
} from "@lib/core/mod.ts";
import { actionToRow, barToRow, isUnknownTable, type Stores } from "@lib/store/mod.ts";
import {
  type CollectRequest,
  type CollectSources,
  type CollectStep,
  ensureTables,
  type PlanRow,
  runSymbols,
  storeRawFor,
  type UnitResult,
} from "./common.ts";

/**
 * The stored first/last bar date of a symbol (null when none, or when the table does not exist yet). Any
 * other store error is thrown: a failing store is not an empty one.
 */
export async function storedRange(
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
 * The range to fetch for a symbol given what is stored: everything when the store does not reach back to the
 * first session of `[from, to]`, nothing (null) when it already holds the last session, else
 * `[last stored day, to]`.
 */
export function incrementalRange(
  stored: { first: IsoDate; last: IsoDate } | null,
  from: IsoDate,
  to: IsoDate,
): { from: IsoDate; to: IsoDate } | null {
  const firstSession = isSession(from) ? from : nextSession(from);
  const lastSession = isSession(to) ? to : prevSession(to);
  if (!stored || stored.first > firstSession) return { from, to };
  if (stored.last >= lastSession) return null;
  return { from: stored.last > from ? stored.last : from, to };
}

async function fetchPrices(
  sources: CollectSources,
  symbol: string,
  range: { from: IsoDate; to: IsoDate },
  strict = false,
): Promise<{ bars: Bar[]; actions: CorporateAction[]; skipped?: unknown[] }> {
  if (sources.yahoo) return await sources.yahoo.chart(symbol, { ...range, strict });
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
  const range = incrementalRange(await storedRange(stores, symbol), req.from, req.to);
  if (!range) return { rows: 0, inserted: 0, objects: 0, range: "" };
  const now = (sources.now ?? Date.now)();
  const got = await fetchPrices(sources, symbol, range, req.strict);
  // a session not closed yet is never stored (a stored last day is final), and is counted as left out
  const bars = got.bars.filter((b) => closeTime(b.date) <= now);
  const future = got.bars.length - bars.length;
  let rows = 0, inserted = 0;
  // raw responses, actions, then bars (the cursor) last: see the module doc
  const objects = sources.yahoo ? await storeRawFor(sources, stores, "yahoo", "chart", symbol) : 0;
  if (got.actions.length) {
    const r = await stores.tables.upsert("corporate_actions", got.actions.map(actionToRow));
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
    skipped: (got.skipped?.length ?? 0) + future,
  };
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
      const stored = await storedRange(stores, symbol);
      const r = incrementalRange(stored, req.from, req.to);
      out.push({
        kind: "prices",
        symbol,
        fetch: r ? `${r.from}..${r.to}` : `skip (stored up to ${stored!.last})`,
      });
    }
    return out;
  },
};
