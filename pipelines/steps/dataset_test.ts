import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { InputError, type NewsItem, sessions } from "@lib/core/mod.ts";
import { csvSourceFor } from "@lib/sources/mod.ts";
import { lexiconScorer, type ScoredNews } from "@lib/models/mod.ts";
import { embeddedConfig, openStores, type Stores } from "@lib/store/mod.ts";
import { makeSpec } from "@lib/workflow/mod.ts";
import { collect } from "./collect.ts";
import {
  checkEnoughData,
  checkSessionCoverage,
  datasetStep,
  foreignNewsText,
  MAX_GAP_SESSIONS,
  MAX_MISSING_SHARE,
  newsAbout,
  PIPELINE_FEATURE_SET,
  scoredNewsNote,
  sessionHoles,
  sessionsNeeded,
} from "./dataset.ts";

Deno.test("scoring line: items scored, distinct texts run and from the memo, items from the store's cache", () => {
  const items = Array.from({ length: 12 }, (_, i) => ({ id: `n${i}` })) as unknown as ScoredNews["items"];
  const line = (s: Omit<ScoredNews, "items">) => scoredNewsNote({ items, ...s }, "finsent-mpnet@v1/fp32");
  // scored by the model: 10 items with 6 distinct texts, 4 from the memo, 2 run in 0.5 s
  equal(
    line({ scored: 10, cached: 2, texts: 6, memoHits: 4, scoreMs: 500 }),
    "12 news items: 10 scored by finsent-mpnet@v1/fp32 (6 distinct texts: 2 run at 4/s, 4 from this machine's " +
      "memo of scores by text), 2 from the store's score cache",
  );
  // every distinct text from the memo: nothing ran, so no rate
  equal(
    line({ scored: 10, cached: 2, texts: 6, memoHits: 6, scoreMs: 3 }),
    "12 news items: 10 scored by finsent-mpnet@v1/fp32 (6 distinct texts: 0 run, 6 from this machine's memo of " +
      "scores by text), 2 from the store's score cache",
  );
  // no memo (the lexicon) and all run
  equal(
    line({ scored: 12, cached: 0, texts: 12, memoHits: 0, scoreMs: 0 }),
    "12 news items: 12 scored by finsent-mpnet@v1/fp32 (12 distinct texts: 12 run), 0 from the store's score cache",
  );
  // all from the store: no distinct texts to speak of
  equal(
    line({ scored: 0, cached: 12, texts: 0, memoHits: 0, scoreMs: 0 }),
    "12 news items: 0 scored by finsent-mpnet@v1/fp32, 12 from the store's score cache",
  );
});

const SP500 = fileURLToPath(new URL("../../../shared/data/sp500-5yr-ohlcv", import.meta.url));
const OPTS = { trainFrac: 0.6, validFrac: 0.2, purge: 1, embargo: 5 };
const SPEC = makeSpec();
const SPLIT = { segments: { trainFrac: 0.6, validFrac: 0.2 }, scorer: lexiconScorer() };

/** Embedded stores in a temporary folder holding the sp500 bars of `symbols` in `[from, to]`. */
async function withSp500(
  req: { symbols: string[]; from: string; to: string },
  fn: (stores: Stores) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fmai-ds-" });
  const stores = await openStores(embeddedConfig(dir));
  try {
    await collect(await csvSourceFor(SP500), stores, req);
    await fn(stores);
  } finally {
    await stores.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the feature set depends neither on the order of the symbols nor on their history", async () => {
  // APTV has 44 sessions (listed December 2017): once it was first, its short history dropped 4 features
  const req = { symbols: ["AAPL", "APTV"], from: "2016-06-01", to: "2018-02-07" };
  await withSp500(req, async (stores) => {
    const a = await datasetStep(stores, SPEC, { ...req, ...SPLIT });
    const b = await datasetStep(stores, SPEC, { ...req, symbols: ["APTV", "AAPL"], ...SPLIT });
    deepEqual(a.featureNames, b.featureNames);
    equal(a.featureSet.version, PIPELINE_FEATURE_SET.version);
    ok(a.featureNames.length >= PIPELINE_FEATURE_SET.features.length);
    equal(a.n, b.n);
  });
});

