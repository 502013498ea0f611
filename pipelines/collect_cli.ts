/**
 * `deno task collect`: collects the requested data kinds from Yahoo Finance / Nasdaq (or CSV files, or the
 * synthetic market) into the stores, with a progress bar and a final summary table; `--dry-run` prints what
 * would be fetched after the incremental lookup and writes nothing; `--replay DIR` answers every request from
 * recorded responses (offline). A user mistake prints one line and exits with code 2; failed symbols exit 1.
 * A symbol given twice (in any case) is refused; with `--source csv|synthetic` the symbols and the range are
 * checked against the source's data before any store is opened, as `deno task pipeline` does, and a symbol is
 * collected under the source's spelling (`spy` is `SPY` of `SPY.csv`; a note says so).
 * @module
 */
import {
  ConfigError,
  fewOf,
  InputError,
  type IsoDate,
  isoDateOf,
  normalizeSymbols,
  nyDate,
  parseSymbolList,
  sessionOnOrBefore,
  sessions,
  wholeNumber,
} from "@lib/core/mod.ts";
import {
  checkRequest,
  createNasdaqSource,
  createReplayFetch,
  createYahooSource,
  csvSourceFor,
  SYNTHETIC_START,
} from "@lib/sources/mod.ts";
import { EMBEDDED_DB_FILE, openStores, type Stores } from "@lib/store/mod.ts";
import { type BackendName, chosenBackends, storeConfigFor } from "./stores.ts";
import { textTable } from "@lib/report/mod.ts";
import {
  checkRequestedRange,
  COLLECT_KINDS,
  type CollectKind,
  type CollectRequest,
  type CollectSources,
  createRawRecorder,
  parseKinds,
  planCollect,
  resolveMarketSymbols,
  runCollect,
  summarize,
  type SummaryRow,
} from "./collect/mod.ts";
import { createProgress } from "./progress.ts";
import {
  asConfigError,
  checkWritableDir,
  parseArgsOnce,
  refuseEmptyPath,
  reportCliError,
  runAsMain,
} from "./_cli_error.ts";
import { inputNote } from "./steps/collect.ts";
import { loadConfig } from "./config.ts";
import { syntheticMarketThrough } from "./source.ts";

const USAGE = `usage:
  deno task collect --source yahoo|nasdaq|csv|synthetic --symbols AAPL,MSFT --from YYYY-MM-DD --to YYYY-MM-DD
                    [--kinds ${
  COLLECT_KINDS.join(",")
}] [--data-dir DIR (csv)] [--news-file FILE (csv)]... [--store-dir DIR] [--stores mysql,mongodb,s3]
                    [--replay DIR]... [--concurrency N] [--option-expiries N] [--strict] [--dry-run] [--quiet]
  --to defaults to the last session on or before today (New York), --from to --to
  --strict: a record the source would leave out (a missing value, an ignored file) is an error
  --news-file FILE: a CSV of headline, time and symbol columns; a file without a symbol column is market-wide
    news, e.g. ../shared/data/financial-news-headlines-cnbc-guardian/*.csv
  symbols: letters, digits and . - _ = after an optional ^, at most 24 characters (AAPL, BRK.B, ^GSPC)
  --replay DIR answers requests from recorded responses, e.g.
    --replay ../shared/data/yahoo-fixtures --replay ../shared/data/nasdaq-fixtures
  --option-expiries N collects the chains of the N nearest expirations (default 3; the recorded Yahoo
    responses hold the nearest one only, so replays of them need --option-expiries 1)`;

const SOURCES = ["yahoo", "nasdaq", "csv", "synthetic"] as const;
/** Kinds each source can collect. */
const KINDS_OF: Record<(typeof SOURCES)[number], readonly CollectKind[]> = {
  yahoo: COLLECT_KINDS,
  nasdaq: ["calendars", "charts"],
  csv: ["prices", "news", "charts"],
  synthetic: ["prices", "news", "charts"],
};

/** Parsed command line of `collect`. */
export interface CollectArgs {
  source: (typeof SOURCES)[number];
  symbols: string[];
  /** `--symbols` given in another case, upper-cased (`spy is SPY`), for the run's note. */
  upperCased: string[];
  from: string;
  to: string;
  kinds: CollectKind[];
  dataDir?: string;
  /** News CSV files of the csv source (`--news-file`, repeatable). */
  newsFiles: string[];
  storeDir: string;
  /** Server backends instead of the embedded stores (`--stores` / `FMAI_STORES`). */
  backends: BackendName[];
  replay: string[];
  concurrency?: number;
  strict: boolean;
  /** `options`: nearest expirations per symbol (`--option-expiries`, default 3). */
  optionExpiries?: number;
  dryRun: boolean;
  quiet: boolean;
  help: boolean;
}

