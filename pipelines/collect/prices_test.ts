import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok } from "node:assert/strict";
import { closeTime, DataSourceError, nyDate, sessions } from "@lib/core/mod.ts";
import { createReplayFetch, createSyntheticMarket, csvSourceFor } from "@lib/sources/mod.ts";
import { rowToAction, rowToBar } from "@lib/store/mod.ts";
import { calendarsStep, pricesStep, runCollect, summarize } from "./mod.ts";
import {
  failAfter,
  NASDAQ_DIR,
  rangeChartFetch,
  replaySources,
  sourcesOver,
  storeDump,
  tempStores,
  YAHOO_DIR,
} from "./_test_helpers.ts";

const fixture = async (name: string) => JSON.parse(await Deno.readTextFile(new URL(name, YAHOO_DIR)));
const AAPL_RANGE = { symbols: ["AAPL"], from: "2020-08-31", to: "2020-11-06" };
const FIVE = { symbols: ["AAPL", "AMZN", "GOOG", "ABBV", "QQQ"], from: "2020-01-01", to: "2020-01-02" };

Deno.test("prices: replayed AAPL chart -> bars, split + dividend, raw response; a second run stores nothing", async () => {
  const t = await tempStores();
  try {
    const fx = (await fixture("chart-AAPL-2020-08-31-to-2020-11-07.json")).response.bodyJson.chart.result[0];
    const [row] = await pricesStep.run(await replaySources(), t.stores, AAPL_RANGE);
    equal(row.ok, true, row.error);
    const bars = (await t.stores.tables.query("bars", { where: { symbol: "AAPL" }, orderBy: ["date"] }))
      .map(rowToBar);
    deepEqual(bars.map((b) => b.date), fx.timestamp.map((s: number) => nyDate(s * 1000)));
    deepEqual(bars.map((b) => b.close), fx.indicators.quote[0].close);
    ok(bars.every((b) => b.knownAt === closeTime(b.date)));
    const acts = (await t.stores.tables.query("corporate_actions", { orderBy: ["date"] })).map(rowToAction);
    deepEqual(acts.map((a) => [a.date, a.kind, a.value]), [["2020-08-31", "split", 4], [
      "2020-11-06",
      "dividend",
      0.205,
    ]]);
    equal(row.inserted, bars.length + 2);
    const raw = await t.stores.objects.list("raw/yahoo/");
    equal(raw.length, 1);
    ok(raw[0].key.startsWith("raw/yahoo/2025/02/20/chart-AAPL-"), raw[0].key); // the response's Date header
    const body = JSON.parse(new TextDecoder().decode((await t.stores.objects.get(raw[0].key))!));
    deepEqual(body.chart.result[0].timestamp, fx.timestamp);
    const before = await storeDump(t.stores);
    const again = await pricesStep.run(await replaySources(), t.stores, AAPL_RANGE);
    deepEqual(summarize(again), { ok: 1, failed: 0, rows: 0, inserted: 0, objects: 0, skipped: 0 });
    equal(again[0].range, "", "up to date: skipped");
    equal(await storeDump(t.stores), before);
  } finally {
    await t.dispose();
  }
});

Deno.test("prices: incremental run fetches from the last stored day and equals one clean run", async () => {
  const a = await tempStores(), b = await tempStores();
  try {
    const f = await rangeChartFetch("chart-AAPL-2020-08-31-to-2020-11-07.json");
    await pricesStep.run(sourcesOver(f), a.stores, { ...AAPL_RANGE, to: "2020-10-15" });
    const r = await pricesStep.run(sourcesOver(f), a.stores, AAPL_RANGE);
    equal(r[0].range, "2020-10-15..2020-11-06");
    // second request starts at the last stored day (revisions) and ends after `to`
    deepEqual(f.periods[1], [
      Date.parse("2020-10-15T00:00:00Z") / 1000,
      Date.parse("2020-11-07T00:00:00Z") / 1000,
    ]);
    equal(r[0].inserted, 16 + 1, "16 new sessions after 10-15 plus the dividend");
    await pricesStep.run(sourcesOver(f), b.stores, AAPL_RANGE);
    const strip = (s: string) => s.split("\n").filter((l) => !l.startsWith("raw/")).join("\n");
    equal(strip(await storeDump(a.stores)), strip(await storeDump(b.stores)));
  } finally {
    await a.dispose();
    await b.dispose();
  }
});

