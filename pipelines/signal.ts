/**
 * The daily production run (`deno task signal [--as-of YYYY-MM-DD]`): incremental collect, the fitted system
 * that may serve the as-of date (the champion, or a refit when the retrain schedule says so), next-session
 * signals from data known at the as-of close with provenance, feature drift and data freshness, the paper
 * scorecard of earlier signals, an HTML report and a summary table.
 *
 * Issued signals are never overwritten: re-running an as-of date with the same model version changes nothing;
 * another model version adds its own rows. A run is visible (to the API) once its `signal_runs` row is written,
 * which happens last.
 * @module
 */
import {
  canonicalJson,
  closeTime,
  ConfigError,
  type ExpertContribution,
  hashValue,
  type Instant,
  type IsoDate,
  isSession,
  type NewsItem,
  nextSession,
  prevSession,
  sessions,
  sha256Hex,
  type Signal,
} from "@lib/core/mod.ts";
import { rowsBetween, rowsOnDate, type SegmentSpec, type SymbolSeries, toSeries } from "@lib/dataset/mod.ts";
import {
  DEFAULT_FEATURE_SET,
  driftBaseline,
  type DriftReference,
  driftReference,
  type FeatureSet,
  featureSetHash,
  featureSetId,
  psi,
} from "@lib/features/mod.ts";
import {
  aliasState,
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
import { scoreDay } from "@lib/backtest/mod.ts";
import {
  fitSystem,
  type FittedSystem,
  loadSystem,
  systemDataset,
  type SystemSpec,
} from "@lib/workflow/mod.ts";
import { renderHtml, type Report, type Table, textTable } from "@lib/report/mod.ts";
import type { MarketSource } from "@lib/sources/mod.ts";
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
import { ensureTables, NEWS_COLLECTION, runCollect } from "./collect/mod.ts";
import { type Config, retrainWindow, specFromConfig } from "./config.ts";
import { createProgress, type Progress } from "./progress.ts";
import { sourceFromConfig } from "./run.ts";
import { leftOutNote, membersOn, runUniverse } from "./steps/collect.ts";
import { datasetFrom } from "./steps/dataset.ts";
import { withNewsScorer } from "./lm.ts";
import { type BackendName, storeConfigFor } from "./stores.ts";

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
  /** Skip the incremental collect (the stores are filled by other jobs). */
  noCollect?: boolean;
  source?: MarketSource;
  /** Stores to use (not closed by the run). */
  stores?: Stores;
  backends?: BackendName[];
  reportPath?: string;
  quiet?: boolean;
  /** Clock (epoch ms; default `Date.now`): issue times and "now" for the collect. */
  now?: () => number;
  /** Git commit of the code (default read from `git`; `FMAI_GIT_SHA` in bundles). */
  git?: { sha: string; dirty: boolean };
}

/** One health check of the run. */
export interface CheckResult {
  kind: "psi" | "freshness";
  name: string;
  value: number;
  warn: number;
  fail: number;
  status: "ok" | "warn" | "fail";
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
  checks: CheckResult[];
  status: "ok" | "warn" | "fail";
  scoredDays: number;
  reportPath: string;
  table: string;
  exitCode: number;
  timings: Map<string, number>;
}

