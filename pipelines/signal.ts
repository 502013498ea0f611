/**
 * The daily production run (`deno task signal [--as-of YYYY-MM-DD]`): incremental collect, the fitted system
 * that may serve the as-of date (the champion, or a refit when the retrain schedule says so), next-session
 * signals from data known at the as-of close with provenance, feature drift and data freshness, the paper
 * scorecard of earlier signals, an HTML report and a summary table.
 *
 * Issued signals are never overwritten: re-running an issued as-of date changes nothing (the version that issued
 * it is reloaded; nothing is fitted, no alias moves; `--refit` adds a new version's rows beside it). A run is
 * visible (to the API) once its `signal_runs` row is written, which happens last. The champion issues the day's
 * signals; a challenger (a refit not yet promoted) issues beside it as a shadow run (source
 * {@link SHADOW_SIGNAL_SOURCE}), so both are paper-scored on the same sessions. The refit schedule counts from the
 * newest fit and waits while a challenger is undecided. A replay (an as-of date before a date already issued, a
 * backfill, or before the champion's cut-off) is decided as it was then and moves no alias: the version that
 * issued the nearest earlier date issues it (and the versions in that date's shadow run beside it), or a refit on
 * the data up to it when none did or the schedule says so.
 * @module
 */
import {
  type Bar,
  canonicalJson,
  closeTime,
  ConfigError,
  type CorporateAction,
  type ExpertContribution,
  fewOf,
  hashValue,
  type Instant,
  isCalendarDate,
  type IsoDate,
  isSession,
  ModelError,
  type NewsItem,
  nextSession,
  oneLine,
  prevSession,
  publicationDelay,
  sessionOnOrBefore,
  sessions,
  sha256Hex,
  SHADOW_SIGNAL_SOURCE,
  shown,
  type Signal,
} from "@lib/core/mod.ts";
import {
  barsToSeriesMap,
  labelPrices,
  oneSessionReturn,
  rowsBetween,
  rowsOnDate,
  type SegmentSpec,
  type SymbolSeries,
  toSeries,
} from "@lib/dataset/mod.ts";
import {
  DEFAULT_FEATURE_SET,
  driftBaseline,
  type DriftReference,
  driftReference,
  type FeatureSet,
  featureSetHash,
  featureSetId,
  featureWarmup,
  psi,
} from "@lib/features/mod.ts";
import {
  type AliasState,
  aliasState,
  aliasTarget,
  type DataSnapshotEntry,
  type Lineage,
  listVersions,
  loadVersion,
  promoteVersion,
  registerVersion,
  scoreNews,
  setAlias,
  spearman,
  type VersionManifest,
} from "@lib/models/mod.ts";
import {
  MIN_IC_NAMES,
  scorecardRowTotals,
  type ScorecardTotals,
  scorecardTotals,
  scoreDay,
  storedDayScore,
} from "@lib/backtest/mod.ts";
import { type BrakeState, brakeState } from "@lib/signals/mod.ts";
import {
  checkUniverseSize,
  fitSystem,
  type FittedSystem,
  loadSystem,
  sizingRule,
  SYSTEM_FORMAT_VERSION,
  systemDataset,
  type SystemSpec,
} from "@lib/workflow/mod.ts";
import { fixed, renderHtml, type Report, type Table, textTable } from "@lib/report/mod.ts";
import { type MarketSource, SYNTHETIC_START } from "@lib/sources/mod.ts";
import {
  memberToRow,
  openStores,
  reportKey,
  rowToAction,
  rowToBar,
  rowToSignal,
  signalToRow,
  type Stores,
} from "@lib/store/mod.ts";
import {
  ensureTables,
  NEWS_COLLECTION,
  resolveMarketSymbols,
  runCollect,
  type SummaryRow,
} from "./collect/mod.ts";
import { type Config, retrainWindow, specFromConfig } from "./config.ts";
import { createProgress, type Progress } from "./progress.ts";
import { sourceFromConfig, specForSource, syntheticMarketThrough } from "./source.ts";
import { leftOutNote, membersOn, runUniverse } from "./steps/collect.ts";
import {
  marketFromBars,
  marketId,
  marketNote,
  marketSymbols,
  OWN_MARKET_NOTE,
  ownMarketContext,
} from "./steps/market.ts";
import {
  checkSessionCoverage,
  datasetFrom,
  MIN_SEGMENT_SESSIONS,
  MIN_TRAIN_SESSIONS,
  newsAbout,
  PIPELINE_FEATURE_SET,
  scoredNewsNote,
} from "./steps/dataset.ts";
import { newsScorerFor } from "./lm.ts";
import { type BackendName, lockWaitText, storeConfigFor } from "./stores.ts";
import { checkReportPath } from "./_cli_error.ts";
import { writeFileAtomic } from "./_atomic.ts";

/** The source name the production signals carry. */
export const SIGNAL_SOURCE = "moe";
/** Exit code of a run whose health checks failed (signals are stored; the alarm fires). */
export const HEALTH_FAIL_EXIT = 3;
const DRIFT_FILE = "drift_reference.json";

/** Options of one run. */
export interface SignalOptions {
  /** Decision session (default: the last completed session in the stores). */
  asOf?: IsoDate;
  /** Refit even when the schedule does not say so. */
  refit?: boolean;
  /**
   * Refit, said in a note, where the system that would serve the run cannot (saved in another format, fitted on
   * another news scorer's sentiment, market context or market-wide news) instead of refusing: the demo's choice
   * (a demo run after installing the language model, in a store whose champion was fitted on the lexicon).
   * `deno task signal` refuses and names `--refit`.
   */
  refitWhenCannotServe?: boolean;
  /** Skip the incremental collect (the stores are filled by other jobs). */
  noCollect?: boolean;
  source?: MarketSource;
  /** Stores to use (not closed by the run). */
  stores?: Stores;
  backends?: BackendName[];
  reportPath?: string;
  quiet?: boolean;
  /** Where steps and notes go (default: the terminal, nothing when `quiet`). */
  progress?: Progress;
  /** Clock (epoch ms; default `Date.now`): issue times and "now" for the collect. */
  now?: () => number;
  /** Git commit of the code (default read from `git`; `FMAI_GIT_SHA` in bundles). */
  git?: { sha: string; dirty: boolean };
  /**
   * The error for a bad as-of date, given what is wrong with it (default: a `ConfigError` naming `--as-of`);
   * the signal Lambda names its `detail.asOf` field instead.
   */
  asOfError?: (problem: string) => Error;
  /** What to do about a store without the universe's bars (default: the CLI's `deno task demo` or `collect`). */
  noBarsHint?: string;
}

/**
 * One health check of the run: `psi` (a feature's drift), `freshness` (sessions a symbol's last bar lags), `listing`
 * (a symbol with no stored bar by the as-of close, not listed yet: value 0, status warn, no fail threshold).
 */
export interface CheckResult {
  kind: "psi" | "freshness" | "listing";
  name: string;
  value: number;
  warn: number;
  fail: number;
  status: "ok" | "warn" | "fail";
}

/**
 * The daily collect in one line: the new rows; the symbols the source had no bar for in the range asked (the
 * source's `empty date range`: not listed yet, or stale; the listing and freshness checks say which), by name;
 * and the other failures with their reasons.
 */
export function collectNote(rows: readonly SummaryRow[]): string {
  const failed = rows.filter((r) => !r.ok);
  const empty = failed.filter((r) => /^empty date range/.test(r.error ?? ""));
  const other = failed.filter((r) => !empty.includes(r));
  return `${rows.reduce((a, r) => a + r.inserted, 0)} new rows` +
    (empty.length
      ? `; no bars in the range for ${fewOf(empty.map((r) => r.symbol), 5)} (not listed yet or stale: see ` +
        `the listing and freshness checks)`
      : "") +
    (other.length
      ? `; ${other.length} failed (${
        fewOf(other.map((r) => `${r.symbol}: ${oneLine(r.error ?? "")}`), 3, "; ")
      })`
      : "");
}