/** Parses argv; user mistakes are `ConfigError`s / `RangeError`s with one-line messages. */
export function parseCollectArgs(argv: string[]): CollectArgs {
  const p = asConfigError(() =>
    parseArgsOnce({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        source: { type: "string", default: "yahoo" },
        symbols: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        kinds: { type: "string", default: "prices" },
        "data-dir": { type: "string" },
        "news-file": { type: "string", multiple: true },
        "store-dir": { type: "string", default: "./data" },
        stores: { type: "string" },
        replay: { type: "string", multiple: true },
        concurrency: { type: "string" },
        strict: { type: "boolean", default: false },
        "option-expiries": { type: "string" },
        "dry-run": { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    })
  );
  const v = p.values;
  const help = v.help ?? false;
  const source = v.source as CollectArgs["source"];
  if (!SOURCES.includes(source)) throw new ConfigError(`--source must be one of ${SOURCES.join(", ")}`);
  let kinds: CollectKind[];
  try {
    kinds = parseKinds(v.kinds!);
  } catch (e) {
    throw new ConfigError(`--kinds: ${(e as Error).message}`, { cause: e });
  }
  const bad = kinds.filter((k) => !KINDS_OF[source].includes(k));
  if (bad.length && !help) {
    throw new ConfigError(
      `--source ${source} cannot collect ${bad.join(", ")} (it collects ${KINDS_OF[source].join(", ")})`,
    );
  }
  // upper-cased as everywhere (`spy` is `SPY`, said in a note); a symbol listed twice, in any case, would be
  // collected twice and its rows counted twice
  const { symbols, renamed: upperCased } = normalizeSymbols(
    v.symbols === undefined ? [] : parseSymbolList(v.symbols, "--symbols"),
    "--symbols",
    ConfigError,
  );
  const needsSymbols = !(source === "synthetic" || source === "csv" ||
    kinds.every((k) => k === "calendars"));
  if (!symbols.length && needsSymbols && !help) {
    throw new ConfigError("--symbols is required (e.g. AAPL,MSFT)");
  }
  // by default the last session that has begun on the New York calendar (today, or the one before a weekend or
  // holiday): a run on a Saturday collects Friday instead of refusing an empty range
  const today = nyDate(Date.now());
  const to = v.to === undefined ? sessionOnOrBefore(today) : isoDateOf(v.to, "--to");
  const from = v.from === undefined ? to : isoDateOf(v.from, "--from");
  if (from > to) throw new InputError(`empty date range: --from ${from} is after --to ${to}`);
  if (source === "csv" && !v["data-dir"] && !help) throw new ConfigError("--source csv needs --data-dir DIR");
  if (source !== "csv" && v["data-dir"] !== undefined) {
    throw new ConfigError(`--data-dir is read only by --source csv (this run collects from ${source})`);
  }
  const newsFiles = v["news-file"] ?? [];
  // an empty path is refused as the research run refuses it, not left to fail inside the source
  if (newsFiles.some((f) => f.trim() === "")) {
    throw new ConfigError('--news-file: expected a file path, got ""');
  }
  if (source !== "csv" && newsFiles.length) {
    throw new ConfigError(`--news-file is read only by --source csv (this run collects from ${source})`);
  }
  if (newsFiles.length && !kinds.includes("news") && !help) {
    throw new ConfigError("--news-file is read only with --kinds news (e.g. --kinds prices,news)");
  }
  if (source === "csv" && kinds.includes("news") && !newsFiles.length && !help) {
    throw new ConfigError(
      "--source csv collects news from --news-file FILE (a CSV of headline, time and symbol; no symbol: market-wide)",
    );
  }
  // flags this run would not read are refused, not ignored
  if (v.replay?.length && source !== "yahoo" && source !== "nasdaq") {
    throw new ConfigError(
      `--replay is read only by --source yahoo or nasdaq (this run collects from ${source})`,
    );
  }
  if (v["option-expiries"] !== undefined && !kinds.includes("options") && !help) {
    throw new ConfigError(
      "--option-expiries is read only with --kinds options (e.g. --kinds prices,options)",
    );
  }
  // the synthetic market begins at SYNTHETIC_START: an earlier --from would be cut to it without a word
  if (source === "synthetic" && from < SYNTHETIC_START && sessions(from, SYNTHETIC_START).length > 1) {
    throw new InputError(
      `--from ${from}: the synthetic market begins ${SYNTHETIC_START} (pass --from ${SYNTHETIC_START} or later)`,
    );
  }
  // an empty store folder names none (it was found only when the stores opened: "store config: dataDir is missing")
  refuseEmptyPath(v["store-dir"]!, "--store-dir");
  const concurrency = v.concurrency === undefined ? undefined : wholeNumber(v.concurrency, "--concurrency");
  const optionExpiries = v["option-expiries"] === undefined
    ? undefined
    : wholeNumber(v["option-expiries"], "--option-expiries", { max: 12 });
  return {
    source,
    symbols,
    upperCased,
    from,
    to,
    kinds,
    optionExpiries,
    dataDir: v["data-dir"],
    newsFiles,
    storeDir: v["store-dir"]!,
    backends: chosenBackends(v.stores, Deno.env.get("FMAI_STORES")),
    replay: v.replay ?? [],
    concurrency,
    strict: v.strict ?? false,
    dryRun: v["dry-run"] ?? false,
    quiet: v.quiet ?? false,
    help,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the sources of the parsed arguments (replaying when `--replay` is given). A market source (CSV,
 * synthetic) is asked for the symbols' bars over `[from, to]` first (`resolveMarketSymbols`): an unknown
 * symbol or a range without data is refused here, before any store is opened; `renamed` lists the symbols
 * it spells otherwise.
 */
export async function buildSources(
  a: CollectArgs,
): Promise<{ sources: CollectSources; symbols: string[]; renamed: [string, string][] }> {
  let base: typeof fetch | undefined;
  if (a.replay.length) {
    for (const d of a.replay) {
      if (!(await exists(d))) throw new ConfigError(`--replay ${d}: no such folder or file`);
    }
    base = await createReplayFetch(a.replay);
  }
  const raw = createRawRecorder(base ?? ((i, init) => fetch(i, init)));
  const fast = a.replay.length ? { rateLimitPerSec: 1000, retries: 0 } : {};
  const sources: CollectSources = { raw };
  let symbols = a.symbols;
  if (a.source === "yahoo" || a.source === "nasdaq") {
    if (a.source === "yahoo") sources.yahoo = createYahooSource({ fetch: raw.fetch, ...fast });
    sources.nasdaq = createNasdaqSource({ fetch: raw.fetch, ...fast });
  } else if (a.source === "csv") {
    if (!(await exists(a.dataDir!))) throw new ConfigError(`--data-dir ${a.dataDir}: no such folder`);
    sources.market = await csvSourceFor(a.dataDir!, {
      ...(a.strict ? { strict: true } : {}),
      ...(a.newsFiles.length ? { newsFiles: a.newsFiles } : {}),
    });
    delete sources.raw;
  } else {
    if (sessions(a.from, a.to).length === 0) {
      throw new InputError(`empty date range: no trading session between ${a.from} and ${a.to}`);
    }
    // the demo's and the daily run's market (config/default.yaml source.synthetic), extended to --to: the same
    // bars for the same dates whatever range is collected (it begins at SYNTHETIC_START)
    sources.market = syntheticMarketThrough((await loadConfig()).source.synthetic, a.to);
    delete sources.raw;
  }
  // the symbols a user named must each have a bar in the range (all of a source's: those listed later have none)
  const named = symbols.length > 0;
  if (!symbols.length && sources.market?.listSymbols) symbols = await sources.market.listSymbols();
  if (!sources.market || !symbols.length) return { sources, symbols, renamed: [] };
  const got = await resolveMarketSymbols(sources.market, { symbols, from: a.from, to: a.to }, {
    each: named,
  });
  // a source of fixed extent (a CSV folder): prices asked past it would be cut to it without a word, as the
  // research run refuses it (a live source's --to after its last bar is normal)
  const held = a.kinds.includes("prices") ? await sources.market.extent?.(got.symbols) : null;
  if (held) {
    checkRequestedRange(a, held, {
      from: "--from",
      to: "--to",
      data: `the data${named ? ` of ${fewOf(got.symbols, 3)}` : ""} in ${sources.market.name}`,
      whole: true,
    });
  }
  return { sources, symbols: got.symbols, renamed: got.renamed };
}

/** The summary table of a run. */
export function summaryTable(rows: readonly SummaryRow[]): string {
  const t = summarize(rows);
  return textTable({
    caption: `collected: ${t.ok} ok, ${t.failed} failed; ${t.rows} rows/docs written (${t.inserted} new), ` +
      `${t.objects} objects; ${t.skipped} records left out (missing values, future dates, sessions not closed; ` +
      "rows a CSV reader skipped are counted in the input line)",
    columns: ["kind", "symbol", "status", "range", "rows", "new", "objects", "skipped", "error"],
    rows: rows.map((r) => [
      r.kind,
      r.symbol,
      r.ok ? "ok" : "FAILED",
      r.range,
      r.rows,
      r.inserted,
      r.objects,
      r.skipped ?? 0,
      r.error ? (r.error.length > 160 ? `${r.error.slice(0, 159)}…` : r.error) : "",
    ]),
  });
}

/** Runs the CLI; returns the exit code (0 ok, 1 some symbol failed / internal error, 2 user error). */
/**
 * The note a Yahoo price collection ending before the last session gets: Yahoo's quotes are split-adjusted to
 * the day they are fetched and a response names only the splits inside its range, so a split after `--to`
 * that is not stored yet leaves these bars in its scale until a later collection's response names it (which
 * then fetches the stored bars again); collect up to the last session to be told of every split now.
 */
export function yahooScaleNote(a: Pick<CollectArgs, "source" | "kinds" | "to">, today: IsoDate): string {
  const last = sessionOnOrBefore(today);
  if (a.source !== "yahoo" || !a.kinds.includes("prices") || a.to >= last) return "";
  return `prices: Yahoo bars up to ${a.to} are split-adjusted as of today; a split after ${a.to} is not named in ` +
    `the response: a stored one is undone, one not stored yet only when a later collection's response names it ` +
    `(the symbol's stored bars are then fetched again; collect up to ${last}, the default --to, to store them ` +
    `as traded now)`;
}

/**
 * The dry-run note of a Yahoo price collection: a response that names a split not stored yet makes the run
 * fetch the symbol's stored bars again, from its first, which the plan cannot know before fetching.
 */
export function yahooRefetchNote(a: Pick<CollectArgs, "source" | "kinds">): string {
  if (a.source !== "yahoo" || !a.kinds.includes("prices")) return "";
  return "prices: a response that names a split not stored yet also fetches the symbol's stored bars again " +
    "(first stored day..the range's end, one request) to store them as traded; the plan cannot know it";
}

export async function main(argv: string[]): Promise<number> {
  let stores: Stores | null = null;
  try {
    const a = parseCollectArgs(argv);
    if (a.help) {
      console.log(USAGE);
      return 0;
    }
    if (!a.dryRun && !a.backends.length) await checkWritableDir(a.storeDir, "--store-dir");
    const { sources, symbols, renamed } = await buildSources(a);
    const renamedNote = [
      ...(a.upperCased.length ? [`symbols: ${a.upperCased.join(", ")} (upper-cased)`] : []),
      ...(renamed.length
        ? [`symbols: ${renamed.map(([s, k]) => `${s} is ${k}`).join(", ")} in ${sources.market!.name}`]
        : []),
    ].join("\n");
    const req: CollectRequest = {
      symbols,
      from: a.from,
      to: a.to,
      concurrency: a.concurrency,
      strict: a.strict,
      optionExpiries: a.optionExpiries,
      // the user names the range: holes inside what is stored are fetched too
      fillHoles: true,
    };
    if (symbols.length) checkRequest(req);
    if (a.dryRun) {
      // Reads an existing store; never creates one.
      if (a.backends.length || await exists(`${a.storeDir}/${EMBEDDED_DB_FILE}`)) {
        stores = await openStores(await storeConfigFor(a.storeDir, a.backends));
      }
      const plan = await planCollect(a.kinds, sources, stores, req);
      const skips = plan.filter((p) => p.fetch.startsWith("skip")).length;
      console.log(textTable({
        caption: `dry run: ${plan.length - skips} fetches planned from ${a.source}` +
          (skips ? `, ${skips} skipped` : "") +
          (stores ? ` (incremental against ${a.storeDir})` : " (empty store)") + "; nothing written",
        columns: ["kind", "symbol", "would fetch"],
        rows: plan.map((p) => [p.kind, p.symbol, p.fetch]),
      }));
      if (renamedNote) console.log(renamedNote);
      const refetchNote = stores ? yahooRefetchNote(a) : "";
      if (refetchNote) console.log(refetchNote);
      return 0;
    }
    stores = await openStores(await storeConfigFor(a.storeDir, a.backends));
    const progress = createProgress({ quiet: a.quiet });
    const rows = await runCollect(a.kinds, sources, stores, req, progress);
    console.log(summaryTable(rows));
    if (renamedNote) console.log(renamedNote);
    // the rows of the symbols and range collected (every symbol's when none is named)
    const note = sources.market ? inputNote(sources.market, symbols.length ? req : undefined) : "";
    if (note) console.log(note);
    const splitNote = yahooScaleNote(a, nyDate(Date.now()));
    if (splitNote) console.log(splitNote);
    return rows.some((r) => !r.ok) ? 1 : 0;
  } catch (e) {
    return reportCliError(e);
  } finally {
    await stores?.close();
  }
}

if (import.meta.main) await runAsMain(main);
