/**
 * `deno task store:copy --from <backends> --to <backends>`: copies every table, document collection and object
 * from one store configuration to another (users start embedded and outgrow it). Idempotent (upserts; objects
 * overwritten by key), so an interrupted copy is finished by running it again.
 * Backends are named as in `--stores`: `embedded`, or a comma list of `mysql`, `mongodb`, `s3`. Either side may
 * instead be `parquet:DIR`, an export folder (`deno task export`): as a target every table is written there as
 * Parquet with its manifest (documents and objects are not tables and are not copied, which the copy says); as
 * a source its store tables are checked against the manifest's row counts and checksums, then upserted.
 * The source is checked before the target is opened (an embedded target is created when missing): an embedded
 * source store must exist at `--store-dir` (never created), a Parquet folder is read whole first, and both
 * sides naming the same stores (`embedded` and `embedded,` alike) is refused, and so is a `parquet:DIR` target
 * that is the embedded source's folder or inside it (links resolved).
 * @module
 */
import { ConfigError } from "@lib/core/mod.ts";
import { ALL_SCHEMAS, openStores, type Stores } from "@lib/store/mod.ts";
import { NEWS_SCORES_COLLECTION } from "@lib/models/mod.ts";
import { NEWS_COLLECTION, REPORTS_COLLECTION } from "./collect/mod.ts";
import {
  asConfigError,
  checkOutsideStore,
  checkWritableDir,
  parseArgsOnce,
  reportCliError,
} from "./_cli_error.ts";
import { exportTables, importTables, readParquetTables } from "./export.ts";
import {
  type BackendName,
  checkStoreExists,
  embeddedParts,
  existingOnly,
  parseBackends,
  readRows,
  storeConfigFor,
} from "./stores.ts";

/** Document collections the system writes (the news, the filings, and each news item's cached score). */
export const COLLECTIONS = [NEWS_COLLECTION, REPORTS_COLLECTION, NEWS_SCORES_COLLECTION];

/** Counts of what a copy moved. */
export interface CopyResult {
  tables: Record<string, number>;
  documents: Record<string, number>;
  objects: number;
}

/** Copies everything from `from` to `to`, table by table (upserts of 50k rows), collection by collection, object by object. */
export async function copyStores(
  from: Stores,
  to: Stores,
  log: (s: string) => void = () => {},
): Promise<CopyResult> {
  const out: CopyResult = { tables: {}, documents: {}, objects: 0 };
  for (const schema of ALL_SCHEMAS) {
    // the source is only read: a table it never held is copied as empty, not created there
    const rows = await readRows(from, schema.name, { orderBy: schema.key });
    await to.tables.ensureTable(schema);
    for (let i = 0; i < rows.length; i += 50_000) {
      await to.tables.upsert(schema.name, rows.slice(i, i + 50_000));
    }
    out.tables[schema.name] = rows.length;
    log(`table ${schema.name}: ${rows.length} rows`);
  }
  for (const c of COLLECTIONS) {
    const docs = await from.documents.find(c);
    for (let i = 0; i < docs.length; i += 5_000) await to.documents.upsert(c, docs.slice(i, i + 5_000));
    out.documents[c] = docs.length;
    log(`collection ${c}: ${docs.length} documents`);
  }
  for (const o of await from.objects.list("")) {
    const body = await from.objects.get(o.key);
    if (body) await to.objects.put(o.key, body, { contentType: o.contentType });
    out.objects++;
  }
  log(`objects: ${out.objects}`);
  return out;
}

/** Writes every table of `from` into the export folder `dir` as Parquet (documents and objects are not tables). */
export async function copyToParquet(from: Stores, dir: string, log: (s: string) => void = () => {}) {
  const entries = await exportTables(from, ALL_SCHEMAS, dir, "parquet", {}, log);
  const docs = await Promise.all(COLLECTIONS.map((c) => from.documents.count(c)));
  const objects = (await from.objects.list("")).length;
  log(
    `not copied (a Parquet folder holds tables only): ${
      COLLECTIONS.map((c, i) => `${docs[i]} ${c} documents`).join(", ")
    }, ${objects} objects`,
  );
  return entries;
}

