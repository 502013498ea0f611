import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { closeTime, DataSourceError, nyDate, nyTime, openTime } from "../core/mod.ts";
import { createReplayFetch, type ReplayFetch } from "./replay.ts";
import { cleanImpliedVol, createYahooSource, statementKnownAt, type YahooSourceOptions } from "./yahoo.ts";

const DIR = new URL("../../../shared/data/yahoo-fixtures/", import.meta.url);
const TESTDATA = new URL("./testdata/yahoo/", import.meta.url);

// deno-lint-ignore no-explicit-any
type Json = any;
async function fixture(name: string): Promise<Json> {
  return JSON.parse(await Deno.readTextFile(new URL(name, DIR)));
}
function body(f: Json): Json {
  return f.response.bodyJson;
}

let shared: Promise<ReplayFetch> | undefined;
/** One replay index over the whole fixture folder, shared by the read-only tests. */
function replay(): Promise<ReplayFetch> {
  return shared ??= createReplayFetch(DIR);
}
function source(f: typeof fetch, extra: Partial<YahooSourceOptions> = {}) {
  return createYahooSource({ fetch: f, rateLimitPerSec: 0, backoffMs: 1, log: () => {}, ...extra });
}

Deno.test("yahoo chart: AAPL daily bars, 4:1 split and dividend from the recorded response", async () => {
  const f = await replay();
  const fx = body(await fixture("chart-AAPL-2020-08-31-to-2020-11-07.json")).chart.result[0];
  const { bars, actions } = await source(f).chart("AAPL", { from: "2020-08-31", to: "2020-11-06" });
  equal(bars.length, fx.timestamp.length);
  equal(bars.length, 49);
  equal(bars[0].date, "2020-08-31");
  equal(bars.at(-1)!.date, "2020-11-06");
  const q = fx.indicators.quote[0];
  bars.forEach((b, i) => {
    equal(b.date, nyDate(fx.timestamp[i] * 1000));
    equal(b.close, q.close[i]);
    equal(b.open, q.open[i]);
    equal(b.volume, q.volume[i]);
    equal(b.adjClose, fx.indicators.adjclose[0].adjclose[i]);
    equal(b.knownAt, closeTime(b.date));
    equal(b.symbol, "AAPL");
  });
  deepEqual(actions, [
    { symbol: "AAPL", date: "2020-08-31", kind: "split", value: 4, knownAt: openTime("2020-08-31") },
    { symbol: "AAPL", date: "2020-11-06", kind: "dividend", value: 0.205, knownAt: openTime("2020-11-06") },
  ]);
});

