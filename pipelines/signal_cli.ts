/**
 * `deno task signal [--as-of YYYY-MM-DD] ...`: the daily production run (see `signal.ts`). Exit 0 when the
 * run is healthy, 3 when a health check (drift, freshness) failed past its threshold (signals are still
 * stored), 2 on a user mistake, 1 on anything else.
 * @module
 */
import { ConfigError, isoDateOf } from "@lib/core/mod.ts";
import {
  checkReportPath,
  checkWritableDir,
  parseFlags,
  reportCliError,
  runAsMain,
  STORE_FLAGS,
} from "./_cli_error.ts";
import { loadFlagsConfig } from "./config.ts";
import { checkStoreExists, chosenBackends, storeConfigFor } from "./stores.ts";
import { asOfProblem, failedChecksText, runSignal, signalReportPath } from "./signal.ts";
import { tfStarterFromEnv } from "./tf_env.ts";

const USAGE =
  `usage: deno task signal [--as-of YYYY-MM-DD] [--refit] [--no-collect] [--config FILE] [--store-dir DIR]
                         [--stores embedded | mysql,mongodb,s3] [--report FILE] [--quiet]
  Next-session signals from data known at the as-of close (default: the last stored session, at most
  source.to when the config sets it; nothing after source.to is collected).
  exit codes: 0 ok, 3 a health check failed (signals stored, alarm), 2 usage error, 1 failure`;

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const { values: v, positionals } = parseFlags(argv, {
      "as-of": { type: "string" },
      refit: { type: "boolean" },
      "no-collect": { type: "boolean" },
      report: { type: "string" },
      quiet: { type: "boolean" },
      ...STORE_FLAGS,
    });
    if (v.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length) throw new ConfigError(`unexpected argument ${positionals[0]}`);
    // the date as typed, quoted (a stray space shows); whether it is a session the run can decide is checked next
    if (v["as-of"] !== undefined) isoDateOf(v["as-of"], "--as-of");
    // its notes (a symbol upper-cased) are part of the run's output: --quiet leaves them out
    const cfg = await loadFlagsConfig(v, v.quiet ? () => {} : undefined);
    // the places the run writes, checked before any work starts (the default report is
    // reportDir/signal-<as-of>.html)
    const backends = chosenBackends(v.stores, Deno.env.get("FMAI_STORES"));
    const storeFlag = v["store-dir"] !== undefined ? "--store-dir" : "dataDir";
    await checkWritableDir(cfg.dataDir, storeFlag);
    // --no-collect decides on what is stored: a store that is not there is refused, not created empty
    if (v["no-collect"]) {
      await checkStoreExists(await storeConfigFor(cfg.dataDir, backends), undefined, storeFlag);
    }
    if (v.report !== undefined) await checkReportPath(v.report, "--report");
    else if (v["as-of"] !== undefined && asOfProblem(v["as-of"], cfg.source) === null) {
      // the date names the report file: reportDir/signal-<as-of>.html
      await checkReportPath(signalReportPath(cfg.reportDir, v["as-of"]), "reportDir", { example: null });
    } else await checkWritableDir(cfg.reportDir, "reportDir");
    // the tfjs backend FMAI_TF_BACKEND names, checked and started before the run (as the research run does)
    await tfStarterFromEnv()();
    const t0 = performance.now();
    const out = await runSignal(cfg, {
      asOf: v["as-of"],
      refit: v.refit ?? false,
      noCollect: v["no-collect"] ?? false,
      backends,
      reportPath: v.report,
      quiet: v.quiet ?? false,
    });
    console.log(out.table);
    console.log(`\nreport: ${out.reportPath}   (total ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    if (out.exitCode !== 0) {
      console.error(`error: health check failed (${failedChecksText(out.checks, 5)})`);
    }
    return out.exitCode;
  } catch (e) {
    return reportCliError(e);
  }
}

if (import.meta.main) await runAsMain(main);
