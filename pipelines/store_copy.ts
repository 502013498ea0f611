/**
 * `deno task store:copy --from <backends> --to <backends>`: copies every table, document collection and object
 * from one store configuration to another (users start embedded and outgrow it). Idempotent (upserts; objects
 * overwritten by key), so an interrupted copy is finished by running it again.
 * Backends are named as in `--stores`: `embedded`, or a comma list of `mysql`, `mongodb`, `s3`, their embedded
 * parts in `--store-dir`. Either side may instead be `embedded:DIR`, an embedded store in `DIR` (so one
 * embedded folder is copied whole into another: `--from embedded --to embedded:NEW`), or `parquet:DIR`, an
 * export folder (`deno task export`): as a target every table is written there as Parquet with its manifest
 * (documents and objects are not tables and are not copied, which the copy says); as a source its store tables
 * are checked against the manifest's row counts and checksums, then upserted.
 * The source is checked before the target is opened (an embedded target is created when missing; its folder,
 * as a Parquet target's, must be one that can be written, checked before the source is read): an embedded
 * source store must exist (never created), a Parquet folder is read whole first, and both sides naming the
 * same stores (`embedded` and `embedded,` alike, or `embedded:DIR` of the `--store-dir` folder) is refused, and
 * so is a target folder (`parquet:DIR`, an embedded store's) that is the embedded source's folder or inside it
 * (links resolved).
 * @module
 */
