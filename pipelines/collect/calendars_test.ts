import { deepEqual, equal, ok } from "node:assert/strict";
import { createNasdaqSource, createReplayFetch } from "@lib/sources/mod.ts";
import type { Row } from "@lib/store/mod.ts";
import { calendarsStep, calendarToRows } from "./calendars.ts";
import { type CollectSources, createRawRecorder } from "./common.ts";
import { NASDAQ_DIR, tempStores, YAHOO_DIR } from "./_test_helpers.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Replaying Nasdaq source whose observation clock reads `at`; `edit` may rewrite an earnings response. */
async function nasdaqAt(at: number, edit?: (body: Json) => void): Promise<CollectSources> {
  const replay = await createReplayFetch([YAHOO_DIR, NASDAQ_DIR]);
  const f = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const res = await replay(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!edit || !url.includes("/api/calendar/earnings")) return res;
    const body = await res.json();
    edit(body);
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
  };
  const raw = createRawRecorder(f);
  const clock = { now: () => at, sleep: () => Promise.resolve() };
  return {
    nasdaq: createNasdaqSource({ fetch: raw.fetch, rateLimitPerSec: 10_000, retries: 0, clock }),
    raw,
  };
}

const req = { symbols: [], from: "2023-11-13", to: "2023-11-13", calendars: ["earnings" as const] };

Deno.test("calendars: a re-run keeps the first known_at of unchanged upcoming rows; a changed row is a revision", async () => {
  const t = await tempStores();
  try {
    const t1 = Date.parse("2023-11-10T12:00:00Z"), t2 = Date.parse("2023-11-12T12:00:00Z");
    const [r1] = await calendarsStep.run(await nasdaqAt(t1), t.stores, req);
    equal(r1.ok, true, r1.error);
    const first = await t.stores.tables.query("calendar_events", { where: { kind: "earnings" } });
    const upcoming = first.filter((r) => r.known_at === t1);
    ok(upcoming.length > 10, `upcoming rows stamped with the observation time: ${upcoming.length}`);
    ok(upcoming.some((r) => r.symbol === "MUFG"));

    const [r2] = await calendarsStep.run(
      await nasdaqAt(t2, (b) => {
        const row = b.data.rows.find((r: Json) => r.symbol === "MUFG");
        row.epsForecast = "$0.17";
      }),
      t.stores,
      req,
    );
    equal(r2.ok, true, r2.error);
    equal(r2.inserted, 0);
    const second = await t.stores.tables.query("calendar_events", { where: { kind: "earnings" } });
    equal(second.length, first.length);
    const byKey = new Map<string, Row>(second.map((r) => [String(r.symbol), r]));
    for (const r of first) {
      const now = byKey.get(String(r.symbol))!;
      if (r.symbol === "MUFG") {
        equal(now.known_at, t2, "changed payload: the revision's observation time");
        equal(JSON.parse(String(now.payload)).epsForecast, 0.17);
      } else {
        deepEqual(now, r, `${r.symbol}: unchanged row keeps its first known_at`);
      }
    }
    // an as-of query between the two runs still sees the unchanged upcoming rows
    const asOf = await t.stores.tables.query("calendar_events", {
      where: { kind: "earnings", known_at: { lte: t1 + 1 } },
    });
    equal(asOf.filter((r) => r.known_at === t1).length, upcoming.length - 1);
  } finally {
    await t.dispose();
  }
});

Deno.test("calendars: a dividend listed twice under two spellings of the company's name is stored once", async () => {
  const t = await tempStores();
  try {
    const day = { symbols: [], from: "2023-11-06", to: "2023-11-06", calendars: ["dividends" as const] };
    const [r] = await calendarsStep.run(await nasdaqAt(Date.parse("2023-11-06T12:00:00Z")), t.stores, day);
    equal(r.ok, true, r.error);
    const rows = await t.stores.tables.query("calendar_events", { where: { kind: "dividend" } });
    // 45 rows, 13 of them the same dividend again ("Tompkins Financial Corporation" and "... Common Stock")
    equal(rows.length, 32);
    deepEqual(rows.filter((x) => String(x.symbol).startsWith("TMP")).map((x) => x.symbol), ["TMP"]);
    ok(!rows.some((x) => String(x.symbol).includes("#")));
    equal(JSON.parse(String(rows.find((x) => x.symbol === "TMP")!.payload)).dividend_Rate, 0.6);
  } finally {
    await t.dispose();
  }
});

Deno.test("calendars: two dividend classes on one ex-date (different rates) stay two rows, #2", () => {
  const row = (companyName: string, dividend_Rate: number) => ({
    source: "nasdaq" as const,
    kind: "dividend" as const,
    symbol: "BRK",
    date: "2023-11-06",
    payload: { companyName, dividend_Rate, dividend_Ex_Date: "2023-11-06" },
    knownAt: 1,
  });
  const rows = calendarToRows([
    row("B Class A", 0.5),
    row("B Class A Common Stock", 0.5),
    row("B Class B", 0.25),
  ]);
  deepEqual(rows.map((r) => [r.symbol, JSON.parse(String(r.payload)).dividend_Rate]), [["BRK", 0.5], [
    "BRK#2",
    0.25,
  ]]);
});
