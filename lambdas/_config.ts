/**
 * Lambda configuration from environment variables (the edge: `lib/` never reads the environment). In AWS the
 * secrets come from SSM parameters through `serverless.yml`. Every variable is parsed and range-checked here,
 * once, before any work: a bad value is a one-line `ConfigError` naming the variable.
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `FMAI_SYMBOLS` | comma-separated universe (a symbol given twice, in any case, is refused) | `AAPL,MSFT,AMZN,GOOG,NVDA` |
 * | `FMAI_BATCH_SIZE` | symbols per batch (one `runCollect` each), 1..1000 | `10` |
 * | `FMAI_CONCURRENCY` | symbols in flight inside a batch, 1..64 | `4` |
 * | `FMAI_LOOKBACK_DAYS` | `prices`: calendar days before the last session on or before the event date (or `detail.to`) that the window starts, 1..3650 (`charts` and the other snapshots collect the last session only) | `7` |
 * | `FMAI_CALENDAR_DAYS` | `calendars`: days of Nasdaq calendars from the event date on, 7..180 (at least 7, so every window holds a session: the longest closure, 2001-09-11..16, is 6 days; at most 180, about 400 requests at Nasdaq's one a second, so a run ends within the function's 600 s timeout) | `7` |
 * | `FMAI_OPTION_EXPIRIES` | nearest option expirations collected per symbol, 1..12 | `3` |
 * | `FMAI_MYSQL_URL` | `mysql://user:pass@host:port/db` -> MySQL tables (else embedded SQLite); `FMAI_MYSQL_HOST`, `_PORT`, `_USER`, `_DATABASE`, `_PASSWORD` beside it must say the same (as in the CLI); the first four without it are refused | |
 * | `FMAI_MONGO_URL`, `FMAI_MONGO_DATABASE` | MongoDB documents (else embedded SQLite) | db `fmai` |
 * | `FMAI_S3_BUCKET`, `FMAI_S3_REGION`, `FMAI_S3_ENDPOINT`, `FMAI_S3_PREFIX` | S3 objects (else local folder); the keys are `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (in AWS Lambda: the execution role's, set by the runtime) | region `AWS_REGION` |
 * | `FMAI_DATA_DIR` | embedded stores' folder | `/tmp/fmai` |
 * | `FMAI_REPLAY_DIRS` | `:`-separated recorded-response folders (each must exist): offline runs and tests, never in AWS | |
 *
 * Integers are decimal digits only (`1e1`, `0x2`, `2.0` are refused).
 * @module
 */
import process from "node:process";
import { statSync } from "node:fs";
import { ConfigError, normalizeSymbols, oneLine, parseSymbolList, wholeNumber } from "../lib/core/mod.ts";
import type { StoreConfig } from "../lib/store/mod.ts";
import {
  checkMongoSettings,
  checkMySqlSettings,
  checkS3Settings,
  envFlag,
  MYSQL_VARS,
  mysqlFromUrlEnv,
} from "../pipelines/store_settings.ts";

/** Environment as a plain record. */
export type Env = Record<string, string | undefined>;

/** The typed configuration of a handler. */
export interface LambdaConfig {
  symbols: string[];
  batchSize: number;
  concurrency: number;
  lookbackDays: number;
  calendarDays: number;
  /** `options`: nearest expirations collected per symbol. */
  optionExpiries: number;
  store: StoreConfig;
  replayDirs: string[];
}

/** The default universe (`FMAI_SYMBOLS` unset). */
const DEFAULT_SYMBOLS = "AAPL,MSFT,AMZN,GOOG,NVDA";

/** A whole-number variable in `min..max` ({@linkcode wholeNumber}); `dflt` when unset or empty. */
function int(env: Env, name: string, dflt: number, min: number, max: number, why = ""): number {
  const v = env[name];
  return v === undefined || v === "" ? dflt : wholeNumber(v, name, { min, max }, why);
}

/** `FMAI_SYMBOLS` (or the default universe): checked, no symbol twice, upper-cased ({@linkcode normalizeSymbols}). */
function symbolsFromEnv(env: Env): string[] {
  try {
    const list = parseSymbolList(env.FMAI_SYMBOLS ?? DEFAULT_SYMBOLS, "FMAI_SYMBOLS");
    return normalizeSymbols(list, "FMAI_SYMBOLS", ConfigError).symbols;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(oneLine(e), { cause: e });
  }
}

/** `FMAI_MYSQL_URL` with the parts beside it agreeing, as the CLI reads it ({@linkcode mysqlFromUrlEnv}). */
function mysqlFromEnv(env: Env) {
  const c = mysqlFromUrlEnv(env);
  checkMySqlSettings(c as unknown as Record<string, unknown>, (k) => `FMAI_MYSQL_URL's ${k}`);
  return c;
}

function mongoFromEnv(env: Env) {
  const d = {
    kind: "mongodb" as const,
    uri: env.FMAI_MONGO_URL!,
    database: env.FMAI_MONGO_DATABASE || "fmai",
  };
  checkMongoSettings(d, (k) => k === "uri" ? "FMAI_MONGO_URL" : "FMAI_MONGO_DATABASE");
  return d;
}

/** The variable each S3 setting of a Lambda comes from, for a message. */
const S3_VARS: Record<string, string> = {
  bucket: "FMAI_S3_BUCKET",
  endpoint: "FMAI_S3_ENDPOINT",
  prefix: "FMAI_S3_PREFIX",
  accessKeyId: "AWS_ACCESS_KEY_ID",
  secretAccessKey: "AWS_SECRET_ACCESS_KEY",
};

