import { deepEqual, equal, ok } from "node:assert/strict";
import { closeTime, DataSourceError, type Signal } from "@lib/core/mod.ts";
import { joinAsOf } from "@lib/dataset/mod.ts";
import { chainFeatures } from "@lib/features/mod.ts";
import { rowToOption, signalToRow } from "@lib/store/mod.ts";
import {
  calendarsStep,
  chartsStep,
  newsStep,
  optionsStep,
  pricesStep,
  REPORTS_COLLECTION,
  statementsStep,
  statisticsStep,
  summarize,
} from "./mod.ts";
import { NASDAQ_DIR, replaySources, storeDump, tempStores, YAHOO_DIR } from "./_test_helpers.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const yfx = async (name: string): Promise<Json> =>
  JSON.parse(await Deno.readTextFile(new URL(name, YAHOO_DIR))).response.bodyJson;
const nfx = async (name: string): Promise<Json> =>
  JSON.parse(await Deno.readTextFile(new URL(name, NASDAQ_DIR))).body;
const dec = new TextDecoder();

Deno.test("statistics: AAPL key statistics -> statistics rows; a re-run inserts nothing", async () => {
  const t = await tempStores();
  try {
    const req = { symbols: ["AAPL"], from: "2025-02-18", to: "2025-02-18" };
    const [r] = await statisticsStep.run(await replaySources(), t.stores, req);
    equal(r.ok, true, r.error);
    const sd = (await yfx("quoteSummary-summaryDetail-AAPL.json")).quoteSummary.result[0].summaryDetail;
    const [pe] = await t.stores.tables.query("statistics", { where: { name: "summaryDetail.trailingPE" } });
    equal(pe.value, sd.trailingPE);
    equal(r.objects, 3, "one raw response per quoteSummary module");
    const again = await statisticsStep.run(await replaySources(), t.stores, req);
    equal(again[0].inserted, 0);
    equal(again[0].objects, 0);
  } finally {
    await t.dispose();
  }
});

Deno.test("statements: AAPL quarterly + annual time series and earnings -> reports; QQQ has none (typed error)", async () => {
  const t = await tempStores();
  try {
    const req = { symbols: ["AAPL", "QQQ"], from: "2024-01-01", to: "2024-12-31" };
    const rows = await statementsStep.run(await replaySources(), t.stores, req);
    equal(rows[0].ok, true, rows[0].error);
    const docs = await t.stores.documents.find(REPORTS_COLLECTION, { symbol: "AAPL" });
    const q = docs.filter((d) => d.kind === "quarterly"), a = docs.filter((d) => d.kind === "annual");
    const e = docs.filter((d) => d.kind === "earnings");
    const fq = (await yfx("fundamentalsTimeSeries-AAPL-all-quarterly.json")).timeseries.result as Json[];
    const quarterEnds = new Set(
      fq.flatMap((r) => (r[r.meta.type[0]] ?? []).filter(Boolean).map((x: Json) => x.asOfDate)),
    );
    deepEqual(new Set(q.map((d) => d.periodEnd)), quarterEnds);
    ok(a.length >= 3, `annual periods: ${a.length}`);
    equal(e.length, 4);
    ok(docs.every((d) => d.knownAt > Date.parse(`${d.periodEnd}T00:00:00Z`)), "knownAt after the period end");
    equal(rows[1].ok, false);
    ok(rows[1].cause instanceof DataSourceError);
    equal(await t.stores.documents.count(REPORTS_COLLECTION, { symbol: "QQQ" }), 0);
    const again = await statementsStep.run(await replaySources(), t.stores, req);
    equal(again[0].inserted, 0);
    equal(again[0].rows, docs.length);
  } finally {
    await t.dispose();
  }
});

Deno.test("news: AAPL search news -> news documents; incremental re-run adds nothing", async () => {
  const t = await tempStores();
  try {
    const req = { symbols: ["AAPL", "GOOG"], from: "2025-02-01", to: "2025-02-28" };
    const rows = await newsStep.run(await replaySources(), t.stores, req);
    equal(summarize(rows).failed, 0);
    const fx = (await yfx("search-AAPL.json")).news as Json[];
    const docs = await t.stores.documents.find("news", { symbol: "AAPL" });
    deepEqual(docs.map((d) => d.id).sort(), fx.map((n) => `yahoo:${n.uuid}`).sort());
    deepEqual(docs.map((d) => d.knownAt).sort(), fx.map((n) => n.providerPublishTime * 1000).sort());
    const again = await newsStep.run(await replaySources(), t.stores, req);
    equal(summarize(again).inserted, 0);
    equal(again[0].range, "not stored");
  } finally {
    await t.dispose();
  }
});

