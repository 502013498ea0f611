/**
 * Lambda `signal`: the daily production run (`deno task signal`) after the US close: incremental collect is left
 * to the collector Lambdas (`noCollect`), then the registered system (refit when the retrain schedule says so),
 * next-session signals with provenance, drift/freshness, the paper scorecard and the report (to the object
 * store). A failed health check throws after everything is stored, so the invocation counts as an error: the
 * function's error alarm fires and, for the scheduled (asynchronous) call, the event goes to the dead-letter
 * queue after the retries.
 *
 * Event: EventBridge scheduled event; optional `detail.asOf` (YYYY-MM-DD) and `detail.refit` (boolean).
 * Configuration: `config/default.yaml` packaged beside the bundle (`FMAI_CONFIG_DEFAULTS`), then
 * `FMAI_CONFIG_OVERRIDES` (JSON, checked key by key like a config file), the universe `FMAI_SYMBOLS` and the
 * stores of `lambdas/_config.ts`.
 * @module
 */
import "./_deno_shim.ts";
import process from "node:process";
import { ConfigError, oneLine } from "../lib/core/mod.ts";
import { openStores } from "../lib/store/mod.ts";
import { loadConfig } from "../pipelines/config.ts";
import { runSignal } from "../pipelines/signal.ts";
import { configFromEnv, type Env } from "./_config.ts";

/** What the handler returns. */
export interface SignalResult {
  asOf: string;
  forSession: string;
  modelVersion: string;
  model: string;
  written: number;
  signals: number;
  status: string;
  scoredDays: number;
}

/** The Lambda entry point. */
export async function handler(
  event: { detail?: { asOf?: string; refit?: boolean } } = {},
  _context: unknown = {},
  env: Env = process.env,
): Promise<SignalResult> {
  const lc = configFromEnv(env);
  const defaultsFile = env.FMAI_CONFIG_DEFAULTS ??
    `${env.LAMBDA_TASK_ROOT ?? process.cwd()}/config/default.yaml`;
  let extra: Record<string, unknown> = {};
  if (env.FMAI_CONFIG_OVERRIDES) {
    try {
      extra = JSON.parse(env.FMAI_CONFIG_OVERRIDES);
    } catch (e) {
      throw new ConfigError(`FMAI_CONFIG_OVERRIDES is not JSON: ${oneLine(e)}`);
    }
  }
  const cfg = await loadConfig({ defaultsFile, overrides: extra }).then((base) =>
    loadConfig({
      defaultsFile,
      overrides: {
        ...extra,
        dataDir: lc.store.dataDir,
        reportDir: `${lc.store.dataDir}/reports`,
        source: { ...(extra.source as object), kind: base.source.kind, symbols: lc.symbols },
      },
    })
  );
  const asOf = event.detail?.asOf;
  if (asOf !== undefined && typeof asOf !== "string") throw new ConfigError("detail.asOf must be YYYY-MM-DD");
  const stores = await openStores(lc.store);
  try {
    const out = await runSignal(cfg, {
      asOf,
      refit: event.detail?.refit === true,
      noCollect: env.FMAI_SIGNAL_COLLECT !== "1",
      stores,
      quiet: true,
    });
    const result: SignalResult = {
      asOf: out.asOf,
      forSession: out.forSession,
      modelVersion: out.modelVersion,
      model: out.model,
      written: out.written,
      signals: out.signals.length,
      status: out.status,
      scoredDays: out.scoredDays,
    };
    console.log(JSON.stringify(result));
    if (out.exitCode !== 0) {
      const failed = out.checks.filter((c) => c.status === "fail").map((c) => `${c.kind} ${c.name}`);
      throw new Error(`health check failed for ${out.asOf}: ${oneLine(failed.slice(0, 10).join(", "))}`);
    }
    return result;
  } finally {
    await stores.close();
  }
}