function s3FromEnv(env: Env) {
  // AWS Lambda puts the execution role's credentials in these three variables; elsewhere set them yourself
  for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
    if (!env[k]) {
      throw new ConfigError(
        `FMAI_S3_BUCKET is set but ${k} is not (S3 keys come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and ` +
          `AWS_SESSION_TOKEN; AWS Lambda sets them from the execution role)`,
      );
    }
  }
  const o = {
    kind: "s3" as const,
    bucket: env.FMAI_S3_BUCKET!,
    region: env.FMAI_S3_REGION || env.AWS_REGION || "us-east-1",
    endpoint: env.FMAI_S3_ENDPOINT || undefined,
    prefix: env.FMAI_S3_PREFIX ?? "",
    accessKeyId: env.AWS_ACCESS_KEY_ID!,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
    sessionToken: env.AWS_SESSION_TOKEN || undefined,
    createBucket: false,
  };
  // as the CLI reads it (unset: path-style URLs exactly when an endpoint is set, the S3 store's default)
  const forcePathStyle = envFlag(env, "FMAI_S3_FORCE_PATH_STYLE");
  checkS3Settings(
    o,
    (k) => k === "region" ? (env.FMAI_S3_REGION ? "FMAI_S3_REGION" : "AWS_REGION") : S3_VARS[k],
  );
  return forcePathStyle === undefined ? o : { ...o, forcePathStyle };
}

/** `FMAI_REPLAY_DIRS`: each folder must exist (a mistyped one would make every request fail). */
function replayDirsFromEnv(env: Env): string[] {
  const dirs = (env.FMAI_REPLAY_DIRS ?? "").split(":").filter(Boolean);
  for (const d of dirs) {
    let isDir = false;
    try {
      isDir = statSync(d).isDirectory();
    } catch { /* refused below */ }
    if (!isDir) throw new ConfigError(`FMAI_REPLAY_DIRS: ${d}: no such folder`);
  }
  return dirs;
}

/** Variables read only with another one set (its backend): `[variable, the one that makes it read, backend]`. */
const READ_WITH: [string, string, string][] = [
  // the connection parts, which would address another server or database (the password alone addresses nothing)
  ...[MYSQL_VARS.host, MYSQL_VARS.port, MYSQL_VARS.user, MYSQL_VARS.database].map((
    k,
  ): [string, string, string] => [k, "FMAI_MYSQL_URL", "tables"]),
  ["FMAI_MONGO_DATABASE", "FMAI_MONGO_URL", "documents"],
  ["FMAI_S3_REGION", "FMAI_S3_BUCKET", "objects"],
  ["FMAI_S3_ENDPOINT", "FMAI_S3_BUCKET", "objects"],
  ["FMAI_S3_PREFIX", "FMAI_S3_BUCKET", "objects"],
  ["FMAI_S3_FORCE_PATH_STYLE", "FMAI_S3_BUCKET", "objects"],
];

/**
 * Why `FMAI_CALENDAR_DAYS` is 7..180: a window of 7 days holds a session (the longest closure is 6 days), and the
 * calendars run as one batch at Nasdaq's one request a second (about 2.2 requests a day of window: 804 for 366
 * days), so 180 days (about 400 requests) end within the function's 600 s timeout, where 366 could not.
 */
const CALENDAR_DAYS_WHY =
  " (at least 7 so every window holds a session, at most 180 so its Nasdaq requests, one a second, end within " +
  "the function's 600 s)";

/** Reads and checks the configuration from `env` (default `process.env`); a `ConfigError` naming the variable. */
export function configFromEnv(env: Env = process.env): LambdaConfig {
  const symbols = symbolsFromEnv(env);
  // a setting of a backend that is not selected would be ignored without a word (and its value never checked)
  for (const [k, by, part] of READ_WITH) {
    if (env[k] && !env[by]) {
      throw new ConfigError(
        `${k} is set but ${by} is not, so the ${part} are embedded and ${k} would be ignored: set ${by} or ` +
          `unset ${k}`,
      );
    }
  }
  // an empty value is refused as FMAI_SYMBOLS's is, not taken for unset
  if (env.FMAI_DATA_DIR === "") throw new ConfigError("FMAI_DATA_DIR is empty (unset it for /tmp/fmai)");
  const dataDir = env.FMAI_DATA_DIR ?? "/tmp/fmai";
  const store: StoreConfig = {
    dataDir,
    tables: env.FMAI_MYSQL_URL ? { kind: "mysql", ...mysqlFromEnv(env) } : { kind: "sqlite" },
    documents: env.FMAI_MONGO_URL ? mongoFromEnv(env) : { kind: "sqlite" },
    objects: env.FMAI_S3_BUCKET ? s3FromEnv(env) : { kind: "local" },
  };
  return {
    symbols,
    batchSize: int(env, "FMAI_BATCH_SIZE", 10, 1, 1000),
    concurrency: int(env, "FMAI_CONCURRENCY", 4, 1, 64),
    lookbackDays: int(env, "FMAI_LOOKBACK_DAYS", 7, 1, 3650),
    calendarDays: int(env, "FMAI_CALENDAR_DAYS", 7, 7, 180, CALENDAR_DAYS_WHY),
    optionExpiries: int(env, "FMAI_OPTION_EXPIRIES", 3, 1, 12),
    store,
    replayDirs: replayDirsFromEnv(env),
  };
}
