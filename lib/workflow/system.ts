/**
 * The fitted system: `fitSystem(spec, ds)` fits the experts on the nested windows of a dataset and returns a
 * {@link FittedSystem} that predicts for any rows or decision date, and serializes to artifact files that
 * `loadSystem` turns back into a system with bit-for-bit equal predictions.
 * @module
 */
import {
  type Action,
  ConfigError,
  fewOf,
  InputError,
  type IsoDate,
  ModelError,
  type Signal,
} from "../core/mod.ts";
import { type Dataset, labelsOf, oneSessionReturn, rowsBetween } from "../dataset/mod.ts";
import { ensembleFromJSON, type EnsembleState, fitEnsembles, type FittedEnsemble } from "../ensemble/mod.ts";
import {
  type BounceJSON,
  EdgeCalibrator,
  type EdgeCalibratorJSON,
  fitTrendModel,
  Garch11Model,
  GARCH_MIN_RETURNS,
  initTensorflow,
  LevelBounceModel,
  modelFromFiles,
  modelToFiles,
  ProbabilityCalibrator,
  type ProbabilityCalibratorJSON,
  type SavableModel,
  SEQUENCE_MODEL_NAMES,
  standardizedOutcome,
  SwingLevelModel,
  type SwingLevelOptions,
  type TrendModel,
  VolatilityCalibrator,
  type VolatilityCalibratorJSON,
} from "../models/mod.ts";
import {
  crossFitEdges,
  ExpertCalibration,
  type ExpertCalibrationJSON,
  RegimeClassifier,
  type RegimeClassifierJSON,
  RegimeGate,
  type RegimeGateJSON,
} from "../moe/mod.ts";
import { scoresFromProbs } from "../signals/mod.ts";
import {
  type BookPanels,
  bookPanels,
  type BookResult,
  buildBook,
  portfolioOptions,
  RISK_WARMUP,
} from "./book.ts";
import { datasetConditions, dayIndex, gateConditions, rawExpertScores, RELIABILITY } from "./mixture.ts";
import { checkSpec, checkUniverseSize, RANKING_METHODS, type SystemSpec } from "./spec.ts";
import { nestedWindows, type SystemWindows } from "./windows.ts";

/** What a system predicts for a set of rows (all arrays in row order). */
export interface SystemPredictions {
  /** Dataset rows predicted. */
  rows: Int32Array;
  symbol: string[];
  date: IsoDate[];
  /** Decision instant of each row (close of `date`, epoch ms). */
  knownAt: Float64Array;
  /** Each base trend model's class probabilities, row-major `n x 3` `[down, neutral, up]`. */
  models: { name: string; probs: Float64Array }[];
  /** Each of the six ensembles' probabilities. */
  ensembles: { name: string; probs: Float64Array }[];
  /** Each expert's calibrated edge per row, row-major `n x K` (K = `experts.names.length`; NaN = no view). */
  experts: { names: string[]; scores: Float64Array };
  /**
   * The gate's weights per row (those of its day), row-major `n x (K + abstain)`, rows summing to 1, and each
   * expert's contribution to the row's combined edge, row-major `n x K` (summing to `score`).
   */
  gate: { names: string[]; weights: Float64Array; contributions: Float64Array };
  /** Market regime of each row's day (volatility tercile / index trend, e.g. `calm/up`), for attribution. */
  regime: string[];
  /** The combined edge (gate-weighted calibrated experts; the abstain output carries 0). */
  score: Float64Array;
  /** Forecast daily variance of the next session (volatility expert, as fitted). */
  forecastVar: Float64Array;
  /** Calibrated forecast daily standard deviation (the unit of every edge; sizes and risk). */
  dailyVol: Float64Array;
  /**
   * Calibrated edge of every strategy the system can trade, by name: `moe` (the gate's combination),
   * `expert:<name>`, `ensemble:<name>`, `model:<name>`. An edge is the expected traded return (open t+1 -> open
   * t+2) in units of `dailyVol`, from an edge calibrator fitted on the calibration window. NaN on a row that is
   * not tradable (see `untradable`).
   */
  edges: Map<string, Float64Array>;
  /**
   * Why a row is not tradable, or null when it is: a symbol the fitted system has no volatility state for (not
   * in the universe it was fitted on, or too short a history then) or with no finite forecast that day. Such a
   * row has no position in any strategy: every edge, the gate's contributions and `score` are NaN (sizes and
   * edges are never made from a missing forecast).
   */
  untradable: (string | null)[];
}

/**
 * One symbol's signal for a decision date, with what produced it. `action` and `confidence` come from one
 * quantity, `decisionEdge`, the edge the book decided on: `buy` when the book holds the name long, `sell` when
 * short, or flat with a negative `decisionEdge`, else `hold`.
 */
