/**
 * `statements`: quarterly and annual statements (`fundamentalsTimeSeries`, all modules) and quarterly
 * earnings (`quoteSummary earnings`) as documents of the `reports` collection (id = the source's stable
 * filing id); raw responses to `raw/yahoo/...`. `knownAt`: the SEC-deadline rule of `lib/sources/yahoo.ts`,
 * except that a quarter ending at a fiscal year end (an annual period's end) gets the 10-K's deadline, and that
 * the filing time of a stored Nasdaq SEC filing of the period (`calendars`, `filings` feed) wins over a deadline
 * (see {@linkcode stampStatements}); collect the filings first to have them used.
 *
 * Ranges: quarterly periods ending in `[from, to]`; annual periods ending in `[Jan 1 two years before from,
 * to]`, so that at least two fiscal years are on file even for a short request. Upserts by id: a re-run adds
 * nothing, a restated value replaces the document.
 * @module
 */
import type { Filing, IsoDate } from "@lib/core/mod.ts";
import { statementKnownAt } from "@lib/sources/mod.ts";
import type { Doc, Stores } from "@lib/store/mod.ts";
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

const DAY_MS = 86_400_000;
/** Days between two dates (absolute). */
const daysApart = (a: IsoDate, b: IsoDate): number => Math.abs(Date.parse(a) - Date.parse(b)) / DAY_MS;
/**
 * Whether `end` falls on a fiscal year end: within a week of one of `fiscalEnds` in any year (a 52/53-week
 * year ends on a different day each year; sources round it differently, e.g. AAPL 2024-09-28 or -09-30).
 */
function atFiscalYearEnd(end: IsoDate, fiscalEnds: readonly IsoDate[]): boolean {
  const y = Number(end.slice(0, 4));
  return fiscalEnds.some((e) => [y - 1, y, y + 1].some((yy) => daysApart(end, `${yy}${e.slice(4)}`) <= 7));
}

/**
 * The statements of one fetch with `knownAt` set by the filing that published them. A quarter ending at a fiscal
 * year end (the end of an annual period of `docs` or `stored`) is reported only in the 10-K: it gets the annual
 * deadline (period end + 90 days), not the 10-Q's 45. Where a Nasdaq SEC filing of the same form (10-K for annual
 * statements and fiscal fourth quarters, else 10-Q) with a period end within a week is stored (the `calendars`
 * kind's `filings` feed), its filing time (the end of the filed day) is used instead, earlier or later than the
 * deadline: it is when the numbers became public.
 */
export function stampStatements(docs: readonly Filing[], stored: readonly Filing[]): Filing[] {
  const annualEnds = [...docs, ...stored].filter((d) => d.kind === "annual" && d.periodEnd).map((d) =>
    d.periodEnd!
  );
  const filings = stored.filter((d) =>
    d.source === "nasdaq" && (d.kind === "annual" || d.kind === "quarterly")
  );
  return docs.map((d) => {
    if (
      d.source === "nasdaq" || !d.periodEnd ||
      (d.kind !== "annual" && d.kind !== "quarterly" && d.kind !== "earnings")
    ) {
      return d;
    }
    const form = d.kind === "annual" || atFiscalYearEnd(d.periodEnd, annualEnds) ? "annual" : "quarterly";
    const filed = filings.find((f) =>
      f.kind === form && f.periodEnd && daysApart(f.periodEnd, d.periodEnd!) <= 7
    );
    const knownAt = filed ? filed.knownAt : statementKnownAt(d.periodEnd, form);
    return knownAt === d.knownAt ? d : { ...d, knownAt };
  });
}

/** The stored reports of a symbol (statements and Nasdaq SEC filings) as filings. */
async function storedReports(stores: Stores, symbol: string): Promise<Filing[]> {
  return (await stores.documents.find(REPORTS_COLLECTION, { symbol })) as unknown as Filing[];
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
      const stamped = stampStatements(
        [...quarterly, ...annual, ...earnings],
        await storedReports(stores, symbol),
      );
      const docs = stamped.map(filingToDoc);
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