import { ConfigError } from "@lib/core/mod.ts";
import { ALL_SCHEMAS, openStores, STORE_PARTS, type StoreConfig, type Stores } from "@lib/store/mod.ts";
import { NEWS_SCORES_COLLECTION } from "@lib/models/mod.ts";
import { NEWS_COLLECTION, REPORTS_COLLECTION } from "./collect/mod.ts";
import {
  asConfigError,
  checkOutsideStore,
  checkWritableDir,
  parseArgsOnce,
  refuseEmptyPath,
  reportCliError,
  resolvedPath,
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
const EMBEDDED_PREFIX = "embedded:";

/**
 * One side of a copy as named: an export folder (`parquet:DIR`), or stores: `backends` (a `--stores` list)
 * with their embedded parts in `dir` (`--store-dir`), or, for `embedded:DIR`, every part embedded in `DIR`.
 */
export type CopySide =
  | { kind: "parquet"; dir: string }
  | { kind: "stores"; backends: BackendName[]; dir: string; named: string };

/** Parses `--from`/`--to` (`flag`) of store:copy; `dataDir` is `--store-dir`'s folder (default `./data`). */
export function parseCopySide(
  flag: string,
  value: string,
  dataDir: string,
  storeDirGiven: boolean,
): CopySide {
  for (const prefix of [PARQUET_PREFIX, EMBEDDED_PREFIX]) {
    if (!value.startsWith(prefix)) continue;
    const dir = value.slice(prefix.length);
    if (!dir) throw new ConfigError(`${flag} ${value}: names no folder (${prefix}DIR)`);
    return prefix === PARQUET_PREFIX
      ? { kind: "parquet", dir }
      : { kind: "stores", backends: [], dir, named: `${flag} ${value}` };
  }
  return {
    kind: "stores",
    backends: parseBackends(value),
    dir: dataDir,
    named: storeDirGiven ? `--store-dir ${dataDir}` : `the default --store-dir ${dataDir}`,
  };
}

/** `deno task store:copy --help`; its first line is also the error when a required flag is missing. */
export const STORE_COPY_USAGE =
  `usage: deno task store:copy --from <backends>|embedded:DIR|parquet:DIR --to <backends>|embedded:DIR|parquet:DIR
                            [--store-dir DIR]
  Copies every table, document collection and object from one store configuration to another (embedded, or
  mysql,mongodb,s3; the embedded parts in --store-dir, default ./data); embedded:DIR names an embedded store in
  DIR instead (--from embedded --to embedded:NEW copies the --store-dir store into NEW, news, news scores and
  objects included); either side may be an export folder (tables only, checked against its manifest).
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
    const given = v["store-dir"] !== undefined;
    if (given) refuseEmptyPath(dataDir, "--store-dir");
    const [src, dst] = [
      parseCopySide("--from", v.from, dataDir, given),
      parseCopySide("--to", v.to, dataDir, given),
    ];
    // each store side's settings, read and checked once
    const cfgOf = async (side: CopySide) =>
      side.kind === "stores" ? await storeConfigFor(side.dir, side.backends) : null;
    const [srcCfg, dstCfg] = [await cfgOf(src), await cfgOf(dst)];
    // a --store-dir that no side's embedded part lives in would be ignored: refused
    const readsStoreDir = (cfg: StoreConfig | null, value: string) =>
      cfg !== null && !value.startsWith(EMBEDDED_PREFIX) && embeddedParts(cfg).length > 0;
    if (given && !readsStoreDir(srcCfg, v.from) && !readsStoreDir(dstCfg, v.to)) {
      throw new ConfigError(
        `--store-dir ${dataDir}: neither side reads it (--from ${v.from} and --to ${v.to} name their own ` +
          `folders${
            [src, dst].some((s) => s.kind === "stores" && s.backends.length) ? " or servers" : ""
          }); ` +
          `leave it out`,
      );
    }
    // an embedded target's folder that cannot be created or written (a file, a read-only folder) is refused now,
    // as a Parquet target's is, not when it is opened after the source was read
    if (dstCfg !== null && embeddedParts(dstCfg).length) {
      await checkWritableDir(dst.dir, v.to.startsWith(EMBEDDED_PREFIX) ? "--to" : "--store-dir");
    }
    if (src.kind === "parquet") {
      if (dst.kind === "parquet") {
        throw new ConfigError("one side of a copy must be a store, not two Parquet folders");
      }
      // the folder is read and checked whole before the target is opened (opening an embedded store creates it)
      const toCfg = dstCfg!;
      const read = await readParquetTables(src.dir);
      const stores = await openStores(toCfg);
      try {
        await copyFromParquet(read, stores, (s) => console.log(s));
      } finally {
        await stores.close();
      }
      return 0;
    }
    const fromCfg = srcCfg!;
    const fromFlag = v.from.startsWith(EMBEDDED_PREFIX) ? "--from" : "--store-dir";
    if (dst.kind === "parquet") {
      await checkStoreExists(fromCfg, undefined, fromFlag);
      if (embeddedParts(fromCfg).length) checkOutsideStore(dst.dir, `--to ${v.to}`, src.dir, src.named);
      await checkWritableDir(dst.dir, "--to");
      const stores = await openStores(existingOnly(fromCfg));
      try {
        await copyToParquet(stores, dst.dir, (s) => console.log(s));
      } finally {
        await stores.close();
      }
      return 0;
    }
    const toCfg = dstCfg!;
    // a part embedded on both sides in one folder is one and the same store; only the others are read
    const sameDir = resolvedPath(src.dir) === resolvedPath(dst.dir);
    const fromEmbedded = embeddedParts(fromCfg), toEmbedded = embeddedParts(toCfg);
    const shared = sameDir ? toEmbedded.filter((p) => fromEmbedded.includes(p)) : [];
    const sameServers = STORE_PARTS.every((p) =>
      fromEmbedded.includes(p) ? shared.includes(p) : fromCfg[p].kind === toCfg[p].kind
    );
    if (sameServers) throw new ConfigError(`--from ${v.from} and --to ${v.to} name the same stores`);
    // an embedded target inside the source's folder: its files would become the source's objects
    if (fromEmbedded.length && toEmbedded.length && !sameDir) {
      checkOutsideStore(
        dst.dir,
        v.to.startsWith(EMBEDDED_PREFIX) ? `--to ${v.to}` : `--store-dir ${dst.dir}`,
        src.dir,
        src.named,
      );
    }
    await checkStoreExists(fromCfg, fromEmbedded.filter((p) => !shared.includes(p)), fromFlag);
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