Deno.test("news: another symbol's item that names this one does not hide this symbol's earlier items", async () => {
  const t = await tempStores();
  try {
    const item = (id: string, symbols: string[], at: string) => ({
      id: `yahoo:${id}`,
      symbols,
      publishedAt: Date.parse(at),
      knownAt: Date.parse(at),
      headline: `headline ${id}`,
      source: "test",
    });
    // GOOG's search returns a late item that also names MSFT; MSFT's own search returns three earlier items
    const latest: Record<string, ReturnType<typeof item>[]> = {
      GOOG: [item("g1", ["GOOG", "MSFT"], "2025-02-25T09:15:00Z")],
      MSFT: ["m1", "m2", "m3"].map((id, i) => item(id, ["MSFT"], `2025-02-2${i}T12:00:00Z`)),
    };
    const sources = { yahoo: { latestNews: (s: string) => Promise.resolve(latest[s]) } } as never;
    const req = { symbols: ["GOOG"], from: "2025-02-01", to: "2025-02-28" };
    await newsStep.run(sources, t.stores, req);
    const [msft] = await newsStep.run(sources, t.stores, { ...req, symbols: ["MSFT"] });
    equal(msft.ok, true, msft.error);
    equal(msft.inserted, 3, "MSFT's own items are written");
    deepEqual(
      (await t.stores.documents.find("news", { symbol: "MSFT" })).map((d) => d.id).sort(),
      ["yahoo:g1", "yahoo:m1", "yahoo:m2", "yahoo:m3"],
    );
  } finally {
    await t.dispose();
  }
});

Deno.test("options: AAPL chain -> options rows (placeholder IVs stored as NULL); a re-run inserts nothing", async () => {
  const t = await tempStores();
  try {
    // the recordings hold the nearest expiry only
    const req = { symbols: ["AAPL"], from: "2025-02-24", to: "2025-02-24", optionExpiries: 1 };
    const [r] = await optionsStep.run(await replaySources(), t.stores, req);
    equal(r.ok, true, r.error);
    const res = (await yfx("options-AAPL.json")).optionChain.result[0], chain = res.options[0];
    const stored = (await t.stores.tables.query("options", { where: { symbol: "AAPL" } })).map(rowToOption);
    equal(stored.length, chain.calls.length + chain.puts.length);
    deepEqual(
      stored.filter((o) => o.right === "call").map((o) => o.contract).sort(),
      chain.calls.map((c: Json) => c.contractSymbol).sort(),
    );
    ok(stored.some((o) => Number.isNaN(o.impliedVolatility)), "bid/ask 0 before the open: IV unknown");
    ok(stored.every((o) => o.underlying === res.quote.regularMarketPrice && o.lastTradeAt! > 0));
    const [again] = await optionsStep.run(await replaySources(), t.stores, req);
    equal(again.inserted, 0);
    // stored snapshot -> point-in-time option features: implied volatilities from the last trades
    const f = chainFeatures(stored);
    ok(f.atmIv > 0.1 && f.atmIv < 0.6 && f.ivFrom.last > 10 && f.ivFrom.quote === 0, JSON.stringify(f));
    ok(Number.isFinite(f.skew25) && Number.isNaN(f.termSlope) && f.expiries === 1);
    const vol = (right: string) => stored.filter((o) => o.right === right).reduce((a, o) => a + o.volume, 0);
    ok(Math.abs(f.putCallVolume - vol("put") / vol("call")) < 1e-12);
    const decisions = [closeTime("2025-02-21"), closeTime("2025-02-24")];
    deepEqual(Array.from(joinAsOf([f], decisions)), [-1, 0]); // observed Monday 09:24 GMT: unusable on Friday
  } finally {
    await t.dispose();
  }
});