/** What a run scored, e.g. `1 session scored` or `2 runs scored on 1 session` (an issued run and a shadow one). */
export function scoredText(s: { runs: number; sessions: number }): string {
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? "" : "s"}`;
  return s.runs === s.sessions
    ? `${n(s.sessions, "session")} scored`
    : `${n(s.runs, "run")} scored on ${n(s.sessions, "session")}`;
}

/**
 * The failed checks in a few words, for the one error line of a run that failed: stale symbols first (stale data
 * fails a run on its own, drift only past `failShare`), then the drifted features, each by name, the first `n`
 * and how many more, e.g. `freshness DHR, psi adx_14, psi rsi_14 and 18 more`.
 */
export function failedChecksText(checks: readonly CheckResult[], n: number): string {
  const order = (c: CheckResult) => (c.kind === "freshness" ? 0 : 1);
  const failed = checks.filter((c) => c.status === "fail")
    .sort((a, b) => order(a) - order(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return fewOf(failed.map((c) => `${c.kind} ${c.name}`), n);
}

/** A challenger's shadow run beside the issued signals. */
export interface ShadowRun {
  version: string;
  signals: Signal[];
  /** Signals written now (0 on a re-run). */
  written: number;
}

/** What a run did. */
export interface SignalSummary {
  asOf: IsoDate;
  forSession: IsoDate;
  modelVersion: string;
  /** `loaded` (registry), `refit` (fitted now and registered). */
  model: "loaded" | "refit";
  promoted: boolean;
  /** Why the champion stayed or moved. */
  promotion: string;
  signals: Signal[];
  /** Signals written now (0 on an idempotent re-run). */
  written: number;
  /** Set when signals were already issued for this date and version and the recomputation differs. */
  differs: string[];
  /** The challenger's shadow signals for the same date (scored, not served by default). */
  shadow: ShadowRun[];
  /** The health checks as recorded when the date was first issued (a re-run keeps them). */
  checks: CheckResult[];
  /** The run's health as recorded at issue; the exit code follows it. */
  status: "ok" | "warn" | "fail";
  /** Sessions whose runs this run scored (a date's issued and shadow runs count once). */
  scoredDays: number;
  /**
   * The paper scorecard of the version that issued this date, over the dates it issued whose exit is known by
   * the as-of date (its book's compounded return beside equal weight, Sharpe, drawdown, hit rate, IC).
   */
  paper: ScorecardTotals;
  /**
   * With a drawdown brake: its state after the paper account (the issued books' settled returns) as the date's
   * signals were sized (a re-run of an issued date: the state stored with them); else null.
   */
  brake: BrakeState | null;
  reportPath: string;
  table: string;
  exitCode: number;
  timings: Map<string, number>;
}

/**
 * The commit a deploy without a checkout names: `FMAI_GIT_SHA` (7 to 40 hex digits, as `git rev-parse HEAD`
 * prints, or `unknown`, `serverless.yml`'s default) and `FMAI_GIT_DIRTY` (`1`: the build had changes; `0` or
 * unset: none). Null when `FMAI_GIT_SHA` is unset or empty (the checkout is asked). Anything else is a one-line
 * `ConfigError` naming the variable: the value goes into every model's lineage as it is.
 */
export function gitFromEnv(env: Record<string, string | undefined>): { sha: string; dirty: boolean } | null {
  const sha = env.FMAI_GIT_SHA, dirty = env.FMAI_GIT_DIRTY;
  if (dirty !== undefined && dirty !== "" && dirty !== "0" && dirty !== "1") {
    throw new ConfigError(`FMAI_GIT_DIRTY must be 1 (the build had changes) or 0, got ${shown(dirty)}`);
  }
  if (!sha) {
    if (dirty) {
      throw new ConfigError(
        "FMAI_GIT_DIRTY is set but FMAI_GIT_SHA is not, so the checkout is asked and FMAI_GIT_DIRTY would be " +
          "ignored: set FMAI_GIT_SHA or unset FMAI_GIT_DIRTY",
      );
    }
    return null;
  }
  if (sha !== "unknown" && !/^[0-9a-fA-F]{7,40}$/.test(sha)) {
    throw new ConfigError(
      `FMAI_GIT_SHA: expected a commit (7 to 40 hex digits, as git rev-parse HEAD prints) or unknown, got ${
        shown(sha)
      }`,
    );
  }
  return { sha, dirty: dirty === "1" };
}

/**
 * The git commit of this checkout and whether it has changes (`unknown` outside a repository), or what
 * `FMAI_GIT_SHA` and `FMAI_GIT_DIRTY` name ({@link gitFromEnv}).
 */
export async function gitState(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<{ sha: string; dirty: boolean }> {
  const named = gitFromEnv(env);
  if (named) return named;
  try {
    const run = async (args: string[]) => {
      const o = await new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).output();
      if (!o.success) throw new Error("git failed");
      return new TextDecoder().decode(o.stdout).trim();
    };
    const sha = await run(["rev-parse", "HEAD"]);
    const dirty = (await run(["status", "--porcelain", "--untracked-files=no"])).length > 0;
    return { sha, dirty };
  } catch {
    return { sha: "unknown", dirty: false };
  }
}

/** Last stored session of `symbols` (null when none). */
async function lastStoredSession(stores: Stores, symbols: string[]): Promise<IsoDate | null> {
  const rows = await stores.tables.query("bars", {
    where: { symbol: symbols },
    orderBy: ["-date"],
    limit: 1,
  });
  return rows.length ? String(rows[0].date) : null;
}

/** A symbol's stored bars public by the close of `asOf` (a VIX bar of `asOf` itself is not: it prints at 16:15). */
async function loadBars(stores: Stores, symbol: string, asOf: IsoDate): Promise<Bar[]> {
  const cut = closeTime(asOf);
  return (await stores.tables.query("bars", { where: { symbol, date: { lte: asOf } }, orderBy: ["date"] }))
    .map(rowToBar).filter((b) => b.knownAt <= cut);
}

/** Bars up to the as-of close, per symbol (a symbol with no bar by then is left out). */
/**
 * The market-wide news files a registered version's `mkt_news_*` features were built from (its spec's
 * `dataset.marketNews`), as the text a message shows: `none` for a version fitted without them.
 */
function marketNewsOf(v: VersionManifest): string {
  const spec = v.lineage.spec as Partial<SystemSpec> | undefined;
  return marketNewsText(spec?.dataset?.marketNews);
}

/** What a run and the version serving it must share (see {@link cannotServeWith}). */
export interface ServingFit {
  /** The news scorer's id (`undefined`: not recorded, so anything goes). */
  newsScorer: string | undefined;
  /** The market context (`universe` or the source's series). */
  market: string;
  /** The market-wide news files (`none` without). */
  marketNews: string;
}

/** What a registered version was fitted on (versions registered before a field was recorded: its default). */
export function servingFitOf(v: VersionManifest): ServingFit {
  return {
    newsScorer: v.lineage.newsScorer,
    market: v.lineage.market ?? "universe",
    marketNews: marketNewsOf(v),
  };
}

/**
 * Why version `v` cannot serve a run fitted for `ctx` (undefined when it can): its system is in a format this
 * build does not load (format 2's gate read the VIX of the decision day), or it was fitted on another scorer's
 * sentiment, another market context or other market-wide news. `whose` names the other side in the message.
 */
export function cannotServeWith(
  v: VersionManifest | undefined,
  ctx: ServingFit,
  whose = "this run's",
): string | undefined {
  if (v === undefined) return undefined;
  const fit = servingFitOf(v), format = v.lineage.artifactFormat ?? 2;
  return format !== SYSTEM_FORMAT_VERSION
    ? `was saved in system format ${format}, this build loads format ${SYSTEM_FORMAT_VERSION}`
    : fit.newsScorer !== undefined && ctx.newsScorer !== undefined && fit.newsScorer !== ctx.newsScorer
    ? `was fitted on news scored by ${fit.newsScorer}, ` +
      (whose === "this run's" ? `this run scores with ${ctx.newsScorer}` : `${whose} by ${ctx.newsScorer}`)
    : fit.market !== ctx.market
    ? `was fitted on market context ${fit.market}, ${whose} is ${ctx.market}`
    : fit.marketNews !== ctx.marketNews
    ? `was fitted on market-wide news (the mkt_news_* features) from ${fit.marketNews}, ${whose} is ` +
      `${ctx.marketNews} (the news files without a symbol column in source.newsFiles)`
    : undefined;
}

function marketNewsText(files: readonly string[] | undefined): string {
  return files?.length ? [...files].sort().join(", ") : "none";
}

async function loadHistory(stores: Stores, symbols: string[], asOf: IsoDate, marketFiles: readonly string[]) {
  const cut = closeTime(asOf);
  const series = new Map<string, SymbolSeries>();
  const snapshot: DataSnapshotEntry[] = [];
  for (const symbol of symbols) {
    const bars = await loadBars(stores, symbol, asOf);
    if (!bars.length) continue;
    series.set(symbol, toSeries(bars));
    const last = bars[bars.length - 1];
    snapshot.push({ symbol, lastKnownAt: last.knownAt, lastDate: last.date, rows: bars.length });
  }
  const first = [...series.values()].reduce((a, s) => (s.dates[0] < a ? s.dates[0] : a), asOf);
  const docs = await stores.documents.find(NEWS_COLLECTION, {
    from: closeTime(first) - 7 * 86_400_000,
    to: cut,
  });
  const set = new Set(series.keys());
  const news = newsAbout(docs as unknown as NewsItem[], set, marketFiles);
  const actions = (await stores.tables.query("corporate_actions", {
    where: { symbol: [...set], date: { lte: asOf } },
  })).map(rowToAction).filter((a) => a.knownAt <= cut);
  return { series, snapshot, news, actions };
}

/** The session calendar of the loaded series. */
function calendarOf(series: Map<string, SymbolSeries>): IsoDate[] {
  return [...new Set([...series.values()].flatMap((s) => s.dates))].sort();
}

/** Feature set of a fitted system (the default set restricted to its features, its version). */
function featureSetOf(names: readonly string[], version: string): FeatureSet {
  const keep = new Set(names);
  return {
    ...DEFAULT_FEATURE_SET,
    version,
    features: DEFAULT_FEATURE_SET.features.filter((f) => keep.has(f.name)),
  };
}

/**
 * Production segments at `asOf` over the sessions `cal` (ending at `asOf`): the window (expanding or the last N),
 * split into train and calibration (its last `calibrationFrac`), purged before a one-session test = `asOf`.
 * Refused (a `ConfigError` saying how many sessions a fit needs) when the train part keeps fewer than
 * {@linkcode MIN_TRAIN_SESSIONS} sessions after the feature warm-up (the first `warmup` sessions of `cal`).
 */
export function productionSegments(
  cal: readonly IsoDate[],
  asOf: IsoDate,
  window: ReturnType<typeof retrainWindow>,
  calibrationFrac: number,
  spec: SystemSpec,
  warmup: number = featureWarmup(PIPELINE_FEATURE_SET),
): SegmentSpec {
  const end = cal.indexOf(asOf);
  if (end < 0) throw new ConfigError(`no stored session ${asOf}`);
  const purge = spec.dataset.purge, embargo = spec.dataset.embargo;
  /** The window's parts when `e` is the as-of session's index. */
  const parts = (e: number) => {
    const start = window.mode === "rolling" ? Math.max(0, e - window.sessions + 1) : 0;
    const lastLabeled = e - purge - 1; // the validation segment ends purge sessions before the test
    const n = lastLabeled - start + 1;
    const nCal = Math.max(MIN_SEGMENT_SESSIONS, Math.round(n * calibrationFrac));
    const trainEnd = lastLabeled - nCal - purge - embargo;
    return { start, lastLabeled, trainEnd, usable: trainEnd - Math.max(start, warmup) + 1 };
  };
  const { start, lastLabeled, trainEnd, usable } = parts(end);
  if (usable < MIN_TRAIN_SESSIONS) {
    const left =
      `${end + 1} stored sessions up to ${asOf} leave ${Math.max(0, usable)} to train on after the ` +
      `${warmup}-session feature warm-up, the calibration share and the purge (need ${MIN_TRAIN_SESSIONS})`;
    // more history helps until the window no longer starts in the warm-up; past that only a wider window does
    let need = end + 1;
    const enough = end + warmup + (window.mode === "rolling" ? window.sessions : 0) + 100;
    while (parts(need - 1).usable < MIN_TRAIN_SESSIONS && need <= enough) need++;
    throw new ConfigError(
      need > enough && window.mode === "rolling"
        ? `not enough history to fit: ${left}; production.retrain.window rolling ${window.sessions} is too ` +
          `short at calibrationFrac ${calibrationFrac}: widen it`
        : `not enough history to fit: ${left}; collect earlier data (about ${need} sessions)`,
    );
  }
  return {
    train: [cal[start], cal[trainEnd]],
    valid: [cal[trainEnd + purge + embargo + 1], cal[lastLabeled]],
    test: [asOf, asOf],
    purge,
    embargo,
  };
}

/**
 * The registered version that may serve `asOf` in a run that decides it now (not a replay): the champion when its
 * data ends by then, else (no champion) the version with the newest data cut-off by then.
 */
function servingVersion(
  versions: VersionManifest[],
  champion: string | undefined,
  asOf: IsoDate,
): VersionManifest | null {
  const c = versions.find((v) => v.version === champion);
  if (c && c.lineage.asOf <= asOf) return c;
  return newestFit(versions, asOf);
}

/** The session whose open ends the traded return of a signal decided on `date` (entry at the next open). */
function exitSession(date: IsoDate): IsoDate {
  return nextSession(nextSession(date));
}

/** The version fitted on the newest data ending by `asOf` (a challenger is a fit too), or null. */
export function newestFit(versions: VersionManifest[], asOf?: IsoDate): VersionManifest | null {
  return versions.filter((v) => asOf === undefined || v.lineage.asOf <= asOf)
    .reduce<VersionManifest | null>((a, v) => (!a || v.lineage.asOf >= a.lineage.asOf ? v : a), null);
}

/**
 * The versions the retrain schedule counts for a run that decides: those that have been in the alias chain
 * (champion or challenger, now or before). A version a run registered and stopped before its alias moved, or a
 * replay's, has not.
 */
export function chainFits(versions: VersionManifest[], state: Pick<AliasState, "aliases" | "history">) {
  const aliased = new Set([
    ...Object.values(state.aliases),
    ...state.history.flatMap((h) => h.to === null ? [] : [h.to]),
  ]);
  return versions.filter((v) => aliased.has(v.version));
}

/**
 * The session on whose run a refit falls due: `every` sessions (`production.retrain.every`) after the cut-off
 * `fitAsOf` of the newest fit. One rule for the daily run and for what `models rollback` tells.
 */
export function refitDueOn(fitAsOf: IsoDate, every: number): IsoDate {
  let d = fitAsOf;
  for (let i = 0; i < every; i++) d = nextSession(d);
  return d;
}

/**
 * Refuses (a `ModelError`, before the run collects, scores or fits anything) a champion alias that points at a
 * version the registry does not hold (its folder or manifest deleted by a cleanup or a lifecycle rule, or not
 * copied): the run could neither serve it nor decide a challenger against it. The way out is `models promote`
 * of a registered version: the previous champion when the registry holds it, else the newest.
 */
function checkChampionHeld(
  model: string,
  state: Pick<AliasState, "aliases" | "previousChampions">,
  versions: readonly VersionManifest[],
): void {
  const champion = aliasTarget(state, "champion");
  if (champion === null || versions.some((v) => v.version === champion)) return;
  const held = (v: string | undefined) => versions.find((m) => m.version === v);
  const pick = [...state.previousChampions].reverse().map(held).find(Boolean) ??
    [...versions].sort((a, b) => a.lineage.asOf.localeCompare(b.lineage.asOf)).at(-1);
  throw new ModelError(
    `the ${model} champion alias points at ${champion}, which the registry (the objects store) does not hold ` +
      "(deleted or not copied): " +
      (pick
        ? `make a registered version the champion (deno task models promote ${pick.version}; deno task models ` +
          "list shows them), then run again"
        : `no version of ${model} is registered: remove models/${model}/aliases.json from the objects store, ` +
          "then run again to fit a first one"),
  );
}

/** What decides whether a registered version may serve a run: the run's news scorer, market context and options. */
interface ServingContext {
  model: string;
  newsScorer: string;
  market: string;
  marketNews: string;
  refit: boolean;
  refitWhenCannotServe: boolean;
}

/**
 * Which registered version serves `asOf`, and whether the run is a re-run, a replay or a refit; refuses (a
 * ConfigError) a run whose serving version this build cannot load or that was fitted on another scorer's sentiment,
 * another market context or other market-wide news, unless it refits. It reads only the registry and the recorded
 * runs, so the daily run calls it before collecting (on the session it will decide) as well as after.
 */
async function servingPlan(
  stores: Stores,
  asOf: IsoDate,
  ctx: ServingContext,
  onNote: (note: string) => void = () => {},
  listed?: VersionManifest[],
) {
  const versions = listed ?? await listVersions(stores.objects, ctx.model);
  /** Why a version cannot serve this run (undefined when it can). */
  const cannotServe = (v: VersionManifest | undefined) => cannotServeWith(v, ctx);
  // a re-run of an issued date keeps it; a date before one already issued (a backfill) or before the champion's
  // cut-off is a replay: decided as it was then, from what the runs recorded, moving no alias
  const history = await runHistory(stores, asOf);
  const aliases = await aliasState(stores.objects, ctx.model);
  const before = aliases.aliases;
  const championAtStart = before.champion;
  checkChampionHeld(ctx.model, aliases, versions);
  const championCutOff = versions.find((v) => v.version === championAtStart)?.lineage.asOf;
  /** The version that issued the nearest earlier date (the champion of that time), when it may serve asOf. */
  const servedThen = history.earlier
    ? versions.find((v) => v.version === history.earlier!.version && v.lineage.asOf <= asOf) ?? null
    : null;
  /** Whether asOf is a re-run or a replay, and the version that would serve it, with or without a refit. */
  const servingFor = (refit: boolean) => {
    const rerun = history.own !== null && !refit;
    const replay = !rerun && (history.later || (championCutOff !== undefined && asOf < championCutOff));
    const serving = rerun
      ? versions.find((v) => v.version === history.own) ?? null
      : replay
      ? servedThen
      : servingVersion(versions, before.champion, asOf);
    return { rerun, replay, serving };
  };
  let refit = ctx.refit;
  let { rerun, replay, serving: servingAtStart } = servingFor(refit);
  if (!refit && ctx.refitWhenCannotServe && servingAtStart && cannotServe(servingAtStart)) {
    onNote(
      `${ctx.model}@${servingAtStart.version} ${cannotServe(servingAtStart)}: refitting (deno task signal ` +
        `would refuse and name --refit)`,
    );
    refit = true;
    ({ rerun, replay, serving: servingAtStart } = servingFor(true));
  }
  if (rerun && !servingAtStart) {
    throw new ConfigError(
      `${asOf} was issued by ${ctx.model}@${history.own}, which the registry (the objects store) does not hold: ` +
        `run with the stores that issued it`,
    );
  }
  if (servingAtStart && !refit && cannotServe(servingAtStart)) {
    throw new ConfigError(
      `${ctx.model}@${servingAtStart.version} ${cannotServe(servingAtStart)}: ` +
        ((servingAtStart.lineage.artifactFormat ?? 2) !== SYSTEM_FORMAT_VERSION
          ? ""
          : /^was fitted on news scored by/.test(cannotServe(servingAtStart)!)
          ? "set news.scorer/news.model to match, or "
          : servingFitOf(servingAtStart).market !== ctx.market
          ? "set source.market to match, or "
          : "set source.newsFiles to match, or ") +
        // under retrain.promote never a refit stays the challenger: it takes over only when promoted by hand
        (servingAtStart.version === before.champion && before.challenger &&
            versions.some((v) => v.version === before.challenger) &&
            !cannotServe(versions.find((v) => v.version === before.challenger))
          ? `promote the challenger (deno task models promote ${before.challenger}), or `
          : "") +
        "refit with --refit",
    );
  }
  return {
    versions,
    history,
    before,
    championAtStart,
    championCutOff,
    servedThen,
    refit,
    rerun,
    replay,
    servingAtStart,
    cannotServe,
    // the fits the schedule of a deciding run counts (chainFits)
    chained: chainFits(versions, aliases),
  };
}

/**
 * The paper account the production drawdown brake reads, oldest first: for each date the production run issued
 * before `asOf` whose traded return has settled by then (open of the next session to the open of the one after,
 * `exitSession(d) <= asOf`), the book's return after costs that the scorecard holds for the version answering
 * for that date (the latest issued, as the API answers). A date the scorecard has not scored, or scored before it
 * booked the book (a NULL `book_pnl`), is left out.
 */
async function paperAccount(stores: Stores, asOf: IsoDate): Promise<number[]> {
  const runs = await stores.tables.query("signal_runs", {
    where: { source: SIGNAL_SOURCE, as_of: { lt: asOf } },
  });
  const answering = answeringVersions(runs);
  for (const d of answering.keys()) if (exitSession(d) > asOf) answering.delete(d);
  if (!answering.size) return [];
  const rows = await stores.tables.query("scorecard", {
    where: { source: SIGNAL_SOURCE, date: { lt: asOf } },
    orderBy: ["date"],
  });
  return rows.filter((r) => answering.get(String(r.date)) === String(r.model_version)).map(storedDayScore)
    .flatMap((d) => d.bookPnl === null ? [] : [d.bookPnl]);
}

/**
 * The paper account of one version's own books, oldest first: the scorecard's rows of `version` (issued or in
 * the shadow; the issued one where a date has both) for dates before `asOf` whose traded return has settled by
 * then, with a booked `book_pnl`. A version in the shadow runs its drawdown brake on it, as it would have had it
 * served: the production account would brake a challenger for losses the champion made.
 */
export async function versionAccount(stores: Stores, version: string, asOf: IsoDate): Promise<number[]> {
  const rows = await stores.tables.query("scorecard", {
    where: { model_version: version, date: { lt: asOf } },
    orderBy: ["date"],
  });
  const byDate = new Map<string, number>();
  for (const r of rows) {
    const d = String(r.date), pnl = storedDayScore(r).bookPnl;
    if (exitSession(d) > asOf || pnl === null) continue;
    if (!byDate.has(d) || r.source === SIGNAL_SOURCE) byDate.set(d, pnl);
  }
  return [...byDate.values()];
}

/**
 * How a run sizes every book it issues: the config's portfolio, and with a drawdown brake the paper account the
 * brake reads and the brake's state after it (recorded on each signal).
 */
interface RunSizing {
  portfolio: SystemSpec["portfolio"];
  account?: readonly number[];
  brake: BrakeState | null;
}

/**
 * The run's words on the drawdown brake (after `drawdown brake: `): the paper account's drawdown over its settled
 * sessions and whether the brake is engaged.
 */
function accountText(b: BrakeState): string {
  return b.days === 0
    ? "the paper account has no settled session yet (not engaged)"
    : `the paper account is ${(100 * b.drawdown).toFixed(2)}% below its peak over ${b.days} ` +
      `settled session${b.days === 1 ? "" : "s"}: ${b.braking ? "engaged" : "not engaged"}`;
}

/**
 * The run's words on the VaR limit (as the issued book was sized, stored with its signals): the book's one-day
 * VaR before the cap against the limit, and whether the cap scaled the book down to it.
 */
export function varCapText(c: { var: number; limit: number; alpha: number }): string {
  const pct = (x: number, d: number) => `${(100 * x).toFixed(d)}%`;
  const what = `the book's one-day ${+(100 * (1 - c.alpha)).toFixed(2)}% VaR`;
  return c.var > c.limit
    ? `VaR limit: ${what} was ${pct(c.var, 2)} of capital, over the ${
      pct(c.limit, 2)
    } limit: scaled down to it`
    : `VaR limit: not binding (${what} ${pct(c.var, 2)} of capital, limit ${pct(c.limit, 2)})`;
}

