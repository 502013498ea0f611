/**
 * Which store backends a run uses, decided once at the edge. Embedded (SQLite file + local folder under
 * `dataDir`) unless backends are named with `--stores mysql,mongodb,s3` (or `FMAI_STORES`): each named backend
 * reads the `store:` section of `config/<name>.yaml`, then environment overrides. Secrets come only from the
 * environment (`FMAI_MYSQL_PASSWORD`, `FMAI_MYSQL_URL`, `FMAI_MONGO_URL`, `FMAI_S3_ACCESS_KEY_ID`,
 * `FMAI_S3_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).
 * @module
 */
import { ConfigError, oneLine, shown } from "@lib/core/mod.ts";
import {
  EMBEDDED_DB_FILE,
  EMBEDDED_OBJECTS_DIR,
  embeddedConfig,
  type LockWait,
  redactUrl,
  type Row,
  splitUrl,
  STORE_PARTS,
  type StoreConfig,
  type StorePart,
  type Stores,
  type TableQuery,
} from "@lib/store/mod.ts";
import { mergeChecked, parseYamlText } from "./config.ts";
import { givenTwice } from "./_cli_error.ts";
import {
  checkMongoSettings,
  checkMySqlSettings,
  checkS3Settings,
  envFlag,
  envPort,
  MYSQL_VARS,
  mysqlFromUrlEnv,
  type Where,
} from "./store_settings.ts";

/** Server backends a run can name. */
export const SERVER_BACKENDS = ["mysql", "mongodb", "s3"] as const;
/** A backend name: a server one or `embedded`. */
export type BackendName = typeof SERVER_BACKENDS[number] | "embedded";

type Env = Record<string, string | undefined>;

/**
 * Parses a comma list of backend names (`embedded` alone means none; unset or empty: none). A list of commas
 * alone, or a name given twice, is refused.
 */
export function parseBackends(list: string | undefined): BackendName[] {
  if (!list) return [];
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  if (!names.length) {
    throw new ConfigError(
      `store backends: no name in ${JSON.stringify(list)} (embedded, ${SERVER_BACKENDS.join(", ")})`,
    );
  }
  for (const n of names) {
    if (n !== "embedded" && !(SERVER_BACKENDS as readonly string[]).includes(n)) {
      throw new ConfigError(`unknown store backend ${n} (embedded, ${SERVER_BACKENDS.join(", ")})`);
    }
  }
  const twice = givenTwice(names, list);
  if (twice) throw new ConfigError(`store backend ${twice}`);
  return names as BackendName[];
}

/**
 * The backends a command runs on: its `--stores` flag when given, else `FMAI_STORES` (unset or empty: the
 * embedded store). A flag given empty is refused (`--stores "$STORES"` with the variable unset would have run on
 * the embedded store without a word).
 */
export function chosenBackends(flag: string | undefined, env: string | undefined): BackendName[] {
  if (flag === "") {
    throw new ConfigError(`--stores: no backend named (embedded, ${SERVER_BACKENDS.join(", ")})`);
  }
  return parseBackends(flag ?? env);
}

/**
 * The settings each `config/<name>.yaml` `store:` section may hold, as a template whose values give the types
 * (checked by the config loader's `mergeChecked`); no secrets.
 */
const SECTION_TEMPLATES: Record<string, Record<string, unknown>> = {
  mysql: {
    kind: "",
    host: "",
    port: 0,
    user: "",
    database: "",
    poolSize: 0,
    retries: 0,
    retryDelayMs: 0,
    connectTimeoutMs: 0,
    rowsPerStatement: 0,
    stagingFromRows: 0,
  },
  mongodb: { kind: "", uri: "", database: "", retries: 0, retryDelayMs: 0, timeoutMs: 0, batchSize: 0 },
  s3: {
    kind: "",
    endpoint: "",
    region: "",
    bucket: "",
    forcePathStyle: false,
    prefix: "",
    createBucket: false,
    maxAttempts: 0,
    timeoutMs: 0,
    multipartBytes: 0,
    listPageSize: 0,
  },
};

