/**
 * `calendars`: Nasdaq feeds. Earnings, dividend and economic-event calendars (one request per weekday of
 * `[from, to]`) and the IPO calendar (one per month) become `calendar_events` rows (payload JSON); SEC filings
 * (per symbol and year) become `reports` documents; a symbol's dividend history becomes `corporate_actions`
 * (merged with the rows the `prices` kind wrote: `mergeActions`).
 * Raw responses go to `raw/nasdaq/...`.
 *
 * Keys: `calendar_events` is keyed (source, kind, symbol, date). Economic events have no symbol: their
 * `symbol` is `<country>: <event name>`. Rows of one response that share a key and agree in every field but
 * the company's name are one event, stored once (Nasdaq's dividend calendar lists some dividends twice, as
 * "Tompkins Financial Corporation" and "... Common Stock"; the first row stands). Rows that share a key and
 * differ in any other field get `#2`, `#3`... appended to the symbol (e.g. two dividend classes on one ex-date,
 * with different rates or dates), so nothing is silently lost.
 * Every unit is one upsert, so a re-run replaces instead of duplicating.
 *
 * Point in time: an upcoming earnings or IPO row is stamped with the observation time, so a re-run would move
 * its `known_at` later. Before the upsert the stored rows with the same keys are read: a row whose payload
 * (every non-key column) is unchanged keeps the earlier `known_at`; a changed row is a revision and gets the
 * new one.
 * @module
 */
import { addDays, type IsoDate } from "@lib/core/mod.ts";
import type { CalendarRow } from "@lib/sources/mod.ts";
import { CALENDAR_EVENTS, type Row, type Stores, type TableStore } from "@lib/store/mod.ts";
import {
  CALENDAR_FEEDS,
  type CalendarFeed,
  type CollectRequest,
  type CollectSources,
  type CollectStep,
  dropRawOnError,
  ensureTables,
  mergeActions,
  need,
  runUnits,
  storeRawFor,
  type UnitResult,
} from "./common.ts";
import { filingToDoc, REPORTS_COLLECTION } from "./statements.ts";

/** Default SEC form groups of the `filings` feed. */
export const DEFAULT_FILING_GROUPS = ["Annual Reports", "Quarterly Reports"];

function weekdays(from: IsoDate, to: IsoDate): IsoDate[] {
  const out: IsoDate[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const w = new Date(`${d}T00:00:00Z`).getUTCDay();
    if (w !== 0 && w !== 6) out.push(d);
  }
  return out;
}

function months(from: IsoDate, to: IsoDate): string[] {
  const out: string[] = [];
  let y = Number(from.slice(0, 4)), m = Number(from.slice(5, 7));
  const end = to.slice(0, 7);
  for (;;) {
    const s = `${y}-${String(m).padStart(2, "0")}`;
    if (s > end) break;
    out.push(s);
    if (++m > 12) [y, m] = [y + 1, 1];
  }
  return out;
}

/** The work units of a request (`earnings:2023-11-13`, `ipo:2023-11`, `filings:AAPL:2024:Annual Reports`...). */
export function calendarUnits(req: CollectRequest): string[] {
  const feeds = new Set<CalendarFeed>(req.calendars ?? CALENDAR_FEEDS);
  const units: string[] = [];
  const days = weekdays(req.from, req.to);
  if (feeds.has("earnings")) units.push(...days.map((d) => `earnings:${d}`));
  if (feeds.has("dividends")) units.push(...days.map((d) => `dividends:${d}`));
  if (feeds.has("economic")) units.push(...days.map((d) => `economic:${d}`));
  if (feeds.has("ipo")) units.push(...months(req.from, req.to).map((m) => `ipo:${m}`));
  if (feeds.has("filings")) {
    const y0 = Number(req.from.slice(0, 4)), y1 = Number(req.to.slice(0, 4));
    for (const s of req.symbols) {
      for (let y = y0; y <= y1; y++) {
        for (const g of req.filingGroups ?? DEFAULT_FILING_GROUPS) units.push(`filings:${s}:${y}:${g}`);
      }
    }
  }
  if (feeds.has("dividend-history")) units.push(...req.symbols.map((s) => `dividend-history:${s}`));
  return units;
}

/** A calendar row's payload less the company's name: what tells two rows of one key apart as two events. */
function eventOf(payload: Record<string, unknown>): string {
  const { companyName: _name, ...rest } = payload;
  return JSON.stringify(rest);
}

/** Calendar rows as `calendar_events` rows with unique keys (see the module notes). */
export function calendarToRows(rows: CalendarRow[]): Row[] {
  const byKey = new Map<string, Row>();
  for (const r of rows) {
    const base = r.kind === "economic" && typeof r.payload.eventName === "string"
      ? `${r.symbol}: ${r.payload.eventName}`
      : r.symbol;
    const payload = JSON.stringify(r.payload);
    const event = eventOf(r.payload);
    let symbol = base;
    for (let n = 2;; n++) {
      const prev = byKey.get(`${r.kind}|${symbol}|${r.date}`);
      if (!prev || eventOf(JSON.parse(String(prev.payload))) === event) break;
      symbol = `${base}#${n}`;
    }
    // the same event listed again (under another spelling of the company's name): the first row stands
    if (byKey.has(`${r.kind}|${symbol}|${r.date}`)) continue;
    byKey.set(`${r.kind}|${symbol}|${r.date}`, {
      source: r.source,
      kind: r.kind,
      symbol,
      date: r.date,
      payload,
      known_at: r.knownAt,
    });
  }
  return [...byKey.values()];
}