/**
 * The production version answering for each date of `runs` (`signal_runs` rows, any order; other sources are
 * skipped): the latest issued (ties by version), as the API answers, the paper account books and a scored day's
 * turnover starts from.
 */
function answeringVersions(runs: readonly Record<string, unknown>[]): Map<IsoDate, string> {
  const out = new Map<IsoDate, string>();
  const version = (r: Record<string, unknown>) => String(r.model_version);
  const production = runs.filter((r) => r.source === SIGNAL_SOURCE).sort((a, b) =>
    Number(a.issued_at) - Number(b.issued_at) ||
    (version(a) < version(b) ? -1 : version(a) > version(b) ? 1 : 0)
  );
  for (const r of production) out.set(String(r.as_of), String(r.model_version));
  return out;
}

/**
 * What the recorded runs say about `asOf`: the production run that answers for it (the latest issued, as the API
 * answers), the nearest earlier date's production run and the versions that ran in its shadow (the champion and
 * the challenger of that time), and whether a later date has been issued.
 */
async function runHistory(stores: Stores, asOf: IsoDate): Promise<{
  own: string | null;
  earlier: { date: IsoDate; version: string; shadows: string[] } | null;
  later: boolean;
  shadowsOn: (date: IsoDate) => Promise<string[]>;
}> {
  const answering = answeringVersions(
    await stores.tables.query("signal_runs", { where: { source: SIGNAL_SOURCE } }),
  );
  const dates = [...answering.keys()].sort();
  const before = dates.filter((d) => d < asOf).at(-1);
  const shadowsOn = async (date: IsoDate) =>
    (await stores.tables.query("signal_runs", {
      where: { as_of: date, source: SHADOW_SIGNAL_SOURCE },
      orderBy: ["model_version"],
    })).map((r) => String(r.model_version));
  return {
    own: answering.get(asOf) ?? null,
    earlier: before === undefined
      ? null
      : { date: before, version: answering.get(before)!, shadows: await shadowsOn(before) },
    later: dates.some((d) => d > asOf),
    shadowsOn,
  };
}

function featureHashes(ds: { X: Float64Array; featureNames: string[] }, rows: Int32Array): Promise<string[]> {
  const f = ds.featureNames.length;
  return Promise.all(
    Array.from(rows, (r) => sha256Hex(new Uint8Array(ds.X.slice(r * f, (r + 1) * f).buffer))),
  );
}

/**
 * The symbols a run decides on, in the config's order, and their stored bars up to the as-of close: every one with
 * a bar on the as-of date gets a signal.
 */
interface RunSymbols {
  traded: readonly string[];
  series: ReadonlyMap<string, SymbolSeries>;
}

/** `signals` in the order of `symbols` (others after them, by symbol): a first run and a re-run show one order. */
function inSymbolOrder(signals: Signal[], symbols: readonly string[]): Signal[] {
  const at = new Map(symbols.map((s, i) => [s, i]));
  const rank = (s: Signal) => at.get(s.symbol) ?? symbols.length;
  return [...signals].sort((a, b) =>
    rank(a) - rank(b) || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)
  );
}

/**
 * Signals of `asOf` with provenance: the system's own signals (its book's weights) plus each expert's calibrated
 * edge, the combined score, the volatility forecast and the feature hashes of the same rows. A traded symbol with a
 * bar on `asOf` but no feature row (too few bars for the features' warm-up, e.g. listed a few weeks ago) is not
 * tradable: a `hold` of size 0 with the reason in `untradable`, as a symbol the system was not fitted on (no
 * feature hash: it has no feature vector). In the order of `run.traded`.
 */
async function issueSignals(
  system: FittedSystem,
  ds: Awaited<ReturnType<typeof systemDataset>>,
  asOf: IsoDate,
  version: string,
  issuedAt: Instant,
  source: string,
  run: RunSymbols,
  sizing: RunSizing,
): Promise<Signal[]> {
  const { portfolio, account, brake } = sizing;
  const rows = rowsOnDate(ds, asOf);
  const sigs = await system.predict(ds, asOf, { portfolio, account });
  const p = await system.predictRows(ds, rows);
  const hashes = await featureHashes(ds, rows);
  const rule = sizingRule({ ...system.spec, portfolio });
  const withRow = new Set(sigs.map((s) => s.symbol));
  const warmup = featureWarmup(featureSetOf(system.featureNames, system.featureSet.version));
  const noRow: Signal[] = run.traded.filter((sym) =>
    !withRow.has(sym) && run.series.get(sym)?.dates.at(-1) === asOf
  ).map((sym) => {
    const bars = run.series.get(sym)!.dates.length;
    return {
      symbol: sym,
      date: asOf,
      action: "hold",
      size: 0,
      confidence: 0,
      contributions: [],
      source,
      knownAt: sigs[0]?.knownAt ?? closeTime(asOf),
      provenance: {
        modelVersion: version,
        asOf: closeTime(asOf),
        featureHash: "",
        issuedAt,
        sizing: {
          rawScore: NaN,
          score: NaN,
          forecastVol: NaN,
          rule,
          untradable: bars <= warmup
            ? `too few bars for the features: ${bars} of ${warmup + 1} (a ${warmup}-session warm-up)`
            : `no feature row for ${sym} on ${asOf} (a feature is not finite)`,
        },
      },
    };
  });
  return inSymbolOrder([
    ...sigs.map((s, i): Signal => {
      if (p.symbol[i] !== s.symbol) throw new Error(`internal: row order differs at ${i}`);
      // an expert without a calibrated edge (e.g. one that abstains) records none
      const withEdge = (c: ExpertContribution): ExpertContribution => {
        const e = p.edges.get(`expert:${c.expert}`)?.[i];
        return e !== undefined && Number.isFinite(e) ? { ...c, calibrated: [e] } : { ...c };
      };
      return {
        symbol: s.symbol,
        date: s.date,
        action: s.action,
        size: s.size,
        confidence: s.confidence,
        contributions: s.contributions.map(withEdge),
        source,
        knownAt: s.knownAt,
        provenance: {
          modelVersion: version,
          asOf: closeTime(asOf),
          featureHash: hashes[i],
          issuedAt,
          sizing: {
            rawScore: p.score[i],
            score: s.edge,
            ...(Number.isFinite(s.decisionEdge) ? { decisionEdge: s.decisionEdge } : {}),
            forecastVol: s.dailyVol * Math.sqrt(252),
            rule,
            ...(s.untradable !== undefined ? { untradable: s.untradable } : {}),
            ...(brake
              ? { brake: { engaged: brake.braking, drawdown: brake.drawdown, sessions: brake.days } }
              : {}),
            ...(s.varCap ? { varCap: s.varCap } : {}),
          },
        },
      };
    }),
    ...noRow,
  ], run.traded);
}

