/**
 * `deno task store:copy --from <backends> --to <backends>`: copies every table, document collection and object
 * from one store configuration to another (users start embedded and outgrow it). Idempotent (upserts; objects
 * overwritten by key), so an interrupted copy is finished by running it again.
 * Backends are named as in `--stores`: `embedded`, or a comma list of `mysql`, `mongodb`, `s3`.
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError } from "@lib/core/mod.ts";
import { ALL_SCHEMAS, openStores, type Stores } from "@lib/store/mod.ts";
import { NEWS_COLLECTION, REPORTS_COLLECTION } from "./collect/mod.ts";
import { asConfigError, reportCliError } from "./_cli_error.ts";
import { parseBackends, storeConfigFor } from "./stores.ts";

/** Document collections the system writes. */
export const COLLECTIONS = [NEWS_COLLECTION, REPORTS_COLLECTION];

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
    await from.tables.ensureTable(schema);
    await to.tables.ensureTable(schema);
    const rows = await from.tables.query(schema.name, { orderBy: schema.key });
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

async function main(argv: string[]): Promise<number> {
  try {
    const v = asConfigError(() =>
      parseArgs({
        args: argv,
        strict: true,
        options: { from: { type: "string" }, to: { type: "string" }, "store-dir": { type: "string" } },
      })
    ).values;
    if (!v.from || !v.to) {
      throw new ConfigError(
        "usage: deno task store:copy --from <backends> --to <backends> [--store-dir DIR]",
      );
    }
    const dataDir = v["store-dir"] ?? "./data";
    const [a, b] = [parseBackends(v.from), parseBackends(v.to)];
    if (v.from === v.to) throw new ConfigError("--from and --to name the same stores");
    const from = await openStores(await storeConfigFor(dataDir, a));
    const to = await openStores(await storeConfigFor(dataDir, b));
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