Deno.test("prices: a collection killed after 2 symbols resumes without gaps or duplicates", async () => {
  const clean = await tempStores(), killed = await tempStores();
  try {
    const first = await runCollect(["prices"], await replaySources(), clean.stores, {
      ...FIVE,
      concurrency: 1,
    });
    equal(summarize(first).failed, 0);
    const base = await createReplayFetch([YAHOO_DIR, NASDAQ_DIR]);
    const dying = failAfter(base, 2, (u) => u.includes("/v8/finance/chart/"));
    const broken = await runCollect(["prices"], sourcesOver(dying), killed.stores, {
      ...FIVE,
      concurrency: 1,
    });
    deepEqual(broken.map((r) => r.ok), [true, true, false, false, false]);
    ok(broken[2].error!.includes("network down"), broken[2].error);
    equal(
      await killed.stores.tables.count("bars", { symbol: "GOOG" }),
      0,
      "nothing stored for a failed symbol",
    );
    const resumed = await runCollect(["prices"], await replaySources(), killed.stores, {
      ...FIVE,
      concurrency: 1,
    });
    deepEqual(resumed.map((r) => [r.symbol, r.ok, r.range !== ""]), [
      ["AAPL", true, false],
      ["AMZN", true, false],
      ["GOOG", true, true],
      ["ABBV", true, true],
      ["QQQ", true, true],
    ]);
    equal(await storeDump(killed.stores), await storeDump(clean.stores));
  } finally {
    await clean.dispose();
    await killed.dispose();
  }
});

