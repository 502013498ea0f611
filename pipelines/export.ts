/**
 * `deno task export --what bars|features|signals|predictions[,...] --out DIR [--format parquet|csv]
 * [--stores mysql,mongodb,s3] [--store-dir DIR] [--symbols A,B] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
 * [--config FILE]`: writes store tables (and the feature table the dataset step builds from them) as files
 * that Python, DuckDB or Spark read, from any store backend, as Parquet (the default) or CSV. Columns are the store's (or the dataset's) with
 * fixed dtypes (`lib/frames`): `known_at`, when a record became public (for a feature row: its decision time),
 * is kept as a UTC datetime, so the point-in-time rule travels with the data.
 *
 * `DIR/manifest.json` lists each file with its row count, columns, `known_at` range, filter and a SHA-256 of
 * its rows (canonical JSON lines in file order); `store:copy --from parquet:DIR` checks them before writing.
 * Every file, and the new manifest, is written to a temporary name first, so an export killed while writing them
 * leaves the previous files and manifest as they were. Then `manifest.json` gives way to `manifest.json.partial`
 * (the entries of the files this export does not replace), the files are renamed into place and the new
 * manifest last: an export killed while renaming leaves no `manifest.json` (never one beside files it does not
 * describe), which `store:copy --from parquet:DIR` refuses, and a re-run finishes it (the partial manifest keeps
 * the other files' entries) with the same bytes. Every flag, the config file, the store (`--store-dir`, else
 * the `dataDir` of `--config`, must hold one: an export never creates it), each `--symbols` the store must
 * hold and a row of each kind asked it must hold for them (in `--from`/`--to` when given; one reaching past its
 * dates is said in a note) are checked, and every file's rows computed, before the first file is written: a refused export writes
 * nothing. An `--out` that is the embedded store's folder or inside it (links resolved) is refused.
 * @module
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import {
  ConfigError,
  DataValidationError,
  fewOf,
  InputError,
  type IsoDate,
  isoDateOf,
  nextSession,
  normalizeSymbols,
  oneLine,
  parseSymbolList,
  prevSession,
  shown,
} from "@lib/core/mod.ts";
import type { SegmentSpec } from "@lib/dataset/mod.ts";
import { featureWarmup } from "@lib/features/mod.ts";
import {
  datasetFrame,
  datasetFrameSchema,
  FRAME_FORMATS,
  type FrameFormat,
  frameFromParquet,
  type FrameSchema,
  frameToBytes,
  frameToRows,
  fromFrame,
  pl,
  rowsToFrame,
  tableFrameSchema,
} from "@lib/frames/mod.ts";
import {
  ALL_SCHEMAS,
  BARS,
  openStores,
  type Row,
  type StorePart,
  type Stores,
  type TableQuery,
  type TableSchema,
} from "@lib/store/mod.ts";
import {
  asConfigError,
  checkOutsideStore,
  checkWritableDir,
  givenTwice,
  parseArgsOnce,
  reportCliError,
} from "./_cli_error.ts";
import { writeFileAtomic } from "./_atomic.ts";
import { type Config, loadConfig, loadFlagsConfig, specFromConfig } from "./config.ts";
import { datasetStep, PIPELINE_FEATURE_SET } from "./steps/dataset.ts";
import {
  fetchMarketBars,
  marketFromBars,
  marketNote,
  OWN_MARKET_NOTE,
  ownMarketContext,
} from "./steps/market.ts";
import { sourceFromConfig, specForSource } from "./source.ts";
import { rangePastData } from "./collect/mod.ts";
import { withNewsScorer } from "./lm.ts";
import type { Progress } from "./progress.ts";
import {
  type BackendName,
  checkStoreExists,
  chosenBackends,
  embeddedParts,
  existingOnly,
  readRows,
  storeConfigFor,
} from "./stores.ts";

/** What `deno task export` can write: three store tables and the feature table. */
export const EXPORT_KINDS = ["bars", "features", "signals", "predictions"] as const;
/** One kind of export. */
export type ExportKind = typeof EXPORT_KINDS[number];

/** Rows to export: symbols and an inclusive date range (all when absent). */
export interface ExportFilter {
  symbols?: string[];
  from?: string;
  to?: string;
}

/** One file of an export folder, as `manifest.json` records it. */
export interface ManifestEntry {
  file: string;
  format: FrameFormat;
  /** The store table the rows came from (absent for the feature table). */
  table?: string;
  rows: number;
  columns: [string, string][];
  /** SHA-256 of the rows (see {@link frameChecksum}). */
  sha256: string;
  /** Range of `known_at` (ISO instants), null when there are no rows. */
  knownAt: { min: string; max: string } | null;
  filter: ExportFilter;
  /** Feature set `name@version` of the feature table (its columns name the features). */
  featureSet?: string;
  /** The feature table's news scorer (`lexicon@m1`, a language model's id): whose scores `news_sent_*` hold. */
  newsScorer?: string;
}

/**
 * `manifest.json` of an export folder: an entry per file, keyed by file name (`bars.parquet`, `bars.csv`, ...),
 * so an export in one format keeps the entry of the other's file. Version 1 keyed them by kind (`bars`): one
 * format's entry replaced the other's, whose file stayed unlisted; it is still read (re-keyed by file name) and
 * rewritten as version 2 by the next export there.
 */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  files: Record<string, ManifestEntry>;
}

const MANIFEST = "manifest.json";
/**
 * Stands for `manifest.json` while an export renames its files into place: the entries of the files it does not
 * replace. Left without `manifest.json` by a killed export: the folder is refused, and the next export there
 * starts from it.
 */