/** The issued signal without its issue time, for comparing a recomputation with what was issued. */
function comparable(s: Signal): string {
  const { provenance, ...rest } = s;
  return canonicalJson({ ...rest, provenance: provenance ? { ...provenance, issuedAt: 0 } : null });
}

/**
 * The signals of `version` for `asOf` under `source`, written unless that version already issued them for the
 * date (issued signals are never overwritten; `differs` names the symbols whose recomputation differs).
 */
async function issueOnce(
  stores: Stores,
  system: FittedSystem,
  ds: Awaited<ReturnType<typeof systemDataset>>,
  asOf: IsoDate,
  version: string,
  issuedAt: Instant,
  source: string,
  run: RunSymbols,
  sizing: RunSizing,
): Promise<{ issued: Signal[]; written: number; differs: string[] }> {
  const signals = await issueSignals(system, ds, asOf, version, issuedAt, source, run, sizing);
  const existing = (await stores.tables.query("signals", {
    where: { date: asOf, model_version: version, source },
    orderBy: ["symbol"],
  })).map(rowToSignal);
  if (!existing.length) {
    return {
      issued: signals,
      written: (await stores.tables.upsert("signals", signals.map(signalToRow))).inserted,
      differs: [],
    };
  }
  const old = new Map(existing.map((s) => [s.symbol, s]));
  const differs = signals.filter((s) => {
    const o = old.get(s.symbol);
    return !o || comparable(o) !== comparable(s);
  }).map((s) => s.symbol);
  return { issued: inSymbolOrder(existing, run.traded), written: 0, differs };
}

/** Feature functions of the calendar: a function of the date alone, so "drift" there says nothing. */
const CALENDAR_FNS = new Set(["day_of_week", "month", "days_to_month_end", "sessions_to_month_end"]);

/**
 * Drift references of every non-calendar feature on the rows the base models fit on, with the baseline of
 * `window`-session windows of those rows (a quarter window apart).
 */
function driftReferences(
  ds: { X: Float64Array; featureNames: string[]; date: string[] },
  featureSet: FeatureSet,
  rows: Int32Array,
  bins: number,
  window: number,
) {
  const f = ds.featureNames.length;
  const calendar = new Set(featureSet.features.filter((x) => CALENDAR_FNS.has(x.fn)).map((x) => x.name));
  const days = [...new Set(Array.from(rows, (r) => ds.date[r]))].sort();
  const dayIndex = new Map(days.map((d, i) => [d, i]));
  const groups: Int32Array[] = [];
  const step = Math.max(1, Math.floor(window / 4));
  for (let a = 0; a + window <= days.length; a += step) {
    groups.push(Int32Array.from(
      Array.from(rows).filter((r) => {
        const i = dayIndex.get(ds.date[r])!;
        return i >= a && i < a + window;
      }),
    ));
  }
  const out: Record<string, DriftReference> = {};
  ds.featureNames.forEach((name, j) => {
    if (calendar.has(name)) return;
    const col = (rs: Int32Array) => Float64Array.from(rs, (r) => ds.X[r * f + j]);
    const ref = driftReference(col(rows), bins);
    if (!ref) return;
    const baseline = driftBaseline(ref, groups.map(col));
    out[name] = baseline ? { ...ref, baseline } : ref;
  });
  return out;
}

/** The note naming the run's symbols with no stored bar by the as-of close (not listed yet). */
function noBarsYetNote(symbols: readonly string[], asOf: IsoDate): string {
  return `${
    fewOf(symbols, 5)
  }: no bars yet by ${asOf} (not listed then, or never collected): no signal, and not a stale symbol (health check ` +
    `listing, warn)`;
}

function status(v: number, warn: number, fail: number): CheckResult["status"] {
  return v >= fail ? "fail" : v >= warn ? "warn" : "ok";
}

/**
 * What a signal decided at `d` earned, per symbol: open of `entry` (the next session) to open of `exit` (the one
 * after) in total-return prices, as the labels and backtests count it: with the stored splits and dividends
 * effective in `(entry, exit]` when there are any (a dividend going ex on `exit` is paid to the holder), else
 * with the vendor's adjusted closes (`adjClose / close` of each bar). A symbol without both opens is left out.
 */
export function tradedReturns(
  bars: readonly Bar[],
  actions: readonly CorporateAction[],
  entry: IsoDate,
  exit: IsoDate,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [symbol, s] of barsToSeriesMap(bars.filter((b) => b.date === entry || b.date === exit))) {
    if (s.dates.length !== 2 || !(s.open[0] > 0) || !(s.open[1] > 0)) continue;
    const own = actions.filter((a) => a.symbol === symbol);
    const tr = labelPrices(s, own);
    const r = tr.open[1] / tr.open[0] - 1;
    if (Number.isFinite(r)) out.set(symbol, r);
  }
  return out;
}

/**
 * Scores every issued date whose traded return (next open to the open after) is known by `asOf`. A date with a
 * symbol's opens still missing waits up to `waitSessions` sessions after its exit (the data may come late) and
 * is then scored on what there is. A row's `known_at` is when it was written (not before its exit's close): an
 * answer "as known at" an earlier time never changes when a later run scores a date. The book's turnover is
 * counted from the previous session's book: for the production source the book issued then (by the version
 * answering for it, so a new champion's first day pays for the switch), for a shadow run its own version's;
 * without one (the first day, a missed session) the book starts from cash. Returns how many runs were scored (a
 * date's issued run and its shadow runs each count) and on how many sessions.
 */
export async function updateScorecard(
  stores: Stores,
  asOf: IsoDate,
  costBps: number,
  waitSessions: number,
  now: () => Instant,
): Promise<{ runs: number; sessions: number }> {
  const runs = await stores.tables.query("signal_runs", { where: { as_of: { lt: asOf } } });
  const issued = new Set(runs.map((r) => `${r.model_version}\u0000${r.source}\u0000${r.as_of}`));
  // the production book of each date is the answering version's: a new champion's first day trades from the
  // book the old one left, not from cash
  const answering = answeringVersions(runs);
  let scored = 0;
  const sessionsScored = new Set<string>();
  for (const run of runs) {
    const d = String(run.as_of), version = String(run.model_version), source = String(run.source);
    const exit = exitSession(d);
    if (exit > asOf) continue;
    const done = await stores.tables.count("scorecard", { model_version: version, source, date: d });
    if (done) continue;
    const sigs =
      (await stores.tables.query("signals", { where: { date: d, model_version: version, source } }))
        .map(rowToSignal);
    const entry = nextSession(d);
    const symbols = sigs.map((s) => s.symbol);
    const bars = (await stores.tables.query("bars", { where: { symbol: symbols, date: [entry, exit] } }))
      .map(rowToBar);
    const actions = (await stores.tables.query("corporate_actions", {
      where: { symbol: symbols, date: { gt: entry, lte: exit } },
    })).map(rowToAction);
    const returns = tradedReturns(bars, actions, entry, exit);
    const before = prevSession(d);
    const from = source === SIGNAL_SOURCE && answering.has(before)
      ? answering.get(before)!
      : issued.has(`${version}\u0000${source}\u0000${before}`)
      ? version
      : null;
    const previous = from === null ? null : new Map(
      (await stores.tables.query("signals", { where: { date: before, model_version: from, source } }))
        .map(rowToSignal).map((s) => [s.symbol, s.size]),
    );
    const day = scoreDay(
      sigs.map((s) => ({ symbol: s.symbol, size: s.size, score: s.provenance?.sizing.score ?? NaN })),
      returns,
      costBps,
      previous,
    );
    const late = exit >= asOf ? 0 : sessions(nextSession(exit), asOf).length;
    if (returns.size < sigs.length && late < waitSessions) continue;
    if (day.n === 0) continue;
    await stores.tables.upsert("scorecard", [{
      model_version: version,
      source,
      date: d,
      n: day.n,
      traded: day.traded,
      hits: day.hits,
      pnl: day.pnl,
      ic: Number.isFinite(day.ic) ? day.ic : null,
      book_pnl: day.bookPnl,
      turnover: day.turnover,
      benchmark: day.benchmark,
      known_at: Math.max(closeTime(exit), now()),
    }]);
    scored++;
    sessionsScored.add(d);
  }
  return { runs: scored, sessions: sessionsScored.size };
}

/** Spec sections a fitted system carries in what it fitted (a change applies from the next fit). */
const FITTED_SECTIONS = ["dataset", "experts", "combiner", "seed"] as const;

/** `value` flattened to dotted paths (a list is one value). */
function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, out);
  } else if (value !== undefined) out.set(path, JSON.stringify(value));
}

/** `path old -> new` for each dotted path where `a` and `b` differ ("–" where one has none). */
function changes(a: unknown, b: unknown, path: string): string[] {
  const x = new Map<string, string>(), y = new Map<string, string>();
  flatten(a, path, x);
  flatten(b, path, y);
  return [...new Set([...x.keys(), ...y.keys()])].sort()
    .filter((k) => x.get(k) !== y.get(k))
    .map((k) => `${k} ${x.get(k) ?? "–"} -> ${y.get(k) ?? "–"}`);
}

/**
 * What a run's config changes against the spec a loaded version was fitted with: the sizing stage
 * (`portfolio`, not fitted) is the config's from this run on; the fitted sections ({@link FITTED_SECTIONS})
 * stay the version's until the next refit. One line for each kind of change there is.
 */
export function specChangeNotes(version: string, fitted: SystemSpec, run: SystemSpec): string[] {
  const sizing = changes(fitted.portfolio, run.portfolio, "portfolio");
  const kept = FITTED_SECTIONS.flatMap((k) => changes(fitted[k], run[k], k));
  return [
    ...(sizing.length
      ? [
        `sizing: the config's portfolio sizes ${version}'s book (nothing in it is fitted): ${
          sizing.join(", ")
        }`,
      ]
      : []),
    ...(kept.length
      ? [
        `${version} keeps what it was fitted with until the next refit (deno task signal --refit fits one now): ` +
        kept.join(", "),
      ]
      : []),
  ];
}

/** Scored sessions the report lists (the latest). */
const PAPER_REPORT_SESSIONS = 10;

/**
 * The paper scorecard of `version`'s production signals over the dates whose exit is known by `asOf`: its
 * totals, and a table of its latest {@link PAPER_REPORT_SESSIONS} sessions for the report.
 */
async function paperScorecard(
  stores: Stores,
  version: string,
  asOf: IsoDate,
): Promise<{ totals: ScorecardTotals; recent: Table }> {
  const rows = (await stores.tables.query("scorecard", {
    where: { model_version: version, source: SIGNAL_SOURCE, date: { lt: asOf } },
    orderBy: ["date"],
  })).filter((r) => exitSession(String(r.date)) <= asOf);
  const days = rows.map(storedDayScore);
  const pct = (v: number | null) => (v === null ? "–" : fixed(100 * v, 2, "%"));
  return {
    totals: scorecardTotals(days),
    recent: {
      caption:
        `the latest ${Math.min(PAPER_REPORT_SESSIONS, rows.length)} of ${rows.length} scored sessions ` +
        "(decided after the close of the date; traded from the next open to the open after)",
      columns: ["date", "book", "equal weight", "turnover", "positions", "hits", "IC"],
      rows: rows.map((r, k) => ({ date: String(r.date), d: days[k] })).slice(-PAPER_REPORT_SESSIONS).reverse()
        .map(({ date, d }) => [
          date,
          pct(d.bookPnl),
          pct(d.benchmark),
          d.turnover === null ? "–" : fixed(d.turnover, 2),
          d.traded,
          d.hits,
          d.ic === null ? "–" : fixed(d.ic, 3),
        ]),
    },
  };
}