Deno.test("too little data is refused up front, saying how many sessions are needed", () => {
  const need = sessionsNeeded(OPTS);
  const dates = Array.from(
    { length: need - 1 },
    (_, i) => `2020-${String(1 + Math.floor(i / 28)).padStart(2, "0")}-01`,
  );
  let msg = "";
  try {
    checkEnoughData(dates, { ...OPTS, from: "2020-01-01", to: "2020-12-31" });
  } catch (e) {
    msg = (e as Error).message;
  }
  ok(msg.includes(`${need - 1} sessions`) && msg.includes(`needs at least ${need}`), msg);
  checkEnoughData([...dates, "2021-01-01"], { ...OPTS, from: "2020-01-01", to: "2021-01-01" });
});

Deno.test("a point-in-time universe read from the store keeps each symbol's rows to its membership", async () => {
  const req = { symbols: ["AAPL", "MSFT"], from: "2014-01-01", to: "2018-02-07" };
  await withSp500(req, async (stores) => {
    await stores.tables.upsert("universe_membership", [
      { universe: "u", symbol: "AAPL", from_date: "2014-01-01", to_date: null, known_at: 0 },
      { universe: "u", symbol: "MSFT", from_date: "2016-01-04", to_date: "2016-12-30", known_at: 0 },
    ]);
    const ds = await datasetStep(stores, SPEC, { ...req, ...SPLIT, universe: "u" });
    const msft = ds.date.filter((_, i) => ds.symbol[i] === "MSFT");
    ok(
      msft.length > 200 && msft.every((d) => d >= "2016-01-04" && d <= "2016-12-30"),
      `${msft[0]}..${msft.at(-1)}`,
    );
    ok(ds.date.some((d, i) => ds.symbol[i] === "AAPL" && d > "2017-01-01"));
    let missing = "";
    try {
      await datasetStep(stores, SPEC, { ...req, ...SPLIT, universe: "nope" });
    } catch (e) {
      missing = (e as Error).message;
    }
    equal(missing, "universe nope: no membership rows in the store");
  });
});

/** Bars on `dates` (only `date` is read by the coverage check). */
function onDates(dates: string[]): { date: string }[] {
  return dates.map((date) => ({ date }));
}

Deno.test("holes against the exchange calendar: a long gap or a large share is refused naming symbol, count and gap", () => {
  const all = sessions("2015-01-02", "2016-12-30"); // 504 sessions
  // 30 sessions missing in one piece: the gap is longer than MAX_GAP_SESSIONS though the share is under 6%
  const gap = all.filter((_, i) => i < 200 || i >= 230);
  throws(() => checkSessionCoverage(new Map([["AAA", onDates(all)], ["BBB", onDates(gap)]])), (e: Error) => {
    ok(e instanceof InputError, String(e));
    ok(
      e.message.startsWith(
        `BBB misses 30 of 504 sessions (6.0%; longest gap 30 sessions, ${all[200]}..${
          all[229]
        }) between its ` +
          "first and last bar: at most 5% missing and no gap over 20 sessions",
      ),
      e.message,
    );
    equal(e.message.includes("\n"), false);
    return true;
  });
  // every 10th session missing: no long gap, 10% missing
  const sparse = all.filter((_, i) => i % 10 !== 5);
  throws(
    () => checkSessionCoverage(new Map([["CCC", onDates(sparse)], ["BBB", onDates(gap)]])),
    /^InputError: CCC misses 50 of 504 sessions \(9\.9%; longest gap 1 session, 2015-01-09\) between its first and last bar \(and 1 more symbol\)/,
  );
  equal(MAX_GAP_SESSIONS, 20);
  equal(MAX_MISSING_SHARE, 0.05);
  // the caller's remedy; a market series' is another --market
  const bars = new Map([["BBB", onDates(gap)]]);
  throws(() => checkSessionCoverage(bars, { remedy: "fill it" }), /holes; fill it$/);
  throws(
    () => checkSessionCoverage(bars, { market: ["BBB"], remedy: "fill it" }),
    /holes; name a --market series \(config source\.market\) that covers the range, or leave --market out$/,
  );
  throws(
    () => checkSessionCoverage(bars, { market: ["AAA"] }),
    /holes; narrow --from\/--to .* leave the symbol out$/,
  );
});

