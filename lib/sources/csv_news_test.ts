import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { closeTime, DataSourceError, DataValidationError, nyTime, sessionForKnownAt } from "../core/mod.ts";
import { createCsvNews, newsColumns, newsInstant } from "./csv_news.ts";
import { csvSourceFor } from "./csv.ts";

const DATA = fileURLToPath(new URL("../../../shared/data/", import.meta.url));
const BENZINGA = join(DATA, "benzinga-analyst-ratings-subset/analyst_ratings_processed_A-ACAT_subset.csv");
const TWEETS = join(DATA, "stocknet-tweets-prices/stocknet_tweets_preprocessed.csv.gz");

function file(name: string, text: string | Uint8Array): string {
  const p = join(mkdtempSync(join(tmpdir(), "fmai-news-")), name);
  writeFileSync(p, text);
  return p;
}

Deno.test("news times: a zone or Z is the instant; a date alone is the end of that New York day; no zone is refused", () => {
  deepEqual(newsInstant("2020-06-05 10:30:00-04:00"), {
    at: Date.parse("2020-06-05T14:30:00Z"),
    dateOnly: false,
  });
  deepEqual(newsInstant("2014-01-01T03:59:03Z"), { at: Date.parse("2014-01-01T03:59:03Z"), dateOnly: false });
  deepEqual(newsInstant("2017-11-20T16:06-0500"), {
    at: Date.parse("2017-11-20T21:06:00Z"),
    dateOnly: false,
  });
  // a date alone: after that day's close, so it counts for the next session (Friday -> Monday)
  const fri = newsInstant("2017-11-24");
  deepEqual(fri, { at: nyTime("2017-11-25", 0), dateOnly: true });
  equal(sessionForKnownAt((fri as { at: number }).at), "2017-11-27");
  ok(/has no zone: add Z or an offset/.test(newsInstant("2020-06-05 10:30:00") as string));
  ok(/is not YYYY-MM-DD or an ISO 8601 time/.test(newsInstant("18-Jul-20") as string));
  ok(/bad date/.test(newsInstant("2021-02-30") as string));
  // a zoned time on a day that does not exist is refused too (Date.parse would roll it over to March 1st)
  ok(/bad date/.test(newsInstant("2020-02-30T10:00:00Z") as string));
});

Deno.test("news columns: matched by name in any case; a file without a symbol column (market-wide) is refused", () => {
  deepEqual(newsColumns(["Ticker", "Date", "Created_At_UTC", "TEXT_TOKENS"], "t.csv"), {
    headline: 3,
    time: 2,
    symbol: 0,
    summary: -1,
    url: -1,
  });
  throws(
    () => newsColumns(["Headlines", "Time", "Description"], "cnbc_headlines.csv"),
    (e: Error) =>
      e instanceof DataValidationError &&
      /^cnbc_headlines\.csv:1: news file has no symbol \(symbol, ticker, stock, name\) column: market-wide/
        .test(
          e.message,
        ),
  );
});