/**
 * The whole paper record of a version: the sessions it issued as the champion and those it ran in the shadow of
 * one (as the challenger), in date order; a date scored under both counts once, as issued.
 */
export async function versionPaper(stores: Stores, version: string): Promise<ScorecardTotals> {
  const rows = await stores.tables.query("scorecard", {
    where: { model_version: version, source: [SIGNAL_SOURCE, SHADOW_SIGNAL_SOURCE] },
    orderBy: ["date"],
  });
  const issued = new Set(rows.filter((r) => r.source === SIGNAL_SOURCE).map((r) => String(r.date)));
  return scorecardRowTotals(
    rows.filter((r) => r.source === SIGNAL_SOURCE || !issued.has(String(r.date))),
  );
}

const signedPct = (v: number | null) => (v === null ? "–" : `${v > 0 ? "+" : ""}${(100 * v).toFixed(2)}%`);

/** A paper record in a few words (`models list`): the book's return beside equal weight over its sessions. */
export function paperCell(t: ScorecardTotals): string {
  return t.bookDays
    ? `${signedPct(t.bookReturn)} (ew ${signedPct(t.benchmarkReturn)}) over ${t.bookDays}`
    : t.days
    ? `IC ${t.meanIc === null ? "–" : t.meanIc.toFixed(3)} over ${t.days}`
    : "-";
}

/** Sessions a paper book needs before the one-line summary gives its annualized Sharpe (a month). */
const PAPER_SHARPE_SESSIONS = 21;

/**
 * One line on a paper scorecard: the book's return beside equal weight, its drawdown and turnover (and its
 * annualized Sharpe from {@link PAPER_SHARPE_SESSIONS} sessions on), the hit rate and the IC.
 */
export function paperLine(version: string, t: ScorecardTotals): string {
  if (!t.days) return `${version} has no scored session yet`;
  const ret = signedPct;
  const pct = (v: number | null) => (v === null ? "–" : `${(100 * v).toFixed(1)}%`);
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? "" : "s"}`;
  const sharpe = t.bookDays >= PAPER_SHARPE_SESSIONS && t.bookSharpe !== null
    ? `, Sharpe ${t.bookSharpe.toFixed(2)}`
    : "";
  const book = t.bookDays
    ? `book ${ret(t.bookReturn)} over ${n(t.bookDays, "session")} (equal weight ${ret(t.benchmarkReturn)})` +
      `${sharpe}, max drawdown ${ret(t.bookMaxDrawdown)}, turnover ${t.meanTurnover!.toFixed(2)}/day; `
    : "";
  return `${version}: ${book}hit rate ${pct(t.hitRate)} of ${n(t.traded, "position")}, mean IC ${
    t.meanIc === null ? "–" : t.meanIc.toFixed(3)
  } over ${n(t.days, "session")}`;
}

/**
 * The `if-better` comparison of the champion and the challenger on the paper scorecard, over the sessions both
 * were scored on (issued or in the shadow): `decided` once there are `minSessions` of them, and `better` when the
 * challenger's figure is higher. `on`: `ic` (default), the mean IC of the day's signals; `book`, the compounded
 * return of each one's book after costs (days scored before books were booked are left out). With `asOf`, only
 * the sessions whose outcome (the open two sessions after) is known by then count: a decision for a date never
 * reads a later outcome. On `ic`, a scored day without an IC (its signals all had the same score: they rank
 * nothing) counts as IC 0, so a version that only holds is decided instead of never; but a challenger idle on
 * half the common sessions or more (on `ic`: ranking no names; on `book`: holding no position) is never
 * `better` (a model that does nothing would otherwise take over from any champion with a negative figure, and
 * production would hold nothing).
 */
export async function compareOnScorecard(
  stores: Stores,
  champion: string,
  challenger: string,
  minSessions: number,
  opts: { asOf?: IsoDate; on?: "ic" | "book" } = {},
): Promise<{ decided: boolean; better: boolean; detail: string }> {
  const { asOf, on = "ic" } = opts;
  // a version's scorecard: the days it issued and the days it ran in the shadow of the champion (with asOf, those
  // whose outcome was known by then)
  const load = async (v: string) =>
    (await stores.tables.query("scorecard", {
      where: { model_version: v, source: [SIGNAL_SOURCE, SHADOW_SIGNAL_SOURCE] },
    })).filter((r) => asOf === undefined || exitSession(String(r.date)) <= asOf);
  const figures = (rows: Awaited<ReturnType<typeof load>>) =>
    new Map(
      rows.map((r) => [String(r.date), on === "ic" ? Number(r.ic ?? 0) : r.book_pnl] as const)
        .filter((e): e is [string, number] => typeof e[1] === "number"),
    );
  const challengerRows = await load(challenger);
  const a = figures(await load(champion)), b = figures(challengerRows);
  // the challenger's idle days: without an IC (on ic: one score for every name), without a position (on book)
  const idle = new Set(
    challengerRows.filter((r) => (on === "ic" ? r.ic === null : Number(r.traded) === 0)).map((r) =>
      String(r.date)
    ),
  );
  const common = [...b.keys()].filter((d) => a.has(d)).sort();
  if (common.length < minSessions) {
    return {
      decided: false,
      better: false,
      detail: `${common.length} session${
        common.length === 1 ? "" : "s"
      } scored for both (need ${minSessions}): not decided yet`,
    };
  }
  const figure = (m: Map<string, number>) =>
    on === "ic"
      ? common.reduce((s, d) => s + m.get(d)!, 0) / common.length
      : common.reduce((s, d) => s * (1 + m.get(d)!), 1) - 1;
  const fa = figure(a), fb = figure(b);
  const show = (x: number) => on === "ic" ? x.toFixed(4) : `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)}%`;
  const blind = common.filter((d) => idle.has(d)).length;
  const ranksNothing = 2 * blind >= common.length;
  return {
    decided: true,
    better: fb > fa && !ranksNothing,
    detail:
      `${on === "ic" ? "mean IC" : "book return"} over ${common.length} common sessions: challenger ${
        show(fb)
      } vs champion ${show(fa)}` +
      (ranksNothing
        ? on === "ic"
          ? `; the challenger ranked no names on ${blind} of them (one score for every name: no IC), so it ` +
            "cannot take over"
          : `; the challenger's book held nothing on ${blind} of them, so it cannot take over`
        : ""),
  };
}

/**
 * What is wrong with a run's as-of date, or null: a calendar date, a trading session, and not after `source.to`
 * (which bounds the daily run as it bounds the research run: nothing after it is collected or decided on). The
 * one check the CLI (`--as-of`) and the signal Lambda (`detail.asOf`) share; `show` renders a bad value.
 */
export function asOfProblem(
  v: unknown,
  source: { from: IsoDate | null; to: IsoDate | null },
  show: (v: unknown) => string = String,
): string | null {
  if (typeof v !== "string" || !isCalendarDate(v)) return `expected a date YYYY-MM-DD, got ${show(v)}`;
  if (!isSession(v)) return `${v} is not a trading session`;
  if (source.to !== null && v > source.to) return `${v} is after source.to ${source.to}`;
  if (source.from !== null && v < source.from) return `${v} is before source.from ${source.from}`;
  return null;
}

/** The daily run's report file for a decision session when no `--report` is given. */
export function signalReportPath(reportDir: string, asOf: IsoDate): string {
  return `${reportDir}/signal-${asOf}.html`;
}