export interface SystemSignal extends Signal {
  /**
   * `min(1, |decisionEdge| / EDGE_FULL_CONFIDENCE)`: the strength of the view the action was decided from, in
   * the action's direction (a `buy` never carries confidence from a negative view, nor a `sell` from a positive
   * one: 0 then); 0 on a name without a view or not tradable.
   */
  confidence: number;
  /** The system's calibrated edge (expected traded return in units of `dailyVol`; NaN when not tradable). */
  edge: number;
  /**
   * The edge the book ranked or sized the name on (`PortfolioResult.decision`): for a ranking book (top-k
   * dropout, long-short) `edge` minus the day's mean edge over the tradable names, so a shift of every edge
   * together (the market term) decides neither the action nor the confidence; for Kelly `edge` itself. NaN when
   * not tradable.
   */
  decisionEdge: number;
  /** Calibrated forecast daily standard deviation. */
  dailyVol: number;
  /** Market regime of the day. */
  regime: string;
  /**
   * Present only when the name is not tradable (`hold`, size 0, confidence 0): why (e.g. no volatility forecast
   * for a symbol the system was not fitted on).
   */
  untradable?: string;
  /**
   * Present only under a VaR limit, on a decision day the limit saw: the day's book's one-day VaR at tail
   * probability `alpha` before the cap (fraction of capital) and the `limit`; the cap bound when `var > limit`.
   */
  varCap?: { var: number; limit: number; alpha: number };
}

/** Options of {@link fitSystem}. */
export interface FitOptions {
  /** Progress lines. */
  log?: (s: string) => void;
}

const FORMAT = "fmai-system";
/**
 * Format of a saved system. 3: the gate's market conditions join the VIX and the index by their publication
 * times and a missing expert view takes the day's mean (a format-2 system's gate was fitted on the VIX close of
 * the decision day, published after the decision); such a system is refused, not served: refit it.
 */
export const SYSTEM_FORMAT_VERSION = 3;

/** `system.json`: everything but the model files. */
interface SystemFile {
  format: typeof FORMAT;
  version: number;
  spec: SystemSpec;
  windows: SystemWindows;
  featureSet: { name: string; version: string };
  featureNames: string[];
  tfBackend: string;
  trend: string[];
  volatility: string;
  levels: { detector: Required<SwingLevelOptions>; bounce: BounceJSON } | null;
  ensembles: EnsembleState[];
  volatilityCalibrator: VolatilityCalibratorJSON;
  trendCalibrator: ProbabilityCalibratorJSON;
  experts: ExpertCalibrationJSON;
  gate: RegimeGateJSON;
  regimes: RegimeClassifierJSON;
  edgeCalibrators: Record<string, EdgeCalibratorJSON>;
}

interface Parts {
  spec: SystemSpec;
  windows: SystemWindows;
  featureSet: { name: string; version: string };
  featureNames: string[];
  tfBackend: string;
  trend: { name: string; model: TrendModel }[];
  vol: Garch11Model;
  levels: { detector: SwingLevelModel; bounce: LevelBounceModel } | null;
  ensembles: FittedEnsemble[];
  volCal: VolatilityCalibrator;
  trendCal: ProbabilityCalibrator;
  experts: ExpertCalibration;
  gate: RegimeGate;
  regimes: RegimeClassifier;
  /** Edge calibrators of the ensembles and models (`ensemble:<name>`, `model:<name>`). */
  edgeCals: Map<string, EdgeCalibrator>;
  timings: Record<string, number>;
}

/** The row-level outputs before the gate. */
interface RowStage {
  models: { name: string; probs: Float64Array }[];
  ensembles: { name: string; probs: Float64Array }[];
  forecastVar: Float64Array;
  dailyVol: Float64Array;
  /** Raw expert scores, one array per expert. */
  raw: Float64Array[];
}

/**
 * A fitted system: base trend models and GARCH fitted on train (fit + inner; early stopping on the inner slice), then on the
 * calibration window: the six ensembles, the volatility calibrator, the trend probabilities' calibrator, each
 * expert's edge calibrator, the regime gate (on out-of-fold edges) and the ensembles' and models' edge
 * calibrators. Immutable once fitted.
 */
export class FittedSystem {
  /** The spec it was fitted from. */
  readonly spec: SystemSpec;
  /** The windows it was fitted on. */
  readonly windows: SystemWindows;
  /** Feature set and columns it expects (a dataset to predict on must have the same). */
  readonly featureSet: { name: string; version: string };
  readonly featureNames: readonly string[];
  /** TensorFlow.js backend it was fitted on. */
  readonly tfBackend: string;
  /** Wall time per fit step in ms (not serialized). */
  readonly timings: Record<string, number>;
  readonly #p: Parts;

  /** Use {@link fitSystem} or {@link loadSystem}. */
  constructor(parts: Parts) {
    this.#p = parts;
    this.spec = parts.spec;
    this.windows = parts.windows;
    this.featureSet = parts.featureSet;
    this.featureNames = parts.featureNames;
    this.tfBackend = parts.tfBackend;
    this.timings = parts.timings;
  }

  /** Names of the experts the gate weighs. */
  get expertNames(): readonly string[] {
    return this.#p.experts.names;
  }

  /** Names of the gate's outputs: the experts, then `abstain` when it has one. */
  get gateNames(): readonly string[] {
    return this.#p.gate.outputNames;
  }

  /**
   * The gate's specialist recalibration per expert (lib/moe `RegimeGate`: the expert's edge enters the combined
   * edge as `α + β e`), in {@link expertNames} order: an expert with `β = 0` adds no view across names,
   * whatever its gate weight.
   */
  get gateSpecialists(): { alpha: number[]; beta: number[] } {
    return this.#p.gate.specialists;
  }

