/**
 * What the API reads, from the same stores the production run writes: issued signals (by the run that issued
 * them), registered model versions and aliases, the paper scorecard and the health checks. Every answer is
 * built only from stored values, in a fixed order, so the same question always gets the same bytes.
 * @module
 */
import { scorecardRowTotals, type ScorecardTotals } from "../backtest/mod.ts";
import { type Instant, type IsoDate, nextSession, SHADOW_SIGNAL_SOURCE, type Signal } from "../core/mod.ts";
import {
  type AliasState,
  aliasState,
  aliasTarget,
  listVersions,
  type VersionManifest,
  versionManifest,
} from "../models/mod.ts";
import {
  type ObjectStore,
  type Row,
  rowToSignal,
  type StorePart,
  type TableQuery,
  type TableStore,
} from "../store/mod.ts";
import { Lru } from "./lru.ts";

type Where = NonNullable<TableQuery["where"]>;

/** The stores the API reads. */
export interface ServeStores {
  tables: TableStore;
  objects: ObjectStore;
}

/** The parts of a store configuration the API reads (its {@link ServeStores}): what its server and Lambda open. */
export const SERVE_STORE_PARTS: readonly StorePart[] = ["tables", "objects"];

/** One production run: a model version's signals for one decision date. */
export interface RunRef {
  modelVersion: string;
  date: IsoDate;
  issuedAt: Instant;
  source: string;
  status: string;
  /**
   * For a challenger's shadow run: the version of the production run it ran beside (its row's `champion`), whose
   * health checks it shares; null for a production run (or a shadow row that does not say).
   */
  shadowOf: string | null;
}

/** A signal as the API shows it: everything it was issued with. */
export interface IssuedSignal {
  symbol: string;
  date: IsoDate;
  forSession: IsoDate;
  action: "buy" | "sell" | "hold";
  size: number;
  confidence: number;
  source: string;
  modelVersion: string;
  asOf: string;
  issuedAt: string;
  featureHash: string;
  experts: { expert: string; weight: number; score: number; calibrated: (number | null)[] | null }[];
  sizing: {
    rawScore: number | null;
    score: number | null;
    /** The edge the action was decided from (null when not recorded or not tradable). */
    decisionEdge: number | null;
    forecastVol: number | null;
    rule: Record<string, string | number | boolean>;
    /** Only on a name that could not be traded: why. */
    untradable?: string;
    /** Only with a drawdown brake: the paper account's drawdown and whether the brake scaled the book. */
    brake?: { engaged: boolean; drawdown: number | null; sessions: number | null };
    /** Only with a VaR limit: the book's one-day VaR before the cap, the limit and its tail probability. */
    varCap?: { var: number | null; limit: number | null; alpha: number | null };
  };
}

/** Scorecard totals of one model version (and source) over a date range. */
export interface ScorecardEntry extends ScorecardTotals {
  modelVersion: string;
  source: string;
  from: IsoDate;
  to: IsoDate;
}

/** One stored health check. */
export interface HealthCheck {
  kind: string;
  name: string;
  value: number | null;
  warn: number | null;
  fail: number | null;
  status: string;
}

const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);
const iso = (t: Instant): string => new Date(t).toISOString();

/** The API view of a stored signal (it must carry provenance). */
export function issuedView(s: Signal): IssuedSignal {
  const p = s.provenance!;
  return {
    symbol: s.symbol,
    date: s.date,
    forSession: nextSession(s.date),
    action: s.action,
    size: s.size,
    confidence: s.confidence,
    source: s.source,
    modelVersion: p.modelVersion,
    asOf: iso(p.asOf),
    issuedAt: iso(p.issuedAt),
    featureHash: p.featureHash,
    experts: s.contributions.map((c) => ({
      expert: c.expert,
      weight: c.weight,
      score: c.score,
      calibrated: c.calibrated ? c.calibrated.map(fin) : null,
    })),
    sizing: {
      rawScore: fin(p.sizing.rawScore),
      score: fin(p.sizing.score),
      decisionEdge: p.sizing.decisionEdge === undefined ? null : fin(p.sizing.decisionEdge),
      forecastVol: fin(p.sizing.forecastVol),
      rule: p.sizing.rule,
      ...(p.sizing.untradable !== undefined ? { untradable: p.sizing.untradable } : {}),
      ...(p.sizing.brake
        ? {
          brake: {
            engaged: p.sizing.brake.engaged,
            drawdown: fin(p.sizing.brake.drawdown),
            sessions: fin(p.sizing.brake.sessions),
          },
        }
        : {}),
      ...(p.sizing.varCap
        ? {
          varCap: {
            var: fin(p.sizing.varCap.var),
            limit: fin(p.sizing.varCap.limit),
            alpha: fin(p.sizing.varCap.alpha),
          },
        }
        : {}),
    },
  };
}

