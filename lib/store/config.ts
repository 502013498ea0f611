/**
 * Choosing the store backends from typed configuration. Parsing YAML and environment variables into a
 * `StoreConfig` happens at the edge (`pipelines/`); here the config is already typed. Server drivers are
 * loaded with dynamic `import()` only when configured, so the embedded path never loads them.
 * @module
 */
import { ConfigError, FmaiError, InputError, shown, StoreError } from "../core/mod.ts";
import { decodeOr, redactUrl, splitUrl } from "./urls.ts";
import { checkObjectPrefix } from "./keys.ts";

export { redactUrl, secretsOf, splitUrl, type UrlParts } from "./urls.ts";
import type { DocumentStore, ObjectStore, Stores, TableStore } from "./types.ts";
import type { MySqlConfig } from "./mysql.ts";
import type { MongoConfig } from "./mongodb.ts";
import type { S3Config } from "./s3.ts";
import { EMBEDDED_DB_FILE, EMBEDDED_OBJECTS_DIR, storesOf } from "./embedded.ts";
import { openSqliteTables } from "./sqlite_tables.ts";
import { openSqliteDocuments } from "./sqlite_documents.ts";
import { type LockWait, openLocalObjects } from "./local_objects.ts";

/**
 * A TCP port: a whole number 1..65535, or such a number written in decimal digits (a `ConfigError` naming
 * `where` otherwise). The one rule for a port in config files, environment variables and Lambda settings.
 */
export function checkPort(v: unknown, where: string): number {
  const n = typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new ConfigError(`${where}: expected a port (a whole number 1..65535), got ${shown(v)}`);
  }
  return n;
}

/** An S3 endpoint: an absolute `http://` or `https://` URL with a host (a `ConfigError` naming `where`). */
export function checkEndpoint(v: string, where: string): string {
  const u = /^https?:\/\/[^/]+/i.test(v) && URL.canParse(v) ? new URL(v) : null;
  if (!u || !u.hostname || (u.protocol !== "http:" && u.protocol !== "https:")) {
    throw new ConfigError(`${where}: expected an http(s) URL such as http://127.0.0.1:9000, got ${shown(v)}`);
  }
  return v;
}

/**
 * True when `uri` is a `mongodb://` or `mongodb+srv://` URL with a host: the one rule of the MongoDB backend
 * (`openMongoDocuments`) and of the edges that read a URL (`FMAI_MONGO_URL`); driver-free, like the others here.
 */
