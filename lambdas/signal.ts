/**
 * Lambda `signal`: the daily production run (`deno task signal`) after the US close: incremental collect is left
 * to the collector Lambdas (`noCollect`), then the registered system (refit when the retrain schedule says so),
 * next-session signals with provenance, drift/freshness, the paper scorecard and the report (to the object
 * store). A failed health check throws after everything is stored, so the invocation counts as an error: the
 * function's error alarm fires and, for the scheduled (asynchronous) call, the event goes to the dead-letter
 * queue after the retries.
 *
 * Event: EventBridge scheduled event; optional `detail.asOf` (YYYY-MM-DD, a trading session) and `detail.refit`
 * (`true` or `false`); any other `detail` key, a `detail` that is not an object or a value of the wrong type is
 * refused before anything runs. Configuration: `config/default.yaml` packaged beside the bundle
 * (`FMAI_CONFIG_DEFAULTS`), then `FMAI_CONFIG_OVERRIDES` (a JSON object, checked key by key like a config file;
 * `dataDir`/`reportDir` are refused there: `FMAI_DATA_DIR` owns them), the stores of `lambdas/_config.ts`, and
 * the universe: `FMAI_SYMBOLS` when set, else `source.symbols` of the overrides, else the default of
 * `lambdas/_config.ts` (both set and naming different symbols: refused). `FMAI_SIGNAL_COLLECT=1` runs the
 * incremental collect first from the config's source (`0` or unset: the collector Lambdas fill the stores); that
 * source is the synthetic market or a csv folder packaged with the function, so a universe it does not hold is
 * refused naming the variable (real symbols come from the collector Lambdas). With real symbols read from the
 * stores, the market context is the universe's own index and VIX stand-in, not the synthetic market's. Every error leaves as one line
 * with the environment's secrets redacted.
 * @module
 */
import "./_deno_shim.ts";
import process from "node:process";
import { ConfigError, fewOf, FmaiError, InputError, oneLine, shown } from "../lib/core/mod.ts";
import type { ScorecardTotals } from "../lib/backtest/mod.ts";
import type { BrakeState } from "../lib/signals/mod.ts";
import type { MarketSource } from "../lib/sources/mod.ts";
import { openStores, secretsOf } from "../lib/store/mod.ts";
import { type Config, loadConfig } from "../pipelines/config.ts";
import { sourceFromConfig } from "../pipelines/source.ts";
import { asOfProblem, failedChecksText, runSignal } from "../pipelines/signal.ts";
import { configFromEnv, type Env, type LambdaConfig } from "./_config.ts";
import { systemConfigFromEnv } from "./_system_config.ts";
import { leaveAsOneLine, readEvent } from "./_edge.ts";

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
  /** The issuing version's paper scorecard (its book's compounded return beside equal weight, Sharpe, IC). */
  paper: ScorecardTotals;
  /** With a drawdown brake (`portfolio.risk.drawdownBrake`): its state after the paper account; else null. */
  brake: BrakeState | null;
}

/** The keys the signal event's `detail` may hold. */
const SIGNAL_DETAIL_KEYS = ["asOf", "refit"] as const;

/** A run whose health check failed: thrown after everything is stored, so the invocation counts as failed. */
export class HealthCheckError extends FmaiError {
  readonly result: SignalResult;
  constructor(message: string, result: SignalResult) {
    super(message, { userError: false });
    this.result = result;
  }
}

/**
 * The universe: `FMAI_SYMBOLS` when set, else the overrides' `source.symbols` (as `loaded`, the config with the
 * overrides, normalized them), else the default universe. Both set and naming different symbols, or an empty
 * list: a `ConfigError` (a symbol given twice was refused when `loaded` was loaded).
 */
function universeOf(extra: Record<string, unknown>, env: Env, lc: LambdaConfig, loaded: Config): string[] {
  const given = (extra.source as { symbols?: string[] } | undefined)?.symbols;
  if (given === undefined) return lc.symbols;
  const where = "FMAI_CONFIG_OVERRIDES source.symbols";
  if (!given.length) {
    throw new ConfigError(`${where} is empty (a Lambda has no source to list symbols: name them)`);
  }
  const symbols = loaded.source.symbols;
  if (env.FMAI_SYMBOLS === undefined) return symbols;
  const key = (xs: string[]) => [...xs].sort().join(",");
  if (key(symbols) !== key(lc.symbols)) {
    throw new ConfigError(
      `FMAI_SYMBOLS (${shown(lc.symbols.join(","))}) and ${where} (${
        shown(given.join(","))
      }) name different universes: set one of them`,
    );
  }
  return lc.symbols;
}

