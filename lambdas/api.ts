/**
 * Lambda `api`: the signal API (`lib/serve`) behind an API Gateway HTTP API, through Hono's AWS Lambda adapter
 * (`hono/aws-lambda`): the same app `deno task serve` and the Cloud Run container run. Stores come from the
 * environment (`lambdas/_config.ts`, opened once per container; only the tables and objects the API reads, so a
 * document server cannot delay or fail it); API key hashes from `FMAI_API_KEY_HASHES` (`id:sha256[:rate[:burst]],...`,
 * an SSM parameter); CORS origins from `FMAI_API_CORS_ORIGINS` (off when empty; each an origin, as `parseCorsOrigins` checks); the model it serves is the
 * config's `production.model`, read as the `signal` function reads it (`config/default.yaml` packaged beside the
 * bundle, then `FMAI_CONFIG_OVERRIDES`: lambdas/_system_config.ts).
 *
 * It answers as the server does: an embedded store that is not there is refused (never created), a container
 * that cannot start (a store down, a bad setting) answers 503 or 500 as one line of JSON (and logs why, secrets
 * redacted) and starts again on the next request; a GET's body is dropped as the server's runtime drops it (its
 * declared length still refused over the limit), and a path with `.`/`..` segments is answered 404 (the app
 * answers them so as sent; a Request would resolve them first).
 * @module
 */
import "./_deno_shim.ts";
import process from "node:process";
import { Buffer } from "node:buffer";
import { handle } from "hono/aws-lambda";
import { ConfigError, oneLine, redact, StoreError } from "../lib/core/mod.ts";
import {
  createApi,
  hasDotSegment,
  KeyRing,
  parseCorsOrigins,
  parseKeyHashes,
  SERVE_STORE_PARTS,
} from "../lib/serve/mod.ts";
import { openStores, secretsOf } from "../lib/store/mod.ts";
import { ensureTables } from "../pipelines/collect/mod.ts";
import { checkStoreExists, existingOnly } from "../pipelines/stores.ts";
import { configFromEnv, type Env } from "./_config.ts";
import { systemConfigFromEnv } from "./_system_config.ts";

type Handler = ReturnType<typeof handle>;
let ready: Promise<Handler> | null = null;

/** Builds the Hono app over the stores the environment names. */
export async function buildHandler(env: Env = process.env): Promise<Handler> {
  const keys = parseKeyHashes(env.FMAI_API_KEY_HASHES ?? "");
  if (!keys.length) throw new ConfigError("FMAI_API_KEY_HASHES is empty: no API key could be accepted");
  // checked as `deno task serve` checks it, before any store opens
  const corsOrigins = parseCorsOrigins(env.FMAI_API_CORS_ORIGINS);
  // the registry name the signal function registers under (production.model), read from the same config
  const { loaded } = await systemConfigFromEnv(env);
  const configured = configFromEnv(env).store;
  // the function has 10 s (serverless.yml): a MySQL server that does not answer is given up on after two tries of
  // 2 s (the defaults, four of 5 s, took 21 s), so the client gets the 503 instead of a gateway timeout
  const store = configured.tables.kind === "mysql"
    ? { ...configured, tables: { ...configured.tables, retries: 2, connectTimeoutMs: 2000 } }
    : configured;
  // an embedded store the signal function never filled is refused, not created empty (as `deno task serve`)
  await checkStoreExists(store, SERVE_STORE_PARTS, "FMAI_DATA_DIR").catch((e) => {
    throw new StoreError(oneLine(e), { backend: "embedded", cause: e });
  });
  const stores = await openStores(existingOnly(store), { parts: SERVE_STORE_PARTS });
  try {
    await ensureTables(stores);
  } catch (e) {
    await stores.close();
    throw e;
  }
  const api = createApi({
    stores,
    keys: new KeyRing(keys),
    modelName: loaded.production.model,
    corsOrigins,
  });
  return handle(api.app);
}

/** The part of an API Gateway HTTP API (payload v2) event this function reads or adjusts. */
interface HttpEvent {
  rawPath?: string;
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined>;
  requestContext?: { http?: { method?: string; path?: string } };
}

/**
 * The event as the app should see it, so that it answers as the server does: a GET's or HEAD's body is dropped
 * (a Request cannot carry one; the adapter answered a plain-text 400), its length kept in `content-length` for
 * the app's size check.
 */
export function asServerSees<E>(event: E): E {
  if (event === null || typeof event !== "object") return event;
  const e = { ...event } as HttpEvent;
  const method = e.requestContext?.http?.method?.toUpperCase();
  if ((method === "GET" || method === "HEAD") && e.body) {
    const bytes = e.isBase64Encoded ? Buffer.from(e.body, "base64").length : Buffer.byteLength(e.body);
    e.headers = { ...e.headers, "content-length": String(bytes) };
    e.body = undefined;
    e.isBase64Encoded = false;
  }
  return e as E;
}

/** A refusal as the app words its own: one line of JSON, not stored by caches. */
function refusal(statusCode: number, error: string) {
  return {
    statusCode,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify({ error }),
    isBase64Encoded: false,
  };
}

/** The answer of a container that could not start (logged with the environment's secrets redacted). */
function startFailure(e: unknown, env: Env) {
  console.error(`api: cannot start: ${redact(oneLine(e), secretsOf(env))}`);
  return e instanceof StoreError ? refusal(503, "store unavailable") : refusal(500, "internal error");
}

/** The Lambda entry point (API Gateway HTTP API payload v2). */
export const handler: Handler = async (event, context) => {
  ready ??= buildHandler().catch((e) => {
    ready = null;
    throw e;
  });
  let app: Handler;
  try {
    app = await ready;
  } catch (e) {
    return startFailure(e, process.env) as Awaited<ReturnType<Handler>>;
  }
  // `.` and `..` segments, which the app answers 404 as sent: a Request would resolve them (`%2e` too) first
  const rawPath = (event as HttpEvent | null)?.rawPath;
  if (typeof rawPath === "string" && hasDotSegment(rawPath)) {
    return refusal(404, "not found") as Awaited<ReturnType<Handler>>;
  }
  return await app(asServerSees(event), context);
};