  /** Names of the strategies in {@link SystemPredictions.edges}, in table order. */
  get strategyNames(): string[] {
    return [
      "moe",
      ...this.expertNames.map((n) => `expert:${n}`),
      ...this.#p.ensembles.map((e) => `ensemble:${e.name}`),
      ...this.#p.trend.map((t) => `model:${t.name}`),
    ];
  }

  #checkDataset(ds: Dataset): void {
    if (ds.featureNames.join(",") !== this.featureNames.join(",")) {
      throw new ModelError(
        `system fitted on ${this.featureNames.length} features (${this.featureSet.name}@${this.featureSet.version}); ` +
          `the dataset has ${ds.featureNames.length} (${ds.featureSet.name}@${ds.featureSet.version})`,
      );
    }
  }

  /**
   * Everything the system predicts for `rows` of `ds`. The gate's reliability inputs need each expert's edges
   * and realized outcomes over the {@link RELIABILITY} window before each day, so the rows of those earlier
   * sessions are predicted too (and dropped from the result). `opts.timings`, when given, gets each base
   * model's predict wall time added as `predict:<name>` (ms).
   */
  async predictRows(
    ds: Dataset,
    rows: Int32Array,
    opts: { timings?: Record<string, number> } = {},
  ): Promise<SystemPredictions> {
    this.#checkDataset(ds);
    const p = this.#p;
    if (rows.length === 0) return emptyPredictions(p);
    // warm-up rows: every row of the dataset's sessions of the reliability window before each requested day,
    // the other rows of the requested days included (a row's combined edge is set within its day's
    // cross-section), so a row's prediction does not depend on which other rows or days were asked for
    const days = [...new Set(ds.date)].sort();
    const dayAt = new Map(days.map((d, t) => [d, t]));
    const needed = new Uint8Array(days.length);
    for (const r of rows) {
      const t = dayAt.get(ds.date[r])!;
      needed.fill(1, Math.max(0, t - (RELIABILITY.window + RELIABILITY.lag)), t + 1);
    }
    let first = ds.date[rows[0]];
    for (const r of rows) if (ds.date[r] < first) first = ds.date[r];
    const want = new Set(rows);
    const warm: number[] = [], peers: number[] = [];
    for (let i = 0; i < ds.n; i++) {
      if (want.has(i) || !needed[dayAt.get(ds.date[i])!]) continue;
      (ds.date[i] < first ? warm : peers).push(i);
    }
    const all = Int32Array.from([...warm, ...rows, ...peers]);
    const x = await rowStage(p, ds, all, opts);
    const untradable = untradableRows(p, ds, all, x);
    const edges = p.experts.edges(x.raw);
    // a row without the fitted state its sizing needs carries no view of any expert: it takes no part in the
    // gate's combination (nor in the day's mean edges that fill a missing view of a tradable row)
    untradable.forEach((why, i) => {
      if (why !== null) { for (const e of edges) e[i] = NaN; }
    });
    const idx = dayIndex(Array.from(all, (i) => ds.date[i]));
    const z = standardizedOutcome(oneSessionReturn(ds, all), x.dailyVol);
    const cond = gateConditions(datasetConditions(ds), idx, p.experts.names, edges, z);
    const out = p.gate.combine(
      { conditions: cond.values, rowDay: idx.rowDay, edges },
      idx.dates.length,
    );
    const labels = p.regimes.label(cond);
    const keep = Int32Array.from({ length: rows.length }, (_, k) => warm.length + k);
    return finish(p, ds, rows, x, edges, out, idx.rowDay, labels, keep, untradable);
  }

  /**
   * Each base trend model's class probabilities for `rows` (row-major `n x 3`, no calibration and no warm-up
   * rows): what the ensembles combine. `opts.timings` gets each model's predict wall time added as
   * `predict:<name>` (ms).
   */
  async predictModels(
    ds: Dataset,
    rows: Int32Array,
    opts: { timings?: Record<string, number> } = {},
  ): Promise<{ name: string; probs: Float64Array }[]> {
    this.#checkDataset(ds);
    return await predictTrend(this.#p, ds, rows, opts.timings);
  }

  /**
   * The book of a strategy over some predicted rows: portfolio weights per decision day from the strategy's
   * calibrated edges, with the covariance warmed up on the dataset's bars before the first day. `portfolio`: the
   * sizing stage's settings, by default the spec's (nothing in it is fitted, so a run may size with its own;
   * checked as a spec's are). `account`: the settled returns of the book actually traded, which the drawdown
   * brake reads instead of this book's own path (`BookOptions.account`).
   */
  book(
    ds: Dataset,
    p: SystemPredictions,
    strategy = "moe",
    portfolio: SystemSpec["portfolio"] = this.spec.portfolio,
    account?: readonly number[],
    warmup = RISK_WARMUP,
  ): { panels: BookPanels; portfolio: BookResult } {
    const edge = p.edges.get(strategy);
    if (!edge) throw new RangeError(`no strategy ${strategy} (known: ${[...p.edges.keys()].join(", ")})`);
    const spec = portfolio === this.spec.portfolio ? this.spec : { ...this.spec, portfolio };
    if (spec !== this.spec) checkSpec(spec);
    const panels = bookPanels(ds, p, warmup);
    const options = portfolioOptions(spec);
    return { panels, portfolio: buildBook(panels, edge, account ? { ...options, account } : options) };
  }

  /**
   * One signal per symbol with a row on a decision date (after its close; the trade fills at the next open):
   * `size` = the target portfolio weight (fraction of capital, negative = short), `action` buy/sell/hold from
   * it (sell also when the book holds nothing of a name with a negative `decisionEdge`, the edge the book decided
   * on), `confidence` from that same `decisionEdge`, `edge`, `dailyVol`, `regime`, `untradable` (a name the
   * system has no volatility forecast for: `hold`, size 0, with the reason), and
   * per gate output its weight and the expert's edge as the gate uses it (`contributions`: `Σ weight x score` is
   * the combined `edge`; `abstain` carries 0). The book is path dependent (top-k with dropout keeps names; the
   * covariance has memory), so it is rebuilt flat from {@link BOOK_PATH} decision sessions before the date
   * ({@link RISK_BOOK_PATH} with risk limits, which read the rebuilt book's settled returns). Empty when the
   * dataset has no row on that date. `opts.portfolio` sizes with other settings than the spec's, and
   * `opts.account` gives the drawdown brake the settled returns of the book actually traded to read instead of
   * the rebuilt path's (see {@link FittedSystem.book}).
   */
  async predict(
    ds: Dataset,
    decisionDate: IsoDate,
    opts: { portfolio?: SystemSpec["portfolio"]; account?: readonly number[] } = {},
  ): Promise<SystemSignal[]> {
    const portfolio = opts.portfolio ?? this.spec.portfolio;
    const days = [...new Set(ds.date)].filter((d) => d <= decisionDate).sort();
    if (days[days.length - 1] !== decisionDate) return [];
    const path = portfolio.risk ? RISK_BOOK_PATH : BOOK_PATH;
    const from = days[Math.max(0, days.length - path)];
    const p = await this.predictRows(ds, rowsBetween(ds, from, decisionDate));
    // the risk model's history starts where a book with risk limits starts it, whatever the path: a limit that is
    // configured but does not bind leaves the sizes as they are without it (the covariance has memory)
    const warmup = RISK_WARMUP + RISK_BOOK_PATH - path;
    return bookSignals(p, this.book(ds, p, "moe", portfolio, opts.account, warmup).portfolio, decisionDate);
  }

  /**
   * Artifact files (name -> text or bytes) for the model registry (`saveModelArtifact`): `system.json` (spec,
   * windows, features, ensembles, calibrators, gate) and each model's files under `trend.<name>.*` and
   * `volatility.<name>.*`. The same fitted system always gives the same bytes.
   */
  async toArtifacts(): Promise<Record<string, Uint8Array | string>> {
    const p = this.#p;
    const files: Record<string, Uint8Array | string> = {};
    for (const t of p.trend) {
      for (const [f, v] of Object.entries(await modelToFiles(t.model as SavableModel))) {
        files[`trend.${t.name}.${f}`] = v;
      }
    }
    for (const [f, v] of Object.entries(await modelToFiles(p.vol))) {
      files[`volatility.${p.vol.name}.${f}`] = v;
    }
    const sys: SystemFile = {
      format: FORMAT,
      version: SYSTEM_FORMAT_VERSION,
      spec: p.spec,
      windows: p.windows,
      featureSet: p.featureSet,
      featureNames: p.featureNames,
      tfBackend: p.tfBackend,
      trend: p.trend.map((t) => t.name),
      volatility: p.vol.name,
      levels: p.levels ? { detector: p.levels.detector.options, bounce: p.levels.bounce.toJSON() } : null,
      ensembles: p.ensembles.map((e) => e.method.toJSON()),
      volatilityCalibrator: p.volCal.toJSON(),
      trendCalibrator: p.trendCal.toJSON(),
      experts: p.experts.toJSON(),
      gate: p.gate.toJSON(),
      regimes: p.regimes.toJSON(),
      edgeCalibrators: Object.fromEntries([...p.edgeCals].map(([k, c]) => [k, c.toJSON()])),
    };
    files["system.json"] = JSON.stringify(sys);
    return files;
  }
}