/** Loads the config (defaults file, overrides, the Lambda's data folder and universe); errors name the variable. */
async function configOf(env: Env, lc: LambdaConfig): Promise<Config> {
  const { extra, loaded, defaultsFile } = await systemConfigFromEnv(env);
  const symbols = universeOf(extra, env, lc, loaded);
  return await loadConfig({
    defaultsFile,
    overrides: {
      ...extra,
      dataDir: lc.store.dataDir,
      reportDir: `${lc.store.dataDir}/reports`,
      source: { ...(extra.source as object | undefined), symbols },
    },
  });
}

/** `detail.asOf`: a `YYYY-MM-DD` trading session within `source.from..source.to`; an `InputError` naming it. */
function asOfOf(v: unknown, cfg: Config): string | undefined {
  if (v === undefined) return undefined;
  const bad = asOfProblem(v, cfg.source, shown);
  if (bad !== null) throw new InputError(`detail.asOf: ${bad}`);
  return v as string;
}

/**
 * `FMAI_SIGNAL_COLLECT=1`: the config's source (synthetic, or a packaged csv folder), which must hold the
 * universe, else a `ConfigError` naming the variable (the real symbols' bars come from the collector Lambdas);
 * the run is given it, not built again.
 */
async function collectableSource(cfg: Config): Promise<MarketSource> {
  const source = await sourceFromConfig(cfg);
  const held = new Set(await source.listSymbols?.() ?? []);
  const missing = cfg.source.symbols.filter((s) => !held.has(s));
  if (missing.length) {
    throw new ConfigError(
      `FMAI_SIGNAL_COLLECT=1 collects from the config's ${cfg.source.kind} source, which does not hold ` +
        `${
          fewOf(missing, 5)
        }: the collector functions fill the stores with real symbols (unset FMAI_SIGNAL_COLLECT)`,
    );
  }
  return source;
}

/** The run: every check first, then the stores and the production run. */
async function run(event: unknown, env: Env): Promise<SignalResult> {
  const lc = configFromEnv(env);
  const { detail } = readEvent(event, SIGNAL_DETAIL_KEYS);
  const refit = detail.refit;
  if (refit !== undefined && typeof refit !== "boolean") {
    throw new InputError(`detail.refit: expected true or false, got ${shown(refit)}`);
  }
  const collect = env.FMAI_SIGNAL_COLLECT ?? "";
  if (!["", "0", "1"].includes(collect)) {
    throw new ConfigError(`FMAI_SIGNAL_COLLECT must be 1 (collect first) or 0, got ${shown(collect)}`);
  }
  const cfg = await configOf(env, lc);
  const asOf = asOfOf(detail.asOf, cfg);
  const source = collect === "1" ? await collectableSource(cfg) : undefined;
  const stores = await openStores(lc.store);
  try {
    const out = await runSignal(cfg, {
      asOf,
      refit: refit === true,
      noCollect: collect !== "1",
      ...(source ? { source } : {}),
      stores,
      quiet: true,
      // a problem the run finds with the date (e.g. after the last stored session) names this event's field
      asOfError: (problem) => new InputError(`detail.asOf: ${problem}`),
      // a Lambda's store is filled by the collector functions (or this one with FMAI_SIGNAL_COLLECT=1)
      noBarsHint: "run the prices function first (or set FMAI_SIGNAL_COLLECT=1 to collect in this one)",
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
      paper: out.paper,
      brake: out.brake,
    };
    console.log(JSON.stringify(result));
    if (out.exitCode !== 0) {
      throw new HealthCheckError(
        `health check failed for ${out.asOf}: ${oneLine(failedChecksText(out.checks, 10))}`,
        result,
      );
    }
    return result;
  } finally {
    await stores.close();
  }
}

/** The Lambda entry point. */
export async function handler(
  event: unknown = {},
  _context: unknown = {},
  env: Env = process.env,
): Promise<SignalResult> {
  try {
    return await run(event, env);
  } catch (e) {
    leaveAsOneLine(e, secretsOf(env));
  }
}