export function isMongoUri(uri: unknown): uri is string {
  if (typeof uri !== "string" || !/^mongodb(\+srv)?:\/\//.test(uri)) return false;
  const p = splitUrl(uri);
  return p !== null && /^[^/?#]/.test(p.rest);
}

/**
 * An S3 key prefix: `""` or an object prefix ({@linkcode checkObjectPrefix}) that ends with `/`, so one store's
 * keys never run into another's. Throws `checkObjectPrefix`'s error, or a `RangeError` naming `where` when given;
 * the one rule of the S3 backend (`openS3Objects`) and of the edges that read a prefix (`FMAI_S3_PREFIX`).
 */
export function checkS3Prefix(prefix: unknown, where?: string): string {
  const p = checkObjectPrefix(prefix);
  if (p !== "" && !p.endsWith("/")) {
    throw new RangeError(`${where ? `${where}: ` : ""}${shown(p)} must end with / (e.g. ${p}/)`);
  }
  return p;
}

/**
 * True when `name` has the characters of an S3 bucket name: up to 63 lower-case letters, digits, `.`, `-` and
 * `_`, starting with a letter or digit (a space, `/` or an upper-case letter would address something else, and
 * the server answered `Bad_Bucket` with an unknown error). The one check of the edges that read a bucket name.
 */
export function isS3BucketName(name: unknown): boolean {
  return typeof name === "string" && /^[a-z0-9][a-z0-9._-]{0,62}$/.test(name);
}

/** What {@link isS3BucketName} accepts, for a message. */
export const S3_BUCKET_NAME_RULE = "up to 63 lower-case letters, digits, . - _";

/**
 * True when `name` is a MongoDB database name the system accepts: 1 to 63 ASCII letters, digits, `_` or `-`.
 * The one check of the MongoDB backend (`openMongoDocuments`) and of the edges that read a database name
 * (`FMAI_MONGO_DATABASE`); here, not in `mongodb.ts`, so checking a name never loads the driver.
 */
export function isMongoDatabaseName(name: unknown): name is string {
  return typeof name === "string" && /^[A-Za-z0-9_-]{1,63}$/.test(name);
}

/** Where structured tables live. */
export type TablesConfig = { kind: "sqlite" } | ({ kind: "mysql" } & MySqlConfig);
/** Where documents live. */
export type DocumentsConfig = { kind: "sqlite" } | ({ kind: "mongodb" } & MongoConfig);
/** Where objects live. */
export type ObjectsConfig = { kind: "local" } | ({ kind: "s3" } & S3Config);

/** Typed store configuration: the data directory (embedded files) and one choice per interface. */
export interface StoreConfig {
  /** Directory of the embedded stores (`fmai.sqlite`, `objects/`). */
  dataDir: string;
  tables: TablesConfig;
  documents: DocumentsConfig;
  objects: ObjectsConfig;
}

/**
 * Parses `mysql://user:password@host:port/database` into a config (the edge passes env values here). The
 * password may hold any character (cut by {@linkcode splitUrl}); a malformed URL is an `InputError` that shows
 * the URL with its password replaced by `***`.
 * @example
 * ```ts
 * import { mySqlConfigFromUrl } from "./config.ts";
 * mySqlConfigFromUrl("mysql://fmai:p/w@127.0.0.1:3307/fmai").password; // "p/w"
 * ```
 */
export function mySqlConfigFromUrl(url: string): MySqlConfig {
  const p = typeof url === "string" ? splitUrl(url) : null;
  const bad = (why: string) => new InputError(`not a mysql URL (${why}): ${redactUrl(String(url))}`);
  if (!p) throw bad("want mysql://user:password@host:port/database");
  if (p.scheme !== "mysql" && p.scheme !== "mariadb") throw bad(`scheme ${p.scheme}:`);
  let u: URL;
  try {
    u = new URL(`mysql://${p.rest}`);
  } catch {
    throw bad("host, port or database");
  }
  if (u.search || u.hash) throw bad("no query or fragment allowed");
  const database = decodeOr(u.pathname.replace(/^\//, ""));
  if (!database) throw bad("names no database");
  if (!p.user) throw bad("names no user");
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 3306,
    user: p.user,
    password: p.password,
    database,
  };
}

/** The zero-setup configuration: everything embedded under `dataDir`. */
export function embeddedConfig(dataDir: string): StoreConfig {
  return { dataDir, tables: { kind: "sqlite" }, documents: { kind: "sqlite" }, objects: { kind: "local" } };
}

function rest<T extends { kind: string }>(c: T): Omit<T, "kind"> {
  const { kind: _kind, ...r } = c;
  return r;
}

/** How each kind of each interface opens: the embedded one, or its server driver loaded on demand. */
const OPENERS = {
  tables: {
    sqlite: async (cfg: StoreConfig) => {
      await Deno.mkdir(cfg.dataDir, { recursive: true });
      return await openSqliteTables(`${cfg.dataDir}/${EMBEDDED_DB_FILE}`);
    },
    mysql: async (cfg: StoreConfig) =>
      await (await import("./mysql.ts")).openMySqlTables(rest(cfg.tables) as MySqlConfig),
  },
  documents: {
    sqlite: async (cfg: StoreConfig) => {
      await Deno.mkdir(cfg.dataDir, { recursive: true });
      return await openSqliteDocuments(`${cfg.dataDir}/${EMBEDDED_DB_FILE}`);
    },
    mongodb: async (cfg: StoreConfig) =>
      await (await import("./mongodb.ts")).openMongoDocuments(rest(cfg.documents) as MongoConfig),
  },
  objects: {
    local: (cfg: StoreConfig, opts: OpenStoresOptions = {}) =>
      openLocalObjects(`${cfg.dataDir}/${EMBEDDED_OBJECTS_DIR}`, { onLockWait: opts.onLockWait }),
    s3: async (cfg: StoreConfig) =>
      await (await import("./s3.ts")).openS3Objects(rest(cfg.objects) as S3Config),
  },
} as const;

/** Opens one interface's store as `cfg` names it; an unknown kind is a `ConfigError` listing the known ones. */
async function openPart<T>(
  part: keyof typeof OPENERS,
  cfg: StoreConfig,
  opts: OpenStoresOptions = {},
): Promise<T> {
  const kind = (cfg[part] as { kind?: unknown } | undefined)?.kind;
  const openers = OPENERS[part] as Record<string, (c: StoreConfig, o: OpenStoresOptions) => Promise<unknown>>;
  const open = typeof kind === "string" ? openers[kind] : undefined;
  if (!open) {
    const known = Object.keys(openers).map((k) => `"${k}"`).join(" or ");
    throw new ConfigError(`${part}.kind must be ${known}, got ${JSON.stringify(kind)}`);
  }
  return await open(cfg, opts) as T;
}

/** Opens the table store a configuration names (a server driver loads only when named). */
export function openTableStore(cfg: StoreConfig): Promise<TableStore> {
  return openPart<TableStore>("tables", cfg);
}

/** Opens the document store a configuration names (a server driver loads only when named). */
export function openDocumentStore(cfg: StoreConfig): Promise<DocumentStore> {
  return openPart<DocumentStore>("documents", cfg);
}

/**
 * Opens the object store a configuration names (a server driver loads only when named); `opts.onLockWait` is
 * told by the embedded one.
 */
export function openObjectStore(cfg: StoreConfig, opts: OpenStoresOptions = {}): Promise<ObjectStore> {
  return openPart<ObjectStore>("objects", cfg, opts);
}

/** The three parts of a store configuration. */
export type StorePart = "tables" | "documents" | "objects";
/** Every part, in the order {@link openStores} opens them. */
export const STORE_PARTS: readonly StorePart[] = ["tables", "documents", "objects"];

/** What {@link openStores} opens. */
export interface OpenStoresOptions {
  /**
   * The parts a command uses (default all three). Any other is not opened (no connection, no file): a call on it
   * is a `StoreError` naming the part. The signal API reads no documents, so a document server that is down or
   * slow cannot delay or fail it.
   */
  parts?: readonly StorePart[];
  /**
   * Told when a conditional write of the embedded object store (the registry's aliases) is kept waiting for a
   * lock another writer holds, or a killed one left until it is taken over (see `openLocalObjects`); the other
   * backends have no such lock.
   */
  onLockWait?: (wait: LockWait) => void;
}

/** A part a command does not open: every call is a `StoreError`, `close` a no-op. */
function notOpened<T>(part: StorePart): T {
  const refuse = () =>
    Promise.reject(new StoreError(`the ${part} store is not opened by this command`, { backend: "config" }));
  return new Proxy({}, {
    // not a promise (`then`), nor anything a symbol names: only the store's own methods refuse
    get: (_t, prop) =>
      prop === "backend"
        ? "none"
        : prop === "close"
        ? () => Promise.resolve()
        : prop === "then" || typeof prop === "symbol"
        ? undefined
        : refuse,
  }) as T;
}

/**
 * Opens the stores a configuration names (all three, or `opts.parts`). On failure, whatever was opened is closed
 * again and the error is a `ConfigError` (bad config) or `StoreError` (a server cannot be reached).
 */
export async function openStores(cfg: StoreConfig, opts: OpenStoresOptions = {}): Promise<Stores> {
  if (cfg === null || typeof cfg !== "object") throw new TypeError("store config must be an object");
  if (typeof cfg.dataDir !== "string" || cfg.dataDir === "") {
    throw new ConfigError("store config: dataDir is missing");
  }
  const parts = opts.parts ?? STORE_PARTS;
  const opened: { close(): Promise<void> }[] = [];
  const open = async <T extends { close(): Promise<void> }>(
    part: StorePart,
    fn: () => Promise<T>,
  ): Promise<T> => {
    if (!parts.includes(part)) return notOpened<T>(part);
    const store = await fn();
    opened.push(store);
    return store;
  };
  try {
    const tables = await open("tables", () => openTableStore(cfg));
    const documents = await open("documents", () => openDocumentStore(cfg));
    const objects = await open("objects", () => openObjectStore(cfg, opts));
    return storesOf(tables, documents, objects);
  } catch (e) {
    for (const s of opened.reverse()) await s.close().catch(() => {});
    if (e instanceof FmaiError || e instanceof TypeError || e instanceof RangeError) throw e;
    throw new StoreError(`cannot open stores: ${(e as Error)?.message ?? String(e)}`, {
      backend: "config",
      cause: e,
    });
  }
}