Deno.test("csv news: the items that count for from..to (after the close before from, up to to's close), repeats merged, gaps counted", async () => {
  const p = file(
    "news.csv",
    "id_not_used,Headline,published_at,Symbol\n" +
      "1,before the window,2017-11-16 16:00:00-05:00,AAA\n" + // at the close of 11-16: decided on 11-16
      "2,after the close,2017-11-16 16:00:01-05:00,aaa\n" + // counts for 11-17
      "3,repeat,2017-11-17 10:00:00-05:00,AAA\n" +
      "4,repeat,2017-11-17 10:00:00-05:00,AAA\n" +
      "5,other symbol,2017-11-17 11:00:00-05:00,BBB\n" +
      "6,,2017-11-17 12:00:00-05:00,AAA\n" +
      "7,weekend,2017-11-18,AAA\n" + // a date alone, a Saturday: counts for Monday 11-20
      "8,after to,2017-11-20 16:30:00-05:00,AAA\n",
  );
  const src = createCsvNews([p]);
  const items = await src.news({ symbols: ["AAA"], from: "2017-11-17", to: "2017-11-20" });
  deepEqual(items.map((n) => n.headline), ["after the close", "repeat", "weekend"]);
  deepEqual(items.map((n) => sessionForKnownAt(n.knownAt)), ["2017-11-17", "2017-11-17", "2017-11-20"]);
  for (const n of items) {
    deepEqual(n.symbols, ["AAA"]);
    equal(n.source, "csv/news.csv");
    equal(n.knownAt, n.publishedAt);
    ok(/^csv:[0-9a-f]{32}$/.test(n.id), n.id);
  }
  // the ids are stable across readers (a re-collect upserts the same documents)
  const again = await createCsvNews([p]).news({ symbols: ["AAA"], from: "2017-11-17", to: "2017-11-20" });
  deepEqual(again.map((n) => n.id), items.map((n) => n.id));
  const rep = src.report();
  deepEqual([rep.rows, rep.items, rep.duplicates, rep.dateOnly], [8, 6, 1, 1]);
  deepEqual(rep.skipped, [{ where: "news.csv:7", reason: "no headline" }]);
  // strict: the gap is an error naming the line
  await rejects(
    () =>
      createCsvNews([p], { strict: true }).news({ symbols: ["AAA"], from: "2017-11-17", to: "2017-11-20" }),
    /news\.csv:7: strict: no headline/,
  );
});

Deno.test("csv news: one item per symbol, time and headline across files; an id column is not trusted", async () => {
  const a = file("a.csv", "id,title,date,stock\n1,Apple up,2020-01-06 10:30:00-05:00,AAPL\n");
  // the same id with another headline is another item; the same row in a second file is the same item
  const b = file(
    "b.csv",
    "id,title,date,stock\n1,Apple down,2020-01-06 11:30:00-05:00,AAPL\n7,Apple up,2020-01-06 10:30:00-05:00,AAPL\n",
  );
  const src = createCsvNews([a, b]);
  const items = await src.news({ symbols: ["AAPL"], from: "2020-01-06", to: "2020-01-06" });
  deepEqual(items.map((n) => [n.headline, n.source]), [["Apple up", "csv/a.csv"], [
    "Apple down",
    "csv/b.csv",
  ]]);
  equal(new Set(items.map((n) => n.id)).size, 2);
  deepEqual([src.report().items, src.report().duplicates], [2, 1]);
  // a renamed file keeps its items' ids
  const renamed = file("renamed.csv", "id,title,date,stock\n1,Apple up,2020-01-06 10:30:00-05:00,AAPL\n");
  const [again] = await createCsvNews([renamed]).news({
    symbols: ["AAPL"],
    from: "2020-01-06",
    to: "2020-01-06",
  });
  equal(again.id, items[0].id);
});

Deno.test("csv news: a bad symbol or time is an error naming file:line; gzip is read", async () => {
  const bad = file(
    "bad.csv",
    "title,date,stock\nok,2017-11-17 10:00:00-05:00,AAA\nx,2017-11-17 10:00:00,AAA\n",
  );
  await rejects(
    () => createCsvNews([bad]).news({ symbols: ["AAA"], from: "2017-11-17", to: "2017-11-17" }),
    (e: Error) =>
      e instanceof DataValidationError &&
      /^bad\.csv:3: time "2017-11-17 10:00:00" has no zone/.test(e.message),
  );
  const sym = file("sym.csv", "title,date,stock\nok,2017-11-17 10:00:00-05:00,A A\n");
  await rejects(
    () => createCsvNews([sym]).news({ symbols: ["AAA"], from: "2017-11-17", to: "2017-11-17" }),
    /sym\.csv:2: "A A" is not a symbol/,
  );
  const gz = file(
    "n.csv.gz",
    gzipSync(new TextEncoder().encode("ticker,created_at_utc,text\nAAA,2017-11-17T15:00:00Z,hi\n")),
  );
  const [n] = await createCsvNews([gz]).news({ symbols: ["AAA"], from: "2017-11-17", to: "2017-11-17" });
  equal(n.headline, "hi");
});