const PARTIAL = "manifest.json.partial";
const MANIFEST_FORMAT = "fmai-export/2";
/** Manifest versions read: version 1 is keyed by kind. */
const MANIFEST_FORMATS_READ = ["fmai-export/1", MANIFEST_FORMAT];

/**
 * SHA-256 (hex) of rows given as columns, in order: one canonical JSON array per row (column order; numbers as
 * JS prints them, null for missing or NaN, dates as `YYYY-MM-DD`, datetimes as epoch ms) and a newline. Equal
 * rows in equal order give equal sums, whether they come from a store or from a file.
 */
export function columnsChecksum(n: number, cols: readonly ArrayLike<unknown>[]): string {
  const h = createHash("sha256");
  const cell = (v: unknown) => (v === undefined || (typeof v === "number" && Number.isNaN(v)) ? null : v);
  let chunk = "";
  for (let i = 0; i < n; i++) {
    chunk += JSON.stringify(cols.map((c) => cell(c[i]))) + "\n";
    if (chunk.length > 1 << 20) (h.update(chunk), chunk = "");
  }
  h.update(chunk);
  return h.digest("hex");
}

/** {@link columnsChecksum} of a frame's rows (checked against `schema`). */
export function frameChecksum(df: pl.DataFrame, schema: FrameSchema): string {
  const { n, columns } = fromFrame(df, schema);
  return columnsChecksum(n, schema.map(([name]) => columns[name] as ArrayLike<unknown>));
}

/** {@link columnsChecksum} of store rows of table `t` (the same sum as the table's frame of these rows). */
export function rowsChecksum(t: TableSchema, rows: readonly Row[]): string {
  return columnsChecksum(rows.length, Object.keys(t.columns).map((c) => rows.map((r) => r[c] ?? null)));
}

function knownAtRange(df: pl.DataFrame): ManifestEntry["knownAt"] {
  if (!df.columns.includes("known_at")) return null;
  const ms = df.getColumn("known_at").cast(pl.Int64);
  if (ms.len() === ms.nullCount()) return null;
  const iso = (v: unknown) => new Date(Number(v)).toISOString();
  return { min: iso(ms.min()), max: iso(ms.max()) };
}

/**
 * Reads `DIR/manifest.json`, its entries keyed by file name whatever its version (an empty manifest when absent;
 * a `DataValidationError` when unreadable).
 */
export async function readManifest(dir: string): Promise<Manifest> {
  return await readManifestFile(dir, MANIFEST) ?? { format: MANIFEST_FORMAT, files: {} };
}

/**
 * The manifest an export into `dir` adds its entries to: `manifest.json`, else the `manifest.json.partial` an
 * export killed while renaming its files left, else an empty one (a `DataValidationError` when unreadable).
 */
async function baseManifest(dir: string): Promise<Manifest> {
  return await readManifestFile(dir, MANIFEST) ?? await readManifestFile(dir, PARTIAL) ??
    { format: MANIFEST_FORMAT, files: {} };
}

/** {@link readManifest} of the file `DIR/<name>`; null when absent. */
async function readManifestFile(dir: string, name: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/${name}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new DataValidationError(`unreadable manifest: ${oneLine(e)}`, {
      where: `${dir}/${name}`,
      cause: e,
    });
  }
  try {
    const m = JSON.parse(text) as { format?: unknown; files?: Record<string, ManifestEntry> } | null;
    const plain = (x: unknown) => x !== null && typeof x === "object" && !Array.isArray(x);
    // its files a mapping of entries (null or a list passed as an object and failed after files were replaced),
    // each naming its file
    if (
      !plain(m) || !MANIFEST_FORMATS_READ.includes(m!.format as string) || !plain(m!.files) ||
      !Object.values(m!.files!).every((e) => plain(e) && typeof e.file === "string" && e.file !== "")
    ) {
      throw new Error("not an fmai export manifest");
    }
    // keyed by file name (version 1 keyed its entries by kind)
    const files = Object.fromEntries(Object.values(m!.files!).map((e) => [e.file, e]));
    return { ...m!, format: MANIFEST_FORMAT, files };
  } catch (e) {
    throw new DataValidationError(`unreadable manifest: ${(e as Error).message}`, {
      where: `${dir}/${name}`,
      cause: e,
    });
  }
}

/** A manifest as written: its entries sorted by file name. */
function manifestBytes(m: Manifest): Uint8Array {
  const sorted = Object.fromEntries(Object.entries(m.files).sort(([a], [b]) => a.localeCompare(b)));
  return new TextEncoder().encode(JSON.stringify({ ...m, files: sorted }, null, 2) + "\n");
}

/** One file of an export, computed in full before anything is written. */
interface Prepared {
  name: string;
  df: pl.DataFrame;
  schema: FrameSchema;
  extra: Pick<ManifestEntry, "filter" | "table" | "featureSet" | "newsScorer"> & { sha256?: string };
  /** What the log line says after the file's name (e.g. `x 40 features`). */
  note?: string;
}

/**
 * Writes a frame to a temporary name beside `DIR/<name>.<format>` (the caller renames it into place) and returns
 * its manifest entry and that temporary path.
 */
async function stageFrame(
  dir: string,
  p: Prepared,
  format: FrameFormat,
): Promise<{ entry: ManifestEntry; tmp: string }> {
  const file = `${p.name}.${format}`;
  const tmp = `${dir}/${file}.tmp-${Deno.pid}`;
  await Deno.writeFile(tmp, frameToBytes(p.df, format));
  const entry: ManifestEntry = {
    file,
    format,
    ...(p.extra.table ? { table: p.extra.table } : {}),
    rows: p.df.height,
    columns: p.schema.map(([c, t]) => [c, t]),
    sha256: p.extra.sha256 ?? frameChecksum(p.df, p.schema),
    knownAt: knownAtRange(p.df),
    filter: p.extra.filter,
    ...(p.extra.featureSet ? { featureSet: p.extra.featureSet } : {}),
    ...(p.extra.newsScorer ? { newsScorer: p.extra.newsScorer } : {}),
  };
  return { entry, tmp };
}

