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
 * latest items of a symbol (no date filter); other sources are asked for `[from, to]`. The collected symbol
 * is added to an item's `symbols` when the source's related tickers omit it (it was found searching for it).
 * @module
 */
import type { NewsItem } from "@lib/core/mod.ts";
import { FUTURE_SKEW_MS, splitFuture } from "@lib/sources/mod.ts";
import type { Doc, Stores } from "@lib/store/mod.ts";
import { type CollectStep, type PlanRow, runSymbols, storeRawFor } from "./common.ts";

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

/** A news item as a document. */
export function newsToDoc(n: NewsItem): Doc {
  return { ...n } as unknown as Doc;
}

/** The `news` step. */
export const newsStep: CollectStep = {
  kind: "news",
  async run(sources, stores, req, progress) {
    return await runSymbols("news", "news", sources, req, progress, async (symbol) => {
      const now = (sources.now ?? Date.now)();
      const since = await latestNewsAt(stores, symbol, now);
      let items: NewsItem[];
      if (sources.yahoo) items = await sources.yahoo.latestNews(symbol);
      else if (sources.market?.news) {
        items = await sources.market.news({ symbols: [symbol], from: req.from, to: req.to });
      } else throw new TypeError("collect news: needs the yahoo source or a market source with news");
      const { known, future } = splitFuture(items, now);
      // A search hit for `symbol` is about it even when Yahoo's relatedTickers omit it.
      const fresh = known.filter((n) => since === null || n.knownAt >= since)
        .map((n) => (n.symbols.includes(symbol) ? n : { ...n, symbols: [...n.symbols, symbol] }));
      const objects = sources.yahoo ? await storeRawFor(sources, stores, "yahoo", "news", symbol) : 0;
      const r = fresh.length
        ? await stores.documents.upsert(NEWS_COLLECTION, fresh.map(newsToDoc))
        : { inserted: 0, updated: 0 };
      const range = since === null ? "all" : `since ${new Date(since).toISOString()}`;
      return {
        rows: r.inserted + r.updated,
        inserted: r.inserted,
        objects,
        range,
        skipped: future.length,
      };
    });
  },
  async plan(sources, stores, req) {
    const out: PlanRow[] = [];
    for (const symbol of req.symbols) {
      const since = await latestNewsAt(stores, symbol);
      const what = sources.yahoo ? "latest" : `${req.from}..${req.to}`;
      out.push({
        kind: "news",
        symbol,
        fetch: since === null ? what : `${what}, published since ${new Date(since).toISOString()}`,
      });
    }
    return out;
  },
};