Deno.test("options: a same-day re-collection replaces the symbol's snapshot of that day whole; other days stay", async () => {
  const t = await tempStores();
  try {
    const req = { symbols: ["AAPL"], from: "2025-02-24", to: "2025-02-24", optionExpiries: 1 };
    equal((await optionsStep.run(await replaySources(), t.stores, req))[0].ok, true);
    const rows = await t.stores.tables.query("options", { where: { symbol: "AAPL" } });
    const day = rows[0].date as string, knownAt = rows[0].known_at as number;
    // an earlier snapshot of the same day that listed one more contract, and one of the day before
    const earlier = rows.map((x) => ({ ...x, known_at: knownAt - 3_600_000 }));
    const extra = { ...rows[0], contract: "AAPL250228C00999000", strike: 999, known_at: knownAt - 3_600_000 };
    const before = { ...rows[0], date: "2025-02-21", known_at: knownAt - 3 * 86_400_000 };
    await t.stores.tables.upsert("options", [...earlier, extra, before]);
    const [r] = await optionsStep.run(await replaySources(), t.stores, req);
    equal(r.ok, true, r.error);
    const after = await t.stores.tables.query("options", { where: { symbol: "AAPL", date: [day] } });
    equal(after.length, rows.length, "the contract the new chain does not list is gone");
    ok(after.every((x) => x.known_at === knownAt), "one snapshot, one known_at");
    equal(
      await t.stores.tables.count("options", { symbol: "AAPL", date: "2025-02-21" }),
      1,
      "the day before stays",
    );
  } finally {
    await t.dispose();
  }
});

Deno.test("options: the default three expirations fail on recordings that hold one, and write nothing", async () => {
  const t = await tempStores();
  try {
    const req = { symbols: ["AAPL"], from: "2025-02-24", to: "2025-02-24" };
    const [r] = await optionsStep.run(await replaySources(), t.stores, req);
    equal(r.ok, false);
    ok(/2025-03-07|1741305600|recorded/.test(r.error ?? ""), r.error);
    equal(await t.stores.tables.count("options", { symbol: "AAPL" }), 0);
  } finally {
    await t.dispose();
  }
});

Deno.test("calendars: Nasdaq earnings, economic events, IPOs, SEC filings, dividend history", async () => {
  const t = await tempStores();
  try {
    const s = await replaySources();
    const earn = await calendarsStep.run(s, t.stores, {
      symbols: ["AAPL"],
      from: "2023-11-13",
      to: "2023-11-14",
      calendars: ["earnings", "ipo", "filings", "dividend-history"],
      filingGroups: ["Annual Reports"],
    });
    deepEqual(earn.map((r) => [r.symbol, r.ok]), [
      ["earnings:2023-11-13", true],
      ["earnings:2023-11-14", true],
      ["ipo:2023-11", true],
      ["filings:AAPL:2023:Annual Reports", false], // not recorded: 404, typed
      ["dividend-history:AAPL", true],
    ]);
    ok(earn[3].cause instanceof DataSourceError);
    const e13 = (await nfx("calendar-earnings__2.json")).data.rows as Json[];
    equal(
      await t.stores.tables.count("calendar_events", { kind: "earnings", date: "2023-11-13" }),
      e13.length,
    );
    ok(await t.stores.tables.count("calendar_events", { kind: "ipo-priced" }) > 0);
    const f2024 = await calendarsStep.run(s, t.stores, {
      symbols: ["AAPL"],
      from: "2024-01-01",
      to: "2024-01-01",
      calendars: ["filings"],
      filingGroups: ["Annual Reports"],
    });
    equal(f2024[0].ok, true, f2024[0].error);
    const tenK = await t.stores.documents.find(REPORTS_COLLECTION, { symbol: "AAPL" });
    equal(tenK[0].kind, "annual");
    const econ = await calendarsStep.run(s, t.stores, {
      symbols: [],
      from: "2023-10-24",
      to: "2023-10-24",
      calendars: ["economic"],
    });
    equal(econ[0].ok, true, econ[0].error);
    const fx = (await nfx("calendar-economicevents__2.json")).data.rows as Json[];
    equal(
      await t.stores.tables.count("calendar_events", { kind: "economic" }),
      fx.length,
      "no event lost to key clashes",
    );
    ok(await t.stores.tables.count("corporate_actions", { symbol: "AAPL", kind: "dividend" }) > 10);
    equal((await t.stores.objects.list("raw/nasdaq/")).length, 6);
    const before = await storeDump(t.stores, { knownAt: false });
    const again = await calendarsStep.run(s, t.stores, {
      symbols: [],
      from: "2023-10-24",
      to: "2023-10-24",
      calendars: ["economic"],
    });
    equal(again[0].inserted, 0);
    equal(await storeDump(t.stores, { knownAt: false }), before);
  } finally {
    await t.dispose();
  }
});