Deno.test("prices: a malformed chart response is a typed error and stores nothing for that symbol", async () => {
  const t = await tempStores();
  const dir = await Deno.makeTempDir();
  try {
    const rec = await fixture("chart-GOOG-2020-01-01-to-2020-01-03.json");
    delete rec.response.bodyJson.chart.result[0].indicators.quote[0].close;
    await Deno.writeTextFile(`${dir}/chart-GOOG-malformed.json`, JSON.stringify(rec));
    const rows = await pricesStep.run(await replaySources([dir]), t.stores, { ...FIVE, concurrency: 2 });
    const goog = rows.find((r) => r.symbol === "GOOG")!;
    equal(goog.ok, false);
    ok(goog.cause instanceof DataSourceError, String(goog.cause));
    ok(/changed response shape/.test(goog.error!), goog.error);
    equal(await t.stores.tables.count("bars", { symbol: "GOOG" }), 0);
    equal((await t.stores.objects.list("raw/yahoo/")).filter((o) => o.key.includes("GOOG")).length, 0);
    equal(rows.filter((r) => r.ok).length, 4, "the other symbols are collected");
    ok(await t.stores.tables.count("bars", { symbol: "AAPL" }) > 0);
  } finally {
    await t.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prices: unfinished sessions are not stored (clock before the close)", async () => {
  const t = await tempStores();
  try {
    const s = await replaySources();
    s.now = () => closeTime("2020-01-02") - 1;
    await pricesStep.run(s, t.stores, { ...FIVE, symbols: ["AAPL"] });
    const [row] = await pricesStep.run(s, t.stores, { ...FIVE, symbols: ["AAPL"] });
    const rows = await t.stores.tables.query("bars", { where: { symbol: "AAPL" } });
    deepEqual(rows.map((r) => r.date), []);
    equal(row.skipped, 1, "the unfinished session is counted as left out");
  } finally {
    await t.dispose();
  }
});

Deno.test("prices: sessions after now are counted as left out, not dropped in silence", async () => {
  const t = await tempStores();
  try {
    const from = "2026-11-02", to = "2027-02-26";
    const all = sessions(from, to);
    const market = createSyntheticMarket({ start: from, sessions: all.length, symbols: 2 });
    const now = closeTime("2026-12-04");
    const rows = await pricesStep.run({ market, now: () => now }, t.stores, {
      symbols: ["SYN00", "SYN01"],
      from,
      to,
    });
    const past = all.filter((d) => closeTime(d) <= now).length;
    for (const r of rows) {
      equal(r.ok, true, r.error);
      equal(r.rows, past);
      equal(r.skipped, all.length - past, "every future session is counted");
    }
    deepEqual(summarize(rows).skipped, 2 * (all.length - past));
    equal(await t.stores.tables.count("bars"), 2 * past);
  } finally {
    await t.dispose();
  }
});

Deno.test("prices: a market source answering for another spelling fails the symbol (its bars are not dropped)", async () => {
  const t = await tempStores();
  try {
    const market = await csvSourceFor(
      fileURLToPath(new URL("../../../shared/data/us-index-etf-daily-yahoo", import.meta.url)),
    );
    const [row] = await pricesStep.run({ market }, t.stores, {
      symbols: ["spy"],
      from: "2019-01-01",
      to: "2019-01-31",
    });
    equal(row.ok, false, "not an ok row with 0 rows");
    ok(/answered for SPY when asked for spy/.test(row.error ?? ""), row.error);
    equal(await t.stores.tables.count("bars"), 0);
  } finally {
    await t.dispose();
  }
});

const NVDA_SPLIT = "historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv.json";
const bar = async (stores: Awaited<ReturnType<typeof tempStores>>["stores"], symbol: string, date: string) =>
  rowToBar((await stores.tables.query("bars", { where: { symbol, date } }))[0]);

Deno.test("prices: a split named later re-fetches the stored bars before it; equals one wide run", async () => {
  const a = await tempStores(), b = await tempStores();
  try {
    const nvda = { symbols: ["NVDA"], from: "2021-02-01", to: "2021-06-30" };
    const f = await rangeChartFetch(NVDA_SPLIT);
    equal((await pricesStep.run(sourcesOver(f), a.stores, nvda))[0].ok, true);
    // stored from a range that ends before the 2021-07-20 4:1 split: in its scale, as Yahoo states them today
    equal((await bar(a.stores, "NVDA", "2021-02-01")).close.toFixed(3), "13.237");
    const [r] = await pricesStep.run(sourcesOver(f), a.stores, { ...nvda, to: "2022-01-30" });
    equal(r.ok, true, r.error);
    equal(r.range, "2021-06-30..2022-01-30, then 2021-02-01..2022-01-30 (new split 2021-07-20)");
    deepEqual(f.periods.slice(1).map(([p1]) => new Date(p1 * 1000).toISOString().slice(0, 10)), [
      "2021-06-30",
      "2021-02-01",
    ]);
    const first = await bar(a.stores, "NVDA", "2021-02-01");
    equal(first.close.toFixed(3), "52.948");
    equal(first.volume, 54_301_000);
    await pricesStep.run(sourcesOver(await rangeChartFetch(NVDA_SPLIT)), b.stores, {
      ...nvda,
      to: "2022-01-30",
    });
    const strip = (s: string) => s.split("\n").filter((l) => !l.startsWith("raw/")).join("\n");
    equal(strip(await storeDump(a.stores)), strip(await storeDump(b.stores)));
    // the daily run after it: the split is stored, nothing is fetched again
    const again = await pricesStep.run(sourcesOver(f), a.stores, { ...nvda, to: "2022-01-30" });
    equal(again[0].range, "");
  } finally {
    await a.dispose();
    await b.dispose();
  }
});

Deno.test("prices: a failed re-fetch after a new split writes nothing; the next run completes it", async () => {
  const a = await tempStores(), b = await tempStores();
  try {
    const nvda = { symbols: ["NVDA"], from: "2021-02-01", to: "2021-06-30" };
    await pricesStep.run(sourcesOver(await rangeChartFetch(NVDA_SPLIT)), a.stores, nvda);
    const before = await storeDump(a.stores);
    const down = failAfter(await rangeChartFetch(NVDA_SPLIT), 1, (u) => u.includes("/chart/NVDA"));
    const [r] = await pricesStep.run(sourcesOver(down), a.stores, { ...nvda, to: "2022-01-30" });
    equal(r.ok, false);
    ok(r.error?.includes("new split 2021-07-20"), r.error);
    equal(await storeDump(a.stores), before);
    const [redo] = await pricesStep.run(sourcesOver(await rangeChartFetch(NVDA_SPLIT)), a.stores, {
      ...nvda,
      to: "2022-01-30",
    });
    equal(redo.ok, true, redo.error);
    await pricesStep.run(sourcesOver(await rangeChartFetch(NVDA_SPLIT)), b.stores, {
      ...nvda,
      to: "2022-01-30",
    });
    const strip = (s: string) => s.split("\n").filter((l) => !l.startsWith("raw/")).join("\n");
    equal(strip(await storeDump(a.stores)), strip(await storeDump(b.stores)));
  } finally {
    await a.dispose();
    await b.dispose();
  }
});

Deno.test("prices: a range that ends before a stored split is stored as traded (the split undone)", async () => {
  const t = await tempStores();
  try {
    await pricesStep.run(await replaySources(), t.stores, AAPL_RANGE); // stores the 2020-08-31 4:1 split
    const [r] = await pricesStep.run(await replaySources(), t.stores, { ...FIVE, symbols: ["AAPL"] });
    equal(r.ok, true, r.error);
    equal((await bar(t.stores, "AAPL", "2020-01-02")).close.toFixed(2), "300.35");
  } finally {
    await t.dispose();
  }
});

Deno.test("prices + calendars: a dividend's known_at and amount do not depend on which kind ran last", async () => {
  const a = await tempStores(), b = await tempStores();
  try {
    const history = {
      symbols: ["AAPL"],
      from: "2020-11-06",
      to: "2020-11-06",
      calendars: ["dividend-history" as const],
    };
    await calendarsStep.run(await replaySources(), a.stores, history);
    await pricesStep.run(await replaySources(), a.stores, AAPL_RANGE);
    await pricesStep.run(await replaySources(), b.stores, AAPL_RANGE);
    await calendarsStep.run(await replaySources(), b.stores, history);
    const div = async (s: typeof a.stores) =>
      (await s.tables.query("corporate_actions", { where: { symbol: "AAPL", date: "2020-11-06" } })).map(
        rowToAction,
      );
    const [x] = await div(a.stores), [y] = await div(b.stores);
    deepEqual(x, y);
    equal(
      x.knownAt,
      1604030400000,
      "the end of the 2020-10-29 declaration day (Nasdaq), not the ex-date open",
    );
    equal(x.value, 0.205);
  } finally {
    await a.dispose();
    await b.dispose();
  }
});
