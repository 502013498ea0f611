/**
 * Lambda `api`: the signal API (`lib/serve`) behind an API Gateway HTTP API, through Hono's AWS Lambda adapter
 * (`hono/aws-lambda`): the same app `deno task serve` and the Cloud Run container run. Stores come from the
 * environment (`lambdas/_config.ts`, opened once per container); API key hashes from `FMAI_API_KEY_HASHES`
 * (`id:sha256[:rate[:burst]],...`, an SSM parameter); CORS origins from `FMAI_API_CORS_ORIGINS` (off when empty);
 * the model it serves is the config's `production.model`, read as the `signal` function reads it
 * (`config/default.yaml` packaged beside the bundle, then `FMAI_CONFIG_OVERRIDES`: lambdas/_system_config.ts).
 * @module
 */
import "./_deno_shim.ts";
import process from "node:process";
import { handle } from "hono/aws-lambda";
import { ConfigError } from "../lib/core/mod.ts";
import { createApi, KeyRing, parseKeyHashes } from "../lib/serve/mod.ts";
import { openStores } from "../lib/store/mod.ts";
import { configFromEnv, type Env } from "./_config.ts";
import { systemConfigFromEnv } from "./_system_config.ts";

type Handler = ReturnType<typeof handle>;
let ready: Promise<Handler> | null = null;

/** Builds the Hono app over the stores the environment names. */
export async function buildHandler(env: Env = process.env): Promise<Handler> {
  const keys = parseKeyHashes(env.FMAI_API_KEY_HASHES ?? "");
  if (!keys.length) throw new ConfigError("FMAI_API_KEY_HASHES is empty: no API key could be accepted");
  // the registry name the signal function registers under (production.model), read from the same config
  const { loaded } = await systemConfigFromEnv(env);
  const stores = await openStores(configFromEnv(env).store);
  const api = createApi({
    stores,
    keys: new KeyRing(keys),
    modelName: loaded.production.model,
    corsOrigins: (env.FMAI_API_CORS_ORIGINS ?? "").split(",").map((s) => s.trim()).filter(Boolean),
  });
  return handle(api.app);
}

/** The Lambda entry point (API Gateway HTTP API payload v2). */
export const handler: Handler = async (event, context) => {
  ready ??= buildHandler().catch((e) => {
    ready = null;
    throw e;
  });
  return await (await ready)(event, context);
};