/** A whole number in `[min, max]`; `why` is shown in the error. */
interface Bound {
  min: number;
  max: number;
  why?: string;
}
const MIB = 1024 * 1024;
const RETRIES: Bound = { min: 1, max: 20, why: "attempts per operation, with doubling delays" };
const DELAY: Bound = { min: 0, max: 60_000, why: "ms before the first retry" };
const TIMEOUT: Bound = { min: 1, max: 600_000, why: "ms; 0 would mean no timeout" };
/** The numeric settings of each file and their ranges (each store's code reads these; see its module doc). */
const SECTION_RANGES: Record<string, Record<string, Bound>> = {
  mysql: {
    port: { min: 1, max: 65535 },
    poolSize: { min: 1, max: 1000, why: "connections in the pool; 0 would mean unlimited" },
    retries: RETRIES,
    retryDelayMs: DELAY,
    connectTimeoutMs: TIMEOUT,
    rowsPerStatement: { min: 1, max: 60_000, why: "rows per INSERT; the driver's placeholder limit" },
    stagingFromRows: { min: 1, max: 1e9, why: "rows from which an upsert is staged" },
  },
  mongodb: {
    retries: RETRIES,
    retryDelayMs: DELAY,
    timeoutMs: TIMEOUT,
    batchSize: { min: 1, max: 100_000, why: "documents per bulk write, at most MongoDB's maxWriteBatchSize" },
  },
  s3: {
    maxAttempts: RETRIES,
    timeoutMs: TIMEOUT,
    multipartBytes: {
      min: 5 * MIB,
      max: 5 * 1024 * MIB,
      why: "uploads go in 5 MiB parts, S3's minimum; one PUT holds at most 5 GiB",
    },
    listPageSize: { min: 1, max: 1000, why: "keys per list request; S3 returns at most 1000" },
  },
};
const SECRET_KEYS = new Set(["password", "accessKeyId", "secretAccessKey", "sessionToken"]);

/**
 * The `store.<part>` section of `config/<name>.yaml` without its `kind` (a `null` value means unset). The whole
 * file is checked: an unknown key anywhere, a value of the wrong type or out of range, a `kind` other than the
 * backend itself or a secret written in the file is a `ConfigError` naming the file and the key.
 */
async function section(name: string, part: string, configDir: URL): Promise<Record<string, unknown>> {
  const where = `config/${name}.yaml`;
  const file = new URL(`${name}.yaml`, configDir);
  const doc = parseYamlText(await Deno.readTextFile(file), where);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(`${where}: expected a mapping with store.${part}, got ${shown(doc)}`);
  }
  const store = (doc as { store?: unknown }).store as Record<string, unknown> | undefined;
  const s = store !== null && typeof store === "object" ? store[part] : undefined;
  if (!s || typeof s !== "object" || Array.isArray(s)) {
    throw new ConfigError(`${where}: missing store.${part}`);
  }
  const set = Object.fromEntries(Object.entries(s).filter(([, v]) => v !== null));
  for (const k of Object.keys(set)) {
    if (SECRET_KEYS.has(k)) {
      throw new ConfigError(`${where}: store.${part}.${k}: secrets come only from the environment`);
    }
    // a connection string is cut by its structure: a password inside it is a secret in the file too
    if (typeof set[k] === "string" && splitUrl(set[k] as string)?.hasPassword) {
      throw new ConfigError(
        `${where}: store.${part}.${k} holds a password (${redactUrl(set[k] as string)}): secrets come only ` +
          `from the environment (${name === "mongodb" ? "FMAI_MONGO_URL" : "FMAI_MYSQL_URL"})`,
      );
    }
  }
  try {
    // the whole document, so that a misspelled key outside store.<part> is refused too
    mergeChecked({ store: { [part]: SECTION_TEMPLATES[name] } }, {
      ...doc,
      store: { ...store, [part]: set },
    });
  } catch (e) {
    throw new ConfigError(`${where}: ${oneLine(e)}`, { cause: e });
  }
  if (set.kind !== undefined && set.kind !== name) {
    throw new ConfigError(
      `${where}: store.${part}.kind: ${shown(set.kind)} is not ${name}: this file is read only for ` +
        `--stores ${name}; leave ${name} out of --stores (FMAI_STORES) for the embedded store`,
    );
  }
  for (const [k, b] of Object.entries(SECTION_RANGES[name])) {
    const v = set[k] as number | undefined;
    if (v !== undefined && !(Number.isInteger(v) && v >= b.min && v <= b.max)) {
      throw new ConfigError(
        `${where}: store.${part}.${k}: ${v} is out of range: want a whole number in [${b.min}, ${b.max}]` +
          (b.why ? ` (${b.why})` : ""),
      );
    }
  }
  const { kind: _kind, ...rest } = s as Record<string, unknown>;
  return rest;
}

/**
 * The local servers of `deno task services:up` listen on loopback; only they get the development credentials:
 * exactly `127.0.0.1`, `::1` or `localhost` (not any `127.*` name or address).
 */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "127.0.0.1" || host === "::1" || host === "[::1]";
}