/**
 * Writes prepared files into `dir` (created when missing), then adds them to its manifest; returns the entries.
 * Every file and the new manifest are written under a temporary name first (encoding a large table takes
 * seconds): a run killed meanwhile leaves the previous files and manifest as they were. Then `manifest.json`
 * gives way to `manifest.json.partial` (the entries of the other files), the files are renamed into place one by
 * one and the new manifest last: a run killed (or failing) while renaming leaves no `manifest.json`, never one
 * beside files it does not describe, and the next export starts from the partial one. Temporary files of these
 * names a killed run left are removed.
 */
async function writePrepared(
  dir: string,
  prepared: readonly Prepared[],
  format: FrameFormat,
  log: (s: string) => void,
): Promise<Record<string, ManifestEntry>> {
  await Deno.mkdir(dir, { recursive: true });
  // one writer at a time (an OS lock, released when the process ends, killed too): a second export into the
  // same folder waits instead of removing the first's staged files or losing its manifest entries
  const lock = await Deno.open(`${dir}/.fmai-export.lock`, { create: true, write: true });
  try {
    await lock.lock(true);
    // an unreadable manifest refuses the export before any file of the folder is replaced
    const manifest = await baseManifest(dir);
    const ours = new Set([...prepared.map((p) => `${p.name}.${format}`), MANIFEST, PARTIAL]);
    for await (const f of Deno.readDir(dir)) {
      const m = /^(.*)\.tmp-\d+$/.exec(f.name);
      if (f.isFile && m && ours.has(m[1])) await Deno.remove(`${dir}/${f.name}`).catch(() => {});
    }
    const out: Record<string, ManifestEntry> = {}, staged: string[] = [];
    const manifestTmp = `${dir}/${MANIFEST}.tmp-${Deno.pid}`;
    try {
      for (const p of prepared) {
        const { entry, tmp } = await stageFrame(dir, p, format);
        staged.push(tmp);
        out[p.name] = entry;
      }
      // the new manifest: the other files' entries kept (the other format's file of a kind too)
      const files = { ...manifest.files };
      for (const e of Object.values(out)) files[e.file] = e;
      staged.push(manifestTmp);
      await Deno.writeFile(manifestTmp, manifestBytes({ ...manifest, files }));
      // no manifest.json while the files are replaced, only the entries of the others
      const kept = Object.fromEntries(Object.entries(manifest.files).filter(([f]) => !ours.has(f)));
      await writeFileAtomic(`${dir}/${PARTIAL}`, manifestBytes({ ...manifest, files: kept }));
      await Deno.remove(`${dir}/${MANIFEST}`).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
      for (const tmp of staged) await Deno.rename(tmp, tmp.replace(/\.tmp-\d+$/, ""));
    } catch (e) {
      for (const tmp of staged) await Deno.remove(tmp).catch(() => {});
      throw e;
    }
    await Deno.remove(`${dir}/${PARTIAL}`);
    for (const p of prepared) {
      log(`${p.name}: ${p.df.height} rows${p.note ? ` ${p.note}` : ""} -> ${dir}/${out[p.name].file}`);
    }
    return out;
  } finally {
    lock.close(); // closing releases the lock
  }
}

function whereOf(t: TableSchema, f: ExportFilter): TableQuery["where"] {
  const w: NonNullable<TableQuery["where"]> = {};
  if (f.symbols?.length && "symbol" in t.columns) w.symbol = f.symbols;
  if ((f.from || f.to) && "date" in t.columns) {
    w.date = { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lte: f.to } : {}) };
  }
  return w;
}

/** A store table's rows (filtered) in key order as a frame. */
export async function tableFrame(
  stores: Stores,
  t: TableSchema,
  filter: ExportFilter = {},
): Promise<pl.DataFrame> {
  return rowsToFrame(t, await readRows(stores, t.name, { where: whereOf(t, filter), orderBy: t.key }));
}

/** Reads store tables (filtered, in key order) as files to write; nothing is written. */
async function prepareTables(
  stores: Stores,
  tables: readonly TableSchema[],
  filter: ExportFilter,
): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (const t of tables) {
    const rows = await readRows(stores, t.name, { where: whereOf(t, filter), orderBy: t.key });
    out.push({
      name: t.name,
      df: rowsToFrame(t, rows),
      schema: tableFrameSchema(t),
      extra: { table: t.name, filter, sha256: rowsChecksum(t, rows) },
    });
  }
  return out;
}

/**
 * Writes store tables as `DIR/<table>.<format>` plus the manifest (every table read before the first file is
 * written); returns the entries written.
 */
export async function exportTables(
  stores: Stores,
  tables: readonly TableSchema[],
  dir: string,
  format: FrameFormat,
  filter: ExportFilter = {},
  log: (s: string) => void = () => {},
): Promise<Record<string, ManifestEntry>> {
  return await writePrepared(dir, await prepareTables(stores, tables, filter), format, log);
}

/** The stored history before an export's first date that the features read. */
interface WarmupHistory {
  /** Sessions of warm-up a row needs before it (the feature set's). */
  need: number;
  /** The earliest stored session of the symbols from the run's start on (`from` when none is before it). */
  historyFrom: IsoDate;
  /** Stored sessions per symbol from the run's start to before `from`. */
  before: Map<string, number>;
}

