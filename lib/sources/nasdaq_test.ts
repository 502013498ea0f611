import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { DataSourceError, nyTime, openTime } from "../core/mod.ts";
import { createNasdaqSource, type NasdaqSourceOptions, parseDisplayNumber, parseUsDate } from "./nasdaq.ts";
import { createReplayFetch, type ReplayFetch } from "./replay.ts";

const DIR = new URL("../../../shared/data/nasdaq-fixtures/", import.meta.url);
const TESTDATA = new URL("./testdata/nasdaq/", import.meta.url);
const NOW = Date.UTC(2026, 0, 5, 12);

// deno-lint-ignore no-explicit-any
type Json = any;
async function body(name: string): Promise<Json> {
  return JSON.parse(await Deno.readTextFile(new URL(name, DIR))).body;
}

let shared: Promise<ReplayFetch> | undefined;
function replay(): Promise<ReplayFetch> {
  // The real recordings plus our two extra ones (the malformed earnings day is used on its own below).
  return shared ??= createReplayFetch([
    DIR,
    new URL("autocomplete-slookup-apple.json", TESTDATA),
    new URL("quote-dividends-ZZZZ-rcode-400.json", TESTDATA),
  ]);
}
async function source(extra: Partial<NasdaqSourceOptions> = {}) {
  return createNasdaqSource({
    fetch: await replay(),
    rateLimitPerSec: 0,
    backoffMs: 1,
    clock: { now: () => NOW, sleep: () => Promise.resolve() },
    ...extra,
  });
}

Deno.test("parseDisplayNumber / parseUsDate: Nasdaq display strings", () => {
  equal(parseDisplayNumber("$71,008,400,000"), 71008400000);
  equal(parseDisplayNumber("($0.53)"), -0.53);
  equal(parseDisplayNumber("-0.055%"), -0.055);
  equal(parseDisplayNumber("176,769,790,631"), 176769790631);
  equal(parseDisplayNumber(0.7), 0.7);
  for (const v of ["N/A", "", "-", "&nbsp;", "16.00-18.00", null]) equal(parseDisplayNumber(v), null);
  equal(parseUsDate("11/06/2023"), "2023-11-06");
  equal(parseUsDate("N/A"), null);
});

Deno.test("nasdaq earnings calendar: reported day (eps, surprise) with report-time knownAt", async () => {
  const fx = (await body("calendar-earnings__1.json")).data.rows as Json[];
  const rows = await (await source()).earningsCalendar("2023-11-03");
  equal(rows.length, fx.length);
  equal(rows.length, 85);
  const enb = rows.find((r) => r.symbol === "ENB")!;
  equal(enb.payload.eps, 0.46);
  equal(enb.payload.surprise, 6.98);
  equal(enb.payload.marketCap, 71008400000);
  equal(enb.payload.fiscalQuarterEnding, "Sep/2023");
  equal(enb.kind, "earnings");
  equal(enb.date, "2023-11-03");
  equal(enb.knownAt, nyTime("2023-11-04", 0, 0), "time not supplied: end of day");
  for (const r of rows) {
    const raw = fx.find((x) => x.symbol === r.symbol)!;
    if (raw.time === "time-pre-market") equal(r.knownAt, openTime("2023-11-03"));
    if (raw.time === "time-after-hours") equal(r.knownAt, nyTime("2023-11-03", 20, 0));
  }
  ok(rows.some((r) => typeof r.payload.eps === "number" && r.payload.eps < 0), "negative EPS '($x)' parsed");
});

Deno.test("nasdaq earnings calendar: upcoming day, Thanksgiving, empty Sunday", async () => {
  const src = await source();
  const up = await src.earningsCalendar("2023-11-14");
  equal(up.length, (await body("calendar-earnings__3.json")).data.rows.length);
  const hd = up.find((r) => r.symbol === "HD")!;
  equal(hd.payload.lastYearRptDt, "2022-11-15");
  equal(hd.payload.lastYearEPS, 4.24);
  equal(hd.payload.epsForecast, 3.79);
  equal(hd.knownAt, NOW, "upcoming rows are known when observed");
  equal((await src.earningsCalendar("2023-11-23")).length, 2);
  deepEqual(await src.earningsCalendar("2023-11-26"), []);
});

Deno.test("nasdaq dividend calendar: numbers, dates, announcement-day knownAt", async () => {
  const fx = (await body("calendar-dividends__1.json")).data.calendar.rows as Json[];
  const rows = await (await source()).dividendCalendar("2023-11-06");
  equal(rows.length, 45);
  const arlp = rows.find((r) => r.symbol === "ARLP")!;
  equal(arlp.payload.dividend_Rate, 0.7);
  equal(arlp.payload.indicated_Annual_Dividend, 2.8);
  equal(arlp.payload.payment_Date, "2023-11-14");
  equal(arlp.date, "2023-11-06");
  equal(arlp.knownAt, nyTime("2023-10-28", 0, 0));
  deepEqual(rows.map((r) => r.symbol), fx.map((r) => r.symbol));
});

Deno.test("nasdaq historical dividends: AAPL cash dividends 1988..2023 as corporate actions", async () => {
  const fx = (await body("quote-dividends__1.json")).data.dividends.rows as Json[];
  const acts = await (await source()).dividends("AAPL");
  equal(acts.length, fx.length);
  equal(acts.length, 72);
  equal(acts[0].date, "1988-11-21");
  equal(acts[0].knownAt, openTime("1988-11-21"), "no declaration date: ex-date open");
  const last = acts.at(-1)!;
  deepEqual([last.date, last.kind, last.value], ["2023-11-10", "dividend", 0.24]);
  equal(last.knownAt, nyTime("2023-11-03", 0, 0), "end of the declaration day 2023-11-02");
});

