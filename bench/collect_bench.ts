/**
 * Collector benchmark (issue 4):
 * - parse + store throughput of replayed chart responses: the recorded 3,303-bar TSLA daily chart
 *   (1970..2023-08-11) answered for 20 symbols through the real Yahoo source and the `prices` step into
 *   fresh embedded stores (bars/s, raw responses stored too);
 * - parse + store throughput of news documents: the recorded AAPL search response with its news list
 *   repeated to 1,000 items (distinct ids and times), 20 symbols, through the `news` step (docs/s);
 * - news from a CSV file: the StockNet tweets parsed by the csv source (`--news-file`) beside Python's csv module
 *   on the same file, and 4 symbols' 42,352 items through the `news` step into fresh embedded stores (docs/s);
 * - market-wide news: the CNBC and Guardian headline files (no symbol column) parsed by the csv source beside
 *   Python's csv module + strptime + zoneinfo reading the same instants, and the items stored once (docs/s);
 * - bundle size of each Lambda handler and its cold start under Node 22 (module import + first invocation
 *   of a fresh process against the replayed responses).
 * Prints a table and writes `bench/results/collect-<date>.json`. Like `deno task lambdas:package`, it installs
 * Node 22 from npm into `.tools/node22` when not there and builds the bundles into `dist/lambdas/` (both
 * ignored by git).
 *
 *   deno task bench:collect
 *
 * It takes no flags: `--help` prints the usage, any other flag is refused with exit 2 before any work.
 * @module
 */
import { fileURLToPath } from "node:url";
import { toolArgs } from "../scripts/_args.ts";
import { createReplayFetch, csvSourceFor } from "../lib/sources/mod.ts";
import { openEmbeddedStores } from "../lib/store/mod.ts";
import { newsStep, pricesStep } from "../pipelines/collect/mod.ts";
import { sourcesOver } from "../pipelines/collect/_test_helpers.ts";
import { bundleLambdas } from "../scripts/bundle_lambdas.ts";
import { ensureNode22, smokeTestHandlers } from "../scripts/lambda_smoke.ts";

toolArgs("bench:collect", {});

const YF = new URL("../../shared/data/yahoo-fixtures/", import.meta.url);
const SYMBOLS = Array.from({ length: 20 }, (_, i) => `S${String(i).padStart(2, "0")}`);

// deno-lint-ignore no-explicit-any
type Json = any;
const rec = async (name: string): Promise<Json> => JSON.parse(await Deno.readTextFile(new URL(name, YF)));

/** A fetch answering chart requests of any symbol with the recorded TSLA chart (symbol renamed). */
async function chartFetch(): Promise<typeof fetch> {
  const r = await rec("historical-via-chart-dividends-TSLA-no-dividends.json");
  const replay = await createReplayFetch(YF);
  return (input, init) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const m = /^\/v8\/finance\/chart\/([^/]+)$/.exec(url.pathname);
    if (!m) return replay(input, init);
    const body = structuredClone(r.response.bodyJson);
    body.chart.result[0].meta.symbol = decodeURIComponent(m[1]);
    return Promise.resolve(
      new Response(JSON.stringify(body), {
        headers: { "content-type": "application/json", date: r.response.headers.date },
      }),
    );
  };
}

/** A fetch answering news searches with the recorded AAPL news repeated to `n` items per symbol. */
async function newsFetch(n: number): Promise<typeof fetch> {
  const r = await rec("search-AAPL.json");
  const replay = await createReplayFetch(YF);
  return (input, init) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    if (url.pathname !== "/v1/finance/search") return replay(input, init);
    const q = url.searchParams.get("q")!;
    const body = structuredClone(r.response.bodyJson);
    const base = body.news as Json[];
    body.news = Array.from({ length: n }, (_, i) => ({
      ...base[i % base.length],
      uuid: `${q}-${i}-${base[i % base.length].uuid}`,
      providerPublishTime: base[i % base.length].providerPublishTime - i * 60,
      relatedTickers: [q],
    }));
    return Promise.resolve(
      new Response(JSON.stringify(body), {
        headers: { "content-type": "application/json", date: r.response.headers.date },
      }),
    );
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, (performance.now() - t0) / 1000];
}

const results: Record<string, unknown> = { date: new Date().toISOString() };