/** Decision sessions of the book path {@link FittedSystem.predict} rebuilds before a decision date. */
export const BOOK_PATH = 21;

/**
 * The book path when the spec has risk limits (`portfolio.risk`): about six months, so the VaR limit has its 60
 * settled days of the book's own standardized returns (with fewer, the Student-t quantile), and the drawdown brake,
 * unless given the traded account to read (`predict`'s `account`), a drawdown over that path.
 */
export const RISK_BOOK_PATH = 126;

/**
 * Edge (per-day Sharpe of a one-name bet) at which a signal's confidence reaches 1: 0.1, i.e. an annualized
 * Sharpe of about 1.6 for the name alone.
 */
export const EDGE_FULL_CONFIDENCE = 0.1;

/**
 * Action and confidence of a signal from the book's weight `w` and the edge it decided on (`decision`): `buy` when
 * `w > 0`, `sell` when `w < 0` or flat with `decision < 0`, else `hold`; confidence `min(1, |decision| /
 * EDGE_FULL_CONFIDENCE)` when `decision` points the action's way (0 when it does not, or is not finite).
 */
export function actionAndConfidence(w: number, decision: number): { action: Action; confidence: number } {
  const action: Action = w > 0 ? "buy" : w < 0 || decision < 0 ? "sell" : "hold";
  const against = (action === "buy" && decision < 0) || (action === "sell" && decision > 0);
  const confidence = Number.isFinite(decision) && !against
    ? Math.min(1, Math.abs(decision) / EDGE_FULL_CONFIDENCE)
    : 0;
  return { action, confidence };
}