/** The version a shadow run's row says it ran beside (`payload.champion`), or null. */
function shadowedVersion(payload: Row[string]): string | null {
  try {
    const p = JSON.parse(String(payload)) as { champion?: unknown } | null;
    return typeof p?.champion === "string" && p.champion ? p.champion : null;
  } catch {
    return null;
  }
}

function runOf(r: Row): RunRef {
  const source = String(r.source);
  return {
    modelVersion: String(r.model_version),
    date: String(r.as_of),
    issuedAt: Number(r.issued_at),
    source,
    status: String(r.status),
    shadowOf: source === SHADOW_SIGNAL_SOURCE ? shadowedVersion(r.payload) : null,
  };
}

/** A signal as issued, serialized (the bytes of its `IssuedSignal` in every answer that holds it). */
export interface IssuedJson {
  symbol: string;
  json: string;
}

/** Options of the reader's caches. */
export interface ReaderOptions {
  /** Issued signals kept serialized in memory, least recently used out first (default 100,000). */
  signalCacheEntries?: number;
  /** Their total size in UTF-16 code units (default 64 Mi, about 64-128 MiB). */
  signalCacheChars?: number;
}

const runKey = (r: RunRef): string => `${r.modelVersion}\u0000${r.date}\u0000${r.source}`;
/** The `runKey` of the run a stored signal row belongs to. */
const rowRunKey = (r: Row): string => `${r.model_version}\u0000${r.date}\u0000${r.source}`;
const signalKey = (version: string, date: string, source: string, symbol: string): string =>
  `${version}\u0000${date}\u0000${source}\u0000${symbol}`;
/** Latest as-of date first, then the latest issued, then the smaller version. */
const answersBefore = (a: RunRef, b: RunRef): number =>
  a.date !== b.date
    ? (a.date > b.date ? -1 : 1)
    : a.issuedAt !== b.issuedAt
    ? b.issuedAt - a.issuedAt
    : a.modelVersion < b.modelVersion
    ? -1
    : a.modelVersion > b.modelVersion
    ? 1
    : 0;

/**
 * Reads what the API serves. `modelName` is the registry name of the fitted system.
 *
 * Caching rests on what the production run guarantees: a run's signals are written (in one transaction)
 * before its `signal_runs` row, issued signals and run rows are never changed or removed, and runs are only
 * ever added. So each request checks one number, the count of run rows, and reloads the (small) run list when
 * it moved; a visible run's signals are immutable and are kept serialized (a bounded LRU), so a repeated
 * question costs that one count. A symbol a visible run lacks is remembered as absent, for the same reason.
 * Every answer depends only on the runs visible at its `asOf`, so a replay never changes.
 */
export class SignalReader {
  readonly #s: ServeStores;
  /** Per symbol, the issue time of a visible run that issued it (it is known from then on). */
  readonly #knownSince = new Map<string, Instant>();
  readonly modelName: string;
  #runs: { count: number; list: RunRef[] } | null = null;
  readonly #signals: Lru<string | null>;
  /** Symbols of a run, for requests of a whole run. */
  readonly #runSymbols = new Lru<string[]>(64);

