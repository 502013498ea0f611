/**
 * Step 1, collect: a source's bars, corporate actions and news into the stores. Everything is fetched and
 * validated before anything is written; each kind is written in one all-or-nothing upsert, so a failed run
 * leaves nothing partial and a re-run adds nothing.
 * @module
 */
import type { BarRequest, MarketSource } from "@lib/sources/mod.ts";
import { actionToRow, ALL_SCHEMAS, barToRow, type Stores } from "@lib/store/mod.ts";
import type { Progress } from "../progress.ts";

/** Names of the tables/collections the pipeline uses. */
export const NEWS_COLLECTION = "news";

/** What a collect run did. */
export interface CollectResult {
  source: string;
  symbols: string[];
  from: string;
  to: string;
  bars: number;
  barsInserted: number;
  actions: number;
  news: number;
  newsInserted: number;
}

/** Creates the pipeline's tables when missing. */
export async function ensureSchema(stores: Stores): Promise<void> {
  for (const s of ALL_SCHEMAS) await stores.tables.ensureTable(s);
}

/** Collects bars (+ actions and news when the source has them) for `req` into `stores`. */
export async function collect(
  source: MarketSource,
  stores: Stores,
  req: BarRequest,
  progress?: Progress,
): Promise<CollectResult> {
  const done = progress?.start(`collect (${source.name})`);
  const bars = await source.bars(req);
  const actions = source.actions ? await source.actions(req) : [];
  const news = source.news ? await source.news(req) : [];
  await ensureSchema(stores);
  const rows = [];
  for (const list of bars.values()) for (const b of list) rows.push(barToRow(b));
  const barRes = await stores.tables.upsert("bars", rows);
  if (actions.length) await stores.tables.upsert("corporate_actions", actions.map(actionToRow));
  const newsRes = news.length
    ? await stores.documents.upsert(NEWS_COLLECTION, news.map((n) => ({ ...n })))
    : { inserted: 0, updated: 0 };
  done?.();
  progress?.note(
    `${rows.length} bars (${barRes.inserted} new) for ${bars.size} symbols, ${actions.length} actions, ` +
      `${news.length} news (${newsRes.inserted} new)`,
  );
  return {
    source: source.name,
    symbols: [...bars.keys()],
    from: req.from,
    to: req.to,
    bars: rows.length,
    barsInserted: barRes.inserted,
    actions: actions.length,
    news: news.length,
    newsInserted: newsRes.inserted,
  };
}