/**
 * The signals of predicted rows (of one decision date, or all) from the book built on them (source `moe`): size =
 * the book's weight, action and confidence from it and the edge it decided on ({@link actionAndConfidence}; see
 * {@link SystemSignal}), and per gate output its weight and the expert's edge. A row that is not tradable is a
 * `hold` of size 0 and confidence 0 with the reason in `untradable`.
 */
export function bookSignals(p: SystemPredictions, book: BookResult, date?: IsoDate): SystemSignal[] {
  const S = book.symbols.length;
  const si = new Map(book.symbols.map((x, s) => [x, s])), ti = new Map(book.dates.map((d, t) => [d, t]));
  const K = p.experts.names.length, G = p.gate.names.length, edge = p.edges.get("moe")!;
  const out: SystemSignal[] = [];
  for (let i = 0; i < p.rows.length; i++) {
    if (date !== undefined && p.date[i] !== date) continue;
    const t = ti.get(p.date[i]), s = si.get(p.symbol[i]);
    const cell = t === undefined || s === undefined ? -1 : t * S + s;
    const why = p.untradable[i];
    const w = cell < 0 || why !== null ? 0 : book.weights[cell];
    const decision = cell < 0 || why !== null ? NaN : book.decision[cell];
    const { action, confidence } = actionAndConfidence(w, decision);
    const before = t === undefined || !book.varCap ? NaN : book.varCap.before[t];
    out.push({
      symbol: p.symbol[i],
      date: p.date[i],
      knownAt: p.knownAt[i],
      action,
      size: w === 0 ? 0 : w,
      confidence,
      contributions: p.gate.names.map((expert, k) => {
        const weight = p.gate.weights[i * G + k];
        // the expert's edge as the gate uses it (after its specialist recalibration): weight x score adds up
        // to the combined edge; abstain carries 0
        const c = k < K ? p.gate.contributions[i * K + k] : 0;
        return { expert, weight, score: weight > 0 && Number.isFinite(c) ? c / weight : 0 };
      }),
      source: "moe",
      edge: edge[i],
      decisionEdge: decision,
      dailyVol: p.dailyVol[i],
      regime: p.regime[i],
      ...(why !== null ? { untradable: why } : {}),
      ...(book.varCap && Number.isFinite(before)
        ? { varCap: { var: before, limit: book.varCap.limit, alpha: book.varCap.alpha } }
        : {}),
    });
  }
  return out;
}

/**
 * Why each row cannot be traded (null when it can): every size and edge is in units of the row's calibrated
 * forecast daily sd, so a row without one (a symbol the volatility model was not fitted on, or no finite
 * forecast that day) has nothing to be sized from.
 */
function untradableRows(p: Parts, ds: Dataset, rows: Int32Array, x: RowStage): (string | null)[] {
  const fitted = new Set(Object.keys(p.vol.toJSON().params));
  return Array.from(rows, (r, k) => {
    const sym = ds.symbol[r];
    if (!fitted.has(sym)) {
      return `no volatility forecast: ${sym} is not in the fitted ${p.vol.name} model (not in the universe the ` +
        `system was fitted on, or too short a history then); refit the system to trade it`;
    }
    if (!(x.dailyVol[k] > 0 && Number.isFinite(x.dailyVol[k]))) {
      return `no volatility forecast for ${sym} on ${ds.date[r]}`;
    }
    return null;
  });
}

/**
 * Refuses a fit whose volatility model leaves the portfolio method too few names to trade (see
 * `checkUniverseSize`): a symbol with fewer than {@link GARCH_MIN_RETURNS} returns in the train window (listed
 * late, or a short history) gets no volatility forecast, so no strategy can size it, and a ranking book with
 * one such name left would hold nothing on any day. A one-line `ConfigError` naming those symbols and the train
 * segment.
 */