/** The promotion line a `signal_runs` row's payload recorded, or undefined when it has none (not JSON, no line). */
function recordedPromotion(payload: unknown): string | undefined {
  try {
    const p = JSON.parse(String(payload)) as { promotion?: unknown } | null;
    return typeof p?.promotion === "string" && p.promotion ? p.promotion : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the daily production job. */
export async function runSignal(cfg: Config, opts: SignalOptions = {}): Promise<SignalSummary> {
  const now = opts.now ?? Date.now;
  const progress: Progress = opts.progress ?? createProgress({ quiet: opts.quiet });
  const asOfError = opts.asOfError ?? ((problem: string) => new ConfigError(`--as-of: ${problem}`));
  const bad = opts.asOf === undefined ? null : asOfProblem(opts.asOf, cfg.source);
  if (bad !== null) throw asOfError(bad);
  // the commit the run records and the server stores' settings are checked before anything is read or written
  if (!opts.git) gitFromEnv(Deno.env.toObject());
  const storeCfg = opts.stores ? undefined : await storeConfigFor(cfg.dataDir, opts.backends ?? []);
  const until = cfg.source.to;
  const p = cfg.production;
  const window = retrainWindow(p.retrain.window);
  // the synthetic market is extended to an --as-of after its sessions, as `deno task collect` extends it to --to
  // (the same bars for the same dates): a store it filled is one the run can decide on
  // a date before the synthetic market cannot be collected from it (with --no-collect the run decides on the
  // store, which may hold other symbols' earlier bars: a Lambda's on the default config)
  const beforeSynthetic = cfg.source.kind === "synthetic" && opts.asOf !== undefined &&
    opts.asOf < SYNTHETIC_START;
  if (beforeSynthetic && !opts.noCollect) {
    throw asOfError(`${opts.asOf} is before the synthetic market's first session ${SYNTHETIC_START}`);
  }
  const source = opts.source ??
    (cfg.source.kind === "synthetic" && opts.asOf !== undefined && !beforeSynthetic
      ? syntheticMarketThrough(cfg.source.synthetic, opts.asOf)
      : await sourceFromConfig(cfg));
  const spec = await specForSource(specFromConfig(cfg), source);
  // the dates the run may collect: from source.from (or the source's first) to the as-of date, source.to or today
  const dates = (source as { dates?: string[] }).dates;
  const end = dates?.[dates.length - 1] ?? new Date(now()).toISOString().slice(0, 10);
  const collectTo = opts.asOf ?? (until !== null && until < end ? until : end);
  const collectFrom = cfg.source.from ?? dates?.[0] ?? "1990-01-01";
  // a point-in-time universe bounds the symbols as in the research run: each counts only while a member
  const universe = await runUniverse(cfg.source, source, collectFrom, collectTo);
  const { symbols, leftOut, members } = universe;
  if (!symbols.length) {
    throw new ConfigError("no symbols: set source.symbols or use a source that lists them");
  }
  // a ranking portfolio (top-k, long-short) on one symbol would never hold anything
  checkUniverseSize(spec, symbols.length);
  // a day's IC ranks three names or more: under that an if-better challenger on IC could never be decided
  if (p.retrain.promote === "if-better" && p.retrain.compareOn === "ic" && symbols.length < MIN_IC_NAMES) {
    throw new ConfigError(
      `production.retrain.compareOn ic needs at least ${MIN_IC_NAMES} symbols (a day's IC ranks them), got ` +
        `${symbols.length}: set production.retrain.compareOn: book`,
    );
  }
  if (leftOut.length) progress.note(leftOutNote(leftOut));
  // a source that lists its symbols (csv, synthetic) is asked for the run's bars first, as `deno task collect`
  // asks: a symbol it does not hold (traded, or the market context's), a range without data and an --as-of
  // after its data are refused before any store is opened (the collect would skip the symbol as failed and the
  // run would take it for one not listed yet)
  if (!opts.noCollect && source.listSymbols) {
    const { last } = await resolveMarketSymbols(source, {
      symbols: [...symbols, ...marketSymbols(cfg.source.market)],
      from: collectFrom,
      to: collectTo,
    });
    if (opts.asOf !== undefined && opts.asOf > last) {
      throw asOfError(`${opts.asOf} is after the source's last session ${last} (${source.name})`);
    }
  }
  // a source with its own market context (the synthetic market) gives it to this run as to the research run
  const own = await ownMarketContext(source, cfg.source.market, symbols);
  // the news scorer is chosen (its model loaded) before any store is opened: `lm` without the model is refused
  const news = await newsScorerFor(cfg.news);
  let stores: Stores;
  try {
    // an alias change kept waiting on the registry's lock (a killed run's is taken over after a while) says so
    stores = opts.stores ??
      await openStores(storeCfg!, { onLockWait: (wait) => progress.note(lockWaitText(wait)) });
  } catch (e) {
    await news.release();
    throw e;
  }
  try {
    await ensureTables(stores);
    // a store filled for other symbols (a research run on a CSV folder) and a config naming none of them (the
    // default synthetic source) is most likely the wrong config: say so before collecting into it
    const anyBar = async (where?: { symbol: string[] }) =>
      (await stores.tables.query("bars", { ...(where ? { where } : {}), limit: 1 })).length > 0;
    if (await anyBar() && !(await anyBar({ symbol: symbols }))) {
      progress.note(
        `the store holds bars, none of this run's symbols (${source.name}: ${fewOf(symbols, 4)}): ` +
          `the run ${
            opts.noCollect ? "decides on those" : "collects and decides on those"
          }; to run on the stored symbols pass their config with --config`,
      );
    }
    // the checks on the registry that refuse the run come before the collect too, on the session it will decide
    // (the --as-of date, else the last session the collect reaches); they are made again on the stored one below
    const serveContext: ServingContext = {
      model: p.model,
      newsScorer: news.scorer.id,
      market: marketId(cfg.source.market, own !== undefined),
      marketNews: marketNewsText(spec.dataset.marketNews),
      refit: opts.refit === true,
      refitWhenCannotServe: opts.refitWhenCannotServe === true,
    };
    // 1. incremental collect (prices from the last stored session on, news from the latest stored knownAt); the
    // collect writes no version, so the registry's listing is read once for both checks
    let listed: VersionManifest[] | undefined;
    if (!opts.noCollect) {
      listed = (await servingPlan(stores, opts.asOf ?? sessionOnOrBefore(collectTo), serveContext)).versions;
      const done = progress.start(`collect (${source.name}, incremental)`);
      const kinds = source.news ? ["prices", "news"] as const : ["prices"] as const;
      const rows = await runCollect(kinds, { market: source, now }, stores, {
        symbols,
        from: collectFrom,
        to: collectTo,
      });
      // the source's own index and VIX the config names (prices only)
      const marketSyms = marketSymbols(cfg.source.market);
      if (marketSyms.length) {
        rows.push(
          ...await runCollect(["prices"], { market: source, now }, stores, {
            symbols: marketSyms,
            from: collectFrom,
            to: collectTo,
          }),
        );
      }
      if (members.length) await stores.tables.upsert("universe_membership", members.map(memberToRow));
      progress.note(collectNote(rows));
      done();
    }
    // 2. the decision session
    const last = await lastStoredSession(stores, symbols);
    if (!last) {
      throw new ConfigError(
        opts.noCollect
          ? `no stored bars for the universe: ${
            opts.noBarsHint ?? "run `deno task demo` or `deno task collect`"
          }`
          : `no bars of the universe from ${source.name} in ${collectFrom}..${collectTo}`,
      );
    }
    // the last stored session, or the last session up to source.to when the stores hold later ones
    const asOf = opts.asOf ??
      (until !== null && last > until ? sessionOnOrBefore(until) : last);
    if (asOf > last) throw asOfError(`${asOf} is after the last stored session ${last}`);
    // the report file is named by the decision session: one that cannot be written (a folder of its name, a file
    // that cannot be replaced) is refused now, before anything is fitted or issued
    const reportPath = opts.reportPath ?? signalReportPath(cfg.reportDir, asOf);
    // the default file's name is the run's, not the user's: no "e.g. <path>/report.html" for it
    await checkReportPath(
      reportPath,
      opts.reportPath !== undefined ? "--report" : "reportDir",
      opts.reportPath !== undefined ? {} : { example: null },
    );
    let done = progress.start("load history (point in time)");
    const hist = await loadHistory(stores, symbols, asOf, spec.dataset.marketNews ?? []);
    const cal = calendarOf(hist.series);
    if (!cal.includes(asOf)) throw new ConfigError(`no stored bars on ${asOf}`);
    // the source's own index and VIX the config names, as public by the as-of close (in the data snapshot too)
    const marketBars = new Map<string, Bar[]>();
    for (const sym of marketSymbols(cfg.source.market)) {
      const bars = await loadBars(stores, sym, asOf);
      marketBars.set(sym, bars);
      const e = bars[bars.length - 1];
      if (e && !hist.snapshot.some((x) => x.symbol === sym)) {
        hist.snapshot.push({ symbol: sym, lastKnownAt: e.knownAt, lastDate: e.date, rows: bars.length });
      }
    }
    // holes in the stored bars are refused (or noted) as in the research run: a fit would span them. A rolling
    // window reads only its own sessions and the features' warm-up before them: older holes do not matter
    const read = window.mode === "rolling"
      ? cal[Math.max(0, cal.indexOf(asOf) - window.sessions - featureWarmup(PIPELINE_FEATURE_SET) + 1)]
      : cal[0];
    const holesNote = checkSessionCoverage(
      new Map([
        ...[...hist.series].map(([sym, s]) =>
          [sym, s.dates.filter((d) => d >= read).map((date) => ({ date }))] as const
        ),
        ...[...marketBars].map(([sym, bars]) => [sym, bars.filter((b) => b.date >= read)] as const),
      ]),
      {
        market: marketSymbols(cfg.source.market),
        remedy: "leave the symbol out of source.symbols or fill the store's missing sessions",
      },
    );
    const market = own ?? marketFromBars(cfg.source.market, marketBars, cal[0], asOf, "the store holds");
    progress.note(own ? OWN_MARKET_NOTE : marketNote(cfg.source.market));
    if (holesNote) progress.note(holesNote);
    // the symbols the run decides on: the universe's members on the as-of date
    const traded = membersOn(universe, asOf);
    if (!traded.length) {
      throw new ConfigError(`source.universe ${cfg.source.universe}: no member on ${asOf}`);
    }
    const unlisted = traded.filter((s) => !hist.series.has(s));
    if (unlisted.length) progress.note(noBarsYetNote(unlisted, asOf));
    const membership = members.length ? members : undefined;
    done();
    // the scorer's id is known before any headline is scored: the checks below refuse a run before scoring
    const newsScorer = news.scorer.id;

    // 3. the checks that refuse the run come before anything is written or scored (news scoring writes the score
    // cache and can take minutes with the language model): the system that may serve asOf must be one this build
    // loads, fitted on news scored as this run scores it, on this run's market context (unless --refit)
    const git = opts.git ?? await gitState();
    const plan = await servingPlan(stores, asOf, serveContext, (note) => progress.note(note), listed);
    const {
      history,
      before,
      championAtStart,
      championCutOff,
      servedThen,
      refit,
      rerun,
      replay,
      servingAtStart,
      cannotServe,
      chained,
    } = plan;
    let versions = plan.versions;
    // news sentiment from the configured scorer (cached in the documents store), as in the research run
    progress.note(news.note);
    done = progress.start(`news scoring (${newsScorer})`);
    const scored = await scoreNews(hist.news, news.scorer, stores.documents, {
      onProgress: (d, t) => progress.tick(d, t, "headlines"),
    });
    hist.news = scored.items;
    done();
    progress.note(scoredNewsNote(scored, newsScorer));

    // 4. the paper scorecard of earlier signals whose outcome is known now (the challenger decision reads it)
    done = progress.start("paper scorecard");
    const scoredNow = await updateScorecard(
      stores,
      asOf,
      spec.costs.costBps,
      Math.max(1, p.freshness.failSessions),
      now,
    );
    done();

    // 5. the system: the registered one that may serve asOf, or a refit on schedule
    // a champion in another format or fitted on another scorer's sentiment cannot decide (only --refit gets here)
    const championCannot = cannotServe(versions.find((v) => v.version === championAtStart));
    // if-better: a challenger runs in the shadow of the champion until it has been scored on minScoredSessions
    // sessions both were scored on; then it takes over when better, else it is retired
    const decisions: string[] = [];
    let promoted = false;
    let pending = false;
    // a challenger the registry no longer holds (deleted or not copied) is retired too: scored against nothing it
    // would stay undecided, and the retrain schedule would wait on it for ever
    const challengerCannot = before.challenger !== undefined &&
        !versions.some((v) => v.version === before.challenger)
      ? "is not in the registry (deleted or not copied)"
      : cannotServe(versions.find((v) => v.version === before.challenger));
    const decidesNow = !replay && !rerun;
    // versions registered and no champion alias: only a first run stopped after it registered its version and
    // before it made it the champion leaves that (no promote, rollback or alias change clears the champion). This
    // run completes it: the version it serves becomes the champion, as the first run would have made it
    const firstVersion = decidesNow && championAtStart === undefined && servingAtStart !== null &&
      !cannotServe(servingAtStart);
    if (firstVersion) {
      await promoteVersion(stores.objects, p.model, servingAtStart.version, {
        now: now(),
        note: "first version",
      });
      progress.note(
        `${p.model}@${servingAtStart.version} was registered by a run that stopped before it made it the ` +
          "champion: it is the champion now (first version)",
      );
    }
    if (decidesNow && before.challenger && challengerCannot) {
      // in another format or fitted on another scorer's sentiment: it can neither run in the shadow nor take over
      await setAlias(stores.objects, p.model, "challenger", null, {
        now: now(),
        note: `retired: it ${challengerCannot}`,
      });
      decisions.push(`challenger ${before.challenger} retired: it ${challengerCannot}`);
    } else if (decidesNow && p.retrain.promote === "if-better" && before.champion && before.challenger) {
      const c = await compareOnScorecard(
        stores,
        before.champion,
        before.challenger,
        p.retrain.minScoredSessions,
        { asOf, on: p.retrain.compareOn },
      );
      if (!c.decided) pending = true;
      else if (c.better) {
        await promoteVersion(stores.objects, p.model, before.challenger, { now: now(), note: c.detail });
        promoted = true;
        decisions.push(`${before.challenger} promoted: ${c.detail}`);
      } else {
        await setAlias(stores.objects, p.model, "challenger", null, {
          now: now(),
          note: `retired: ${c.detail}`,
        });
        decisions.push(`challenger ${before.challenger} retired: ${c.detail}`);
      }
      if (!c.decided) decisions.push(`challenger ${before.challenger}: ${c.detail}`);
    }
    // a replay is served as the nearest earlier date was; a challenger in that date's shadow run was being scored
    // (a promotion above made the challenger the champion)
    const serving = decidesNow && promoted
      ? servingVersion(versions, before.challenger, asOf)
      : servingAtStart;
    if (firstVersion) promoted = true;
    if (replay && history.earlier?.shadows.length) pending = true;
    // the schedule counts from the newest fit that may serve asOf (a challenger is a fit too), and waits while a
    // challenger is still being scored: a refit that has not become champion does not make every later run due.
    // A run that decides counts the fits that have been in the alias chain: one that a stopped run registered
    // before its alias moved is not, so its date is due again and the re-run completes it (a replay counts every
    // registered fit, its own earlier refits included, as when it was first decided)
    const latestFit = newestFit(
      decidesNow ? [...chained, ...(firstVersion ? [servingAtStart] : [])] : versions,
      asOf,
    );
    const due = !rerun && (!serving || !latestFit || refit ||
      (!pending && refitDueOn(latestFit.lineage.asOf, p.retrain.every) <= asOf));
    /** A registered version's system and its dataset at asOf (the features it was fitted on). */
    const loadAt = async (v: VersionManifest) => {
      const loaded = await loadVersion(stores.objects, p.model, v.version);
      const sys = await loadSystem(loaded.files);
      const segments = productionSegments(cal, asOf, window, p.retrain.calibrationFrac, sys.spec);
      const data = datasetFrom(
        sys.spec,
        { series: hist.series, news: hist.news, actions: hist.actions, membership },
        segments,
        featureSetOf(sys.featureNames, sys.featureSet.version),
        market,
      );
      return { system: sys, manifest: loaded.manifest, ds: data };
    };
    let system: FittedSystem, manifest: VersionManifest, model: "loaded" | "refit";
    let promotion = "";
    let ds: ReturnType<typeof systemDataset>;
    if (!due) {
      done = progress.start(`load ${p.model}@${serving!.version}`);
      ({ system, manifest, ds } = await loadAt(serving!));
      model = "loaded";
      promotion = firstVersion
        ? "first version: champion"
        : rerun
        ? `${serving!.version} issued ${asOf}: that run stands (re-run: nothing fitted, no alias moved)`
        : replay
        ? `replay of ${asOf}: ${serving!.version} issued ${
          history.earlier!.date
        } and serves it (fitted through ${serving!.lineage.asOf}), aliases unchanged`
        : `${serving!.version} serves (fitted through ${serving!.lineage.asOf})`;
      done();
    } else {
      done = progress.start(`refit ${p.model} (${p.retrain.window}, data through ${asOf})`);
      const segments = productionSegments(cal, asOf, window, p.retrain.calibrationFrac, spec);
      ds = datasetFrom(
        spec,
        { series: hist.series, news: hist.news, actions: hist.actions, membership },
        segments,
        PIPELINE_FEATURE_SET,
        market,
      );
      const featureSet = featureSetOf(ds.featureNames, ds.featureSet.version);
      system = await fitSystem(spec, ds);
      const fitRows = rowsBetween(ds, system.windows.fit[0], system.windows.fit[1]);
      const files = await system.toArtifacts();
      files[DRIFT_FILE] = JSON.stringify(
        driftReferences(ds, featureSet, fitRows, p.drift.bins, p.drift.window),
      );
      const calRows = rowsBetween(ds, system.windows.calibration[0], system.windows.calibration[1]);
      const calPred = await system.predictRows(ds, calRows);
      const moe = calPred.edges.get("moe")!;
      const ret = oneSessionReturn(ds, calRows);
      const settled = Array.from(calRows, (_, k) => k).filter((k) =>
        Number.isFinite(ret[k]) && Number.isFinite(moe[k])
      );
      const snapshot = hist.snapshot;
      const lineage: Lineage = {
        spec: system.spec,
        specHash: await hashValue(system.spec),
        // where the stores and reports live is not part of what was fitted: the same fit from another folder is
        // the same version
        configHash: await hashValue((({ dataDir: _d, reportDir: _r, ...fitted }) => fitted)(cfg)),
        featureSet: { id: featureSetId(featureSet), hash: featureSetHash(featureSet) },
        newsScorer,
        market: serveContext.market,
        artifactFormat: SYSTEM_FORMAT_VERSION,
        windows: {
          train: [segments.train[0], system.windows.inner?.[1] ?? system.windows.fit[1]],
          calibration: [...system.windows.calibration],
          test: null,
        },
        data: { hash: await hashValue(snapshot), snapshot },
        metrics: {
          // the gate and score scales are fitted on the calibration window: in sample for them, out of sample for
          // the base models; forward out-of-sample numbers accumulate in the paper scorecard
          validation: {
            rankIcPooled: spearman(settled.map((k) => moe[k]), settled.map((k) => ret[k])),
            rows: calRows.length,
          },
          test: {},
        },
        git,
        tfBackend: system.tfBackend,
        seed: system.spec.seed,
        asOf,
        createdAt: now(),
        ...(serving ? { parent: serving.version } : {}),
      };
      manifest = await registerVersion(stores.objects, p.model, files, lineage);
      model = "refit";
      done();
      // the champion made above comes first: it happened first
      if (firstVersion) decisions.push(`first version ${servingAtStart!.version}: champion`);
      // promotion
      const champion = (await aliasState(stores.objects, p.model)).aliases.champion;
      if (!champion) {
        await promoteVersion(stores.objects, p.model, manifest.version, {
          now: now(),
          note: "first version",
          bytesChecked: true,
        });
        [promoted, promotion] = [true, "first version: champion"];
      } else if (champion === manifest.version) {
        promotion = "refit reproduced the champion";
      } else if (replay) {
        const issues = p.retrain.promote === "always" || !servedThen;
        promotion = `replay of ${asOf}: ${manifest.version} registered, aliases unchanged (` +
          (history.later
            ? `later dates are issued`
            : `the champion ${champion} is fitted through ${championCutOff}`) +
          (history.earlier ? `; ${history.earlier.version} issued ${history.earlier.date}` : "") + ")" +
          (issues ? "" : `; it runs in the shadow of ${servedThen!.version}`);
      } else if (p.retrain.promote === "always") {
        await promoteVersion(stores.objects, p.model, manifest.version, {
          now: now(),
          note: "retrain: always",
          bytesChecked: true,
        });
        [promoted, promotion] = [true, "promoted (retrain.promote: always)"];
      } else if (championCannot && p.retrain.promote === "if-better") {
        // the champion cannot decide on this run: nothing to compare the refit with on the same sentiment
        const why = `the champion ${champion} ${championCannot}`;
        await promoteVersion(stores.objects, p.model, manifest.version, {
          now: now(),
          note: why,
          bytesChecked: true,
        });
        [promoted, promotion] = [true, `promoted: ${why}`];
      } else {
        await setAlias(stores.objects, p.model, "challenger", manifest.version, {
          now: now(),
          note: "retrain",
        });
        // a refit (--refit) that replaces a challenger still being scored: said, so the comparison above is read
        // as the old pair's
        if (pending && before.challenger && before.challenger !== manifest.version) {
          decisions.push(`it replaces the undecided challenger ${before.challenger}`);
        }
        promotion = championCannot
          ? `${manifest.version} is the challenger and issues today: the champion ${champion} ${championCannot} ` +
            `(retrain.promote: never; promote with deno task models promote)`
          : p.retrain.promote === "never"
          ? `${manifest.version} is the challenger; ${champion} stays champion (retrain.promote: never; promote ` +
            `with deno task models promote)`
          : `${manifest.version} is the challenger; ${champion} stays champion until the challenger beats it`;
      }
    }
    // what was decided about the pair before today's refit comes first: it happened first
    promotion = [...decisions, promotion].filter(Boolean).join("; ");
    versions = await listVersions(stores.objects, p.model);
    // The issued signals come from the champion when it may serve asOf (the system above when it is the
    // champion, or a replay's refit). A challenger issues beside it as a shadow run: stored under its version
    // and scored on the paper scorecard on the same sessions as the champion (so that it can beat it), never
    // served as the signals of the day unless asked for by version.
    const after = (await aliasState(stores.objects, p.model)).aliases;
    const shadows: { system: FittedSystem; manifest: VersionManifest; ds: typeof ds; model: string }[] = [];
    // a version may issue or run in the shadow when its data ends by asOf and it can serve this run
    const mayServe = (v: string | undefined) => {
      const m = v === undefined ? undefined : versions.find((x) => x.version === v) ?? manifest;
      return m !== undefined && m.lineage.asOf <= asOf && !cannotServe(m);
    };
    // a replay's own fit: this run's refit, or one an earlier attempt at the date registered before it failed
    const newest = newestFit(versions, asOf);
    const replayFit = !replay
      ? null
      : model === "refit"
      ? manifest
      : newest?.lineage.asOf === asOf
      ? newest
      : null;
    // who issues: the champion in a run that decides now; in a replay the version that issued the nearest earlier
    // date, with the replay's own fit beside it as the challenger it would have been (under retrain.promote
    // always that fit issues, as it would have been promoted), or that fit when no earlier date was issued
    const issuer = decidesNow
      ? after.champion
      : replay
      ? (p.retrain.promote === "always" && replayFit
        ? replayFit.version
        : servedThen?.version ?? replayFit?.version)
      : undefined;
    if (issuer && issuer !== manifest.version && mayServe(issuer)) {
      const shadowOf = { system, manifest, ds, model };
      done = progress.start(
        `load ${p.model}@${issuer} (${decidesNow ? "champion" : `issued ${history.earlier?.date}`})`,
      );
      ({ system, manifest, ds } = await loadAt(versions.find((v) => v.version === issuer)!));
      model = "loaded";
      done();
      shadows.push(shadowOf);
    }
    if (
      replayFit && replayFit.version !== manifest.version && !shadows.some((x) =>
        x.manifest.version === replayFit.version
      ) && mayServe(replayFit.version)
    ) {
      shadows.push({ ...await loadAt(replayFit), model: "loaded" });
    }
    if (decidesNow && after.challenger && mayServe(after.challenger)) {
      if (
        !shadows.some((x) => x.manifest.version === after.challenger) && after.challenger !== manifest.version
      ) {
        const c = versions.find((v) => v.version === after.challenger);
        if (c) shadows.push({ ...await loadAt(c), model: "loaded" });
      }
    }
    // a re-run keeps the date's shadow runs; a replay runs beside it the versions of the nearest earlier date's
    const shadowedThen = rerun ? await history.shadowsOn(asOf) : replay ? history.earlier?.shadows ?? [] : [];
    for (const v of shadowedThen) {
      if (v === manifest.version || shadows.some((x) => x.manifest.version === v) || !mayServe(v)) continue;
      const m = versions.find((x) => x.version === v);
      if (m) shadows.push({ ...await loadAt(m), model: "loaded" });
    }
    const version = manifest.version;
    // the config's sizing applies to a loaded version at once (nothing in it is fitted); what the version fitted
    // keeps its own settings until the next refit: both said, never silently
    const specNotes = model === "loaded" ? specChangeNotes(version, system.spec, spec) : [];
    for (const line of specNotes) progress.note(line);

    // with a drawdown brake, the brake reads the paper account (the issued books' settled returns), not the
    // rebuilt path: the version's own predictions over that path are partly in its fit windows
    const brake = spec.portfolio.risk?.drawdownBrake;
    const account = brake ? await paperAccount(stores, asOf) : undefined;
    const brakeNow = brake && account ? brakeState(account, brake) : null;
    const sizing: RunSizing = { portfolio: spec.portfolio, account, brake: brakeNow };
    if (brakeNow) progress.note(`drawdown brake: ${accountText(brakeNow)}`);

    // 6. signals for the next session, with provenance; never overwrite what was issued
    done = progress.start(`signals for ${nextSession(asOf)} (${version})`);
    const issuedAt = now();
    const runSymbols: RunSymbols = { traded, series: hist.series };
    // a version that already ran in the shadow on asOf (it has since been promoted) keeps that run: a run row
    // per version and date, so issuing for it now would leave signals no run makes visible
    const shadowedBefore = (await stores.tables.query("signal_runs", {
      where: { model_version: version, as_of: asOf, source: SHADOW_SIGNAL_SOURCE },
    })).length > 0;
    const { issued, written, differs } = shadowedBefore
      ? {
        issued: inSymbolOrder(
          (await stores.tables.query("signals", {
            where: { date: asOf, model_version: version, source: SHADOW_SIGNAL_SOURCE },
            orderBy: ["symbol"],
          })).map(rowToSignal),
          traded,
        ),
        written: 0,
        differs: [] as string[],
      }
      : await issueOnce(
        stores,
        system,
        ds,
        asOf,
        version,
        issuedAt,
        SIGNAL_SOURCE,
        runSymbols,
        sizing,
      );
    if (shadowedBefore) {
      promotion += `; ${version} ran in the shadow on ${asOf}: that run stands, nothing issued`;
    }
    const shadowRuns: ShadowRun[] = [];
    for (const sh of shadows) {
      // a shadow version's brake reads its own paper account, not the production one
      const own = brake ? await versionAccount(stores, sh.manifest.version, asOf) : undefined;
      const shadowSizing: RunSizing = brake && own
        ? { portfolio: spec.portfolio, account: own, brake: brakeState(own, brake) }
        : sizing;
      const r = await issueOnce(
        stores,
        sh.system,
        sh.ds,
        asOf,
        sh.manifest.version,
        issuedAt,
        SHADOW_SIGNAL_SOURCE,
        runSymbols,
        shadowSizing,
      );
      shadowRuns.push({ version: sh.manifest.version, signals: r.issued, written: r.written });
    }
    done();

    // 7. health: drift against the training window, freshness of every symbol
    done = progress.start("health (drift, freshness)");
    const checks: CheckResult[] = [];
    const refText = manifest.files.includes(DRIFT_FILE)
      ? new TextDecoder().decode((await loadVersion(stores.objects, p.model, version)).files[DRIFT_FILE])
      : "{}";
    const refs = JSON.parse(refText) as Record<string, DriftReference>;
    const recent = cal.slice(Math.max(0, cal.indexOf(asOf) - p.drift.window + 1), cal.indexOf(asOf) + 1);
    const recentRows = rowsBetween(ds, recent[0], asOf);
    const f = ds.featureNames.length;
    ds.featureNames.forEach((name, j) => {
      const ref = refs[name];
      if (!ref) return;
      const v = psi(ref, Float64Array.from(recentRows, (r) => ds.X[r * f + j]));
      if (!Number.isFinite(v)) return;
      // thresholds: the configured ones, raised to what windows of the training period itself strayed by
      const warn = Math.max(p.drift.psiWarn, ref.baseline?.q90 ?? 0);
      const fail = Math.max(p.drift.psiFail, ref.baseline?.max ?? 0);
      checks.push({ kind: "psi", name, value: v, warn, fail, status: status(v, warn, fail) });
    });
    let worstLag = 0;
    // a symbol that has left the universe stops being collected: only the members on asOf must be fresh; the
    // market series too, each up to its last session public by the as-of close (the VIX's: the session before)
    for (const s of new Set([...traded, ...marketBars.keys()])) {
      const e = hist.snapshot.find((x) => x.symbol === s);
      if (!e) {
        // no stored bar by the as-of close (not listed yet): nothing is late, but the run says so (warn, never
        // fail by itself); value: its bars stored by then; no fail threshold (stored as null)
        checks.push({ kind: "listing", name: s, value: 0, warn: 0, fail: NaN, status: "warn" });
        continue;
      }
      const due = publicationDelay(s) > 0 ? prevSession(asOf) : asOf;
      const lag = e.lastDate >= due ? 0 : sessions(nextSession(e.lastDate), due).length;
      worstLag = Math.max(worstLag, lag);
      if (lag > 0) {
        const fr = p.freshness;
        checks.push({
          kind: "freshness",
          name: s,
          value: lag,
          warn: fr.warnSessions,
          fail: fr.failSessions,
          status: status(lag, Math.max(1, fr.warnSessions), Math.max(1, fr.failSessions)),
        });
      }
    }
    const fr = p.freshness;
    checks.push({
      kind: "freshness",
      name: "*",
      value: worstLag,
      warn: fr.warnSessions,
      fail: fr.failSessions,
      status: status(worstLag, Math.max(1, fr.warnSessions), Math.max(1, fr.failSessions)),
    });
    // the run fails when data is stale past its threshold or a broad share of the features drifted past theirs
    // (one noisy feature warns; a shifted market fails)
    const psis = checks.filter((c) => c.kind === "psi");
    const failShare = psis.length ? psis.filter((c) => c.status === "fail").length / psis.length : 0;
    const runStatus: SignalSummary["status"] = checks.some((c) =>
        c.kind === "freshness" && c.name === "*" && c.status === "fail"
      ) ||
        failShare >= p.drift.failShare
      ? "fail"
      : checks.some((c) => c.status !== "ok")
      ? "warn"
      : "ok";
    // 8. the health rows (the run rows come last, after the report): a re-run of the date keeps the first run's
    // issue time and health (what was known when the signals were issued)
    const prior = await stores.tables.query("signal_runs", {
      where: { model_version: version, as_of: asOf },
    });
    // a re-run reports the health recorded at issue (what the API serves), and says when today's checks differ
    const recomputed = runStatus;
    const recorded: CheckResult[] = prior.length
      ? (await stores.tables.query("health", {
        where: { model_version: version, as_of: asOf },
        orderBy: ["kind", "name"],
      })).map((r) => ({
        kind: r.kind as CheckResult["kind"],
        name: String(r.name),
        value: Number(r.value),
        warn: Number(r.warn),
        fail: r.fail === null || r.fail === undefined ? NaN : Number(r.fail),
        status: r.status as CheckResult["status"],
      }))
      // in the order a re-run reads them back (kind, then name), so the first run's report and a re-run's agree
      : checks.toSorted((a, b) =>
        a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.name < b.name ? -1 : +(a.name > b.name)
      );
    const shownStatus = prior.length ? prior[0].status as SignalSummary["status"] : runStatus;
    if (!prior.length) {
      await stores.tables.upsert(
        "health",
        checks.map((c) => ({
          model_version: version,
          as_of: asOf,
          kind: c.kind,
          name: c.name,
          value: c.value,
          warn: c.warn,
          // a check without a fail threshold (listing) stores none
          fail: Number.isFinite(c.fail) ? c.fail : null,
          status: c.status,
          known_at: closeTime(asOf),
        })),
      );
    }
    done();

    // 9. report and summary
    const table: Table = {
      caption:
        "edge: the calibrated edge (expected traded return in units of daily volatility); decision: the " +
        "edge the action and confidence came from (a ranking book's edge minus the day's mean edge)",
      columns: [
        "symbol",
        "action",
        "size",
        "confidence",
        "edge",
        "decision",
        ...system.expertNames.map((e) => `edge:${e}`),
        ...system.expertNames.map((e) => `w:${e}`),
        "vol",
      ],
      rows: issued.map((s) => [
        s.symbol,
        s.action,
        fixed(s.size, 3),
        fixed(s.confidence, 3),
        fixed(s.provenance?.sizing.score ?? NaN, 3),
        fixed(s.provenance?.sizing.decisionEdge ?? NaN, 3),
        ...system.expertNames.map((e) =>
          fixed(s.contributions.find((c) => c.expert === e)?.calibrated?.[0] ?? NaN, 3)
        ),
        ...system.expertNames.map((e) =>
          fixed(s.contributions.find((c) => c.expert === e)?.weight ?? NaN, 2)
        ),
        fixed(s.provenance?.sizing.forecastVol ?? NaN, 2),
      ]),
    };
    // the brake as the issued signals were sized (stored with them): a re-run of an issued date reads the paper
    // account again, which a later backfill can have changed, and says so beside it, as the health checks do
    const stored = issued.find((s) => s.provenance?.sizing.brake)?.provenance?.sizing.brake;
    const brakeShown: BrakeState | null = written
      ? brakeNow
      : stored
      ? { braking: stored.engaged, drawdown: stored.drawdown, days: stored.sessions }
      : null;
    const issuedText = brakeShown ? accountText(brakeShown) : "",
      nowText = brakeNow ? accountText(brakeNow) : "";
    const brakeLine = issuedText
      ? `drawdown brake: ${issuedText}` +
        (nowText && nowText !== issuedText ? ` (as issued; read now: ${nowText})` : "")
      : nowText
      ? `drawdown brake: off when these signals were issued (read now: ${nowText})`
      : "";
    // the VaR limit as the issued book was sized (stored with its signals)
    const cap = issued.find((s) => s.provenance?.sizing.varCap)?.provenance?.sizing.varCap;
    const varLine = cap ? varCapText(cap) : "";
    // symbols held because they cannot be traded (not in the fitted system, too few bars): why, in one line
    const held = issued.filter((s) => s.provenance?.sizing.untradable !== undefined);
    const heldLine = held.length
      ? `not tradable (hold, size 0): ${
        held.map((s) => `${s.symbol} (${s.provenance!.sizing.untradable})`).join("; ")
      }`
      : "";
    const bad = recorded.filter((c) => c.status !== "ok");
    const healthTable: Table = {
      columns: ["check", "name", "value", "warn", "fail", "status"],
      rows: (bad.length ? bad : recorded.filter((c) => c.name === "*")).map((
        c,
      ) => [c.kind, c.name, fixed(c.value, 3), c.warn, Number.isFinite(c.fail) ? c.fail : "–", c.status]),
    };
    const recheck = prior.length && recomputed !== shownStatus
      ? `as recorded at issue; the checks recomputed now say ${recomputed}`
      : "";
    const { totals: paper, recent: paperDays } = await paperScorecard(stores, version, asOf);
    const report: Report = {
      title: `fmai signals for ${nextSession(asOf)} (decided after the close of ${asOf})`,
      subtitle: `model ${p.model}@${version} (${model}); issued ${
        new Date(issued[0]?.provenance?.issuedAt ?? issuedAt).toISOString()
      }`,
      sections: [
        {
          title: "Signals",
          text: [promotion, ...[brakeLine, varLine, heldLine].filter(Boolean)],
          tables: [table],
        },
        { title: `Health: ${shownStatus}`, text: recheck ? [recheck] : [], tables: [healthTable] },
        {
          title: "Paper scorecard",
          text: [paperLine(version, paper)],
          tables: paperDays.rows.length ? [paperDays] : [],
        },
        {
          title: "Lineage",
          tables: [{
            columns: ["field", "value"],
            rows: [
              ["digest", manifest.digest],
              ["train", manifest.lineage.windows.train.join(" .. ")],
              ["calibration", manifest.lineage.windows.calibration.join(" .. ")],
              ["data cut-off", manifest.lineage.asOf],
              ["feature set", `${manifest.lineage.featureSet.id} (${manifest.lineage.featureSet.hash})`],
              ["git", `${manifest.lineage.git.sha}${manifest.lineage.git.dirty ? " (dirty)" : ""}`],
              ["tfjs backend", manifest.lineage.tfBackend],
              ["seed", manifest.lineage.seed],
            ],
          }],
        },
      ],
    };
    const html = renderHtml(report, { inlinePlotly: false });
    // the stored report is the issuing run's record (its promotion line, its health): the run that writes the
    // date's production run row below writes it (again, after an attempt that stopped before its run row); a run
    // whose version already has a run of the date (a re-run, with or without --refit; or it ran in the shadow
    // then) keeps it and writes only its own view to the report file, or when it is missing stores it with the
    // promotion line the issuing run recorded. Stored first: the file is the user's copy
    const storedReport = reportKey(`signal-${asOf}`, "report.html");
    if (!prior.length) {
      await stores.objects.put(storedReport, html, { contentType: "text/html; charset=utf-8" });
    } else if (!(await stores.objects.head(storedReport))) {
      const issuing = prior.find((r) => r.source === SIGNAL_SOURCE);
      const line = issuing ? recordedPromotion(issuing.payload) : undefined;
      const asIssued = line === undefined ? html : renderHtml({
        ...report,
        sections: report.sections.map((sec, i) =>
          i === 0 ? { ...sec, text: [line, ...(sec.text ?? []).slice(1)] } : sec
        ),
      }, { inlinePlotly: false });
      await stores.objects.put(storedReport, asIssued, { contentType: "text/html; charset=utf-8" });
    }
    await Deno.mkdir(reportPath.includes("/") ? reportPath.slice(0, reportPath.lastIndexOf("/")) : ".", {
      recursive: true,
    });
    await writeFileAtomic(reportPath, html);
    // 10. the run rows last: they make the run visible (its signals, health and stored report are written by now)
    for (const sh of shadowRuns) {
      if (
        (await stores.tables.count("signal_runs", { model_version: sh.version, as_of: asOf })) > 0
      ) continue;
      await stores.tables.upsert("signal_runs", [{
        model_version: sh.version,
        as_of: asOf,
        source: SHADOW_SIGNAL_SOURCE,
        for_date: nextSession(asOf),
        symbols: sh.signals.length,
        status: runStatus,
        payload: JSON.stringify({
          model: "shadow",
          champion: version,
          git,
          symbols: sh.signals.map((x) => x.symbol),
        }),
        // when the run became visible (a retry after a failure shows it now, not when its signals were written)
        issued_at: now(),
        known_at: closeTime(asOf),
      }]);
    }
    if (!prior.length) {
      await stores.tables.upsert("signal_runs", [{
        model_version: version,
        as_of: asOf,
        source: SIGNAL_SOURCE,
        for_date: nextSession(asOf),
        symbols: issued.length,
        status: runStatus,
        payload: JSON.stringify({ model, promotion, git, symbols: issued.map((s) => s.symbol) }),
        issued_at: now(),
        known_at: closeTime(asOf),
      }]);
    }
    const lines = [
      `signals for ${nextSession(asOf)} (after the close of ${asOf}) from ${p.model}@${version} (${model})`,
      promotion,
      ...specNotes,
      ...[brakeLine, varLine].filter(Boolean),
      textTable(table),
      ...(heldLine ? [heldLine] : []),
      `health: ${shownStatus}${recheck ? ` (${recheck})` : ""}` +
      (bad.length ? `\n${textTable(healthTable)}` : ""),
      written ? `${written} signals issued` : !prior.length
        // the signals were written by an earlier run that stopped before its run row: this run made them visible
        ? `${issued.length} signals issued (written at ${
          new Date(issued[0]?.provenance?.issuedAt ?? 0).toISOString()
        } by a run that stopped before it finished; completed now)` +
          (differs.length
            ? `; the recomputation differs for ${differs.length} symbols (kept as written)`
            : "")
        : `already issued at ${
          new Date(issued[0]?.provenance?.issuedAt ?? 0).toISOString()
        }: nothing written` +
          (differs.length
            ? `; the recomputation differs for ${differs.length} symbols (kept as issued)`
            : ""),
      ...shadowRuns.map((sh) =>
        `shadow: ${sh.version === after.challenger ? "challenger " : ""}${sh.version} ${
          sh.written ? `issued ${sh.written}` : "had issued its"
        } signals for the paper scorecard (served only by version)`
      ),
      `scorecard: ${scoredText(scoredNow)}; paper ${paperLine(version, paper)}`,
    ];
    return {
      asOf,
      forSession: nextSession(asOf),
      modelVersion: version,
      model,
      promoted,
      promotion,
      signals: issued,
      written,
      differs,
      shadow: shadowRuns,
      checks: recorded,
      status: shownStatus,
      scoredDays: scoredNow.sessions,
      paper,
      brake: brakeShown,
      reportPath,
      table: lines.join("\n"),
      exitCode: shownStatus === "fail" ? HEALTH_FAIL_EXIT : 0,
      timings: progress.timings,
    };
  } finally {
    if (!opts.stores) await stores.close();
    await news.release();
  }
}

/** Previous session helper re-exported for the CLI's messages. */
export { prevSession };