const calKey = (r: Row): string => CALENDAR_EVENTS.key.map((c) => String(r[c])).join("\u0000");
const PAYLOAD_COLUMNS = Object.keys(CALENDAR_EVENTS.columns).filter(
  (c) => c !== "known_at" && !CALENDAR_EVENTS.key.includes(c),
);
const same = (a: unknown, b: unknown): boolean =>
  a === b || (a !== null && b !== null && typeof a === "object" && JSON.stringify(a) === JSON.stringify(b));

/**
 * `rows` with `known_at` kept from the stored row of the same key when every non-key column is unchanged and
 * the stored `known_at` is earlier; changed and new rows keep theirs. Reads through `query` only, so any backend
 * works.
 */
async function keepFirstKnownAt(tables: TableStore, rows: Row[]): Promise<Row[]> {
  if (!rows.length) return rows;
  const uniq = (c: string) => [...new Set(rows.map((r) => r[c] as string | number))];
  const sources = uniq("source"), kinds = uniq("kind"), dates = uniq("date");
  const stored = new Map<string, Row>();
  for (let i = 0; i < dates.length; i += 200) {
    const found = await tables.query(CALENDAR_EVENTS.name, {
      where: { source: sources, kind: kinds, date: dates.slice(i, i + 200) },
    });
    for (const r of found) stored.set(calKey(r), r);
  }
  return rows.map((r) => {
    const old = stored.get(calKey(r));
    if (!old || !PAYLOAD_COLUMNS.every((c) => same(old[c], r[c]))) return r;
    const prev = Number(old.known_at);
    return Number.isFinite(prev) && prev < Number(r.known_at) ? { ...r, known_at: prev } : r;
  });
}

async function upsertCalendar(stores: Stores, rows: Row[]) {
  return await stores.tables.upsert(CALENDAR_EVENTS.name, await keepFirstKnownAt(stores.tables, rows));
}

/** Which recorded responses belong to a unit. */
function unitMatch(unit: string): (u: URL) => boolean {
  const [feed, a, b, c] = unit.split(":");
  switch (feed) {
    case "earnings":
    case "dividends":
    case "economic": {
      const path = `/api/calendar/${feed === "economic" ? "economicevents" : feed}`;
      return (u) => u.pathname === path && u.searchParams.get("date") === a;
    }
    case "ipo":
      return (u) => u.pathname === "/api/ipo/calendar" && u.searchParams.get("date") === a;
    case "filings":
      return (u) =>
        u.pathname === `/api/company/${a}/sec-filings` && u.searchParams.get("Year") === b &&
        u.searchParams.get("FormGroup") === c;
    case "dividend-history":
      return (u) => u.pathname === `/api/quote/${a}/dividends`;
    default:
      throw new RangeError(`unknown calendar unit ${unit}`);
  }
}

async function collectUnit(sources: CollectSources, stores: Stores, unit: string): Promise<UnitResult> {
  const nasdaq = need(sources.nasdaq, "nasdaq", "calendars");
  const [feed, a, b, c] = unit.split(":");
  let res = { inserted: 0, updated: 0 };
  if (feed === "earnings" || feed === "dividends" || feed === "economic") {
    const rows = feed === "earnings"
      ? await nasdaq.earningsCalendar(a)
      : feed === "dividends"
      ? await nasdaq.dividendCalendar(a)
      : await nasdaq.economicEvents(a);
    const out = calendarToRows(rows);
    if (out.length) res = await upsertCalendar(stores, out);
  } else if (feed === "ipo") {
    const out = calendarToRows(await nasdaq.ipoCalendar(a));
    if (out.length) res = await upsertCalendar(stores, out);
  } else if (feed === "filings") {
    const filings = await nasdaq.secFilings(a, { year: Number(b), formGroup: c });
    if (filings.length) res = await stores.documents.upsert(REPORTS_COLLECTION, filings.map(filingToDoc));
  } else if (feed === "dividend-history") {
    const acts = await nasdaq.dividends(a);
    if (acts.length) {
      res = await stores.tables.upsert(
        "corporate_actions",
        await mergeActions(stores.tables, acts, "nasdaq"),
      );
    }
  } else throw new RangeError(`unknown calendar unit ${unit}`);
  const objects = await storeRawFor(sources, stores, "nasdaq", "calendar", unit, unitMatch(unit));
  return { rows: res.inserted + res.updated, inserted: res.inserted, objects, range: a };
}

/** The `calendars` step (Nasdaq). */
export const calendarsStep: CollectStep = {
  kind: "calendars",
  async run(sources, stores, req, progress) {
    await ensureTables(stores);
    return await runUnits(
      "calendars",
      calendarUnits(req),
      (u) => dropRawOnError(sources, unitMatch(u), () => collectUnit(sources, stores, u)),
      {
        concurrency: req.concurrency,
        progress,
      },
    );
  },
  plan(_sources, _stores, req) {
    return Promise.resolve(
      calendarUnits(req).map((u) => {
        const i = u.indexOf(":");
        return { kind: "calendars", symbol: u.slice(0, i), fetch: u.slice(i + 1) };
      }),
    );
  },
};