export function checkTradableUniverse(
  spec: SystemSpec,
  ds: Dataset,
  forecastable: readonly string[],
  windows: SystemWindows,
): void {
  const method = spec.portfolio.method;
  // the size rule is checkUniverseSize's; this says which names the volatility model left out, and why
  if (!RANKING_METHODS.includes(method)) return;
  try {
    checkUniverseSize(spec, forecastable.length);
    return;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
  }
  const have = new Set(forecastable);
  const without = [...ds.series.keys()].filter((s) => !have.has(s));
  const train = windows.segments.train.join(".."), one = without.length === 1;
  throw new ConfigError(
    `portfolio.method ${method} ranks names against each other and needs at least 2 symbols with a volatility ` +
      `forecast, got ${forecastable.length}: ${fewOf(without, 5)} ${one ? "has" : "have"} fewer than ` +
      `${GARCH_MIN_RETURNS} returns in ${
        one ? "its" : "their"
      } train rows (train segment ${train}; a symbol's ` +
      `rows start after the feature warm-up: listed later, or too short a history), so nothing would ever be ` +
      `held; start the train segment later, choose symbols with a longer history, or use portfolio.method: ` +
      `kelly (each name sized on its own edge)`,
  );
}

/** Each base trend model's probabilities for `rows`; `timings` gets each model's predict ms added. */
async function predictTrend(
  p: Parts,
  ds: Dataset,
  rows: Int32Array,
  timings?: Record<string, number>,
): Promise<RowStage["models"]> {
  const models: RowStage["models"] = [];
  for (const t of p.trend) {
    const t0 = performance.now();
    models.push({ name: t.name, probs: await t.model.predict(ds, rows) });
    if (timings) timings[`predict:${t.name}`] = (timings[`predict:${t.name}`] ?? 0) + performance.now() - t0;
  }
  return models;
}

/**
 * Base models, ensembles, volatility and raw expert scores of `rows`: `o.models` are the base models'
 * predictions of these rows when already known, `o.timings` gets each model's predict ms otherwise.
 */
async function rowStage(
  p: Parts,
  ds: Dataset,
  rows: Int32Array,
  o: { timings?: Record<string, number>; models?: RowStage["models"] } = {},
): Promise<RowStage> {
  const models = o.models ?? await predictTrend(p, ds, rows, o.timings);
  const probs = models.map((m) => m.probs);
  const ensembles = p.ensembles.map((e) => ({ name: e.name, probs: e.method.combine(probs) }));
  const forecastVar = await p.vol.predict(ds, rows, 1);
  const dailyVol = p.volCal.dailyVol(forecastVar);
  const soft = ensembles.find((e) => e.name === "soft")!.probs;
  const trendProbs = p.trendCal.fitted ? p.trendCal.apply(soft) : soft;
  const raw = p.experts.names.map((name) =>
    rawExpertScores(name, { ds, rows, trendProbs, dailyVol, levels: p.levels })
  );
  return { models, ensembles, forecastVar, dailyVol, raw };
}

function emptyPredictions(p: Parts): SystemPredictions {
  const e = new Float64Array(0);
  const names = ["moe", ...p.experts.names.map((n) => `expert:${n}`)];
  names.push(...p.ensembles.map((x) => `ensemble:${x.name}`), ...p.trend.map((t) => `model:${t.name}`));
  return {
    rows: new Int32Array(0),
    symbol: [],
    date: [],
    knownAt: e,
    models: p.trend.map((t) => ({ name: t.name, probs: e })),
    ensembles: p.ensembles.map((x) => ({ name: x.name, probs: e })),
    experts: { names: [...p.experts.names], scores: e },
    gate: { names: p.gate.outputNames, weights: e, contributions: e },
    regime: [],
    score: e,
    forecastVar: e,
    dailyVol: e,
    edges: new Map(names.map((n) => [n, e])),
    untradable: [],
  };
}

function pick(a: Float64Array, keep: Int32Array, width = 1): Float64Array {
  const out = new Float64Array(keep.length * width);
  for (let k = 0; k < keep.length; k++) {
    out.set(a.subarray(keep[k] * width, keep[k] * width + width), k * width);
  }
  return out;
}

function finish(
  p: Parts,
  ds: Dataset,
  rows: Int32Array,
  x: RowStage,
  edges: Float64Array[],
  out: { edge: Float64Array; weights: Float64Array; contributions: Float64Array[] },
  rowDay: Int32Array,
  dayLabels: string[],
  keep: Int32Array,
  untradableAll: (string | null)[],
): SystemPredictions {
  const K = edges.length, G = p.gate.outputNames.length;
  const untradable = Array.from(keep, (i) => untradableAll[i]);
  const expertScores = new Float64Array(keep.length * K), gateW = new Float64Array(keep.length * G);
  const contrib = new Float64Array(keep.length * K);
  keep.forEach((i, k) => {
    for (let j = 0; j < K; j++) {
      expertScores[k * K + j] = edges[j][i];
      contrib[k * K + j] = out.contributions[j][i];
    }
    gateW.set(out.weights.subarray(rowDay[i] * G, rowDay[i] * G + G), k * G);
  });
  const edgeMap = new Map<string, Float64Array>();
  edgeMap.set("moe", pick(out.edge, keep));
  p.experts.names.forEach((n, j) => edgeMap.set(`expert:${n}`, pick(edges[j], keep)));
  for (const e of x.ensembles) {
    edgeMap.set(
      `ensemble:${e.name}`,
      pick(p.edgeCals.get(`ensemble:${e.name}`)!.predict(scoresFromProbs(e.probs)), keep),
    );
  }
  for (const m of x.models) {
    edgeMap.set(
      `model:${m.name}`,
      pick(p.edgeCals.get(`model:${m.name}`)!.predict(scoresFromProbs(m.probs)), keep),
    );
  }
  // a row that is not tradable has no position in any strategy
  untradable.forEach((why, k) => {
    if (why === null) return;
    for (const e of edgeMap.values()) e[k] = NaN;
    contrib.fill(NaN, k * K, k * K + K);
  });
  return {
    rows,
    symbol: Array.from(rows, (i) => ds.symbol[i]),
    date: Array.from(rows, (i) => ds.date[i]),
    knownAt: Float64Array.from(rows, (i) => ds.decisionTime[i]),
    models: x.models.map((m) => ({ name: m.name, probs: pick(m.probs, keep, 3) })),
    ensembles: x.ensembles.map((e) => ({ name: e.name, probs: pick(e.probs, keep, 3) })),
    experts: { names: [...p.experts.names], scores: expertScores },
    gate: { names: p.gate.outputNames, weights: gateW, contributions: contrib },
    regime: Array.from(keep, (i) => dayLabels[rowDay[i]]),
    score: edgeMap.get("moe")!,
    forecastVar: pick(x.forecastVar, keep),
    dailyVol: pick(x.dailyVol, keep),
    edges: edgeMap,
    untradable,
  };
}