Deno.test("yahoo chart: a dividend paid before a split in the response is stored as paid, as the bars are", async () => {
  // the NVDA response with a dividend added on 2021-06-09, before the 2021-07-20 4:1 split: Yahoo states it in
  // the split-adjusted scale (0.04), as paid it was 0.16 per share of the as-traded bars beside it
  const name = "historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv.json";
  const fx = await fixture(name);
  const events = fx.response.bodyJson.chart.result[0].events;
  const at = Date.parse("2021-06-09T13:30:00Z") / 1000;
  events.dividends = { [String(at)]: { amount: 0.04, date: at } };
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/${name}`, JSON.stringify(fx));
    const nvda = await source(await createReplayFetch([dir])).chart("NVDA", {
      from: "2021-02-01",
      to: "2022-01-30",
      events: "split",
    });
    deepEqual(nvda.actions.map((a) => [a.date, a.kind, a.value]), [
      ["2021-06-09", "dividend", 0.16],
      ["2021-07-20", "split", 4],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("yahoo chart: NVDA split, MSFT dividends, TSLA none (events option)", async () => {
  const y = source(await replay());
  const nvda = await y.chart("NVDA", { from: "2021-02-01", to: "2022-01-30", events: "split" });
  deepEqual(nvda.actions.map((a) => [a.date, a.kind, a.value]), [["2021-07-20", "split", 4]]);
  equal(nvda.bars.length, 252);
  // Yahoo's quotes come split-adjusted to the day they were fetched; the bars are as traded: before the
  // 2021-07-20 4:1 split each price is Yahoo's times 4 (volume divided by 4), from it on Yahoo's own
  const nvdaFx = body(await fixture("historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv.json"))
    .chart.result[0];
  const fq = nvdaFx.indicators.quote[0];
  const at = (d: string) => nvda.bars.findIndex((b) => b.date === d);
  const i19 = at("2021-07-19"), i20 = at("2021-07-20");
  equal(nvda.bars[i19].close, fq.close[i19] * 4);
  equal(nvda.bars[i19].open, fq.open[i19] * 4);
  equal(nvda.bars[i19].volume, Math.round(fq.volume[i19] / 4));
  equal(nvda.bars[i20].close, fq.close[i20]);
  // so the split applied at its ex-date gives an ordinary day (it was a 4x jump: applied twice)
  const exDay = nvda.bars[i20].close * 4 / nvda.bars[i19].close - 1;
  ok(Math.abs(exDay) < 0.1, String(exDay));
  const msftFx = body(await fixture("historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.csv.json"));
  const expected = Object.values(msftFx.chart.result[0].events.dividends as Record<string, Json>)
    .map((d) => [nyDate(d.date * 1000), d.amount]);
  const msft = await y.chart("MSFT", { from: "2021-02-01", to: "2022-01-30", events: "div" });
  deepEqual(msft.actions.map((a) => [a.date, a.value]), expected);
  equal(expected.length, 4);
  const tsla = await y.chart("TSLA", { from: "1970-01-01", to: "2023-08-11", events: "div" });
  deepEqual(tsla.actions, []);
  const tslaFx = body(await fixture("historical-via-chart-dividends-TSLA-no-dividends.json")).chart.result[0];
  const nonNull = tslaFx.indicators.quote[0].close.filter((c: number | null) => c !== null).length;
  equal(tsla.bars.length, nonNull);
  equal(tsla.bars[0].date, nyDate(tslaFx.timestamp[0] * 1000));
});

Deno.test("yahoo bars (MarketSource): five symbols, and one failing symbol does not stop the others", async () => {
  const f = await replay();
  const req = { symbols: ["AAPL", "AMZN", "GOOG", "ABBV", "QQQ"], from: "2020-01-01", to: "2020-01-02" };
  const out = await source(f).bars(req);
  deepEqual([...out.keys()], req.symbols);
  for (const s of req.symbols) {
    const fx = body(await fixture(`chart-${s}-2020-01-01-to-2020-01-03.json`)).chart.result[0];
    deepEqual(out.get(s)!.map((b) => b.close), fx.indicators.quote[0].close);
    equal(out.get(s)![0].date, "2020-01-02");
  }
  const failed: string[] = [];
  const partial = await source(f, { onSymbolError: (s) => failed.push(s) }).bars({
    ...req,
    symbols: ["AAPL", "ZZZZ", "GOOG"],
  });
  deepEqual([...partial.keys()], ["AAPL", "GOOG"]);
  deepEqual(failed, ["ZZZZ"]);
  await rejects(source(f).bars({ ...req, symbols: ["AAPL", "ZZZZ"] }), (e: unknown) => {
    ok(e instanceof DataSourceError);
    ok(/1 of 2 symbols failed: ZZZZ/.test(e.message), e.message);
    equal(e.status, 404);
    return true;
  });
  ok(f.unmatched.some((u) => u.includes("/chart/ZZZZ")));
});

Deno.test("yahoo actions and news (MarketSource shape)", async () => {
  const y = source(await replay());
  const acts = await y.actions({ symbols: ["AAPL"], from: "2020-08-31", to: "2020-11-06" });
  deepEqual(acts.map((a) => a.kind), ["split", "dividend"]);
  const fx = body(await fixture("search-AAPL.json")).news as Json[];
  const day = nyDate(fx[0].providerPublishTime * 1000);
  const news = await y.news({ symbols: ["AAPL"], from: day, to: day });
  const expected = fx.filter((n) => nyDate(n.providerPublishTime * 1000) === day);
  deepEqual(news.map((n) => n.headline).sort(), expected.map((n) => n.title).sort());
  equal((await y.news({ symbols: ["AAPL"], from: "2020-01-02", to: "2020-01-03" })).length, 0);
});

Deno.test("yahoo intraday: 1-minute request matches the recording (a Saturday: no bars)", async () => {
  const f = await createReplayFetch(DIR);
  const fx = body(await fixture("chart-AAPL-2025-02-01-to-2025-02-02-includePrePost-false-interval-1m.json"));
  const bars = await source(f).intraday("AAPL", {
    from: "2025-02-01",
    to: "2025-02-01",
    interval: "1m",
    includePrePost: false,
  });
  equal(bars.length, fx.chart.result[0].timestamp?.length ?? 0);
  deepEqual(f.unmatched, []);
  equal(f.calls.length, 1);
  ok(f.calls[0].file!.endsWith("interval-1m.json"));
});

Deno.test("yahoo statistics: summaryDetail, defaultKeyStatistics, financialData rows", async () => {
  const rows = await source(await replay()).statistics("AAPL");
  const get = (n: string) => rows.find((r) => r.name === n);
  const sd = await fixture("quoteSummary-summaryDetail-AAPL.json");
  const ks = body(await fixture("quoteSummary-defaultKeyStatistics-AAPL.json"));
  const fd = body(await fixture("quoteSummary-financialData-AAPL.json"));
  equal(get("summaryDetail.trailingPE")!.value, body(sd).quoteSummary.result[0].summaryDetail.trailingPE);
  equal(
    get("defaultKeyStatistics.trailingEps")!.value,
    ks.quoteSummary.result[0].defaultKeyStatistics.trailingEps,
  );
  equal(get("financialData.currentPrice")!.value, fd.quoteSummary.result[0].financialData.currentPrice);
  equal(get("summaryDetail.maxAge"), undefined);
  // Observation time = the recorded response's Date header.
  const at = Date.parse(sd.response.headers.date);
  equal(get("summaryDetail.trailingPE")!.knownAt, at);
  equal(get("summaryDetail.trailingPE")!.date, nyDate(at));
  ok(rows.every((r) => r.symbol === "AAPL" && Number.isFinite(r.value)));
});

Deno.test("yahoo statements: quoteSummary quarterly income statements, knownAt by the SEC-deadline rule", async () => {
  const y = source(await replay());
  const fx = body(await fixture("quoteSummary-incomeStatementHistoryQuarterly-AAPL.json"))
    .quoteSummary.result[0].incomeStatementHistoryQuarterly.incomeStatementHistory as Json[];
  const st = await y.statements("AAPL", { period: "quarterly", kinds: ["income"] });
  deepEqual(st.map((s) => s.periodEnd), fx.map((s) => s.endDate.fmt));
  equal(st[0].fields.totalRevenue, fx[0].totalRevenue.raw);
  equal(st[0].fields.netIncome, fx[0].netIncome.raw);
  equal(st[0].fields.researchDevelopment, null, "an empty {} value is reported as missing");
  equal(st[0].kind, "quarterly");
  equal(st[0].knownAt, statementKnownAt(st[0].periodEnd!, "quarterly"));
  const all = await y.statements("AAPL");
  equal(all.length, 6 * 4);
  await rejects(y.statements("QQQ", { period: "annual", kinds: ["income"] }), (e: unknown) => {
    ok(e instanceof DataSourceError);
    equal(e.status, 404);
    equal(e.symbol, "QQQ");
    ok(/not found: No fundamentals data found/.test(e.message), e.message);
    return true;
  });
});

Deno.test("statementKnownAt: 10-Q +45 days, 10-K +90 days, 17:30 New York, next business day", () => {
  // 2024-12-31 + 45 days = Fri 2025-02-14.
  equal(statementKnownAt("2024-12-31", "quarterly"), nyTime("2025-02-14", 17, 30));
  // 2024-09-28 (Apple's fiscal year end) + 90 days = Fri 2024-12-27.
  equal(statementKnownAt("2024-09-28", "annual"), nyTime("2024-12-27", 17, 30));
  // 2021-06-30 + 45 days = Sat 2021-08-14 -> Mon 2021-08-16.
  equal(statementKnownAt("2021-06-30", "quarterly"), nyTime("2021-08-16", 17, 30));
  // 2019-12-31 + 90 days = Mon 2020-03-30 (2020 is a leap year).
  equal(statementKnownAt("2019-12-31", "annual"), nyTime("2020-03-30", 17, 30));
});

Deno.test("yahoo fundamentalsTimeSeries: AAPL quarterly financials and annual balance sheet", async () => {
  const y = source(await replay());
  const fx = body(await fixture("fundamentalsTimeSeries-AAPL-financials-quarterly.json"));
  const rev = (fx.timeseries.result as Json[]).find((r) => r.meta.type[0] === "quarterlyTotalRevenue")
    .quarterlyTotalRevenue as Json[];
  const ts = await y.timeSeries("AAPL", { from: "2024-01-01", to: "2024-12-31", module: "financials" });
  deepEqual(ts.map((t) => t.periodEnd), rev.map((r) => r.asOfDate));
  deepEqual(ts.map((t) => t.fields.totalRevenue), rev.map((r) => r.reportedValue.raw));
  ok(ts.every((t) => t.kind === "quarterly" && t.knownAt === statementKnownAt(t.periodEnd!, "quarterly")));
  const bs = await y.timeSeries("AAPL", {
    from: "2022-01-01",
    to: "2024-12-31",
    period: "annual",
    module: "balance-sheet",
  });
  const bfx = body(await fixture("fundamentalsTimeSeries-AAPL-balance-sheet-annual.json"));
  const ta = (bfx.timeseries.result as Json[]).find((r) => r.meta.type[0] === "annualTotalAssets")
    .annualTotalAssets as Json[];
  deepEqual(
    bs.filter((b) => b.fields.totalAssets !== undefined).map((b) => [b.periodEnd, b.fields.totalAssets]),
    ta.filter(Boolean).map((r) => [r.asOfDate, r.reportedValue.raw]),
  );
});

Deno.test("yahoo earnings: quarterly EPS actual/estimate joined with revenue", async () => {
  const fx = body(await fixture("quoteSummary-earnings-AAPL.json")).quoteSummary.result[0].earnings;
  const e = await source(await replay()).earnings("AAPL");
  equal(e.length, fx.earningsChart.quarterly.length);
  deepEqual(e.map((x) => x.fields.epsActual), fx.earningsChart.quarterly.map((q: Json) => q.actual));
  deepEqual(e.map((x) => x.fields.revenue), fx.financialsChart.quarterly.map((q: Json) => q.revenue));
  equal(e.at(-1)!.periodEnd, "2024-12-31");
  equal(e[0].meta!.quarter, "1Q2024");
});

Deno.test("yahoo options: AAPL chain, placeholder implied volatility -> NaN", async () => {
  const f = await fixture("options-AAPL.json");
  const chain = body(f).optionChain.result[0].options[0];
  const opts = await source(await replay()).options("AAPL");
  equal(opts.length, chain.calls.length + chain.puts.length);
  equal(opts.filter((o) => o.right === "call").length, chain.calls.length);
  const c0 = opts[0];
  equal(c0.contract, chain.calls[0].contractSymbol);
  equal(c0.strike, chain.calls[0].strike);
  equal(c0.expiry, "2025-02-28");
  equal(c0.impliedVolatility, chain.calls[0].impliedVolatility, "a quoted contract keeps its IV");
  equal(c0.knownAt, Date.parse(f.response.headers.date));
  const second = opts.find((o) => o.contract === chain.calls[1].contractSymbol)!;
  ok(Number.isNaN(second.impliedVolatility), "1e-5 placeholder");
  for (const o of opts) ok(Number.isNaN(o.impliedVolatility) || o.impliedVolatility >= 0.001);
});

/**
 * A replay folder with the recorded AAPL chain plus a second expiration derived from it (our own test data: the
 * recordings hold the nearest expiry only): the 2025-03-07 request answered by the same contracts relabelled
 * to that expiry, premiums scaled by 1.25.
 */
async function twoExpiryReplay(): Promise<ReplayFetch> {
  const dir = await Deno.makeTempDir();
  const nearest = await fixture("options-AAPL.json");
  await Deno.writeTextFile(`${dir}/options-AAPL.json`, JSON.stringify(nearest));
  const second = structuredClone(nearest);
  const next = 1741305600; // 2025-03-07
  second.request.url = nearest.request.url.replace("region=US", `region=US&date=${next}`);
  const res = second.response.bodyJson.optionChain.result[0];
  for (const g of res.options) {
    g.expirationDate = next;
    for (const c of [...g.calls, ...g.puts]) {
      c.expiration = next;
      c.contractSymbol = c.contractSymbol.replace("250228", "250307");
      c.lastPrice *= 1.25;
    }
  }
  await Deno.writeTextFile(`${dir}/options-AAPL-2025-03-07.json`, JSON.stringify(second));
  return await createReplayFetch(dir);
}

Deno.test("yahoo optionChains: the nearest N expirations, one request each; a missing one fails the symbol", async () => {
  const y = source(await twoExpiryReplay());
  const two = await y.optionChains("AAPL", { expiries: 2 });
  deepEqual([...new Set(two.map((q) => q.expiry))], ["2025-02-28", "2025-03-07"]);
  const nearest = await y.options("AAPL");
  equal(two.length, 2 * nearest.length);
  ok(
    two.every((q) => q.underlying === 245.55 && q.lastTradeAt! > 0),
    "underlying price and last trade times kept",
  );
  equal((await y.optionChains("AAPL", { expiries: 1 })).length, nearest.length);
  await rejects(y.optionChains("AAPL", { expiries: 3 }), DataSourceError); // 2025-03-14 was never recorded
  await rejects(y.optionChains("AAPL", { expiries: 0 }), RangeError);
});

Deno.test("cleanImpliedVol: placeholders and no-market quotes are NaN", () => {
  ok(Number.isNaN(cleanImpliedVol(1e-5, 1, 2)));
  ok(Number.isNaN(cleanImpliedVol(0.2500075, 1, 2)));
  ok(Number.isNaN(cleanImpliedVol(0.31, 0, 0)));
  equal(cleanImpliedVol(0.31, 1.2, 1.3), 0.31);
  ok(Number.isNaN(cleanImpliedVol(null, 1, 2)));
});

Deno.test("yahoo news: headlines and publish times (knownAt = providerPublishTime)", async () => {
  const fx = body(await fixture("search-GOOG.json")).news as Json[];
  const news = await source(await replay()).latestNews("GOOG");
  equal(news.length, fx.length);
  const byId = new Map(news.map((n) => [n.id, n]));
  for (const n of fx) {
    const item = byId.get(`yahoo:${n.uuid}`)!;
    equal(item.headline, n.title);
    equal(item.publishedAt, n.providerPublishTime * 1000);
    equal(item.knownAt, item.publishedAt);
    equal(item.url, n.link);
    equal(item.source, `yahoo/${n.publisher}`);
  }
});

Deno.test("yahoo quote: two symbols in one request", async () => {
  const fx = body(await fixture("quote-AAPL-BABA.json")).quoteResponse.result as Json[];
  const rows = await source(await replay()).quote(["AAPL", "BABA"]);
  for (const q of fx) {
    const r = rows.find((x) => x.symbol === q.symbol && x.name === "quote.regularMarketPrice")!;
    equal(r.value, q.regularMarketPrice);
    equal(r.knownAt, q.regularMarketTime * 1000);
  }
});

Deno.test("yahoo malformed chart (close removed) -> DataSourceError naming the field", async () => {
  const f = await createReplayFetch([new URL("chart-AAPL-2020-01-01-to-2020-01-03-no-close.json", TESTDATA)]);
  await rejects(source(f).chart("AAPL", { from: "2020-01-01", to: "2020-01-02" }), (e: unknown) => {
    ok(e instanceof DataSourceError);
    equal(e.symbol, "AAPL");
    ok(
      e.message.includes("changed response shape: missing chart.result[0].indicators.quote[0].close"),
      e.message,
    );
    return true;
  });
});

Deno.test("yahoo malformed search (providerPublishTime removed) -> DataSourceError", async () => {
  const f = await createReplayFetch([DIR, new URL("search-AAPL-no-publish-time.json", TESTDATA)]);
  await rejects(source(f).latestNews("AAPL"), (e: unknown) => {
    ok(e instanceof DataSourceError);
    ok(e.message.includes("changed response shape: missing search.news[1].providerPublishTime"), e.message);
    return true;
  });
});

Deno.test("yahoo statistics: a module with nothing for the symbol (an ETF's financialData) leaves the others", async () => {
  const rows = await source(await replay()).statistics("QQQ");
  ok(rows.some((r) => r.name.startsWith("summaryDetail.")), "summaryDetail kept");
  ok(rows.some((r) => r.name.startsWith("defaultKeyStatistics.")), "defaultKeyStatistics kept");
  ok(!rows.some((r) => r.name.startsWith("financialData.")));
  // a symbol with none of the modules still fails, naming it
  await rejects(source(await replay()).statistics("QQQ", { modules: ["financialData"] }), DataSourceError);
});

Deno.test("yahoo 401 Invalid Crumb -> DataSourceError with status, not retried", async () => {
  const f = await createReplayFetch([new URL("quoteSummary-summaryDetail-AAPL-401.json", TESTDATA)]);
  await rejects(source(f).statistics("AAPL", { modules: ["summaryDetail"] }), (e: unknown) => {
    ok(e instanceof DataSourceError);
    equal(e.status, 401);
    ok(/HTTP 401/.test(e.message) && e.message.includes("Invalid Crumb"), e.message);
    return true;
  });
  equal(f.calls.filter((c) => c.url.includes("quoteSummary")).length, 1);
});

Deno.test("yahoo 429 then 200: retried through the library's HTTP layer", async () => {
  const f = await replay();
  let attempts = 0;
  const flaky = ((input: RequestInfo | URL, init?: RequestInit) => {
    if (String(input).includes("/v8/finance/chart/GOOG") && attempts++ === 0) {
      return Promise.resolve(new Response("Too Many Requests", { status: 429 }));
    }
    return f(input, init);
  }) as typeof fetch;
  const { bars } = await source(flaky).chart("GOOG", { from: "2020-01-01", to: "2020-01-02" });
  equal(attempts, 2);
  equal(bars.length, 1);
});

Deno.test("yahoo bars() then actions() of the same range read one chart response", async () => {
  const f = await createReplayFetch(DIR);
  const y = source(f);
  const req = { symbols: ["AAPL"], from: "2020-08-31", to: "2020-11-06" };
  const bars = await y.bars(req);
  const actions = await y.actions!(req);
  ok(bars.get("AAPL")!.length > 40);
  ok(actions.some((a) => a.kind === "split"));
  equal(f.calls.filter((c) => c.url.includes("/v8/finance/chart/AAPL")).length, 1);
});

/** The recorded AAPL 2020-01-02 chart with its body changed by `edit`, as a one-file replay. */
async function editedChart(edit: (r: Json) => void): Promise<typeof fetch> {
  const fx = await fixture("chart-AAPL-2020-01-01-to-2020-01-03.json");
  edit(fx.response.bodyJson.chart.result[0]);
  const dir = await Deno.makeTempDir({ prefix: "fmai-yahoo-edit-" });
  await Deno.writeTextFile(`${dir}/chart.json`, JSON.stringify(fx));
  return await createReplayFetch([dir]);
}

Deno.test("yahoo chart: implausible values, another symbol's answer and impossible timestamps are refused", async () => {
  const cases: [string, (r: Json) => void, RegExp][] = [
    ["negative price", (r) => (r.indicators.quote[0].low = [-1]), /negative price/],
    ["close of 1e300", (r) => (r.indicators.quote[0].close = [1e300]), /implausible price/],
    ["high < low", (r) => (r.indicators.quote[0].high = [70]), /high 70 < low/],
    ["negative volume", (r) => (r.indicators.quote[0].volume = [-5]), /negative volume/],
    ["MSFT for AAPL", (r) => (r.meta.symbol = "MSFT"), /the response is about "MSFT"/],
    ["year 2100", (r) => (r.timestamp = [4102444800]), /outside any plausible range/],
    [
      "another range",
      (r) => (r.timestamp = [1e12]),
      /the response holds 1 bars, none in 2020-01-01\.\.2020-01-02/,
    ],
    ["before 1900", (r) => (r.timestamp = [-3e9]), /outside any plausible range/],
  ];
  for (const [what, edit, re] of cases) {
    await rejects(
      source(await editedChart(edit)).chart("AAPL", { from: "2020-01-01", to: "2020-01-02" }),
      (e: unknown) => {
        ok(e instanceof DataSourceError, `${what}: ${e}`);
        ok(re.test((e as Error).message), `${what}: ${(e as Error).message}`);
        return true;
      },
    );
  }
  // an all-zero bar is a missing value: left out and counted, refused with strict
  const zero = await editedChart((r) => {
    const q = r.indicators.quote[0];
    q.open =
      q.high =
      q.low =
      q.close =
        [0];
    q.volume = [0];
  });
  const got = await source(zero).chart("AAPL", { from: "2020-01-01", to: "2020-01-02" });
  equal(got.bars.length, 0);
  deepEqual(got.skipped.map((s) => s.reason), ["missing value"]);
  await rejects(
    source(zero).chart("AAPL", { from: "2020-01-01", to: "2020-01-02", strict: true }),
    /missing value/,
  );
});

Deno.test("yahoo: a symbol outside the pattern never reaches a URL", async () => {
  const f = await replay();
  const before = f.calls.length;
  for (const bad of ["../../etc/passwd", "AAPL?x#", "A/B", ""]) {
    await rejects(source(f).chart(bad, { from: "2020-01-01", to: "2020-01-02" }), /is not a symbol/);
    await rejects(source(f).options(bad), /is not a symbol/);
    await rejects(source(f).latestNews(bad), /is not a symbol/);
  }
  equal(f.calls.length, before, "no request was made");
});