  constructor(stores: ServeStores, modelName: string, opts: ReaderOptions = {}) {
    this.#s = stores;
    this.modelName = modelName;
    this.#signals = new Lru<string | null>(
      opts.signalCacheEntries ?? 100_000,
      opts.signalCacheChars ?? 64 * 1024 * 1024,
      (v) => (v === null ? 0 : v.length),
    );
  }

  /** Every visible run (its `signal_runs` row written), oldest as-of date first. */
  async runs(): Promise<RunRef[]> {
    const n = await this.#s.tables.count("signal_runs");
    if (this.#runs && this.#runs.count === n) return this.#runs.list;
    const rows = await this.#s.tables.query("signal_runs", {
      orderBy: ["as_of", "issued_at", "model_version"],
    });
    const list = rows.map(runOf);
    this.#runs = { count: rows.length, list };
    return list;
  }

  /**
   * The run that answers for `date` (or the latest date when null) as known at `asOf`: among runs issued at or
   * before `asOf` (of `model` when given), the latest date, then the latest issued. Null when none.
   */
  async run(date: IsoDate | null, asOf: Instant, model: string | null): Promise<RunRef | null> {
    let best: RunRef | null = null;
    for (const r of await this.runs()) {
      if (r.issuedAt > asOf || (date && r.date !== date) || !this.#asked(r, model)) continue;
      if (!best || answersBefore(r, best) < 0) best = r;
    }
    return best;
  }

  /**
   * Whether run `r` answers a request for `model` (null: any): a run of that version, or with no model named,
   * any run but a challenger's shadow run (those answer only when their version is asked for).
   */
  #asked(r: RunRef, model: string | null): boolean {
    return model ? r.modelVersion === model : r.source !== SHADOW_SIGNAL_SOURCE;
  }

  /** Serializes `rows` (in their order) into the cache. */
  #keep(rows: Row[]): (IssuedJson & { key: string })[] {
    return rows.map((r) => {
      const s = rowToSignal(r);
      const key = signalKey(s.provenance!.modelVersion, s.date, s.source, s.symbol);
      const json = JSON.stringify(issuedView(s));
      this.#signals.set(key, json);
      return { key, symbol: s.symbol, json };
    });
  }

  /**
   * The serialized signals under `keys` (null: that visible run issued none for the symbol, which stays so);
   * the keys not in the cache are read once with `read(missing indexes)`.
   */
  async #lookup(keys: string[], read: (missing: number[]) => Promise<Row[]>): Promise<(string | null)[]> {
    const have = keys.map((k) => this.#signals.get(k));
    const missing = keys.flatMap((_, i) => (have[i] === undefined ? [i] : []));
    if (missing.length) {
      const got = new Map(this.#keep(await read(missing)).map((g) => [g.key, g.json]));
      for (const i of missing) {
        have[i] = got.get(keys[i]) ?? null;
        if (have[i] === null) this.#signals.set(keys[i], null);
      }
    }
    return have as (string | null)[];
  }

  /** The signals a run issued (of `symbols` when given), by symbol, serialized. */
  async signalsOf(run: RunRef, symbols: string[] | null): Promise<IssuedJson[]> {
    const rk = runKey(run);
    const where: Where = { date: run.date, model_version: run.modelVersion, source: run.source };
    const want = symbols ?? this.#runSymbols.get(rk);
    if (!want) {
      const got = this.#keep(await this.#s.tables.query("signals", { where, orderBy: ["symbol"] }));
      this.#runSymbols.set(rk, got.map((g) => g.symbol));
      return got.map(({ symbol, json }) => ({ symbol, json }));
    }
    const json = await this.#lookup(
      want.map((symbol) => signalKey(run.modelVersion, run.date, run.source, symbol)),
      (missing) =>
        this.#s.tables.query("signals", { where: { ...where, symbol: missing.map((i) => want[i]) } }),
    );
    return want.flatMap((symbol, i) => (json[i] ? [{ symbol, json: json[i]! }] : []));
  }

  /**
   * True when a run visible at `asOf` (its row written, issued at or before `asOf`) issued a signal for `symbol`:
   * the same question about a past instant gets the same answer after the symbol is first issued later. A run's
   * signals are stamped no later than its row, so only rows stamped by `asOf` are read, the earliest first (almost
   * always of such a run), then, when it is not, every one of them. The issue time of a run found is remembered
   * (runs are never removed: the symbol stays known from then on); anything earlier is looked up every time.
   */
  async knownSymbol(symbol: string, asOf: Instant): Promise<boolean> {
    const since = this.#knownSince.get(symbol);
    if (since !== undefined && since <= asOf) return true;
    const visible = new Map<string, RunRef>();
    for (const r of await this.runs()) if (r.issuedAt <= asOf) visible.set(runKey(r), r);
    const where: Where = { symbol, model_version: { gt: "" }, issued_at: { lte: asOf } };
    for (const limit of [1, 0]) {
      const rows = await this.#s.tables.query("signals", {
        where,
        orderBy: ["issued_at", "date", "model_version"],
        ...(limit ? { limit } : {}),
      });
      let first: Instant | null = null;
      for (const row of rows) {
        const run = visible.get(rowRunKey(row));
        if (run && (first === null || run.issuedAt < first)) first = run.issuedAt;
      }
      if (first !== null) {
        if (since !== undefined ? first < since : this.#knownSince.size < 100_000) {
          this.#knownSince.set(symbol, first);
        }
        return true;
      }
      if (!limit || rows.length < limit) return false;
    }
    return false;
  }

  /**
   * A symbol's history in `[from, to]`: per date, the signal of the run that answers for that date at `asOf`
   * (the latest issued at or before it, of `model` when given, among the visible runs that issued one for the
   * symbol), the last `limit` dates.
   */
  async history(
    symbol: string,
    from: IsoDate,
    to: IsoDate,
    asOf: Instant,
    model: string | null,
    limit: number,
  ): Promise<IssuedJson[]> {
    const candidates = (await this.runs()).filter((r) =>
      r.date >= from && r.date <= to && r.issuedAt <= asOf && this.#asked(r, model)
    );
    const json = await this.#lookup(
      candidates.map((r) => signalKey(r.modelVersion, r.date, r.source, symbol)),
      (missing) =>
        this.#s.tables.query("signals", {
          where: {
            symbol,
            date: { gte: candidates[missing[0]].date, lte: candidates[missing[missing.length - 1]].date },
            model_version: { gt: "" },
          },
        }),
    );
    // per date, the run that answers (as in `run`): the latest issued, then the smaller version
    const byDate = new Map<string, number>();
    candidates.forEach((r, i) => {
      if (!json[i]) return;
      const b = byDate.get(r.date);
      if (b === undefined || answersBefore(r, candidates[b]) < 0) byDate.set(r.date, i);
    });
    return [...byDate.values()].slice(-limit).map((i) => ({ symbol, json: json[i]! }));
  }

  /** Registered versions (oldest first) and the aliases. */
  async models(): Promise<{ versions: VersionManifest[]; aliases: AliasState }> {
    const [versions, aliases] = await Promise.all([
      listVersions(this.#s.objects, this.modelName),
      aliasState(this.#s.objects, this.modelName),
    ]);
    return { versions, aliases };
  }

  /** One version's manifest (`version` may be an alias); null when unknown. */
  async model(version: string): Promise<VersionManifest | null> {
    let v = version;
    if (!/\./.test(v)) {
      const a = aliasTarget(await aliasState(this.#s.objects, this.modelName), v);
      if (!a) return null;
      v = a;
    }
    try {
      return await versionManifest(this.#s.objects, this.modelName, v);
    } catch {
      return null;
    }
  }

  /** Scorecard totals per model version and source over `[from, to]` (scored dates known at `asOf`). */
  async scorecard(
    from: IsoDate,
    to: IsoDate,
    asOf: Instant,
    model: string | null,
  ): Promise<{ entries: ScorecardEntry[]; days: Row[] }> {
    const where: Where = { date: { gte: from, lte: to }, known_at: { lte: asOf } };
    if (model) where.model_version = model;
    const rows = await this.#s.tables.query("scorecard", {
      where,
      orderBy: ["model_version", "source", "date"],
    });
    const groups = new Map<string, Row[]>();
    for (const r of rows) {
      const k = `${r.model_version}\u0000${r.source}`;
      let g = groups.get(k);
      if (!g) groups.set(k, g = []);
      g.push(r);
    }
    const entries: ScorecardEntry[] = [];
    for (const g of groups.values()) {
      entries.push({
        modelVersion: String(g[0].model_version),
        source: String(g[0].source),
        from: String(g[0].date),
        to: String(g[g.length - 1].date),
        ...scorecardRowTotals(g),
      });
    }
    return { entries, days: rows };
  }

  /**
   * The production run a shadow run ran beside, when it is visible at `asOf` (health is recorded only for the
   * production run of a date); null when the row does not say or that run is not visible then.
   */
  async shadowed(run: RunRef, asOf: Instant): Promise<RunRef | null> {
    if (run.shadowOf === null) return null;
    return (await this.runs()).find((r) =>
      r.modelVersion === run.shadowOf && r.date === run.date && r.source !== SHADOW_SIGNAL_SOURCE &&
      r.issuedAt <= asOf
    ) ?? null;
  }

  /** The health checks stored with a production run. */
  async health(run: Pick<RunRef, "modelVersion" | "date">): Promise<HealthCheck[]> {
    const rows = await this.#s.tables.query("health", {
      where: { model_version: run.modelVersion, as_of: run.date },
      orderBy: ["kind", "name"],
    });
    const n = (v: Row[string]) => (typeof v === "number" && Number.isFinite(v) ? v : null);
    return rows.map((r) => ({
      kind: String(r.kind),
      name: String(r.name),
      value: n(r.value),
      warn: n(r.warn),
      fail: n(r.fail),
      status: String(r.status),
    }));
  }

  /** Cheap liveness probe of the tables store. */
  async ping(): Promise<void> {
    await this.#s.tables.query("signal_runs", { limit: 1 });
  }
}