Deno.test("holes against the exchange calendar: small ones are a note; a later listing, an earlier delisting and old Saturdays are none", () => {
  const all = sessions("2015-01-02", "2016-12-30");
  const small = all.filter((_, i) => i < 100 || i >= 110);
  const note = checkSessionCoverage(
    new Map([
      ["AAA", onDates(all)],
      ["LATE", onDates(all.slice(300))], // listed in the range
      ["GONE", onDates(all.slice(0, 50))], // delisted in the range
      ["HOLE", onDates(small)],
    ]),
  );
  equal(
    note,
    `input: calendar: 1 symbol without a bar on some exchange sessions: HOLE misses 10 of 504 sessions (2.0%; ` +
      `longest gap 10 sessions, ${all[100]}..${
        all[109]
      }) (returns span the holes; refused above 5% missing ` +
      "or a gap over 20 sessions)",
  );
  equal(checkSessionCoverage(new Map([["AAA", onDates(all)]])), "");
  // before 1970 the rule-based calendar takes Saturdays for sessions: weekday bars alone have no hole
  const weekdays = sessions("1955-01-03", "1956-12-31").filter((d) =>
    ![0, 6].includes(new Date(d).getUTCDay())
  );
  deepEqual(sessionHoles(new Map([["OLD", onDates(weekdays)]])), []);
});

Deno.test("the project's real price data is not refused by the calendar check (sp500 protocol, ETFs, stocknet)", async () => {
  const shared = fileURLToPath(new URL("../../../shared/data/", import.meta.url));
  const counts: Record<string, string> = {};
  for (const name of ["sp500-5yr-ohlcv", "us-index-etf-daily-yahoo", "stocknet-tweets-prices"]) {
    const src = await csvSourceFor(`${shared}${name}`);
    const symbols = await src.listSymbols!();
    const bars = await src.bars({ symbols, from: "1990-01-01", to: "2023-12-31" });
    checkSessionCoverage(bars); // does not throw
    const holes = sessionHoles(bars);
    counts[name] = holes.map((h) => `${h.symbol} ${h.missing}/${h.sessions} gap ${h.longestGap}`).join(", ");
  }
  equal(
    counts["sp500-5yr-ohlcv"],
    "DHR 18/1259 gap 10, O 18/1259 gap 10, ES 11/1259 gap 10, BHF 1/143 gap 1, ICE 5/1259 gap 3, " +
      "BMY 2/1259 gap 1, ORCL 2/1259 gap 2, WRK 1/662 gap 1, REGN 1/1259 gap 1, VRTX 1/1259 gap 1",
  );
  equal(counts["us-index-etf-daily-yahoo"], "");
  equal(counts["stocknet-tweets-prices"], "PTR 1/1258 gap 1, REX 1/1258 gap 1, SNP 1/1258 gap 1");
});

Deno.test("the dataset note counts the per-symbol news items joined from outside the run's own news files", () => {
  const item = (source: string, symbols: string[]) =>
    ({ id: source + symbols.join(), source, symbols, headline: "h", publishedAt: 0, knownAt: 0 }) as never;
  const items = [
    item("csv/bz.csv", ["AAPL"]),
    item("csv/stocknet.csv.gz", ["AAPL"]),
    item("csv/stocknet.csv.gz", ["XOM"]),
    item("yahoo", ["XOM"]),
    item("csv/cnbc.csv", []), // market-wide: fed by the run's market files alone, not counted here
  ];
  equal(
    foreignNewsText(items, ["bz.csv"]),
    "; 3 of them about these symbols come from outside this run's news files, stored earlier " +
      "(csv/stocknet.csv.gz 2, yahoo 1): use another --store-dir to leave them out",
  );
  equal(foreignNewsText(items.slice(0, 1), ["bz.csv"]), "");
  ok(foreignNewsText(items, []).startsWith("; 4 of them"));
});

Deno.test("newsAbout: market-wide items of the run's files by name, and with the run's own ids, not another file's of that name", () => {
  const item = (id: string, source: string, symbols: string[]) =>
    ({ id, source, symbols, headline: id, publishedAt: 0, knownAt: 0 }) as NewsItem;
  const docs = [
    item("x1", "csv/news.csv", ["AAPL"]),
    item("x2", "csv/other.csv", ["MSFT"]),
    item("a1", "csv/news.csv", []), // an earlier run's a/news.csv
    item("a2", "csv/news.csv", []),
    item("b1", "csv/news.csv", []), // this run's b/news.csv
    item("c1", "csv/cnbc.csv", []),
  ];
  const ids = (xs: NewsItem[]) => xs.map((n) => n.id);
  deepEqual(ids(newsAbout(docs, new Set(["AAPL"]))), ["x1"]);
  deepEqual(ids(newsAbout(docs, new Set(["AAPL"]), ["news.csv"])), ["x1", "a1", "a2", "b1"]);
  deepEqual(ids(newsAbout(docs, new Set(["AAPL"]), ["news.csv"], new Set(["b1"]))), ["x1", "b1"]);
});