// prices
{
  const dir = await Deno.makeTempDir();
  const stores = openEmbeddedStores(dir);
  const sources = sourcesOver(await chartFetch());
  const [rows, s] = await timed(() =>
    pricesStep.run(sources, stores, {
      symbols: SYMBOLS,
      from: "1970-01-01",
      to: "2023-08-11",
      concurrency: 4,
    })
  );
  const bars = await stores.tables.count("bars");
  if (rows.some((r) => !r.ok) || bars !== 20 * 3303) throw new Error(`prices bench: ${bars} bars`);
  results.prices = { symbols: SYMBOLS.length, bars, seconds: s, barsPerSec: bars / s };
  await stores.close();
  await Deno.remove(dir, { recursive: true });
}
// news
{
  const dir = await Deno.makeTempDir();
  const stores = openEmbeddedStores(dir);
  const sources = sourcesOver(await newsFetch(1000));
  const [rows, s] = await timed(() =>
    newsStep.run(sources, stores, { symbols: SYMBOLS, from: "2025-01-01", to: "2025-02-28", concurrency: 4 })
  );
  const docs = await stores.documents.count("news");
  if (rows.some((r) => !r.ok) || docs !== 20 * 1000) throw new Error(`news bench: ${docs} docs`);
  results.news = { symbols: SYMBOLS.length, docs, seconds: s, docsPerSec: docs / s };
  await stores.close();
  await Deno.remove(dir, { recursive: true });
}
// news from a CSV file: the StockNet tweets (106,338 rows) parsed by the csv source, then 4 symbols' items (42,352)
// through the news step into fresh embedded stores; the peer parses the same file with Python's csv module
{
  const file =
    new URL("../../shared/data/stocknet-tweets-prices/stocknet_tweets_preprocessed.csv.gz", import.meta.url)
      .pathname;
  const dir = fileURLToPath(new URL("../../shared/data/stocknet-tweets-prices", import.meta.url));
  const [src, parseS] = await timed(() => csvSourceFor(dir, { newsFiles: [file] }));
  const rep = src.report().news!;
  const storeDir = await Deno.makeTempDir();
  const stores = openEmbeddedStores(storeDir);
  const four = ["AAPL", "FB", "GOOG", "AMZN"];
  const [rows, storeS] = await timed(() =>
    newsStep.run({ market: src }, stores, {
      symbols: four,
      from: "2014-01-02",
      to: "2015-12-31",
      concurrency: 4,
    })
  );
  const docs = await stores.documents.count("news");
  if (rows.some((r) => !r.ok) || docs !== 42_352) throw new Error(`csv news bench: ${docs} docs`);
  await stores.close();
  await Deno.remove(storeDir, { recursive: true });
  // the peer: gzip + csv.DictReader + datetime.fromisoformat, the same rows and the same instants
  const py = await new Deno.Command("python3", {
    args: [
      "-c",
      "import csv,gzip,sys,time,datetime as d\nt=time.perf_counter()\n" +
      "rows=[(r['ticker'],d.datetime.fromisoformat(r['created_at_utc'].replace('Z','+00:00')).timestamp(),r['text_tokens'])" +
      " for r in csv.DictReader(gzip.open(sys.argv[1],'rt',encoding='utf-8'))]\n" +
      "print(len(rows), time.perf_counter()-t)",
      file,
    ],
    stdout: "piped",
  }).output();
  const [pyRows, pyS] = new TextDecoder().decode(py.stdout).trim().split(" ").map(Number);
  if (pyRows !== rep.rows) throw new Error(`csv news bench: python read ${pyRows} rows, we ${rep.rows}`);
  results.csvNews = {
    rows: rep.rows,
    items: rep.items,
    parseSeconds: parseS,
    pythonCsvSeconds: pyS,
    parseRatioVsPython: parseS / pyS,
    stored: docs,
    storeSeconds: storeS,
    docsPerSec: docs / storeS,
  };
}
// market-wide news from CSV files: the CNBC and Guardian headlines (no symbol column; CNBC's New York times to
// the minute, the Guardian's dates and months) parsed by the csv source, then stored once as the (market-wide) unit;
// the peer parses the same files with Python's csv module, datetime.strptime and zoneinfo to the same instants
{
  const dir = fileURLToPath(
    new URL("../../shared/data/financial-news-headlines-cnbc-guardian", import.meta.url),
  );
  const files = ["cnbc_headlines.csv", "guardian_headlines.csv"].map((f) => `${dir}/${f}`);
  const pricesDir = fileURLToPath(new URL("../../shared/data/us-index-etf-daily-yahoo", import.meta.url));
  const [src, parseS] = await timed(() => csvSourceFor(pricesDir, { newsFiles: files }));
  const rep = src.report().news!;
  const storeDir = await Deno.makeTempDir();
  const stores = openEmbeddedStores(storeDir);
  const [rows, storeS] = await timed(() =>
    newsStep.run({ market: src }, stores, {
      symbols: ["SPY"],
      from: "2017-12-01",
      to: "2020-07-31",
      concurrency: 4,
    })
  );
  const docs = await stores.documents.count("news");
  if (rows.some((r) => !r.ok) || docs !== rep.marketWide) {
    throw new Error(`market news bench: ${docs} docs of ${rep.marketWide}`);
  }
  await stores.close();
  await Deno.remove(storeDir, { recursive: true });
  const py = await new Deno.Command("python3", {
    args: [
      "-c",
      `import csv,sys,time,datetime as d
from zoneinfo import ZoneInfo
NY=ZoneInfo('America/New_York')
def cnbc(s):
  t=s.split()
  return d.datetime.strptime(' '.join([t[0],t[1],t[3],t[4],t[5][:3],t[6]]),'%I:%M %p %a, %d %b %Y')
t=time.perf_counter();rows=0;items=[]
for r in csv.DictReader(open(sys.argv[1],encoding='utf-8')):
  rows+=1;h=r['Headlines'].strip()
  if not h: continue
  x=cnbc(r['Time']).replace(tzinfo=NY)
  items.append((x.timestamp()+59.999,h))
for r in csv.DictReader(open(sys.argv[2],encoding='utf-8')):
  rows+=1;s=r['Time'].strip();h=r['Headlines'].strip()
  if not h: continue
  if s.count('-')==2: x=d.datetime.strptime(s,'%d-%b-%y')+d.timedelta(days=1)
  else:
    m=d.datetime.strptime(s,'%b-%y');x=(m.replace(day=28)+d.timedelta(days=4)).replace(day=1)
  items.append((x.replace(tzinfo=NY).timestamp(),h))
print(rows,len(set(items)),time.perf_counter()-t)`,
      ...files,
    ],
    stdout: "piped",
  }).output();
  const [pyRows, pyItems, pyS] = new TextDecoder().decode(py.stdout).trim().split(" ").map(Number);
  if (pyRows !== rep.rows || pyItems !== rep.items) {
    throw new Error(
      `market news bench: python read ${pyRows} rows / ${pyItems} items, we ${rep.rows} / ${rep.items}`,
    );
  }
  results.marketNews = {
    rows: rep.rows,
    items: rep.items,
    monthOnly: rep.monthOnly,
    parseSeconds: parseS,
    pythonSeconds: pyS,
    parseRatioVsPython: parseS / pyS,
    stored: docs,
    storeSeconds: storeS,
    docsPerSec: docs / storeS,
  };
}
// bundles + cold start
{
  const [bundles, s] = await timed(() => bundleLambdas());
  const runs = await smokeTestHandlers(await ensureNode22());
  results.bundleSeconds = s;
  results.lambdas = bundles.map((b) => {
    const r = runs.find((x) => x.kind === b.kind)!;
    return { kind: b.kind, bytes: b.bytes, coldImportMs: r.importMs, firstRunMs: r.runMs };
  });
}