/**
 * Upserts the store tables of the export folder `src` into `to`, after checking them all against the manifest;
 * `src` may be the folder already read with `readParquetTables` (the CLI reads it before opening `to`).
 */
export async function copyFromParquet(
  src: string | Awaited<ReturnType<typeof readParquetTables>>,
  to: Stores,
  log: (s: string) => void = () => {},
) {
  const { tables, skipped } = typeof src === "string" ? await readParquetTables(src) : src;
  const counts = await importTables(to, tables);
  for (const [t, n] of Object.entries(counts)) log(`table ${t}: ${n} rows`);
  for (const s of skipped) log(`skipped ${s}`);
  return counts;
}

const PARQUET_PREFIX = "parquet:";

/** True when two parsed `--stores` lists name the same stores (order, repeats and `embedded` aside). */
export function sameBackends(a: readonly BackendName[], b: readonly BackendName[]): boolean {
  const key = (l: readonly BackendName[]) => [...new Set(l.filter((n) => n !== "embedded"))].sort().join(",");
  return key(a) === key(b);
}

/** `deno task store:copy --help`; its first line is also the error when a required flag is missing. */
export const STORE_COPY_USAGE =
  `usage: deno task store:copy --from <backends>|parquet:DIR --to <backends>|parquet:DIR [--store-dir DIR]
  Copies every table, document collection and object from one store configuration to another (embedded, or
  mysql,mongodb,s3); either side may be an export folder (tables only, checked against its manifest).
  Idempotent: an interrupted copy is finished by running it again.`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(STORE_COPY_USAGE);
    return 0;
  }
  try {
    const v = asConfigError(() =>
      parseArgsOnce({
        args: argv,
        strict: true,
        options: { from: { type: "string" }, to: { type: "string" }, "store-dir": { type: "string" } },
      })
    ).values;
    if (!v.from || !v.to) {
      throw new ConfigError(STORE_COPY_USAGE.split("\n")[0]);
    }
    const dataDir = v["store-dir"] ?? "./data";
    const folder = (s: string) => {
      if (!s.startsWith(PARQUET_PREFIX)) return undefined;
      const dir = s.slice(PARQUET_PREFIX.length);
      if (!dir) throw new ConfigError(`${PARQUET_PREFIX}DIR needs a folder`);
      return dir;
    };
    const [inDir, outDir] = [folder(v.from), folder(v.to)];
    if (inDir && outDir) throw new ConfigError("one side of a copy must be a store, not two Parquet folders");
    if (inDir) {
      // the folder is read and checked whole before the target is opened (opening an embedded store creates it)
      const toCfg = await storeConfigFor(dataDir, parseBackends(v.to));
      const read = await readParquetTables(inDir);
      const stores = await openStores(toCfg);
      try {
        await copyFromParquet(read, stores, (s) => console.log(s));
      } finally {
        await stores.close();
      }
      return 0;
    }
    const fromCfg = await storeConfigFor(dataDir, parseBackends(v.from));
    if (outDir) {
      await checkStoreExists(fromCfg);
      if (embeddedParts(fromCfg).length) {
        await checkOutsideStore(outDir, `--to ${v.to}`, dataDir, "--store-dir");
      }
      await checkWritableDir(outDir, "--to");
      const stores = await openStores(existingOnly(fromCfg));
      try {
        await copyToParquet(stores, outDir, (s) => console.log(s));
      } finally {
        await stores.close();
      }
      return 0;
    }
    const [a, b] = [parseBackends(v.from), parseBackends(v.to)];
    if (sameBackends(a, b)) throw new ConfigError(`--from ${v.from} and --to ${v.to} name the same stores`);
    const toCfg = await storeConfigFor(dataDir, b);
    // a part embedded on both sides is one and the same store; only the others are read from --store-dir
    const shared = embeddedParts(toCfg);
    await checkStoreExists(fromCfg, embeddedParts(fromCfg).filter((p) => !shared.includes(p)));
    const from = await openStores(existingOnly(fromCfg));
    const to = await openStores(toCfg);
    try {
      await copyStores(from, to, (s) => console.log(s));
    } finally {
      await from.close();
      await to.close();
    }
    return 0;
  } catch (e) {
    return reportCliError(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