/** A secret from `env[name]`; the local development default only for a loopback host, else a `ConfigError`. */
function secret(env: Env, name: string, host: string, localDefault: string): string {
  const v = env[name];
  if (v !== undefined) return v;
  if (isLoopback(host)) return localDefault;
  throw new ConfigError(
    `${name} is not set (secrets come from the environment; ${host || "the server"} is not local)`,
  );
}

/** An S3 key: the first of `names` that is set (even empty: refused by the check, not skipped), else {@link secret}. */
function s3Key(env: Env, names: [string, string], host: string, localDefault: string): [string, string] {
  for (const n of names) if (env[n] !== undefined) return [env[n]!, n];
  return [secret(env, names[0], host, localDefault), names[0]];
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as Partial<T>;
}

/**
 * Where each setting of a `store:` section was set, for a message: the variable of `vars` that overrides it
 * when that is set (non-empty), else the file and key.
 */
function whereIn(env: Env, name: string, part: string, vars: Record<string, string>): Where {
  return (k) => vars[k] && env[vars[k]] ? vars[k] : `config/${name}.yaml: store.${part}.${k}`;
}

const MONGO_VARS = { uri: "FMAI_MONGO_URL", database: "FMAI_MONGO_DATABASE" };
const S3_VARS = {
  endpoint: "FMAI_S3_ENDPOINT",
  region: "FMAI_S3_REGION",
  bucket: "FMAI_S3_BUCKET",
  prefix: "FMAI_S3_PREFIX",
  forcePathStyle: "FMAI_S3_FORCE_PATH_STYLE",
};

/**
 * The store configuration for `backends` (server names; `embedded` or none = everything embedded), reading
 * `config/<name>.yaml` and the environment. Every setting is checked here ({@link checkMySqlSettings} and the
 * others), before any store is opened: a bad one is a one-line `ConfigError` naming the variable or the file and
 * key.
 */
