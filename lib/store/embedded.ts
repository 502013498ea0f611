/**
 * The embedded stores: tables and documents in one SQLite file `<dataDir>/fmai.sqlite` (two connections, WAL),
 * objects in the folder `<dataDir>/objects/`. Nothing to install, nothing to start.
 * @module
 */
import { StoreError } from "../core/mod.ts";
import type { DocumentStore, ObjectStore, Stores, TableStore } from "./types.ts";
import { SqliteTables } from "./sqlite_tables.ts";
import { SqliteDocuments } from "./sqlite_documents.ts";
import { LocalObjects } from "./local_objects.ts";

/** Name of the SQLite file inside the data directory. */
export const EMBEDDED_DB_FILE = "fmai.sqlite";
/** Name of the object folder inside the data directory. */
export const EMBEDDED_OBJECTS_DIR = "objects";

/**
 * Opens the embedded stores under `dataDir` (created when missing). `":memory:"` keeps tables and documents in
 * memory (objects then go to a fresh temporary folder, removed by `close()`).
 * @example
 * ```ts
 * import { openEmbeddedStores } from "./embedded.ts";
 * const dir = await Deno.makeTempDir();
 * const stores = openEmbeddedStores(dir);
 * await stores.objects.put("reports/demo/index.html", "<html></html>");
 * await stores.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function openEmbeddedStores(dataDir: string): Stores {
  if (typeof dataDir !== "string" || dataDir === "") {
    throw new TypeError("dataDir must be a non-empty string");
  }
  const memory = dataDir === ":memory:";
  const root = memory
    ? Deno.makeTempDirSync({ prefix: "fmai-objects-" })
    : dataDir.replace(/\/+$/, "") || "/";
  const objectsDir = memory ? root : `${root}/${EMBEDDED_OBJECTS_DIR}`;
  try {
    for (const d of [`${objectsDir}/.fmai-tmp`, `${objectsDir}/.fmai-meta`]) {
      Deno.mkdirSync(d, { recursive: true });
    }
  } catch (e) {
    throw new StoreError(`cannot create data directory ${dataDir}: ${(e as Error).message}`, {
      backend: "embedded",
      cause: e,
      userError: true,
    });
  }
  const dbPath = memory ? ":memory:" : `${root}/${EMBEDDED_DB_FILE}`;
  const stores = storesOf(
    new SqliteTables(dbPath),
    new SqliteDocuments(dbPath),
    new LocalObjects(objectsDir),
  );
  if (!memory) return stores;
  // the temporary objects folder of a ":memory:" store lives as long as the store
  return {
    ...stores,
    async close() {
      await stores.close();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

/** The three stores as one `Stores` whose `close()` closes tables, documents, then objects (folder-internal). */
export function storesOf(tables: TableStore, documents: DocumentStore, objects: ObjectStore): Stores {
  return {
    tables,
    documents,
    objects,
    async close() {
      await tables.close();
      await documents.close();
      await objects.close();
    },
  };
}
