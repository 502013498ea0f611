/**
 * Lambda configuration from environment variables (the edge: `lib/` never reads the environment). In AWS the
 * secrets come from SSM parameters through `serverless.yml`.
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `FMAI_SYMBOLS` | comma-separated universe | `AAPL,MSFT,AMZN,GOOG,NVDA` |
 * | `FMAI_BATCH_SIZE` | symbols per batch (one `runCollect` each) | `10` |
 * | `FMAI_CONCURRENCY` | symbols in flight inside a batch | `4` |
 * | `FMAI_LOOKBACK_DAYS` | calendar days before the event date the prices/charts window starts | `7` |
 * | `FMAI_CALENDAR_DAYS` | days of Nasdaq calendars from the event date on | `7` |
 * | `FMAI_OPTION_EXPIRIES` | nearest option expirations collected per symbol | `3` |
 * | `FMAI_MYSQL_URL` | `mysql://user:pass@host:port/db` -> MySQL tables (else embedded SQLite) | |
 * | `FMAI_MONGO_URL`, `FMAI_MONGO_DATABASE` | MongoDB documents (else embedded SQLite) | db `fmai` |
 * | `FMAI_S3_BUCKET`, `FMAI_S3_REGION`, `FMAI_S3_ENDPOINT`, `FMAI_S3_PREFIX` | S3 objects (else local folder) | region `AWS_REGION` |
 * | `FMAI_DATA_DIR` | embedded stores' folder | `/tmp/fmai` |
 * | `FMAI_REPLAY_DIRS` | `:`-separated recorded-response folders: offline runs and tests, never in AWS | |
 * @module
 */
import process from "node:process";
import { ConfigError } from "../lib/core/mod.ts";
import { mySqlConfigFromUrl, type StoreConfig } from "../lib/store/mod.ts";

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

function int(env: Env, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name} must be a positive integer, got ${v}`);
  return n;
}

/** Reads the configuration from `env` (default `process.env`). */
export function configFromEnv(env: Env = process.env): LambdaConfig {
  const symbols = (env.FMAI_SYMBOLS ?? "AAPL,MSFT,AMZN,GOOG,NVDA").split(",").map((s) =>
    s.trim().toUpperCase()
  )
    .filter(Boolean);
  const dataDir = env.FMAI_DATA_DIR || "/tmp/fmai";
  const store: StoreConfig = {
    dataDir,
    tables: env.FMAI_MYSQL_URL
      ? { kind: "mysql", ...mySqlConfigFromUrl(env.FMAI_MYSQL_URL) }
      : { kind: "sqlite" },
    documents: env.FMAI_MONGO_URL
      ? { kind: "mongodb", uri: env.FMAI_MONGO_URL, database: env.FMAI_MONGO_DATABASE || "fmai" }
      : { kind: "sqlite" },
    objects: env.FMAI_S3_BUCKET
      ? {
        kind: "s3",
        bucket: env.FMAI_S3_BUCKET,
        region: env.FMAI_S3_REGION || env.AWS_REGION || "us-east-1",
        endpoint: env.FMAI_S3_ENDPOINT || undefined,
        prefix: env.FMAI_S3_PREFIX || "",
        accessKeyId: env.AWS_ACCESS_KEY_ID ?? "",
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "",
        sessionToken: env.AWS_SESSION_TOKEN || undefined,
        createBucket: false,
      }
      : { kind: "local" },
  };
  return {
    symbols,
    batchSize: int(env, "FMAI_BATCH_SIZE", 10),
    concurrency: int(env, "FMAI_CONCURRENCY", 4),
    lookbackDays: int(env, "FMAI_LOOKBACK_DAYS", 7),
    calendarDays: int(env, "FMAI_CALENDAR_DAYS", 7),
    optionExpiries: int(env, "FMAI_OPTION_EXPIRIES", 3),
    store,
    replayDirs: (env.FMAI_REPLAY_DIRS ?? "").split(":").filter(Boolean),
  };
}