/**
 * Fits a system on the nested windows of `ds` (its segments decide them): the base trend models on train (those
 * with early stopping stop on the inner slice, then refit on all of train with the epochs/rounds chosen there;
 * see `fitTrendModel`; the sequence models keep their early-stopped fit) and GARCH(1,1) on all of train; then, on the validation (calibration) window the base models
 * never saw: the six ensembles, the volatility calibrator (forecast -> the traded return's scale), the
 * temperature of the trend probabilities, each expert's edge calibrator (raw score -> expected traded return in
 * forecast sds), the regime gate (on out-of-fold edges, so it does not trust a fitted accident) and the
 * ensembles' and models' edge calibrators. The test segment is not read.
 */
export async function fitSystem(spec: SystemSpec, ds: Dataset, opts: FitOptions = {}): Promise<FittedSystem> {
  checkSpec(spec);
  const log = opts.log ?? (() => {});
  const timings: Record<string, number> = {};
  const { rows, windows } = nestedWindows(ds, {
    innerFrac: spec.dataset.innerFrac,
    purge: spec.dataset.purge,
  });
  if (rows.fit.length === 0) throw new ConfigError("the train segment holds no rows to fit on");
  let tfBackend = "none";
  if (spec.experts.trend.some((m) => m === "mlp-tfjs" || SEQUENCE_MODEL_NAMES.includes(m))) {
    tfBackend = (await initTensorflow()).backend;
  }
  // the volatility model first: every size is in units of its forecast, so a universe it leaves too small for
  // the portfolio method is refused before the (slow) trend models are fitted
  let t0 = performance.now();
  const vol = new Garch11Model();
  await vol.fit(ds, Int32Array.from([...rows.fit, ...rows.inner].sort((a, b) => a - b)));
  timings["fit:garch11"] = performance.now() - t0;
  checkTradableUniverse(spec, ds, Object.keys(vol.toJSON().params), windows);
  const trend: Parts["trend"] = [];
  for (const name of spec.experts.trend) {
    const t0 = performance.now();
    const model = await fitTrendModel(name, spec.seed, ds, rows.fit, rows.inner);
    timings[`fit:${name}`] = performance.now() - t0;
    trend.push({ name, model });
    log(`fit ${name} in ${(timings[`fit:${name}`] / 1000).toFixed(1)} s`);
  }
  const names = [...spec.experts.use];
  let levels: Parts["levels"] = null;
  if (names.includes("level")) {
    // the bounce/break model learns from touches whose outcome was known by the end of train
    t0 = performance.now();
    const detector = new SwingLevelModel();
    const knownBy: Record<string, number> = {};
    for (const i of [...rows.fit, ...rows.inner]) {
      knownBy[ds.symbol[i]] = Math.max(knownBy[ds.symbol[i]] ?? -1, ds.seriesIndex[i]);
    }
    const series = new Map([...ds.series].filter(([sym]) => sym in knownBy));
    let bounce: LevelBounceModel;
    try {
      bounce = new LevelBounceModel().fit(series, detector, { knownBy });
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      // it learns from the support/resistance touches of the whole history up to the train end: too few is the
      // data the user gave (a user error, exit 2), not a fault of the model
      throw new InputError(
        `${e.message}: the level expert needs more history before the train end (start the data earlier), ` +
          `or leave level out of the experts`,
        { cause: e },
      );
    }
    levels = { detector, bounce };
    timings["fit:levels"] = performance.now() - t0;
  }
  const parts: Parts = {
    spec: structuredClone(spec),
    windows,
    featureSet: { ...ds.featureSet },
    featureNames: [...ds.featureNames],
    tfBackend,
    trend,
    vol,
    levels,
    ensembles: [],
    volCal: new VolatilityCalibrator(),
    trendCal: new ProbabilityCalibrator(3, "temperature"),
    experts: new ExpertCalibration(names),
    gate: new RegimeGate([], names),
    regimes: new RegimeClassifier(),
    edgeCals: new Map(),
    timings,
  };
  // ---- calibration window ----
  const cal = rows.calibration;
  const labels = labelsOf(ds, cal);
  t0 = performance.now();
  const calModels = await predictTrend(parts, ds, cal);
  const calProbs = calModels.map((m) => m.probs);
  parts.ensembles = fitEnsembles(calProbs, labels);
  timings["fit:ensembles"] = performance.now() - t0;
  t0 = performance.now();
  // each row's next session's traded return (NaN across a hole in its symbol's bars: several sessions' move)
  const traded = oneSessionReturn(ds, cal);
  const forecastVar = await vol.predict(ds, cal, 1);
  parts.volCal.fit(forecastVar, traded);
  const soft = parts.ensembles.find((e) => e.name === "soft")!.method.combine(calProbs);
  parts.trendCal.fit(soft, labels);
  const x = await rowStage(parts, ds, cal, { models: calModels });
  const idx = dayIndex(Array.from(cal, (i) => ds.date[i]));
  const z = standardizedOutcome(traded, x.dailyVol);
  parts.experts.fit(x.raw, z);
  for (const e of x.ensembles) {
    parts.edgeCals.set(`ensemble:${e.name}`, new EdgeCalibrator().fit(scoresFromProbs(e.probs), z));
  }
  for (const m of x.models) {
    parts.edgeCals.set(`model:${m.name}`, new EdgeCalibrator().fit(scoresFromProbs(m.probs), z));
  }
  timings["fit:calibration"] = performance.now() - t0;
  // the gate: on out-of-fold edges, with the reliability those edges had
  t0 = performance.now();
  const oof = crossFitEdges(names, x.raw, z, idx.rowDay);
  const cond = gateConditions(datasetConditions(ds), idx, names, oof, z);
  parts.gate = new RegimeGate(cond.names, names, {
    hidden: [spec.combiner.hidden],
    abstain: spec.combiner.abstain,
    seed: spec.seed,
  });
  await parts.gate.fit({ conditions: cond.values, rowDay: idx.rowDay, edges: oof }, z, idx.dates.length);
  parts.regimes.fit(cond);
  timings["fit:gate"] = performance.now() - t0;
  log(
    `windows: fit ${windows.fit.join("..")} (${windows.rows.fit} rows), inner ${
      windows.inner?.join("..") ?? "none"
    } (${windows.rows.inner}), calibration ${windows.calibration.join("..")} (${windows.rows.calibration})`,
  );
  return new FittedSystem(parts);
}