Deno.test("nasdaq SEC filings: AAPL FY2024 10-K", async () => {
  const filings = await (await source()).secFilings("AAPL", { year: 2024, formGroup: "Annual Reports" });
  equal(filings.length, 1);
  const k = filings[0];
  equal(k.kind, "annual");
  equal(k.periodEnd, "2024-09-28");
  equal(k.filedAt, nyTime("2024-11-02", 0, 0));
  equal(k.knownAt, k.filedAt);
  equal(k.meta!.formType, "10-K");
  ok(String(k.meta!.htmlLink).includes("quotemedia.com"));
});

Deno.test("nasdaq screener: large-cap consumer staples", async () => {
  const fx = (await body("screener-stocks__1.json")).data.table.rows as Json[];
  const rows = await (await source()).screener({ marketcap: "large", sector: "consumer_staples" });
  equal(rows.length, 32);
  deepEqual(rows[0], {
    symbol: "FMX",
    name: fx[0].name,
    lastSale: 108.24,
    netChange: -0.06,
    pctChange: -0.055,
    marketCap: 176769790631,
    knownAt: NOW,
  });
});

Deno.test("nasdaq economic events: New York release times, All Day", async () => {
  const fx = (await body("calendar-economicevents__2.json")).data.rows as Json[];
  const rows = await (await source()).economicEvents("2023-10-24");
  equal(rows.length, fx.length);
  const redbook = rows.find((r) => r.payload.eventName === "Redbook")!;
  equal(redbook.symbol, "United States");
  equal(redbook.knownAt, nyTime("2023-10-24", 8, 55));
  const allDay = rows.find((r) => r.payload.gmt === "All Day");
  if (allDay) equal(allDay.knownAt, nyTime("2023-10-25", 0, 0));
});

Deno.test("nasdaq IPO calendar: priced, upcoming, filed; withdrawn null", async () => {
  const rows = await (await source()).ipoCalendar("2023-11");
  const kinds = rows.map((r) => r.kind);
  equal(kinds.filter((k) => k === "ipo-priced").length, 1);
  equal(kinds.filter((k) => k === "ipo-upcoming").length, 3);
  equal(kinds.filter((k) => k === "ipo-filed").length, 2);
  equal(kinds.filter((k) => k === "ipo-withdrawn").length, 0);
  const papl = rows.find((r) => r.symbol === "PAPL")!;
  equal(papl.payload.proposedSharePrice, 4);
  equal(papl.payload.sharesOffered, 875000);
  equal(papl.date, "2023-11-01");
  equal(rows.find((r) => r.symbol === "HG")!.payload.proposedSharePrice, "16.00-18.00");
});

Deno.test("nasdaq symbol search (hand-written fixture in the autocomplete format)", async () => {
  const hits = await (await source()).search("apple");
  deepEqual(hits.map((h) => [h.symbol, h.asset]), [["AAPL", "STOCKS"], ["APLE", "STOCKS"], ["AAPB", "ETF"]]);
  equal(hits[0].exchange, "NASDAQ-GS");
});

Deno.test("nasdaq malformed calendar row (symbol removed) -> DataSourceError naming the field", async () => {
  const f = await createReplayFetch([new URL("calendar-earnings-no-symbol.json", TESTDATA)]);
  const src = createNasdaqSource({ fetch: f, rateLimitPerSec: 0 });
  await rejects(src.earningsCalendar("2023-11-03"), (e: unknown) => {
    ok(e instanceof DataSourceError);
    ok(e.message.includes("changed response shape: missing body.data.rows[1].symbol"), e.message);
    return true;
  });
});

Deno.test("nasdaq 200 with an error envelope (rCode 400) -> DataSourceError", async () => {
  await rejects((await source()).dividends("ZZZZ"), (e: unknown) => {
    ok(e instanceof DataSourceError);
    equal(e.status, 400);
    equal(e.symbol, "ZZZZ");
    ok(e.message.includes("Symbol not exists"), e.message);
    return true;
  });
});

Deno.test("nasdaq HTTP errors: 403 at once, 503 retried then succeeds", async () => {
  const f = await replay();
  let n = 0;
  const blocked = (() => Promise.resolve(new Response("Access Denied", { status: 403 }))) as typeof fetch;
  await rejects(createNasdaqSource({ fetch: blocked, rateLimitPerSec: 0 }).screener(), (e: unknown) => {
    ok(e instanceof DataSourceError);
    equal(e.status, 403);
    return true;
  });
  const flaky =
    ((input: RequestInfo | URL, init?: RequestInit) =>
      n++ < 2 ? Promise.resolve(new Response("busy", { status: 503 })) : f(input, init)) as typeof fetch;
  const rows = await createNasdaqSource({ fetch: flaky, rateLimitPerSec: 0, backoffMs: 1 }).earningsCalendar(
    "2023-11-23",
  );
  equal(n, 3);
  equal(rows.length, 2);
});

Deno.test("nasdaq unmatched request -> 404 DataSourceError, recorded by the replay", async () => {
  const f = await createReplayFetch(DIR);
  await rejects(
    createNasdaqSource({ fetch: f, rateLimitPerSec: 0 }).earningsCalendar("2024-01-02"),
    (e: unknown) => {
      ok(e instanceof DataSourceError);
      equal(e.status, 404);
      ok(
        e.message.includes("no recorded response for GET /api/calendar/earnings?date=2024-01-02"),
        e.message,
      );
      return true;
    },
  );
  deepEqual(f.unmatched, ["https://api.nasdaq.com/api/calendar/earnings?date=2024-01-02"]);
});
