/**
 * The server stores' settings checked at the edge, one implementation for the CLIs (`pipelines/stores.ts`: the
 * `config/<name>.yaml` files, then the environment) and the Lambdas (`lambdas/_config.ts`: the environment
 * only). Each check runs before any store is opened: a bad value is a one-line `ConfigError` naming where it
 * was set (the file and key, or the variable), never a driver's `TypeError` after the embedded parts were made.
 * @module
 */
import { ConfigError, oneLine, shown } from "@lib/core/mod.ts";
import {
  checkEndpoint,
  checkPort,
  checkS3Prefix,
  isMongoDatabaseName,
  isMongoUri,
  isS3BucketName,
  type MySqlConfig,
  mySqlConfigFromUrl,
  redactUrl,
  S3_BUCKET_NAME_RULE,
} from "@lib/store/mod.ts";

/** Environment as a plain record. */
export type Env = Record<string, string | undefined>;

/** Where a setting was set, for a message: `(key) => "config/s3.yaml: store.objects.region"` or a variable. */
export type Where = (key: string) => string;

/** The MySQL connection fields and the variable that sets each one by one (beside or instead of the URL). */
export const MYSQL_VARS = {
  host: "FMAI_MYSQL_HOST",
  port: "FMAI_MYSQL_PORT",
  user: "FMAI_MYSQL_USER",
  database: "FMAI_MYSQL_DATABASE",
  password: "FMAI_MYSQL_PASSWORD",
} as const;

/** A port variable as a port (undefined when unset or empty); a `ConfigError` naming `name` otherwise. */
export function envPort(v: string | undefined, name: string): number | undefined {
  return v === undefined || v === "" ? undefined : checkPort(v, name);
}

/**
 * A yes/no variable: `1`/`true` or `0`/`false` (undefined when unset or empty); anything else (`yes`, `maybe`)
 * is a `ConfigError` naming it, not taken for false.
 */
export function envFlag(env: Env, name: string): boolean | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  if (v === "1" || v === "true") return true;
  if (v === "0" || v === "false") return false;
  throw new ConfigError(`${name} must be 1, true, 0 or false, got ${shown(v)}`);
}

/**
 * `FMAI_MYSQL_URL` as connection fields, its port checked; a connection field set one by one beside it
 * (`FMAI_MYSQL_HOST`, `_PORT`, `_USER`, `_DATABASE`, `_PASSWORD`, non-empty) must say the same, else the run would
 * write where the user did not point it (`.services/env` exports both, so a database or port changed in one
 * place only was ignored). A `ConfigError` naming the variable.
 */
export function mysqlFromUrlEnv(env: Env): MySqlConfig {
  const url = env.FMAI_MYSQL_URL ?? "";
  let c: MySqlConfig;
  try {
    c = mySqlConfigFromUrl(url);
  } catch (e) {
    throw new ConfigError(`FMAI_MYSQL_URL: ${oneLine(e)}`, { cause: e });
  }
  checkPort(c.port, `FMAI_MYSQL_URL ${redactUrl(url)}`);
  for (const [k, name] of Object.entries(MYSQL_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    const v = k === "port" ? envPort(raw, name) : raw;
    const has = (c as unknown as Record<string, unknown>)[k];
    if (String(v) === String(has)) continue;
    throw new ConfigError(
      k === "password"
        ? `${name} differs from the password in FMAI_MYSQL_URL: set one of them`
        : `${name} ${v} differs from FMAI_MYSQL_URL's ${k} ${has}: set one of them`,
    );
  }
  return c;
}

/** A string setting that must hold something: not empty, no space around it (a driver would use it as is). */
function text(v: unknown, where: string, what = "a non-empty string without surrounding spaces"): string {
  if (typeof v !== "string" || v === "" || v.trim() !== v) {
    throw new ConfigError(`${where}: expected ${what}, got ${shown(v)}`);
  }
  return v;
}

/** The MySQL connection settings: host, user and database set (non-empty), the port 1..65535. */
export function checkMySqlSettings(t: Record<string, unknown>, where: Where): void {
  text(t.host, where("host"));
  checkPort(t.port, where("port"));
  text(t.user, where("user"));
  text(t.database, where("database"));
}

/** What a MongoDB database name may be ({@linkcode isMongoDatabaseName}), for a message. */
export const MONGO_DATABASE_RULE = "1 to 63 letters, digits, _ or -";

/** The MongoDB settings: a `mongodb://` URL with a host and a database name the backend accepts. */
export function checkMongoSettings(d: Record<string, unknown>, where: Where): void {
  const uri = d.uri;
  if (!isMongoUri(uri)) {
    throw new ConfigError(
      `${where("uri")}: expected a mongodb:// or mongodb+srv:// URL with a host, got ${
        shown(typeof uri === "string" ? redactUrl(uri) : uri)
      }`,
    );
  }
  if (!isMongoDatabaseName(d.database)) {
    throw new ConfigError(`${where("database")}: expected ${MONGO_DATABASE_RULE}, got ${shown(d.database)}`);
  }
}

/** An S3 region as the AWS SDK takes it: a host label (letters, digits, `-`, 1 to 63, no `-` at either end). */
export function isS3Region(v: unknown): v is string {
  return typeof v === "string" && /^(?!-)[A-Za-z0-9-]{1,63}$/.test(v) && !v.endsWith("-");
}

/**
 * The S3 settings: the endpoint (when set) an http(s) URL, the region a host label (`us-east-1`, `auto`), the
 * bucket and prefix as the backend accepts them, and the keys (when given here) non-empty without spaces.
 */
export function checkS3Settings(o: Record<string, unknown>, where: Where): void {
  if (o.endpoint !== undefined) checkEndpoint(String(o.endpoint), where("endpoint"));
  if (!isS3Region(o.region)) {
    throw new ConfigError(
      `${where("region")}: expected a region such as us-east-1 (letters, digits and -), got ${
        shown(o.region)
      }`,
    );
  }
  if (!isS3BucketName(o.bucket)) {
    throw new ConfigError(
      `${where("bucket")}: expected a bucket name (${S3_BUCKET_NAME_RULE}), got ${shown(o.bucket)}`,
    );
  }
  if (o.prefix !== undefined) {
    try {
      checkS3Prefix(o.prefix);
    } catch (e) {
      throw new ConfigError(`${where("prefix")}: ${oneLine(e)}`, { cause: e });
    }
  }
  for (const k of ["accessKeyId", "secretAccessKey"]) {
    const v = o[k];
    if (v !== undefined && (typeof v !== "string" || v === "" || /\s/.test(v))) {
      // a key is a secret: its value is never shown
      throw new ConfigError(
        `${where(k)}: expected a key without spaces, got ${
          v === "" ? "an empty value" : "one with spaces (not shown)"
        }`,
      );
    }
  }
}