/** The git commit of this checkout and whether it has changes (`unknown` outside a repository). */
export async function gitState(): Promise<{ sha: string; dirty: boolean }> {
  const env = Deno.env.get("FMAI_GIT_SHA");
  if (env) return { sha: env, dirty: Deno.env.get("FMAI_GIT_DIRTY") === "1" };
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

/** Bars up to the as-of close, per symbol (a symbol with no bar by then is left out). */
async function loadHistory(stores: Stores, symbols: string[], asOf: IsoDate) {
  const cut = closeTime(asOf);
  const series = new Map<string, SymbolSeries>();
  const snapshot: DataSnapshotEntry[] = [];
  for (const symbol of symbols) {
    const bars =
      (await stores.tables.query("bars", { where: { symbol, date: { lte: asOf } }, orderBy: ["date"] }))
        .map(rowToBar).filter((b) => b.knownAt <= cut);
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
  const news = (docs as unknown as NewsItem[]).filter((n) => n.symbols?.some((s) => set.has(s)));
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
 */
export function productionSegments(
  cal: readonly IsoDate[],
  asOf: IsoDate,
  window: ReturnType<typeof retrainWindow>,
  calibrationFrac: number,
  spec: SystemSpec,
): SegmentSpec {
  const end = cal.indexOf(asOf);
  if (end < 0) throw new ConfigError(`no stored session ${asOf}`);
  const purge = spec.dataset.purge, embargo = spec.dataset.embargo;
  const start = window.mode === "rolling" ? Math.max(0, end - window.sessions + 1) : 0;
  const lastLabeled = end - purge - 1; // the validation segment ends purge sessions before the test
  const n = lastLabeled - start + 1;
  const nCal = Math.max(20, Math.round(n * calibrationFrac));
  const trainEnd = lastLabeled - nCal - purge - embargo;
  if (trainEnd - start < 60) {
    throw new ConfigError(
      `not enough history before ${asOf} to fit (${end - start + 1} sessions; need about ${
        nCal + purge * 2 + 80
      })`,
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

/** The registered version that may serve `asOf`: the champion when its data ends by then, else the latest that does. */
async function servingVersion(stores: Stores, name: string, asOf: IsoDate): Promise<VersionManifest | null> {
  const champion = (await aliasState(stores.objects, name)).aliases.champion;
  const versions = await listVersions(stores.objects, name);
  const c = versions.find((v) => v.version === champion);
  if (c && c.lineage.asOf <= asOf) return c;
  const ok = versions.filter((v) => v.lineage.asOf <= asOf);
  return ok.length ? ok[ok.length - 1] : null;
}

function featureHashes(ds: { X: Float64Array; featureNames: string[] }, rows: Int32Array): Promise<string[]> {
  const f = ds.featureNames.length;
  return Promise.all(
    Array.from(rows, (r) => sha256Hex(new Uint8Array(ds.X.slice(r * f, (r + 1) * f).buffer))),
  );
}

/**
 * Signals of `asOf` with provenance: the system's own signals (its book's weights) plus each expert's calibrated
 * edge, the combined score, the volatility forecast and the feature hashes of the same rows.
 */
async function issueSignals(
  system: FittedSystem,
  ds: Awaited<ReturnType<typeof systemDataset>>,
  asOf: IsoDate,
  version: string,
  issuedAt: Instant,
): Promise<Signal[]> {
  const rows = rowsOnDate(ds, asOf);
  const sigs = await system.predict(ds, asOf);
  const p = await system.predictRows(ds, rows);
  const hashes = await featureHashes(ds, rows);
  const rule = { ...system.spec.portfolio };
  return sigs.map((s, i) => {
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
      source: SIGNAL_SOURCE,
      knownAt: s.knownAt,
      provenance: {
        modelVersion: version,
        asOf: closeTime(asOf),
        featureHash: hashes[i],
        issuedAt,
        sizing: { rawScore: p.score[i], score: s.edge, forecastVol: s.dailyVol * Math.sqrt(252), rule },
      },
    };
  });
}

/** The issued signal without its issue time, for comparing a recomputation with what was issued. */
function comparable(s: Signal): string {
  const { provenance, ...rest } = s;
  return canonicalJson({ ...rest, provenance: provenance ? { ...provenance, issuedAt: 0 } : null });
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

function status(v: number, warn: number, fail: number): CheckResult["status"] {
  return v >= fail ? "fail" : v >= warn ? "warn" : "ok";
}

/** Scores every issued date whose traded return (next open to the open after) is known by `asOf`. */
async function updateScorecard(stores: Stores, asOf: IsoDate, costBps: number): Promise<number> {
  const runs = await stores.tables.query("signal_runs", { where: { as_of: { lt: asOf } } });
  let scored = 0;
  for (const run of runs) {
    const d = String(run.as_of), version = String(run.model_version), source = String(run.source);
    const exit = nextSession(nextSession(d));
    if (exit > asOf) continue;
    const done = await stores.tables.count("scorecard", { model_version: version, source, date: d });
    if (done) continue;
    const sigs =
      (await stores.tables.query("signals", { where: { date: d, model_version: version, source } }))
        .map(rowToSignal);
    const entry = nextSession(d);
    const opens = await stores.tables.query("bars", {
      where: { symbol: sigs.map((s) => s.symbol), date: [entry, exit] },
    });
    const byKey = new Map(opens.map((r) => [`${r.symbol}|${r.date}`, Number(r.open)]));
    const returns = new Map<string, number>();
    for (const s of sigs) {
      const a = byKey.get(`${s.symbol}|${entry}`), b = byKey.get(`${s.symbol}|${exit}`);
      if (a && b && Number.isFinite(a) && Number.isFinite(b)) returns.set(s.symbol, b / a - 1);
    }
    const day = scoreDay(
      sigs.map((s) => ({ symbol: s.symbol, size: s.size, score: s.provenance?.sizing.score ?? NaN })),
      returns,
      costBps,
    );
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
      known_at: closeTime(exit),
    }]);
    scored++;
  }
  return scored;
}

/**
 * The champion/challenger decision after a refit registered `challenger`: `always` promotes, `never` leaves it
 * as challenger, `if-better` promotes when its paper scorecard beats the champion's (mean IC) over at least
 * `minScoredSessions` sessions both were scored on.
 */
export async function compareOnScorecard(
  stores: Stores,
  champion: string,
  challenger: string,
  minSessions: number,
): Promise<{ better: boolean; detail: string }> {
  const load = async (v: string) =>
    new Map(
      (await stores.tables.query("scorecard", { where: { model_version: v, source: SIGNAL_SOURCE } }))
        .filter((r) => typeof r.ic === "number").map((r) => [String(r.date), Number(r.ic)]),
    );
  const a = await load(champion), b = await load(challenger);
  const common = [...b.keys()].filter((d) => a.has(d)).sort();
  if (common.length < minSessions) {
    return {
      better: false,
      detail:
        `${common.length} sessions scored for both (need ${minSessions}); ${challenger} stays challenger`,
    };
  }
  const mean = (m: Map<string, number>) => common.reduce((s, d) => s + m.get(d)!, 0) / common.length;
  const ma = mean(a), mb = mean(b);
  return {
    better: mb > ma,
    detail: `mean IC over ${common.length} common sessions: challenger ${mb.toFixed(4)} vs champion ${
      ma.toFixed(4)
    }`,
  };
}

function fmt(v: number, d = 3): string {
  return Number.isFinite(v) ? v.toFixed(d) : "-";
}

/** Runs the daily production job. */
export async function runSignal(cfg: Config, opts: SignalOptions = {}): Promise<SignalSummary> {
  const now = opts.now ?? Date.now;
  const progress: Progress = createProgress({ quiet: opts.quiet });
  if (opts.asOf !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.asOf) || Number.isNaN(Date.parse(opts.asOf))) {
      throw new ConfigError(`--as-of: expected YYYY-MM-DD, got ${opts.asOf}`);
    }
    if (!isSession(opts.asOf)) throw new ConfigError(`--as-of ${opts.asOf} is not a trading session`);
  }
  // `source.to` bounds the daily run as it bounds the research run: nothing after it is collected or decided on
  const until = cfg.source.to;
  if (opts.asOf !== undefined && until !== null && opts.asOf > until) {
    throw new ConfigError(`--as-of ${opts.asOf} is after source.to ${until}`);
  }
  const p = cfg.production;
  const window = retrainWindow(p.retrain.window);
  const spec = specFromConfig(cfg);
  const source = opts.source ?? await sourceFromConfig(cfg);
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
  if (leftOut.length) progress.note(leftOutNote(leftOut));
  const stores = opts.stores ?? await openStores(await storeConfigFor(cfg.dataDir, opts.backends ?? []));
  try {
    await ensureTables(stores);
    // 1. incremental collect (prices from the last stored session on, news from the latest stored knownAt)
    if (!opts.noCollect) {
      const done = progress.start(`collect (${source.name}, incremental)`);
      const kinds = source.news ? ["prices", "news"] as const : ["prices"] as const;
      const rows = await runCollect(kinds, { market: source, now }, stores, {
        symbols,
        from: collectFrom,
        to: collectTo,
      });
      if (members.length) await stores.tables.upsert("universe_membership", members.map(memberToRow));
      const failed = rows.filter((r) => !r.ok);
      progress.note(
        `${rows.reduce((a, r) => a + r.inserted, 0)} new rows` +
          (failed.length ? `, ${failed.length} failed` : ""),
      );
      done();
    }
    // 2. the decision session
    const last = await lastStoredSession(stores, symbols);
    if (!last) {
      throw new ConfigError("no stored bars for the universe: run `deno task demo` or `deno task collect`");
    }
    // the last stored session, or the last session up to source.to when the stores hold later ones
    const asOf = opts.asOf ??
      (until !== null && last > until ? (isSession(until) ? until : prevSession(until)) : last);
    if (asOf > last) throw new ConfigError(`--as-of ${asOf} is after the last stored session ${last}`);
    let done = progress.start("load history (point in time)");
    const hist = await loadHistory(stores, symbols, asOf);
    const cal = calendarOf(hist.series);
    if (!cal.includes(asOf)) throw new ConfigError(`no stored bars on ${asOf}`);
    // the symbols the run decides on: the universe's members on the as-of date
    const traded = membersOn(universe, asOf);
    if (!traded.length) {
      throw new ConfigError(`source.universe ${cfg.source.universe}: no member on ${asOf}`);
    }
    const membership = members.length ? members : undefined;
    done();
    // news sentiment from the configured scorer (cached in the documents store), as in the research run
    const newsScorer = await withNewsScorer(cfg.news, (n) => progress.note(n), async (scorer) => {
      hist.news = (await scoreNews(hist.news, scorer, stores.documents)).items;
      return scorer.id;
    });

    // 3. the system: the registered one that may serve asOf, or a refit on schedule
    const git = opts.git ?? await gitState();
    const serving = await servingVersion(stores, p.model, asOf);
    const fittedScorer = serving?.lineage.newsScorer;
    if (serving && !opts.refit && fittedScorer !== undefined && fittedScorer !== newsScorer) {
      throw new ConfigError(
        `${p.model}@${serving.version} was fitted on news scored by ${fittedScorer}, this run scores with ` +
          `${newsScorer}: set news.scorer/news.model to match, or refit with --refit`,
      );
    }
    const due = !serving || opts.refit ||
      (serving.lineage.asOf < asOf &&
        sessions(nextSession(serving.lineage.asOf), asOf).length >= p.retrain.every);
    let system: FittedSystem, manifest: VersionManifest, model: "loaded" | "refit";
    let promoted = false, promotion = "";
    let ds: ReturnType<typeof systemDataset>;
    if (!due) {
      done = progress.start(`load ${p.model}@${serving!.version}`);
      const loaded = await loadVersion(stores.objects, p.model, serving!.version);
      system = await loadSystem(loaded.files);
      manifest = loaded.manifest;
      model = "loaded";
      const segments = productionSegments(cal, asOf, window, p.retrain.calibrationFrac, system.spec);
      ds = datasetFrom(
        system.spec,
        { series: hist.series, news: hist.news, actions: hist.actions, membership },
        segments,
        featureSetOf(system.featureNames, system.featureSet.version),
      );
      promotion = `${serving!.version} serves (fitted through ${serving!.lineage.asOf})`;
      done();
    } else {
      done = progress.start(`refit ${p.model} (${p.retrain.window}, data through ${asOf})`);
      const segments = productionSegments(cal, asOf, window, p.retrain.calibrationFrac, spec);
      ds = datasetFrom(
        spec,
        { series: hist.series, news: hist.news, actions: hist.actions, membership },
        segments,
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
      const ret = Float64Array.from(calRows, (r) => ds.labels.fwdOpenReturn[r]);
      const snapshot = hist.snapshot;
      const lineage: Lineage = {
        spec: system.spec,
        specHash: await hashValue(system.spec),
        configHash: await hashValue(cfg),
        featureSet: { id: featureSetId(featureSet), hash: featureSetHash(featureSet) },
        newsScorer,
        windows: {
          train: [segments.train[0], system.windows.inner?.[1] ?? system.windows.fit[1]],
          calibration: [...system.windows.calibration],
          test: null,
        },
        data: { hash: await hashValue(snapshot), snapshot },
        metrics: {
          // the gate and score scales are fitted on the calibration window: in sample for them, out of sample for
          // the base models; forward out-of-sample numbers accumulate in the paper scorecard
          validation: { rankIcPooled: spearman(moe, ret), rows: calRows.length },
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
      // promotion
      const champion = (await aliasState(stores.objects, p.model)).aliases.champion;
      if (!champion) {
        await promoteVersion(stores.objects, p.model, manifest.version, {
          now: now(),
          note: "first version",
        });
        [promoted, promotion] = [true, "first version: champion"];
      } else if (champion === manifest.version) {
        promotion = "refit reproduced the champion";
      } else if (p.retrain.promote === "always") {
        await promoteVersion(stores.objects, p.model, manifest.version, {
          now: now(),
          note: "retrain: always",
        });
        [promoted, promotion] = [true, "promoted (retrain.promote: always)"];
      } else {
        await setAlias(stores.objects, p.model, "challenger", manifest.version, {
          now: now(),
          note: "retrain",
        });
        promotion =
          `${manifest.version} is the challenger; ${champion} stays champion until the challenger beats it`;
      }
    }
    // an earlier challenger that has beaten the champion on the scorecard takes over (if-better)
    const aliases = (await aliasState(stores.objects, p.model)).aliases;
    if (p.retrain.promote === "if-better" && aliases.champion && aliases.challenger) {
      const c = await compareOnScorecard(
        stores,
        aliases.champion,
        aliases.challenger,
        p.retrain.minScoredSessions,
      );
      if (c.better) {
        await promoteVersion(stores.objects, p.model, aliases.challenger, { now: now(), note: c.detail });
        promoted = true;
      }
      promotion += `; ${c.detail}`;
    }
    const version = manifest.version;

    // 4. signals for the next session, with provenance; never overwrite what was issued
    done = progress.start(`signals for ${nextSession(asOf)} (${version})`);
    const issuedAt = now();
    const signals = await issueSignals(system, ds, asOf, version, issuedAt);
    const existing = (await stores.tables.query("signals", {
      where: { date: asOf, model_version: version, source: SIGNAL_SOURCE },
      orderBy: ["symbol"],
    })).map(rowToSignal);
    let written = 0;
    const differs: string[] = [];
    let issued = signals;
    if (existing.length) {
      const old = new Map(existing.map((s) => [s.symbol, s]));
      for (const s of signals) {
        const o = old.get(s.symbol);
        if (!o || comparable(o) !== comparable(s)) differs.push(s.symbol);
      }
      issued = existing;
    } else {
      written = (await stores.tables.upsert("signals", signals.map(signalToRow))).inserted;
    }
    done();

    // 5. health: drift against the training window, freshness of every symbol
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
    // a symbol that has left the universe stops being collected: only the members on asOf must be fresh
    for (const s of traded) {
      const e = hist.snapshot.find((x) => x.symbol === s);
      const lag = !e ? cal.length : e.lastDate >= asOf ? 0 : sessions(nextSession(e.lastDate), asOf).length;
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
    await stores.tables.upsert(
      "health",
      checks.map((c) => ({
        model_version: version,
        as_of: asOf,
        kind: c.kind,
        name: c.name,
        value: c.value,
        warn: c.warn,
        fail: c.fail,
        status: c.status,
        known_at: closeTime(asOf),
      })),
    );
    done();

    // 6. the run row last: it makes the run visible; an idempotent re-run keeps the first issue time
    const prior = await stores.tables.query("signal_runs", {
      where: { model_version: version, as_of: asOf },
    });
    if (!prior.length) {
      await stores.tables.upsert("signal_runs", [{
        model_version: version,
        as_of: asOf,
        source: SIGNAL_SOURCE,
        for_date: nextSession(asOf),
        symbols: issued.length,
        status: runStatus,
        payload: JSON.stringify({ model, promotion, git, symbols: issued.map((s) => s.symbol) }),
        issued_at: issued[0]?.provenance?.issuedAt ?? issuedAt,
        known_at: closeTime(asOf),
      }]);
    }

    // 7. paper scorecard of earlier signals whose outcome is known now
    done = progress.start("paper scorecard");
    const scoredDays = await updateScorecard(stores, asOf, system.spec.costs.costBps);
    done();

    // 8. report and summary
    const table: Table = {
      columns: [
        "symbol",
        "action",
        "size",
        "confidence",
        "edge",
        ...system.expertNames.map((e) => `edge:${e}`),
        ...system.expertNames.map((e) => `w:${e}`),
        "vol",
      ],
      rows: issued.map((s) => [
        s.symbol,
        s.action,
        fmt(s.size),
        fmt(s.confidence),
        fmt(s.provenance?.sizing.score ?? NaN),
        ...system.expertNames.map((e) =>
          fmt(s.contributions.find((c) => c.expert === e)?.calibrated?.[0] ?? NaN)
        ),
        ...system.expertNames.map((e) => fmt(s.contributions.find((c) => c.expert === e)?.weight ?? NaN, 2)),
        fmt(s.provenance?.sizing.forecastVol ?? NaN, 2),
      ]),
    };
    const bad = checks.filter((c) => c.status !== "ok");
    const healthTable: Table = {
      columns: ["check", "name", "value", "warn", "fail", "status"],
      rows: (bad.length ? bad : checks.filter((c) => c.name === "*")).map((
        c,
      ) => [c.kind, c.name, fmt(c.value), c.warn, c.fail, c.status]),
    };
    const report: Report = {
      title: `fmai signals for ${nextSession(asOf)} (decided after the close of ${asOf})`,
      subtitle: `model ${p.model}@${version} (${model}); issued ${
        new Date(issued[0]?.provenance?.issuedAt ?? issuedAt).toISOString()
      }`,
      sections: [
        { title: "Signals", text: [promotion], tables: [table] },
        { title: `Health: ${runStatus}`, tables: [healthTable] },
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
    const reportPath = opts.reportPath ?? `${cfg.reportDir}/signal-${asOf}.html`;
    const html = renderHtml(report, { inlinePlotly: false });
    await Deno.mkdir(reportPath.includes("/") ? reportPath.slice(0, reportPath.lastIndexOf("/")) : ".", {
      recursive: true,
    });
    await Deno.writeTextFile(`${reportPath}.tmp-${Deno.pid}`, html);
    await Deno.rename(`${reportPath}.tmp-${Deno.pid}`, reportPath);
    await stores.objects.put(reportKey(`signal-${asOf}`, "report.html"), html, {
      contentType: "text/html; charset=utf-8",
    });
    const lines = [
      `signals for ${nextSession(asOf)} (after the close of ${asOf}) from ${p.model}@${version} (${model})`,
      promotion,
      textTable(table),
      `health: ${runStatus}` + (bad.length ? `\n${textTable(healthTable)}` : ""),
      written
        ? `${written} signals issued`
        : `already issued at ${
          new Date(issued[0]?.provenance?.issuedAt ?? 0).toISOString()
        }: nothing written` +
          (differs.length
            ? `; the recomputation differs for ${differs.length} symbols (kept as issued)`
            : ""),
      `scorecard: ${scoredDays} sessions scored`,
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
      checks,
      status: runStatus,
      scoredDays,
      reportPath,
      table: lines.join("\n"),
      exitCode: runStatus === "fail" ? HEALTH_FAIL_EXIT : 0,
      timings: progress.timings,
    };
  } finally {
    if (!opts.stores) await stores.close();
  }
}

/** Previous session helper re-exported for the CLI's messages. */
export { prevSession };
