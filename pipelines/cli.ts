/**
 * The command line: `demo` (the whole pipeline on the synthetic market and embedded stores) and `run` (the same
 * on a configured source, e.g. CSV files). A user mistake prints one line and exits with code 2.
 * @module
 */
import { ConfigError, isoDateOf, parseSymbolList, repeatedSymbol, wholeNumber } from "@lib/core/mod.ts";
import { checkTradable, dateRange, loadConfigWithNotes } from "./config.ts";
import { chosenBackends, parseBackends } from "./stores.ts";
import { runPipeline } from "./run.ts";
import {
  checkReportPath,
  checkWritableDir,
  parseFlags,
  reportCliError,
  runAsMain,
  STORE_FLAGS,
} from "./_cli_error.ts";
import { dirname } from "node:path";
import { gitFromEnv, runSignal } from "./signal.ts";
import { tfStarterFromEnv } from "./tf_env.ts";

const USAGE = `usage:
  deno task demo [--config FILE] [--store-dir DIR] [--report FILE] [--quiet]   (and the pipeline's flags below,
                 on the synthetic market only; the production run's report goes beside --report)
  deno task pipeline [--source csv|synthetic] [--data-dir DIR] [--symbols A,B,...] [--from YYYY-MM-DD]
                     [--to YYYY-MM-DD] [--config FILE] [--store-dir DIR] [--report FILE] [--quiet]
                     [--strict] [--universe FILE] [--market INDEX[,VIX]] [--news-file FILE]...
                     [--stores embedded | mysql,mongodb,s3]   (or FMAI_STORES)
                     [--train A..B --valid A..B --test A..B]   (dates YYYY-MM-DD; else dataset.trainFrac/validFrac)
                     [--walk-forward off|expanding|rolling] [--refit-every N]   (refit over the test segment;
                                                        --refit-every only with expanding or rolling)
  --strict          a skipped or repaired input row, or an ignored file, is an error (default: counted)
  --universe FILE   point-in-time universe: CSV symbol,from,to of membership spells (no survivorship bias)
  --market INDEX[,VIX]  market context from the source's own series (e.g. ^GSPC,^VIX; source.market), each
                    joined by its publication time (the VIX at 16:15); default: the universe's own index and a
                    realized-volatility VIX stand-in
  --news-file FILE  news about the symbols (csv source; source.newsFiles; repeat for more files): a CSV with a
                    headline, a time (with a zone; a date alone counts after that day's close) and a symbol
                    column, e.g. ../shared/data/benzinga-analyst-ratings-subset/*.csv; scored by news.scorer;
                    a file without a symbol column is market-wide news (the mkt_news_* features of every row), e.g.
                    ../shared/data/financial-news-headlines-cnbc-guardian/*.csv
  symbols: letters, digits and . - _ = after an optional ^, at most 24 characters (AAPL, BRK.B, ^GSPC);
           upper-cased (spy is SPY, and the run says so); one given twice, in any case, is refused`;

/** `demo` runs on the synthetic market only: a csv source (by flag or config file) is a `ConfigError`. */
function checkDemoSource(command: string, kind: unknown): void {
  if (command === "demo" && kind === "csv") {
    throw new ConfigError(
      `demo runs on the synthetic market (source.kind is ${kind}); use \`deno task pipeline --source csv ...\``,
    );
  }
}

/**
 * Parses argv into config overrides; unknown flags are `ConfigError`s. `--symbols` keeps the user's spelling
 * (`loadConfigWithNotes` upper-cases it and notes what it changed); a symbol given twice, in any case, is refused.
 */