/**
 * The symbols' stored history before `from`, from the run's start on (`start`: the config's `source.from`; null,
 * every stored session): the smoothed features (Wilder's ADX and RSI, the EMAs of MACD) depend on where their
 * series begins, so an export computes them from the run's start, not from a warm-up before `--from`, and gives
 * the run's values whatever `--from` is (read only).
 */
async function warmupHistory(
  stores: Stores,
  symbols: readonly string[],
  from: IsoDate,
  need: number,
  start: IsoDate | null,
): Promise<WarmupHistory> {
  const before = new Map<string, number>();
  let historyFrom = from;
  const date = start === null ? { lt: from } : { gte: start, lt: from };
  for (const symbol of symbols) {
    before.set(symbol, await stores.tables.count("bars", { symbol, date }));
    const [first] = await stores.tables.query("bars", {
      where: { symbol, date },
      orderBy: ["date"],
      limit: 1,
    });
    if (first && String(first.date) < historyFrom) historyFrom = String(first.date);
  }
  return { need, historyFrom, before };
}

/** `n` exchange sessions before `date` (by the calendar; the store may miss some). */
function sessionsBefore(date: IsoDate, n: number): IsoDate {
  let d = date;
  for (let i = 0; i < n; i++) d = prevSession(d);
  return d;
}

/**
 * The feature table of the stored bars (the dataset step's features: feature set, news, ranks; no labels), to be
 * written as `features.<format>`, with `known_at` = each row's decision time. Rows start at the first session
 * from `--from` on: the stored history before it from the run's start (`source.from`) is read too, so the
 * smoothed features have the run's values (each row's features still use only what was known at its decision
 * time), and a note says when the store holds too little of it for some rows. Nothing is written, not even the news score cache; a `ConfigError` when no stored bars match the
 * filter, an `InputError` when the store holds too little history for any row.
 */