export async function storeConfigFor(
  dataDir: string,
  backends: BackendName[],
  env: Env = Deno.env.toObject(),
  configDir = new URL("../config/", import.meta.url),
): Promise<StoreConfig> {
  const cfg = embeddedConfig(dataDir);
  if (backends.includes("mysql")) {
    const y = await section("mysql", "tables", configDir);
    const parts = defined({
      host: env.FMAI_MYSQL_HOST,
      port: envPort(env.FMAI_MYSQL_PORT, "FMAI_MYSQL_PORT"),
      user: env.FMAI_MYSQL_USER,
      database: env.FMAI_MYSQL_DATABASE,
    });
    // the URL wins; a part set beside it must say the same
    const base = env.FMAI_MYSQL_URL ? mysqlFromUrlEnv(env) : { ...y, ...parts };
    checkMySqlSettings(
      base as Record<string, unknown>,
      env.FMAI_MYSQL_URL ? (k) => `FMAI_MYSQL_URL's ${k}` : whereIn(env, "mysql", "tables", MYSQL_VARS),
    );
    const host = String((base as { host?: unknown }).host ?? "");
    const password = env.FMAI_MYSQL_URL
      ? (base as { password: string }).password
      : secret(env, "FMAI_MYSQL_PASSWORD", host, "fmai");
    cfg.tables = { kind: "mysql", ...y, ...base, password } as StoreConfig["tables"];
  }
  if (backends.includes("mongodb")) {
    const y = await section("mongodb", "documents", configDir);
    cfg.documents = {
      kind: "mongodb",
      ...y,
      ...defined({ uri: env.FMAI_MONGO_URL, database: env.FMAI_MONGO_DATABASE }),
    } as StoreConfig["documents"];
    checkMongoSettings(
      cfg.documents as Record<string, unknown>,
      whereIn(env, "mongodb", "documents", MONGO_VARS),
    );
  }
  if (backends.includes("s3")) {
    const y = await section("s3", "objects", configDir);
    const o: Record<string, unknown> = {
      kind: "s3",
      ...y,
      ...defined({
        endpoint: env.FMAI_S3_ENDPOINT,
        region: env.FMAI_S3_REGION,
        bucket: env.FMAI_S3_BUCKET,
        prefix: env.FMAI_S3_PREFIX,
        forcePathStyle: envFlag(env, "FMAI_S3_FORCE_PATH_STYLE"),
      }),
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
    if (o.endpoint === null) delete o.endpoint;
    const where = whereIn(env, "s3", "objects", S3_VARS);
    checkS3Settings(o, where);
    const host = o.endpoint ? new URL(String(o.endpoint)).hostname : "";
    const [id, idVar] = s3Key(env, ["FMAI_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"], host, "fmai");
    const [key, keyVar] = s3Key(
      env,
      ["FMAI_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"],
      host,
      "fmai-local-secret",
    );
    o.accessKeyId = id;
    o.secretAccessKey = key;
    checkS3Settings(o, (k) => k === "accessKeyId" ? idVar : k === "secretAccessKey" ? keyVar : where(k));
    cfg.objects = o as StoreConfig["objects"];
  }
  return cfg;
}

/** The parts of `cfg` that are embedded: tables and documents in `<dataDir>/fmai.sqlite`, objects in `<dataDir>/objects/`. */
export function embeddedParts(cfg: StoreConfig): StorePart[] {
  return STORE_PARTS.filter((p) => cfg[p].kind === "sqlite" || cfg[p].kind === "local");
}

/**
 * Refuses, before anything is opened, to read an embedded store that is not there: opening an embedded store
 * creates it, so a mistyped `--store-dir` on a command that only reads would make a new empty store and give
 * empty output with exit 0. Checks the embedded ones of `parts` (tables and documents: `<dataDir>/fmai.sqlite`;
 * objects: the folder `<dataDir>/objects/`); server parts are left to their drivers. Creates nothing. A
 * `ConfigError` naming `flag` and the folder.
 */
export async function checkStoreExists(
  cfg: StoreConfig,
  parts: readonly StorePart[] = STORE_PARTS,
  flag = "--store-dir",
): Promise<void> {
  const embedded = embeddedParts(cfg).filter((p) => parts.includes(p));
  const need: [string, "file" | "folder"][] = [];
  if (embedded.includes("tables") || embedded.includes("documents")) need.push([EMBEDDED_DB_FILE, "file"]);
  if (embedded.includes("objects")) need.push([EMBEDDED_OBJECTS_DIR, "folder"]);
  for (const [name, kind] of need) {
    const path = `${cfg.dataDir.replace(/\/+$/, "") || "/"}/${name}`.replace(/^\/\//, "/");
    let st: Deno.FileInfo;
    try {
      st = await Deno.stat(path);
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory
        ? `no store there (${path} not found; a wrong folder?)`
        : `cannot read ${path} (${oneLine(e)})`;
      throw new ConfigError(`${flag} ${cfg.dataDir}: ${why}`, { cause: e });
    }
    if (kind === "file" ? !st.isFile : !st.isDirectory) {
      throw new ConfigError(`${flag} ${cfg.dataDir}: no store there (${path} is not a ${kind})`);
    }
  }
}

/**
 * `cfg` with its server parts opened only when they exist, for a command that reads a store (`models`, `export`,
 * `serve`, the source of `store:copy`): a MySQL database without the store's `schema_migrations` and a missing
 * S3 bucket are refused with one line instead of created (a mistyped `FMAI_MYSQL_DATABASE` or `FMAI_S3_BUCKET`
 * gave an empty answer with exit 0 and left an empty store behind). The embedded parts are
 * {@link checkStoreExists}'s; MongoDB creates nothing on a read.
 */
export function existingOnly(cfg: StoreConfig): StoreConfig {
  return {
    ...cfg,
    tables: cfg.tables.kind === "mysql" ? { ...cfg.tables, existing: true } : cfg.tables,
    objects: cfg.objects.kind === "s3" ? { ...cfg.objects, existing: true } : cfg.objects,
  };
}

/**
 * The rows of `table` for a command that only reads a store (export, the source of store:copy, a feature
 * export's dataset): none when the store never held the table, which is not created as `ensureTable` would.
 */
export async function readRows(stores: Stores, table: string, q?: TableQuery): Promise<Row[]> {
  return await stores.tables.hasTable(table) ? await stores.tables.query(table, q) : [];
}

/**
 * The line a command prints (on stderr) when a registry change waits for the embedded object store's lock on
 * `wait.key` (`openStores`' `onLockWait`): another writer holds it, or a killed run left it, which is taken over
 * once it is `wait.staleAfterMs` old.
 */
export function lockWaitText(wait: LockWait): string {
  const since = wait.since === null ? "" : `, held since ${new Date(wait.since).toISOString()}`;
  return `waiting for the registry lock ${wait.lock} (${wait.key}${since}); a killed run's lock is taken over ` +
    `once it is ${+(wait.staleAfterMs / 1000).toFixed(1)} s old`;
}
