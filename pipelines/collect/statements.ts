/**
 * `statements`: quarterly and annual statements (`fundamentalsTimeSeries`, all modules) and quarterly
 * earnings (`quoteSummary earnings`) as documents of the `reports` collection (id = the source's stable
 * filing id, `knownAt` by the SEC-deadline rule of `lib/sources/yahoo.ts`); raw responses to `raw/yahoo/...`.
 *
 * Ranges: quarterly periods ending in `[from, to]`; annual periods ending in `[Jan 1 two years before from,
 * to]`, so that at least two fiscal years are on file even for a short request. Upserts by id: a re-run adds
 * nothing, a restated value replaces the document.
 * @module
 */
import type { Filing } from "@lib/core/mod.ts";
import type { Doc } from "@lib/store/mod.ts";
import { type CollectStep, need, runSymbols, storeRawFor } from "./common.ts";

/** Documents collection of statements, earnings and SEC filings. */
export const REPORTS_COLLECTION = "reports";

/** Start of the annual-statement window for a request starting at `from`. */
export function annualFrom(from: string): string {
  return `${Number(from.slice(0, 4)) - 2}-01-01`;
}

/** A filing as a document (`symbols` = its symbol). */
export function filingToDoc(f: Filing): Doc {
  return { ...f, symbols: [f.symbol] } as unknown as Doc;
}

/** The `statements` step. */
export const statementsStep: CollectStep = {
  kind: "statements",
  async run(sources, stores, req, progress) {
    return await runSymbols("statements", "statements", sources, req, progress, async (symbol) => {
      const yahoo = need(sources.yahoo, "yahoo", "statements");
      const quarterly = await yahoo.timeSeries(symbol, {
        from: req.from,
        to: req.to,
        period: "quarterly",
      });
      const annual = await yahoo.timeSeries(symbol, {
        from: annualFrom(req.from),
        to: req.to,
        period: "annual",
      });
      const earnings = await yahoo.earnings(symbol);
      const docs = [...quarterly, ...annual, ...earnings].map(filingToDoc);
      const r = docs.length
        ? await stores.documents.upsert(REPORTS_COLLECTION, docs)
        : { inserted: 0, updated: 0 };
      const objects = await storeRawFor(sources, stores, "yahoo", "statements", symbol);
      return {
        rows: r.inserted + r.updated,
        inserted: r.inserted,
        objects,
        range: `${annualFrom(req.from)}..${req.to}`,
      };
    });
  },
  plan(_sources, _stores, req) {
    return Promise.resolve(req.symbols.map((symbol) => ({
      kind: "statements",
      symbol,
      fetch: `quarterly ${req.from}..${req.to}, annual ${annualFrom(req.from)}..${req.to}, earnings`,
    })));
  },
};