async function prepareFeatures(
  stores: Stores,
  cfg: Config,
  filter: ExportFilter,
  log: (s: string) => void,
): Promise<Prepared> {
  // the cross-section the features are computed on (ranks, relative returns, the universe's own index) is the
  // config's symbols, else every symbol stored in the range, whatever --symbols picks to write: computing them on
  // the picked symbols alone would give other values than the run's. The range's bars are read once, of every
  // symbol when that is the cross-section (a store that never held bars has none; the dataset step reads
  // corporate actions the same way)
  const configured = cfg.source.symbols.length > 0;
  const read = await readRows(stores, "bars", {
    where: whereOf(BARS, configured ? filter : { ...filter, symbols: undefined }),
    orderBy: ["date"],
  });
  const picked = new Set(filter.symbols ?? []);
  const bars = !configured && picked.size ? read.filter((r) => picked.has(String(r.symbol))) : read;
  if (bars.length === 0) {
    throw new ConfigError(
      `no stored bars${filter.symbols ? ` for ${filter.symbols.join(",")}` : ""} in the range asked`,
    );
  }
  const distinct = (rows: readonly Row[]) => [...new Set(rows.map((r) => String(r.symbol)))].sort();
  const stored = distinct(read);
  // a store holding the synthetic market's symbols beside others (the demo's, then a csv research run into the
  // same folder): on the default synthetic config the run's cross-section is the synthetic market's alone
  const synthetic = !configured && cfg.source.kind === "synthetic"
    ? new Set(await (await sourceFromConfig(cfg)).listSymbols?.() ?? [])
    : new Set<string>();
  const others = stored.filter((s) => !synthetic.has(s));
  // mixed: the store holds the synthetic market's bars anywhere (not only in the range asked: a range past them
  // would otherwise export the others on the universe index)
  const mixed = others.length > 0 && (others.length < stored.length ||
    (synthetic.size > 0 &&
      (await stores.tables.query("bars", { where: { symbol: [...synthetic] }, limit: 1 })).length > 0));
  const universe = configured
    ? [...cfg.source.symbols]
    : mixed
    ? stored.filter((s) => synthetic.has(s))
    : stored;
  const symbols = picked.size ? [...picked] : distinct(bars).filter((s) => universe.includes(s));
  if (!picked.size && symbols.length === 0) {
    throw new ConfigError(
      `no stored bars of the synthetic market the config names in the range asked (the store's others there: ${
        fewOf(others, 3)
      }; pass --config with their run's config)`,
    );
  }
  const from = filter.from ?? String(bars[0].date), to = filter.to ?? String(bars[bars.length - 1].date);
  const outside = symbols.filter((s) => !universe.includes(s));
  if (outside.length) {
    throw new ConfigError(
      `--symbols ${outside.join(",")}: not in ${
        configured ? "the config's source.symbols" : "the synthetic market the config names"
      }, the cross-section the features are computed on (${
        configured ? `add ${outside.length === 1 ? "it" : "them"} there, or use` : "pass --config with"
      } the run's config)`,
    );
  }
  if (mixed) {
    log(
      `features: the store also holds ${others.length} symbols the synthetic market does not (${
        fewOf(others, 3)
      }): left out of the cross-section, as in the demo's run (pass --config with their run's config to ` +
        `export them)`,
    );
  }
  // the warm-up: a row's features need `need` sessions of the symbol's history before it; they are computed over
  // all of it from the run's start
  // the features' series begin at the run's start (source.from), or at the first stored session when the config
  // has none or --from reaches before it (rows the run does not have)
  const start = cfg.source.from !== null && cfg.source.from < from ? cfg.source.from : null;
  const hist = await warmupHistory(stores, universe, from, featureWarmup(PIPELINE_FEATURE_SET), start);
  const { need, before } = hist;
  const inRange = new Map<string, number>(), firstBar = new Map<string, IsoDate>();
  for (const r of bars) {
    const s = String(r.symbol);
    inRange.set(s, (inRange.get(s) ?? 0) + 1);
    if (!firstBar.has(s)) firstBar.set(s, String(r.date));
  }
  const fromText = filter.from ? `--from ${from}` : `the first stored session ${from}`;
  // the cross-section of the rows asked is the universe's symbols with bars in the history read (one listed
  // later has no row there in the run either)
  const readSymbols = new Set(read.map((r) => String(r.symbol)));
  const present = universe.filter((s) => (before.get(s) ?? 0) > 0 || readSymbols.has(s));
  if (present.length < universe.length) {
    const absent = universe.filter((s) => !present.includes(s));
    log(
      `features: no stored bar of ${
        fewOf(absent, 3)
      } in ${hist.historyFrom}..${to}: the cross-section there ` +
        `is the config's other ${present.length} symbols, as in the run`,
    );
  }
  if (!symbols.some((s) => before.get(s)! + (inRange.get(s) ?? 0) > need)) {
    const held = symbols.map((s) =>
      `${s}: ${before.get(s)} before and ${inRange.get(s) ?? 0} in ${from}..${to}`
    );
    throw new InputError(
      `features: too little stored history for any row: the feature warm-up needs ${need} sessions of a ` +
        `symbol's bars before its first row (the store holds ${
          fewOf(held, 3, "; ")
        }); collect earlier data (from about ` +
        `${sessionsBefore(from, need)}, ${need} sessions before ${fromText}) or widen --from/--to`,
    );
  }
  // the market context as the research run has it: the series the config names (source.market, fetched from the
  // config's source from the warm-up's first session; prices only: its news files are not read, so one moved
  // since the run does not matter here), else the synthetic market's own context, else the universe's own
  // index and VIX stand-in (a csv folder is not opened when the config names no series)
  const source = cfg.source.market.index !== null || cfg.source.kind === "synthetic"
    ? await sourceFromConfig({ ...cfg, source: { ...cfg.source, newsFiles: [] } })
    : undefined;
  const own = source && await ownMarketContext(source, cfg.source.market, universe);
  const market = own ?? (source && marketFromBars(
    cfg.source.market,
    await fetchMarketBars(source, cfg.source.market, hist.historyFrom, to),
    hist.historyFrom,
    to,
  ));
  log(own ? OWN_MARKET_NOTE : marketNote(cfg.source.market));
  // the mkt_news_* columns when the config names a market-wide news file, as the research run decides (its news
  // files are read for that alone: the store's news is what is joined)
  const spec = cfg.source.newsFiles.length
    ? await specForSource(specFromConfig(cfg), await sourceFromConfig(cfg))
    : specFromConfig(cfg);
  let newsScorer = "";
  const ds = await withNewsScorer(
    cfg.news,
    log,
    (scorer) => {
      newsScorer = scorer.id;
      return datasetStep(stores, spec, {
        symbols: present,
        from,
        to,
        historyFrom: hist.historyFrom,
        // one segment over the rows: an export has no split, and the config's (dates or fractions) need not fit
        // the range asked (a week's features failed as "too few sessions for three segments")
        segments: exportSegments(from, to, spec.dataset.purge),
        scorer,
        // an export only reads the store: news scores missing from its cache are computed, not saved
        readOnly: true,
        ...(market ? { market } : {}),
        // per-symbol items stored from files other than the config's are joined as stored, and said (the
        // dataset step's summary line, as in the research run)
        // and a news file of the config the store holds no item of (a store restored from a Parquet folder
        // holds no news) is named: its features are 0
        ...(cfg.source.kind === "csv"
          ? { newsFiles: cfg.source.newsFiles.map((f) => basename(f)), noteAbsentNewsFiles: true }
          : {}),
        summary: false,
      }, notesOnly(log));
    },
  );
  // rows that start after the first session from --from: said in one line, with the why
  const firstRow = new Map<string, IsoDate>();
  for (let i = 0; i < ds.n; i++) {
    const f = firstRow.get(ds.symbol[i]);
    if (f === undefined || ds.date[i] < f) firstRow.set(ds.symbol[i], ds.date[i]);
  }
  const late = symbols.filter((s) => firstBar.has(s) && (firstRow.get(s) ?? "9999-12-31") > firstBar.get(s)!);
  if (late.length) {
    const short = late.filter((s) => before.get(s)! < need);
    const why = short.length
      ? `the store holds fewer than the ${need} sessions before ${fromText} that the feature warm-up needs` +
        (short.length < late.length ? ` (for ${fewOf(short, 3)})` : "") +
        `: collect earlier data for rows from it on`
      : "their features are not all finite before it (market context or history missing there)";
    log(
      `features: rows start after ${fromText} for ${late.length} of ${symbols.length} symbols (first row ${
        fewOf(late.map((s) => `${s} ${firstRow.get(s) ?? "none"}`), 3)
      }): ${why}`,
    );
  }
  const all = datasetFrame(ds);
  return {
    name: "features",
    df: picked.size ? all.filter(pl.col("symbol").isIn(symbols)) : all,
    schema: datasetFrameSchema(ds.featureNames),
    extra: { filter, featureSet: `${ds.featureSet.name}@${ds.featureSet.version}`, newsScorer },
    note: `x ${ds.featureNames.length} features`,
  };
}

/** A progress reporter that only passes the dataset step's notes on (an export draws no progress bar). */
function notesOnly(log: (s: string) => void): Progress {
  return { start: () => () => {}, tick: () => {}, note: log, timings: new Map() };
}

