/**
 * `news`: news items into the `news` documents collection (id = the source's stable id, `knownAt` = publish
 * time); raw search responses to `raw/yahoo/...`.
 *
 * Incremental by `knownAt`: per symbol the latest stored `knownAt` up to now is looked up and only items
 * published at or after it are written (upserts by id, so the boundary item is not duplicated). Items dated in
 * the future (past the fetch time plus a small clock skew) are refused and counted as skipped, and the cursor
 * ignores any that an older run stored, so one bad date cannot make later runs skip real news. A store error
 * in the look-up fails the symbol; it is never taken for "nothing stored yet". Raw responses are written
 * before the items (the cursor), so a symbol counts as done only when all its writes landed. Yahoo serves only the
 * latest items of a symbol (no date filter): those not stored yet are written (an item another symbol's search
 * stored may name this symbol and be its latest, so a cursor would hide this symbol's earlier items); other
 * sources are asked for `[from, to]`. With `fillHoles` (`deno task collect`, where the user names the range)
 * such a source's items that are not stored yet are written wherever they fall, so a range before (or a hole
 * inside) the stored news is filled; the daily run and the Lambdas keep the cursor. The collected symbol is added to an item's `symbols` when the source's related
 * tickers omit it (it was found searching for it).
 * @module
 */
import type { NewsItem } from "@lib/core/mod.ts";
import { FUTURE_SKEW_MS, splitFuture } from "@lib/sources/mod.ts";
import type { Doc, Stores } from "@lib/store/mod.ts";
import { marketNewsFiles } from "../source.ts";
import {
  type CollectSources,
  type CollectStep,
  type PlanRow,
  runSymbols,
  runUnits,
  storeRawFor,
} from "./common.ts";

/** Documents collection of news items. */
export const NEWS_COLLECTION = "news";

/**
 * The latest stored news `knownAt` of a symbol up to `now` (+ skew), or null when none: an item stored with a
 * future date is not a cursor. Store errors are thrown.
 */
export async function latestNewsAt(
  stores: Stores | null,
  symbol: string,
  now: number = Date.now(),
): Promise<number | null> {
  if (!stores) return null;
  const [d] = await stores.documents.find(NEWS_COLLECTION, {
    symbol,
    to: now + FUTURE_SKEW_MS,
    order: "desc",
    limit: 1,
  });
  return d ? d.knownAt : null;
}

/**
 * The ids of `symbol`'s stored news over the span of `items` (their earliest to latest `knownAt`); `null`: the
 * stored market-wide items (no symbol) over that span.
 */
async function storedNewsIds(stores: Stores, symbol: string | null, items: NewsItem[]): Promise<Set<string>> {
  let from = Infinity, to = -Infinity;
  for (const n of items) {
    if (n.knownAt < from) from = n.knownAt;
    if (n.knownAt > to) to = n.knownAt;
  }
  if (symbol !== null) {
    return new Set(
      (await stores.documents.find(NEWS_COLLECTION, { symbol, from, to })).map((d) => String(d.id)),
    );
  }
  const docs = await stores.documents.find(NEWS_COLLECTION, { from, to });
  return new Set(
    docs.filter((d) => Array.isArray(d.symbols) && d.symbols.length === 0).map((d) => String(d.id)),
  );
}

/** A news item as a document. */
export function newsToDoc(n: NewsItem): Doc {
  return { ...n } as unknown as Doc;
}

/** The unit name of the market-wide items (no symbol) in the collect summary and plan. */
export const MARKET_WIDE_UNIT = "(market-wide)";

/** Whether the step writes a source's market-wide items (a csv source's news files without a symbol column). */
async function hasMarketWide(sources: CollectSources): Promise<boolean> {
  return !sources.yahoo && sources.market !== undefined && (await marketNewsFiles(sources.market)).length > 0;
}

/** The `news` step. */
export const newsStep: CollectStep = {
  kind: "news",
  async run(sources, stores, req, progress) {
    const rows = await runSymbols("news", "news", sources, req, progress, async (symbol) => {
      const now = (sources.now ?? Date.now)();
      const since = await latestNewsAt(stores, symbol, now);
      let items: NewsItem[];
      if (sources.yahoo) items = await sources.yahoo.latestNews(symbol);
      else if (sources.market?.news) {
        // the market-wide items come with every symbol's: they are written once, below, never tagged to a symbol
        items = (await sources.market.news({ symbols: [symbol], from: req.from, to: req.to }))
          .filter((n) => n.symbols.length > 0);
      } else throw new TypeError("collect news: needs the yahoo source or a market source with news");
      const { known, future } = splitFuture(items, now);
      // a range the user names is made whole: the ids stored over the items' span, the rest is written
      // Yahoo's latest items are compared with the stored ids too: an item another symbol's search stored (it names
      // this symbol among its tickers) moves this symbol's cursor, and would hide its own earlier items
      const stored = (req.fillHoles || sources.yahoo) && since !== null && known.length
        ? await storedNewsIds(stores, symbol, known)
        : null;
      // A search hit for `symbol` is about it even when Yahoo's relatedTickers omit it.
      const fresh = known.filter((n) => stored ? !stored.has(n.id) : since === null || n.knownAt >= since)
        .map((n) => (n.symbols.includes(symbol) ? n : { ...n, symbols: [...n.symbols, symbol] }));
      const objects = sources.yahoo ? await storeRawFor(sources, stores, "yahoo", "news", symbol) : 0;
      const r = fresh.length
        ? await stores.documents.upsert(NEWS_COLLECTION, fresh.map(newsToDoc))
        : { inserted: 0, updated: 0 };
      const range = since === null ? "all" : stored ? "not stored" : `since ${new Date(since).toISOString()}`;
      return {
        rows: r.inserted + r.updated,
        inserted: r.inserted,
        objects,
        range,
        skipped: future.length,
      };
    });
    if (!req.symbols.length || !(await hasMarketWide(sources))) return rows;
    // market-wide items: one unit (no symbol, so no per-symbol cursor): the items of the range not stored yet
    const market = await runUnits("news", [MARKET_WIDE_UNIT], async () => {
      const items = (await sources.market!.news!({ symbols: [req.symbols[0]], from: req.from, to: req.to }))
        .filter((n) => n.symbols.length === 0);
      const { known, future } = splitFuture(items, (sources.now ?? Date.now)());
      const stored = known.length ? await storedNewsIds(stores, null, known) : new Set<string>();
      const fresh = known.filter((n) => !stored.has(n.id));
      const r = fresh.length
        ? await stores.documents.upsert(NEWS_COLLECTION, fresh.map(newsToDoc))
        : { inserted: 0, updated: 0 };
      return {
        rows: r.inserted + r.updated,
        inserted: r.inserted,
        objects: 0,
        range: "not stored",
        skipped: future.length,
      };
    }, { progress });
    return [...rows, ...market];
  },
  async plan(sources, stores, req) {
    const out: PlanRow[] = [];
    for (const symbol of req.symbols) {
      const since = await latestNewsAt(stores, symbol);
      const what = sources.yahoo ? "latest" : `${req.from}..${req.to}`;
      const which = req.fillHoles || sources.yahoo
        ? "items not stored yet"
        : `published since ${new Date(since ?? 0).toISOString()}`;
      out.push({ kind: "news", symbol, fetch: since === null ? what : `${what}, ${which}` });
    }
    if (req.symbols.length && await hasMarketWide(sources)) {
      out.push({
        kind: "news",
        symbol: MARKET_WIDE_UNIT,
        fetch: `${req.from}..${req.to}, items with no symbol`,
      });
    }
    return out;
  },
};