export function parseCli(argv: string[]) {
  const parsed = parseFlags(argv, {
    source: { type: "string" },
    "data-dir": { type: "string" },
    symbols: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    report: { type: "string" },
    quiet: { type: "boolean" },
    strict: { type: "boolean" },
    universe: { type: "string" },
    market: { type: "string" },
    "news-file": { type: "string", multiple: true },
    train: { type: "string" },
    valid: { type: "string" },
    test: { type: "string" },
    "walk-forward": { type: "string" },
    "refit-every": { type: "string" },
    ...STORE_FLAGS,
  });
  const v = parsed.values;
  const [command = "run", ...rest] = parsed.positionals;
  if (rest.length) throw new ConfigError(`unexpected argument ${rest[0]}`);
  if (!["demo", "run"].includes(command)) throw new ConfigError(`unknown command ${command} (demo or run)`);
  const source: Record<string, unknown> = {};
  if (v["data-dir"] !== undefined) Object.assign(source, { kind: "csv", csvDir: v["data-dir"] });
  if (v.source !== undefined) source.kind = v.source;
  if (v.symbols !== undefined) {
    const list = parseSymbolList(v.symbols, "--symbols");
    for (const sym of list) checkTradable(sym, "--symbols");
    const twice = repeatedSymbol(list, "--symbols");
    if (twice) throw new ConfigError(twice);
    source.symbols = list;
  }
  if (v.strict) source.strict = true;
  if (v.universe !== undefined) source.universe = v.universe;
  if (v.market !== undefined) {
    const list = parseSymbolList(v.market, "--market");
    if (list.length > 2) {
      throw new ConfigError(`--market: expected INDEX or INDEX,VIX, got ${list.length} symbols`);
    }
    // the index given again as the VIX would be joined twice, once as the volatility index
    const twice = repeatedSymbol(list, "--market");
    if (twice) throw new ConfigError(twice);
    source.market = { index: list[0], vix: list[1] ?? null };
  }
  if (v["news-file"] !== undefined) source.newsFiles = v["news-file"];
  // checked as typed, named by the flag (the config check after the merge names source.from/to)
  if (v.from !== undefined) source.from = isoDateOf(v.from, "--from");
  if (v.to !== undefined) source.to = isoDateOf(v.to, "--to");
  const overrides: Record<string, unknown> = {};
  if (Object.keys(source).length) overrides.source = source;
  const dataset: Record<string, unknown> = {};
  const segments: Record<string, string> = {};
  for (const k of ["train", "valid", "test"] as const) {
    if (v[k] !== undefined) segments[k] = dateRange(v[k]!, `--${k}`).join("..");
  }
  if (Object.keys(segments).length) dataset.segments = segments;
  const walk: Record<string, unknown> = {};
  if (v["walk-forward"] !== undefined) walk.mode = v["walk-forward"];
  if (v["refit-every"] !== undefined) {
    walk.refitEvery = wholeNumber(v["refit-every"], "--refit-every");
  }
  if (Object.keys(walk).length) dataset.walkForward = walk;
  if (Object.keys(dataset).length) overrides.dataset = dataset;
  if (v["store-dir"] !== undefined) overrides.dataDir = v["store-dir"];
  return {
    command,
    overrides,
    config: v.config,
    report: v.report,
    backends: v.stores === undefined ? undefined : chosenBackends(v.stores, undefined),
    quiet: v.quiet ?? false,
    help: v.help ?? false,
  };
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const a = parseCli(argv);
    if (a.help) {
      console.log(USAGE);
      return 0;
    }
    // demo's own rule first: `--source csv` is refused for what it is, not for a missing csvDir
    checkDemoSource(a.command, (a.overrides.source as { kind?: unknown } | undefined)?.kind);
    const { config: cfg, notes } = await loadConfigWithNotes({ file: a.config, overrides: a.overrides });
    // the config file may name a csv source too
    checkDemoSource(a.command, cfg.source.kind);
    // the commit the demo's production step records (FMAI_GIT_SHA, FMAI_GIT_DIRTY), checked as `deno task
    // signal` checks it, before the research run: not after it, with its store and report written
    if (a.command === "demo") gitFromEnv(Deno.env.toObject());
    // what loading changed in what the user wrote (`spy` is `SPY`), said before the run
    for (const note of notes) console.log(note);
    // the places the run writes, checked before any work starts
    await checkWritableDir(cfg.dataDir, a.overrides.dataDir !== undefined ? "--store-dir" : "dataDir");
    const reportPath = a.report ?? `${cfg.reportDir}/${a.command === "demo" ? "demo" : "pipeline"}.html`;
    await checkReportPath(reportPath, a.report !== undefined ? "--report" : "reportDir");
    const startTf = tfStarterFromEnv();
    await startTf();
    const t0 = performance.now();
    const out = await runPipeline(cfg, {
      run: a.command === "demo" ? "demo" : "pipeline",
      reportPath: a.report,
      backends: a.backends ?? parseBackends(Deno.env.get("FMAI_STORES")),
      quiet: a.quiet,
    });
    console.log(out.summary);
    console.log(`\n${out.newsScorer}`);
    console.log(`\nreport: ${out.reportPath}   (total ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    if (a.command === "demo") {
      // the demo ends where production starts: the first production system, fitted on everything stored and
      // registered as champion, and its signals for the next session (`deno task signal` then loads it)
      const t1 = performance.now();
      // a champion of an earlier demo this run cannot serve (fitted on the lexicon before the language model was
      // installed, say) is refitted, with a line saying so: `deno task signal` would refuse
      // its report goes beside the demo's (--report), and the next commands name the store it filled
      const prodCfg = a.report === undefined ? cfg : { ...cfg, reportDir: dirname(a.report) };
      const same = [
        ...(a.config !== undefined ? [`--config ${a.config}`] : []),
        ...(a.overrides.dataDir !== undefined ? [`--store-dir ${cfg.dataDir}`] : []),
      ].map((f) => ` ${f}`).join("");
      const prod = await runSignal(prodCfg, {
        noCollect: true,
        refitWhenCannotServe: true,
        backends: a.backends ?? parseBackends(Deno.env.get("FMAI_STORES")),
        quiet: a.quiet,
      });
      console.log(
        `\nproduction: ${prod.signals.length} signals for ${prod.forSession} from ${cfg.production.model}@${prod.modelVersion}` +
          ` (${prod.promotion}; health ${prod.status}; ${
            ((performance.now() - t1) / 1000).toFixed(1)
          } s) -> ` +
          `${prod.reportPath}; next: deno task signal${same}, deno task serve${same}`,
      );
    }
    return 0;
  } catch (e) {
    return reportCliError(e);
  }
}

if (import.meta.main) await runAsMain(main);