/**
 * The segments a feature export builds its rows with: every session from `from` to `to` in the first, the other
 * two after `to` (no rows; an export writes no segment or label).
 */
function exportSegments(from: IsoDate, to: IsoDate, purge: number): SegmentSpec {
  const v = nextSession(to), t = nextSession(v);
  return { train: [from, to], valid: [v, v], test: [t, t], purge, embargo: 0 };
}

/** The first and last date of the rows of `t` the store holds for `symbols` (all when absent); null: none. */
async function storedDates(
  stores: Stores,
  t: TableSchema,
  symbols: string[] | undefined,
): Promise<[IsoDate, IsoDate] | null> {
  if (!(await stores.tables.hasTable(t.name))) return null;
  const where = whereOf(t, { symbols });
  const [first] = await stores.tables.query(t.name, { where, orderBy: ["date"], limit: 1 });
  if (!first) return null;
  const [last] = await stores.tables.query(t.name, { where, orderBy: ["-date"], limit: 1 });
  return [String(first.date), String(last.date)];
}

/**
 * Checks that the store holds a row of `t` for the filter (`--symbols`, `--from`/`--to`), for the file of `kind`
 * (the feature table is read from `bars`): none is a `ConfigError` naming the kind and the store (`store`, where
 * it was named, e.g. `--store-dir DIR`), and for a range the dates the store holds (an empty file would replace
 * the last export's, with exit 0), as the feature table refuses; a range reaching a session or more past them is
 * said in a one-line note (its file holds what the store has).
 */
async function checkRowsHeld(
  stores: Stores,
  t: TableSchema,
  kind: ExportKind,
  filter: ExportFilter,
  log: (s: string) => void,
  store?: string,
): Promise<void> {
  const of = filter.symbols ? ` for ${filter.symbols.join(",")}` : "";
  const theStore = `the store${store ? ` (${store})` : ""}`;
  const held = await storedDates(stores, t, filter.symbols);
  if (!filter.from && !filter.to) {
    if (!held) throw new ConfigError(`no stored ${t.name}${of} in ${theStore}: nothing to export as ${kind}`);
    return;
  }
  const asked = [filter.from && `--from ${filter.from}`, filter.to && `--to ${filter.to}`].filter(Boolean)
    .join(" ");
  const rows = held ? await stores.tables.count(t.name, whereOf(t, filter)) : 0;
  if (rows === 0) {
    throw new ConfigError(
      `no stored ${t.name}${of} in the range asked (${asked}; ${theStore} holds ${
        held ? `them from ${held[0]} to ${held[1]}` : "none"
      })`,
    );
  }
  const past = rangePastData(filter, held!);
  if (past.before || past.after) {
    log(
      `${kind}: ${asked} reaches past the stored ${t.name}${of} (${held![0]}..${
        held![1]
      }): the file holds those dates only`,
    );
  }
}

/**
 * Refuses symbols the store holds no row of in any of `tables` (a mistyped symbol would give an empty file
 * with exit 0): a `ConfigError` naming them.
 */
async function checkSymbolsHeld(stores: Stores, tables: readonly TableSchema[], symbols: readonly string[]) {
  const missing: string[] = [];
  // the tables the store holds, asked once (one it never held holds no symbol)
  const held: TableSchema[] = [];
  for (const t of tables) if (await stores.tables.hasTable(t.name)) held.push(t);
  for (const s of symbols) {
    let n = 0;
    for (const t of held) {
      n += await stores.tables.count(t.name, { symbol: s });
      if (n) break;
    }
    if (!n) missing.push(s);
  }
  if (missing.length) {
    throw new ConfigError(
      `--symbols: the store holds no ${missing.join(",")} (in ${tables.map((t) => t.name).join(", ")})`,
    );
  }
}

/** A store table read back from an export folder, checked against its manifest entry. */
export interface ParquetTable {
  table: TableSchema;
  rows: Row[];
  sha256: string;
}

/**
 * Reads every store table of a Parquet export folder (the manifest's Parquet entries of store tables, or,
 * without a manifest, each `<table>.parquet`), checking row counts and checksums against the manifest before
 * anything is returned; a folder an export was killed in while renaming its files (no `manifest.json`, a
 * `manifest.json.partial`) is refused. `skipped` names what is not read (the feature table, CSV files, a
 * `<table>.parquet` the manifest does not list: a version 1 manifest dropped it when the kind was exported again
 * as CSV) and why.
 */