Deno.test("csv source: --news-file files are its news (left out of the price files), checked when it is built", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fmai-news-src-"));
  writeFileSync(
    join(dir, "prices.csv"),
    "date,open,high,low,close,volume,symbol\n2017-11-17,1,2,1,2,10,AAA\n2017-11-20,2,3,2,3,10,AAA\n",
  );
  writeFileSync(join(dir, "news.csv"), "title,date,stock\nup,2017-11-17 09:00:00-05:00,AAA\n");
  const plain = await csvSourceFor(dir);
  equal(plain.news, undefined, "no news files: no news");
  await plain.load();
  deepEqual(plain.report().ignored.map((f) => f.file), ["news.csv"]);
  const src = await csvSourceFor(dir, { newsFiles: [join(dir, "news.csv")] });
  const rep = await src.load();
  deepEqual(rep.ignored, [], "read as news, not ignored as a price file");
  deepEqual(rep.news?.items, 1);
  const items = await src.news!({ symbols: ["AAA"], from: "2017-11-17", to: "2017-11-20" });
  deepEqual(items.map((n) => [n.headline, n.knownAt <= closeTime("2017-11-17")]), [["up", true]]);
  // a bad row anywhere in a news file is refused when the source is built, before anything is fetched
  writeFileSync(
    join(dir, "bad.csv"),
    "title,date,stock\nup,2017-11-17 09:00:00-05:00,AAA\nx,2017-11-17 10:00,AAA\n",
  );
  await rejects(
    () => csvSourceFor(dir, { newsFiles: [join(dir, "bad.csv")] }),
    (e: Error) =>
      e instanceof DataValidationError && /^bad\.csv:3: time "2017-11-17 10:00" has no zone/.test(e.message),
  );
  await rejects(
    () => csvSourceFor(dir, { newsFiles: [join(dir, "missing.csv")] }),
    (e: Error) => e instanceof DataSourceError && /cannot read news file .*missing\.csv/.test(e.message),
  );
  await rejects(
    () =>
      csvSourceFor(dir, {
        newsFiles: [join(DATA, "financial-news-headlines-cnbc-guardian/cnbc_headlines.csv")],
      }),
    /cnbc_headlines\.csv:1: news file has no symbol/,
  );
});

Deno.test("csv news on the shared Benzinga headlines and StockNet tweets: every row an item at its stated instant", async () => {
  const bz = createCsvNews([BENZINGA]);
  const a = await bz.news({ symbols: ["A"], from: "2017-11-20", to: "2017-11-21" });
  // 2017-11-20: two pre-market items; 2017-11-21: four after the close of 11-20 and three before 16:00
  deepEqual(
    a.map((n) => sessionForKnownAt(n.knownAt)),
    ["2017-11-20", "2017-11-20", ...Array(7).fill("2017-11-21")],
  );
  equal(a[2].headline, "Agilent Reports Q4 Adj. EPS $0.67 vs $0.62 Est., Sales $1.19B vs $1.17B Est.");
  equal(a[2].publishedAt, Date.parse("2017-11-20T21:05:00Z"));
  const rep = await bz.load();
  deepEqual([rep.rows, rep.items + rep.duplicates, rep.skipped.length, rep.dateOnly], [9991, 9991, 0, 0]);
  const tw = createCsvNews([TWEETS]);
  const trep = await tw.load();
  // 106,338 rows (the folder's README); 598 repeat a row to the letter: the 105,740 tweets the evaluation scores
  deepEqual([trep.rows, trep.items, trep.duplicates, trep.skipped.length], [106_338, 105_740, 598, 0]);
  const aapl = await tw.news({ symbols: ["AAPL"], from: "2014-01-02", to: "2014-01-02" });
  // counted with Python's csv module: distinct (time, text) after 2013-12-31 21:00Z up to 2014-01-02 21:00Z
  equal(aapl.length, 37);
  ok(aapl.every((n) => n.knownAt > closeTime("2013-12-31") && n.knownAt <= closeTime("2014-01-02")));
});