const p = results.prices as Json, n = results.news as Json;
console.log(
  `prices: ${p.bars} bars in ${p.seconds.toFixed(2)} s = ${
    Math.round(p.barsPerSec)
  } bars/s (parse + store + raw)`,
);
console.log(
  `news:   ${n.docs} docs in ${n.seconds.toFixed(2)} s = ${
    Math.round(n.docsPerSec)
  } docs/s (parse + store + raw)`,
);
const c = results.csvNews as Json;
console.log(
  `csv news: ${c.rows} rows parsed in ${c.parseSeconds.toFixed(2)} s (Python csv module: ${
    c.pythonCsvSeconds.toFixed(2)
  } s, ratio ${c.parseRatioVsPython.toFixed(2)}); ${c.stored} docs stored in ${
    c.storeSeconds.toFixed(2)
  } s = ${Math.round(c.docsPerSec)} docs/s`,
);
const mk = results.marketNews as Json;
console.log(
  `market news: ${mk.rows} rows (CNBC + Guardian) -> ${mk.items} items in ${
    mk.parseSeconds.toFixed(2)
  } s (Python: ${mk.pythonSeconds.toFixed(2)} s, ratio ${
    mk.parseRatioVsPython.toFixed(2)
  }); ${mk.stored} docs stored in ${mk.storeSeconds.toFixed(2)} s = ${Math.round(mk.docsPerSec)} docs/s`,
);
console.log(`bundles built in ${(results.bundleSeconds as number).toFixed(1)} s`);
for (const l of results.lambdas as Json[]) {
  console.log(
    `  ${l.kind.padEnd(11)} ${(l.bytes / 1e6).toFixed(2)} MB  cold import ${
      l.coldImportMs.toFixed(0)
    } ms  first run ${l.firstRunMs.toFixed(0)} ms`,
  );
}
await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL(`./results/collect-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url),
  JSON.stringify(results, null, 2) + "\n",
);