export async function readParquetTables(dir: string): Promise<{ tables: ParquetTable[]; skipped: string[] }> {
  try {
    if (!(await Deno.stat(dir)).isDirectory) throw new ConfigError(`${dir} is not a folder`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new ConfigError(`no export folder ${dir}`);
    throw e;
  }
  // an export killed while renaming its files into place: they may be of two runs, none checkable
  if (
    !(await Deno.stat(`${dir}/${MANIFEST}`).then(() => true, () => false)) &&
    await Deno.stat(`${dir}/${PARTIAL}`).then(() => true, () => false)
  ) {
    throw new DataValidationError(
      `no ${MANIFEST} (${PARTIAL} left: an export into it stopped while replacing its files): run the export again`,
      { where: dir },
    );
  }
  const m = await readManifest(dir);
  const byName = new Map(ALL_SCHEMAS.map((t) => [t.name, t]));
  const skipped: string[] = [];
  const files: { table: TableSchema; file: string; entry?: ManifestEntry }[] = [];
  const unlisted: string[] = [];
  if (Object.keys(m.files).length) {
    for (const e of Object.values(m.files)) {
      const t = e.table ? byName.get(e.table) : undefined;
      if (!t) skipped.push(`${e.file} (not a store table)`);
      else if (e.format !== "parquet") {
        skipped.push(`${e.file} (${e.format} is written for other tools, not read back)`);
      } else files.push({ table: t, file: e.file, entry: e });
    }
    // a store table's Parquet file the manifest does not list cannot be checked: said, not read
    for await (const f of Deno.readDir(dir)) {
      if (
        f.isFile && byName.has(f.name.replace(/\.parquet$/, "")) && f.name.endsWith(".parquet") &&
        !m.files[f.name]
      ) {
        unlisted.push(f.name);
        skipped.push(`${f.name} (not listed in ${MANIFEST}, so not checked: export it again)`);
      }
    }
  } else {
    for await (const f of Deno.readDir(dir)) {
      const t = byName.get(f.name.replace(/\.parquet$/, ""));
      if (f.isFile && f.name.endsWith(".parquet")) {
        if (t) files.push({ table: t, file: f.name });
        else skipped.push(`${f.name} (not a store table)`);
      }
    }
  }
  if (files.length === 0) {
    throw new ConfigError(
      `${dir} holds no Parquet file of a store table${
        unlisted.length
          ? ` listed in its ${MANIFEST} (${unlisted.sort().join(", ")} not listed: export again)`
          : ""
      }`,
    );
  }
  const tables: ParquetTable[] = [];
  for (const { table, file, entry } of files.sort((a, b) => a.file.localeCompare(b.file))) {
    const where = `${dir}/${file}`;
    let df: pl.DataFrame;
    try {
      df = frameFromParquet(await Deno.readFile(where));
    } catch (e) {
      throw new DataValidationError(`cannot read Parquet: ${(e as Error).message.split("\n")[0]}`, {
        where,
        cause: e,
      });
    }
    let rows: Row[];
    try {
      rows = frameToRows(table, df);
    } catch (e) {
      throw new DataValidationError((e as Error).message, { where, cause: e });
    }
    const sha256 = rowsChecksum(table, rows);
    if (entry && (entry.rows !== rows.length || entry.sha256 !== sha256)) {
      throw new DataValidationError(
        `does not match ${MANIFEST} (${rows.length} rows, checksum ${
          sha256.slice(0, 12)
        }; manifest: ${entry.rows} rows, ${entry.sha256.slice(0, 12)})`,
        { where },
      );
    }
    tables.push({ table, rows, sha256 });
  }
  return { tables, skipped };
}

/** Upserts tables read from an export folder into a store (in batches of 50k rows); returns rows per table. */
export async function importTables(
  to: Stores,
  tables: readonly ParquetTable[],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { table, rows } of tables) {
    await to.tables.ensureTable(table);
    for (let i = 0; i < rows.length; i += 50_000) {
      await to.tables.upsert(table.name, rows.slice(i, i + 50_000));
    }
    out[table.name] = rows.length;
  }
  return out;
}

/**
 * A `--from`/`--to` value: a calendar date as every date flag takes it ({@link isoDateOf}), from year 1000 on:
 * the stores' date columns hold no earlier date, and refuse a query by one (an internal error).
 */
function flagDate(flag: string, v: string): IsoDate {
  isoDateOf(v, flag);
  if (v < "1000") {
    throw new ConfigError(
      `${flag}: expected a date YYYY-MM-DD from year 1000 on (the stores hold no earlier one), got ${
        shown(v)
      }`,
    );
  }
  return v;
}

/** Parsed and checked flags of `deno task export`. */
export interface ExportArgs {
  what: ExportKind[];
  format: FrameFormat;
  out: string;
  backends: BackendName[];
  /** `--store-dir`, when given (else the store is the config's `dataDir`: see {@link exportStoreDir}). */
  storeDir?: string;
  filter: ExportFilter;
  config?: string;
  /** The `--symbols` spelled in another case, `spy is SPY` (the run says so, as collect and the pipeline do). */
  upperCased?: string[];
}

/** `deno task export --help`; its first line is also the error when a required flag is missing. */
export const EXPORT_USAGE =
  `usage: deno task export --what bars|features|signals|predictions[,...] --out DIR [--format parquet|csv]
                        [--symbols A,B,...] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--config FILE]
                        [--store-dir DIR] [--stores embedded | mysql,mongodb,s3]   (or FMAI_STORES)
  Writes the chosen tables from the stores to DIR, one file each (--format: parquet when not given, or csv),
  and DIR/manifest.json (rows, columns, known_at range, filter and a SHA-256 of the rows per file). A refused
  export, or one killed while writing its files, leaves the previous files and manifest; one killed while
  renaming them into place leaves no manifest.json (store:copy refuses the folder): run it again. The store is
  --store-dir when given, else the dataDir of --config (default ./data); it must exist (it is never created)
  and hold every symbol of --symbols, and a row of each kind asked (in --from..--to when given).`;