Deno.test("calendars: an error envelope (rCode 400) is a typed error and stores nothing", async () => {
  const t = await tempStores();
  const dir = await Deno.makeTempDir();
  try {
    const rec = JSON.parse(await Deno.readTextFile(new URL("calendar-earnings__2.json", NASDAQ_DIR)));
    rec.body = {
      data: null,
      message: null,
      status: { rCode: 400, bCodeMessage: [{ code: 1001, errorMessage: "bad date" }] },
    };
    await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify(rec));
    const s = await replaySources([dir]);
    const rows = await calendarsStep.run(s, t.stores, {
      symbols: [],
      from: "2023-11-13",
      to: "2023-11-14",
      calendars: ["earnings"],
    });
    deepEqual(rows.map((r) => r.ok), [false, true]);
    ok(rows[0].cause instanceof DataSourceError, String(rows[0].cause));
    equal(await t.stores.tables.count("calendar_events", { date: "2023-11-13" }), 0);
    ok(await t.stores.tables.count("calendar_events", { date: "2023-11-14" }) > 0);
  } finally {
    await t.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("charts: one SVG per collected session with indicators and stored signals; re-run writes nothing", async () => {
  const t = await tempStores();
  try {
    const req = { symbols: ["AAPL"], from: "2020-08-31", to: "2020-11-06" };
    await pricesStep.run(await replaySources(), t.stores, req);
    const sessions = (await t.stores.tables.query("bars", { where: { symbol: "AAPL" } })).length;
    const [r] = await chartsStep.run({}, t.stores, { ...req, from: "2020-10-01" });
    equal(r.ok, true, r.error);
    const keys = (await t.stores.objects.list("charts/AAPL/")).map((o) => o.key);
    equal(keys.length, r.inserted);
    ok(keys.length > 20 && keys.length < sessions, `${keys.length} charts`);
    equal(keys[0], "charts/AAPL/2020-10-01.svg");
    const svg = dec.decode((await t.stores.objects.get("charts/AAPL/2020-11-06.svg"))!);
    ok(
      svg.startsWith("<svg") && svg.includes("RSI 14") && svg.includes("SMA 20") && svg.includes("no signal"),
    );
    equal(
      (svg.match(/<rect x=/g) ?? []).length - 1,
      sessions,
      "one candle per bar in the window (+ RSI frame)",
    );
    equal((await chartsStep.run({}, t.stores, { ...req, from: "2020-10-01" }))[0].rows, 0);
    const sig: Signal = {
      source: "test",
      symbol: "AAPL",
      date: "2020-11-02",
      action: "buy",
      size: 0.5,
      confidence: 0.7,
      contributions: [],
      knownAt: Date.parse("2020-11-02T21:00:00Z"),
    };
    await t.stores.tables.upsert("signals", [signalToRow(sig)]);
    const [re] = await chartsStep.run({}, t.stores, { ...req, from: "2020-10-01" });
    equal(re.rows, 5, "the charts of 11-02 .. 11-06 show the new signal");
    equal(re.inserted, 0);
    const now = dec.decode((await t.stores.objects.get("charts/AAPL/2020-11-05.svg"))!);
    ok(now.includes("signal BUY 0.50 (2020-11-02"), now.slice(0, 400));
    const old = dec.decode((await t.stores.objects.get("charts/AAPL/2020-10-30.svg"))!);
    ok(old.includes("no signal"), "point in time: an earlier chart does not show a later signal");
  } finally {
    await t.dispose();
  }
});

Deno.test("charts: a day's chart shows the bars in that day's share scale (a split is no crash)", async () => {
  const { splitScaledAsOf } = await import("./charts.ts");
  const bar = (date: string, close: number, volume: number) => ({
    symbol: "NVDA",
    date,
    open: close,
    high: close,
    low: close,
    close,
    adjClose: close,
    volume,
    knownAt: closeTime(date),
  });
  const bars = [bar("2021-07-16", 74.4, 100), bar("2021-07-19", 75.12, 100), bar("2021-07-20", 18.61, 400)];
  const split = { symbol: "NVDA", date: "2021-07-20", kind: "split" as const, value: 4, knownAt: 0 };
  // before the split's date the bars are as traded; from it on, the earlier bars are divided by 4
  deepEqual(splitScaledAsOf(bars.slice(0, 2), [split], "2021-07-19"), bars.slice(0, 2));
  const after = splitScaledAsOf(bars, [split], "2021-07-20");
  deepEqual(after.map((b) => [b.close, b.volume]), [[18.6, 400], [18.78, 400], [18.61, 400]]);
  deepEqual(bars.map((b) => b.close), [74.4, 75.12, 18.61], "the stored bars are not changed");
});