function text(files: Record<string, Uint8Array | string>, name: string): string {
  const v = files[name];
  if (v === undefined) throw new ModelError(`system artifact ${name} missing`);
  return typeof v === "string" ? v : new TextDecoder().decode(v);
}

function withPrefix(
  files: Record<string, Uint8Array | string>,
  prefix: string,
): Record<string, Uint8Array | string> {
  const out: Record<string, Uint8Array | string> = {};
  for (const [k, v] of Object.entries(files)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** Restores a system from {@link FittedSystem.toArtifacts} files (`ModelError` when a file is missing). */
export async function loadSystem(files: Record<string, Uint8Array | string>): Promise<FittedSystem> {
  const s = JSON.parse(text(files, "system.json")) as SystemFile;
  if (s?.format !== FORMAT) throw new ModelError("not an fmai system artifact (system.json format)");
  if (s.version !== SYSTEM_FORMAT_VERSION) {
    throw new ModelError(
      `system artifact format ${s.version}; this build reads format ${SYSTEM_FORMAT_VERSION}: refit the system`,
    );
  }
  if (s.trend.includes("mlp-tfjs")) await initTensorflow();
  const trend: Parts["trend"] = [];
  for (const name of s.trend) {
    const model = await modelFromFiles(withPrefix(files, `trend.${name}.`), `system trend model ${name}`);
    trend.push({ name, model: model as unknown as TrendModel });
  }
  const vol = await modelFromFiles(
    withPrefix(files, `volatility.${s.volatility}.`),
    "system volatility model",
  );
  if (!(vol instanceof Garch11Model)) {
    throw new ModelError(`system volatility model ${s.volatility} is not garch11`);
  }
  return new FittedSystem({
    spec: s.spec,
    windows: s.windows,
    featureSet: s.featureSet,
    featureNames: s.featureNames,
    tfBackend: s.tfBackend,
    trend,
    vol,
    levels: s.levels
      ? {
        detector: new SwingLevelModel(s.levels.detector),
        bounce: LevelBounceModel.fromJSON(s.levels.bounce),
      }
      : null,
    ensembles: s.ensembles.map((e) => ({ name: e.method, method: ensembleFromJSON(e) })),
    volCal: VolatilityCalibrator.fromJSON(s.volatilityCalibrator),
    trendCal: ProbabilityCalibrator.fromJSON(s.trendCalibrator),
    experts: ExpertCalibration.fromJSON(s.experts),
    gate: RegimeGate.fromJSON(s.gate),
    regimes: RegimeClassifier.fromJSON(s.regimes),
    edgeCals: new Map(Object.entries(s.edgeCalibrators).map(([k, j]) => [k, EdgeCalibrator.fromJSON(j)])),
    timings: {},
  });
}
