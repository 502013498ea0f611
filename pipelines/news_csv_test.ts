/**
 * Real news from CSV files through the documented commands: `--news-file` on the research run and on
 * `deno task collect --source csv`, into the stores, scored by the run's scorer and joined point-in-time.
 */
import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { openEmbeddedStores } from "@lib/store/mod.ts";
import { loadConfig } from "./config.ts";
import { parseCollectArgs } from "./collect_cli.ts";
import { runPipeline } from "./run.ts";

const DATA = fileURLToPath(new URL("../../shared/data/", import.meta.url));
const SP500 = `${DATA}sp500-5yr-ohlcv`;
const BENZINGA = `${DATA}benzinga-analyst-ratings-subset/analyst_ratings_processed_A-ACAT_subset.csv`;
const ETFS = `${DATA}us-index-etf-daily-yahoo`;
const CNBC = `${DATA}financial-news-headlines-cnbc-guardian/cnbc_headlines.csv`;
const GUARDIAN = `${DATA}financial-news-headlines-cnbc-guardian/guardian_headlines.csv`;

Deno.test("--news-file: a csv research run stores the file's headlines, scores them and joins them point-in-time; a re-run adds none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-news-csv-" });
  try {
    const cfg = await loadConfig({
      overrides: {
        source: { kind: "csv", csvDir: SP500, newsFiles: [BENZINGA], symbols: ["A", "AAP", "ABC"] },
        dataset: {
          segments: {
            train: "2015-01-02..2016-12-30",
            valid: "2017-01-03..2017-06-30",
            test: "2017-07-03..2018-02-07",
          },
        },
        models: { trend: ["majority", "logistic"] },
        news: { scorer: "lexicon" },
        dataDir: `${dir}/data`,
        reportDir: `${dir}/reports`,
      },
    });
    const first = await runPipeline(cfg, { run: "news", quiet: true });
    const ds = first.ds;
    const col = (name: string) => {
      const j = ds.featureNames.indexOf(name);
      ok(j >= 0, name);
      return (i: number) => ds.X[i * ds.featureNames.length + j];
    };
    const count1 = col("news_count_1"), sent1 = col("news_sent_1");
    const row = (sym: string, date: string) => {
      for (let i = 0; i < ds.n; i++) if (ds.symbol[i] === sym && ds.date[i] === date) return i;
      throw new Error(`no row ${sym} ${date}`);
    };
    // A on 2017-11-21: four headlines after the close of 11-20 (Q4 results at 16:05) and three before 16:00
    equal(count1(row("A", "2017-11-21")), 7);
    // 2017-11-20: the two pre-market headlines of that day
    equal(count1(row("A", "2017-11-20")), 2);
    let withNews = 0, scored = 0;
    for (let i = 0; i < ds.n; i++) {
      if (count1(i) > 0) withNews++;
      if (sent1(i) !== 0 && Number.isFinite(sent1(i))) scored++;
    }
    ok(withNews > 300 && scored > 100, `${withNews} rows with news, ${scored} with a sentiment`);
    const stores = openEmbeddedStores(`${dir}/data`);
    const stored = await stores.documents.count("news");
    await stores.close();
    equal(first.collect.news, stored);
    ok(
      /news: 9991 rows read from 1 file, 9958 items, 33 repeated rows merged/.test(first.summary),
      first.summary,
    );
    const again = await runPipeline(cfg, { run: "news", quiet: true });
    equal(again.collect.newsInserted, 0, "a re-run duplicates no headline");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--news-file without a symbol column: market-wide headlines become the mkt_news_* features of every symbol, stored once and untagged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-market-news-" });
  try {
    const cfg = await loadConfig({
      overrides: {
        source: { kind: "csv", csvDir: ETFS, newsFiles: [CNBC], symbols: ["SPY", "QQQ", "IWM", "DIA"] },
        dataset: {
          segments: {
            train: "2017-01-03..2018-12-31",
            valid: "2019-01-02..2019-06-28",
            test: "2019-07-01..2020-07-17",
          },
        },
        models: { trend: ["majority", "logistic"] },
        news: { scorer: "lexicon" },
        dataDir: `${dir}/data`,
        reportDir: `${dir}/reports`,
      },
    });
    const first = await runPipeline(cfg, { run: "market-news", quiet: true });
    const ds = first.ds;
    const F = ds.featureNames.length;
    const col = (name: string) => {
      const j = ds.featureNames.indexOf(name);
      ok(j >= 0, name);
      return (i: number) => ds.X[i * F + j];
    };
    const mcount = col("mkt_news_count_1"), count = col("news_count_1");
    const row = (sym: string, date: string) => {
      for (let i = 0; i < ds.n; i++) if (ds.symbol[i] === sym && ds.date[i] === date) return i;
      throw new Error(`no row ${sym} ${date}`);
    };
    // CNBC headlines known after the close before and up to the close of the date (counted with Python's
    // strptime on "%I:%M %p ET %a, %d %B %Y" in New York time): the same on every symbol's row
    for (const [date, n] of [["2018-03-01", 7], ["2019-10-15", 1], ["2020-03-16", 6]] as const) {
      for (const s of ["SPY", "QQQ", "IWM", "DIA"]) equal(mcount(row(s, date)), n, `${s} ${date}`);
    }
    // before the file starts (2017-12-22) the columns are 0; the per-symbol news columns stay 0 throughout
    equal(mcount(row("SPY", "2017-06-01")), 0);
    for (let i = 0; i < ds.n; i++) equal(count(i), 0);
    ok(
      /market news \(cnbc_headlines\.csv\): market-wide headlines reach \d+ of \d+ rows/.test(first.summary),
    );
    const stores = openEmbeddedStores(`${dir}/data`);
    const docs = await stores.documents.find("news", {});
    await stores.close();
    equal(docs.length, 2800);
    ok(
      docs.every((d) => Array.isArray(d.symbols) && (d.symbols as unknown[]).length === 0),
      "stored untagged",
    );
    // a run with the Guardian file too adds its headlines (20 dated 28-Feb-18 count on 2018-03-01)...
    const both = { ...cfg, source: { ...cfg.source, newsFiles: [CNBC, GUARDIAN] } };
    const wide = await runPipeline(both, { run: "market-news", quiet: true });
    const wideRow = wide.ds.date.findIndex((d, i) => d === "2018-03-01" && wide.ds.symbol[i] === "SPY");
    equal(wide.ds.X[wideRow * F + wide.ds.featureNames.indexOf("mkt_news_count_1")], 27);
    // ...and a later run with CNBC alone joins only CNBC's, though the store holds both
    const again = await runPipeline(cfg, { run: "market-news", quiet: true });
    equal(again.collect.newsInserted, 0, "a re-run duplicates no headline");
    const againRow = again.ds.date.findIndex((d, i) => d === "2018-03-01" && again.ds.symbol[i] === "SPY");
    equal(again.ds.X[againRow * F + again.ds.featureNames.indexOf("mkt_news_count_1")], 7);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--news-file: refused in one line where no csv source reads it, and news from csv needs it", async () => {
  await rejects(
    () => loadConfig({ overrides: { source: { newsFiles: [BENZINGA] } } }),
    /^ConfigError: source\.newsFiles \(--news-file\) is read only by the csv source, and source\.kind is synthetic/,
  );
  await rejects(
    () => loadConfig({ overrides: { source: { kind: "csv", csvDir: SP500, newsFiles: [""] } } }),
    /config source\.newsFiles\[0\] \(--news-file\): expected a file path/,
  );
  const base = ["--source", "csv", "--data-dir", SP500, "--symbols", "A"];
  throws(
    () => parseCollectArgs([...base, "--kinds", "news"]),
    (e: Error) =>
      e instanceof ConfigError && /--source csv collects news from --news-file FILE/.test(e.message),
  );
  throws(
    () => parseCollectArgs(["--source", "synthetic", "--news-file", BENZINGA]),
    /--news-file is read only by --source csv/,
  );
  throws(
    () => parseCollectArgs([...base, "--news-file", BENZINGA]),
    /^ConfigError: --news-file is read only with --kinds news \(e\.g\. --kinds prices,news\)$/,
  );
  deepEqual(parseCollectArgs([...base, "--kinds", "prices,news", "--news-file", BENZINGA]).newsFiles, [
    BENZINGA,
  ]);
});