/** Parses and checks the flags (a `ConfigError` with a one-line message before any work). */
export function parseExportArgs(argv: string[]): ExportArgs {
  const { values: v } = asConfigError(() =>
    parseArgsOnce({
      args: argv,
      strict: true,
      options: {
        what: { type: "string" },
        format: { type: "string", default: "parquet" },
        out: { type: "string" },
        stores: { type: "string" },
        "store-dir": { type: "string" },
        symbols: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        config: { type: "string" },
      },
    })
  );
  if (!v.what || !v.out) throw new ConfigError(EXPORT_USAGE.split("\n")[0]);
  const what = v.what.split(",").map((s) => s.trim()).filter(Boolean);
  if (!what.length) {
    throw new ConfigError(`--what: no kind named in ${JSON.stringify(v.what)} (${EXPORT_KINDS.join(", ")})`);
  }
  for (const w of what) {
    if (!(EXPORT_KINDS as readonly string[]).includes(w)) {
      throw new ConfigError(`--what: unknown ${JSON.stringify(w)} (${EXPORT_KINDS.join(", ")})`);
    }
  }
  const twice = givenTwice(what, v.what);
  if (twice) throw new ConfigError(`--what: ${twice}`);
  if (!(FRAME_FORMATS as readonly string[]).includes(v.format!)) {
    throw new ConfigError(`--format: unknown ${JSON.stringify(v.format)} (${FRAME_FORMATS.join(", ")})`);
  }
  for (const k of ["from", "to"] as const) if (v[k] !== undefined) flagDate(`--${k}`, v[k]!);
  if (v.from && v.to && v.from > v.to) throw new ConfigError(`--from ${v.from} is after --to ${v.to}`);
  const given = v.symbols === undefined ? undefined : parseSymbolList(v.symbols, "--symbols");
  // symbols are upper case in the stores (as collected)
  const normalized = given && normalizeSymbols(given, "--symbols", ConfigError);
  const symbols = normalized?.symbols;
  return {
    what: what as ExportKind[],
    format: v.format as FrameFormat,
    out: v.out,
    backends: chosenBackends(v.stores, Deno.env.get("FMAI_STORES")),
    ...(v["store-dir"] !== undefined ? { storeDir: v["store-dir"] } : {}),
    filter: {
      ...(symbols ? { symbols } : {}),
      ...(v.from ? { from: v.from } : {}),
      ...(v.to ? { to: v.to } : {}),
    },
    // an empty --config is passed on, to be refused as such (not dropped for the default config)
    ...(v.config !== undefined ? { config: v.config } : {}),
    upperCased: normalized?.renamed ?? [],
  };
}

/**
 * The embedded store's folder an export reads, and where it came from for messages: `--store-dir` when given,
 * else the `dataDir` of `--config FILE` (or of `config/default.yaml`), as `models` and `serve` resolve it. A
 * bad config file is a `ConfigError` here, before any store is looked at.
 */
export async function exportStoreDir(
  a: Pick<ExportArgs, "storeDir" | "config">,
): Promise<{ dir: string; from: string }> {
  // the store-reading CLIs' one resolution of --store-dir over the config's dataDir (notes are said by the run)
  const cfg = await loadFlagsConfig({ config: a.config, "store-dir": a.storeDir }, () => {});
  return {
    dir: cfg.dataDir,
    from: a.storeDir !== undefined
      ? "--store-dir"
      : `${a.config !== undefined ? `--config ${a.config}` : "config/default.yaml"}: dataDir`,
  };
}

/**
 * The store parts an export reads (`checkStoreExists`): tables, and the news documents the feature table
 * scores.
 */
function exportReads(a: Pick<ExportArgs, "what">): StorePart[] {
  return a.what.includes("features") ? ["tables", "documents"] : ["tables"];
}

/**
 * Runs an export; returns the manifest entries written. Everything is checked and read before the first file
 * is written (the `--out` folder, the config file, every `--symbols` held by the store, a stored row of each kind
 * asked, the rows of each file and the feature table): a refused export leaves the folder as it was. `store` says
 * which store `stores` is in messages (e.g. `--store-dir DIR`).
 */
export async function runExport(
  a: ExportArgs,
  stores: Stores,
  log: (s: string) => void = () => {},
  store?: string,
) {
  await checkWritableDir(a.out, "--out");
  await baseManifest(a.out); // a folder holding an unreadable manifest is refused before any work
  const cfg = a.what.includes("features") || a.config !== undefined
    ? await loadConfig({ file: a.config })
    : undefined;
  const byName = new Map(ALL_SCHEMAS.map((t) => [t.name, t]));
  const tables = a.what.filter((w) => w !== "features").map((w) => byName.get(w)!);
  if (a.filter.symbols) {
    const read = a.what.includes("features") && !tables.includes(BARS) ? [...tables, BARS] : tables;
    await checkSymbolsHeld(stores, read, a.filter.symbols);
  }
  // a kind with no stored row for the filter (in the range, when one is asked) is refused before any is read:
  // its file would be empty, written over the last export's with exit 0 (the feature table refuses it alike)
  for (const w of a.what) {
    await checkRowsHeld(stores, w === "features" ? BARS : byName.get(w)!, w, a.filter, log, store);
  }
  const prepared = await prepareTables(stores, tables, a.filter);
  if (a.what.includes("features")) prepared.push(await prepareFeatures(stores, cfg!, a.filter, log));
  return await writePrepared(a.out, prepared, a.format, log);
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(EXPORT_USAGE);
    return 0;
  }
  try {
    const a = parseExportArgs(argv);
    if (a.upperCased?.length) console.log(`symbols: ${a.upperCased.join(", ")} (upper-cased)`);
    const { dir, from } = await exportStoreDir(a);
    const storeCfg = await storeConfigFor(dir, a.backends);
    await checkStoreExists(storeCfg, exportReads(a), from);
    if (embeddedParts(storeCfg).length) {
      checkOutsideStore(a.out, `--out ${a.out}`, dir, `${from} ${dir}`);
    }
    const stores = await openStores(existingOnly(storeCfg));
    try {
      const named = storeCfg.tables.kind === "mysql"
        ? `MySQL database ${storeCfg.tables.database}`
        : `${from} ${dir}`;
      await runExport(a, stores, (s) => console.log(s), named);
    } finally {
      await stores.close();
    }
    return 0;
  } catch (e) {
    return reportCliError(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
