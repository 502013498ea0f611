/**
 * Document and object store benchmark (issue 3): 10,000 news documents (the 9,991 real Benzinga headlines of
 * `../shared/data/benzinga-analyst-ratings-subset`, recycled to 10,000 ids) inserted, re-upserted (must insert
 * 0), and queried by symbol + one-year window and by text; objects put/listed/read/deleted and one 32 MiB
 * multipart upload. Runs the embedded backends always, MongoDB when `FMAI_MONGO_URL` is set and S3 when
 * `FMAI_S3_ENDPOINT` is set. Prints a table and writes `bench/results/store-docs-<date>.json`.
 *
 *   deno task services:up && set -a && . .services/env && set +a
 *   deno task bench:store-docs
 * @module
 */
import {
  type Doc,
  type DocumentStore,
  type ObjectStore,
  openDocumentStore,
  openLocalObjects,
  openObjectStore,
  openSqliteDocuments,
} from "../lib/store/mod.ts";
import { readCsvTable } from "../lib/sources/mod.ts";
import { storeConfigFor } from "../pipelines/stores.ts";
import { toolArgs } from "../scripts/_args.ts";

toolArgs("bench:store-docs", {}); // no flags: --help prints the usage, anything else is one line, exit 2

const CSV = new URL(
  "../../shared/data/benzinga-analyst-ratings-subset/analyst_ratings_processed_A-ACAT_subset.csv",
  import.meta.url,
);
const QUERIES = 100;

/** `n` news documents from the real Benzinga headlines (ids `bz<i>`, recycled past the 9,991 rows). */
export async function benzingaDocs(n = 10_000): Promise<Doc[]> {
  const rows = readCsvTable(await Deno.readTextFile(CSV), { file: "benzinga", require: ["title"] }).rows
    .map((r) => r.fields);
  const docs: Doc[] = [];
  for (let i = 0; i < n; i++) {
    const [orig, title, date, stock] = rows[i % rows.length];
    const knownAt = Date.parse(date.replace(" ", "T"));
    if (!Number.isFinite(knownAt)) throw new Error(`bad date ${date} in row ${orig}`);
    docs.push({
      id: `bz${i}`,
      knownAt,
      symbols: [stock],
      headline: title,
      source: "benzinga",
      orig: Number(orig),
    });
  }
  return docs;
}

function pct(xs: number[], p: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** Results of {@link benchDocuments}. */
export interface DocBenchResult {
  backend: string;
  docs: number;
  insertSeconds: number;
  insertDocsPerSec: number;
  reupsertSeconds: number;
  reupsertDocsPerSec: number;
  count: number;
  symbolRangeP50Ms: number;
  symbolRangeP95Ms: number;
  docsPerSymbolRangeQuery: number;
  textP50Ms: number;
  docsPerTextQuery: number;
}

/** Inserts `docs` into a fresh collection, re-upserts them, and times symbol/time-range and text queries. */
export async function benchDocuments(
  backend: string,
  store: DocumentStore,
  docs: Doc[],
): Promise<DocBenchResult> {
  const coll = `bench_news_${Date.now().toString(36)}`;
  try {
    let t = performance.now();
    const first = await store.upsert(coll, docs);
    const ins = (performance.now() - t) / 1000;
    if (first.inserted !== docs.length) throw new Error(`${backend}: inserted ${first.inserted}`);
    t = performance.now();
    const again = await store.upsert(coll, docs);
    const re = (performance.now() - t) / 1000;
    if (again.inserted !== 0) throw new Error(`${backend}: re-upsert inserted ${again.inserted}`);
    const count = await store.count(coll);
    if (count !== docs.length) throw new Error(`${backend}: count ${count}`);
    const symbols = [...new Set(docs.flatMap((d) => d.symbols ?? []))].sort();
    const minT = Math.min(...docs.map((d) => d.knownAt)), maxT = Math.max(...docs.map((d) => d.knownAt));
    const year = 365 * 86_400_000;
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const times: number[] = [];
    let found = 0;
    for (let i = 0; i < QUERIES; i++) {
      const symbol = symbols[Math.floor(rnd() * symbols.length)];
      const from = minT + rnd() * Math.max(0, maxT - minT - year);
      t = performance.now();
      const got = await store.find(coll, { symbol, from, to: from + year });
      times.push(performance.now() - t);
      found += got.length;
    }
    const textTimes: number[] = [];
    let textFound = 0;
    for (const q of ["price target", "earnings", "52-week highs", "downgrades", "stocks moving"]) {
      for (let i = 0; i < 4; i++) {
        t = performance.now();
        textFound += (await store.find(coll, { text: q, limit: 100 })).length;
        textTimes.push(performance.now() - t);
      }
    }
    return {
      backend,
      docs: docs.length,
      insertSeconds: r2(ins),
      insertDocsPerSec: Math.round(docs.length / ins),
      reupsertSeconds: r2(re),
      reupsertDocsPerSec: Math.round(docs.length / re),
      count,
      symbolRangeP50Ms: r2(pct(times, 0.5)),
      symbolRangeP95Ms: r2(pct(times, 0.95)),
      docsPerSymbolRangeQuery: Math.round(found / QUERIES),
      textP50Ms: r2(pct(textTimes, 0.5)),
      docsPerTextQuery: Math.round(textFound / textTimes.length),
    };
  } finally {
    if (store.dropCollection) await store.dropCollection(coll);
  }
}

/** Results of {@link benchObjects}. */
export interface ObjectBenchResult {
  backend: string;
  objects: number;
  objectBytes: number;
  putPerSec: number;
  listSeconds: number;
  listedPerSec: number;
  getPerSec: number;
  deletePerSec: number;
  largeMiB: number;
  largePutMiBPerSec: number;
  largeGetMiBPerSec: number;
}

async function pool<T>(items: T[], width: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/**
 * Puts `n` JSON objects of `bytes` bytes under `raw/` keys (8 in flight), lists them, reads and deletes them;
 * then one `largeMiB` MiB object (multipart on S3).
 */
export async function benchObjects(
  backend: string,
  store: ObjectStore,
  n = 1000,
  bytes = 4096,
  largeMiB = 32,
): Promise<ObjectBenchResult> {
  const base = `bench-${Date.now().toString(36)}/`;
  const body = JSON.stringify({ pad: "x".repeat(Math.max(0, bytes - 10)) });
  const keys = Array.from({ length: n }, (_, i) => {
    const d = new Date(Date.UTC(2024, 0, 1) + Math.floor(i / 100) * 86_400_000).toISOString();
    return `${base}raw/bench/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/r${i}.json`;
  });
  try {
    let t = performance.now();
    await pool(keys, 8, (k) => store.put(k, body, { contentType: "application/json" }));
    const put = (performance.now() - t) / 1000;
    t = performance.now();
    const listed = await store.list(`${base}raw/`);
    const list = (performance.now() - t) / 1000;
    if (listed.length !== n) throw new Error(`${backend}: listed ${listed.length}, want ${n}`);
    t = performance.now();
    await pool(keys, 8, async (k) => {
      if ((await store.get(k))?.length !== body.length) throw new Error(`${backend}: bad body at ${k}`);
    });
    const get = (performance.now() - t) / 1000;
    t = performance.now();
    await pool(keys, 8, (k) => store.delete(k));
    const del = (performance.now() - t) / 1000;
    const big = new Uint8Array(largeMiB * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    t = performance.now();
    await store.put(`${base}models/bench/v1/big.bin`, big);
    const bigPut = (performance.now() - t) / 1000;
    t = performance.now();
    const back = await store.get(`${base}models/bench/v1/big.bin`);
    const bigGet = (performance.now() - t) / 1000;
    if (back?.length !== big.length) {
      throw new Error(`${backend}: large object came back with ${back?.length} bytes`);
    }
    await store.delete(`${base}models/bench/v1/big.bin`);
    return {
      backend,
      objects: n,
      objectBytes: body.length,
      putPerSec: Math.round(n / put),
      listSeconds: r2(list),
      listedPerSec: Math.round(n / list),
      getPerSec: Math.round(n / get),
      deletePerSec: Math.round(n / del),
      largeMiB,
      largePutMiBPerSec: r2(largeMiB / bigPut),
      largeGetMiBPerSec: r2(largeMiB / bigGet),
    };
  } finally {
    for (const o of await store.list(base)) await store.delete(o.key);
  }
}

if (import.meta.main) {
  const docs = await benzingaDocs(10_000);
  const tmp = await Deno.makeTempDir({ prefix: "fmai-docs-bench-" });
  const docResults: DocBenchResult[] = [];
  const objResults: ObjectBenchResult[] = [];
  try {
    const sq = await openSqliteDocuments(`${tmp}/bench.sqlite`);
    docResults.push(await benchDocuments("sqlite (embedded)", sq, docs));
    await sq.close();
    // the servers of `deno task services:up`, configured as a run configures them (config/*.yaml + env)
    const servers = await storeConfigFor(tmp, ["mongodb", "s3"]);
    if (Deno.env.get("FMAI_MONGO_URL")) {
      const m = await openDocumentStore(servers);
      docResults.push(await benchDocuments("mongodb (FerretDB v1 / SQLite)", m, docs));
      await m.close();
    } else console.error("FMAI_MONGO_URL not set: MongoDB skipped (run `deno task services:up`)");
    const lo = await openLocalObjects(`${tmp}/objects`);
    objResults.push(await benchObjects("local folder (embedded)", lo));
    await lo.close();
    if (Deno.env.get("FMAI_S3_ENDPOINT")) {
      const s3 = await openObjectStore(servers);
      objResults.push(await benchObjects("s3 (MinIO)", s3));
      await s3.close();
    } else console.error("FMAI_S3_ENDPOINT not set: S3 skipped (run `deno task services:up`)");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  console.table(docResults);
  console.table(objResults);
  const date = new Date().toISOString().slice(0, 10);
  const out = new URL(`./results/store-docs-${date}.json`, import.meta.url);
  await Deno.writeTextFile(
    out,
    JSON.stringify(
      { date, cpus: navigator.hardwareConcurrency, documents: docResults, objects: objResults },
      null,
      2,
    ) +
      "\n",
  );
  console.log(`wrote ${out.pathname}`);
}
