/**
 * The fitted system: `fitSystem(spec, ds)` fits the experts on the nested windows of a dataset and returns a
 * {@link FittedSystem} that predicts for any rows or decision date, and serializes to artifact files that
 * `loadSystem` turns back into a system with bit-for-bit equal predictions.
 * @module
 */
import { type Action, ConfigError, type IsoDate, ModelError, type Signal } from "../core/mod.ts";
import { closesOf, type Dataset, featureColumn, labelsOf, rowsBetween } from "../dataset/mod.ts";
import { ensembleFromJSON, type EnsembleState, fitEnsembles, type FittedEnsemble } from "../ensemble/mod.ts";
import {
  EdgeCalibrator,
  type EdgeCalibratorJSON,
  fitTrendModel,
  Garch11Model,
  initTensorflow,
  levelColumns,
  modelFromFiles,
  modelToFiles,
  type SavableModel,
  standardizedOutcome,
  SwingLevelModel,
  type SwingLevelOptions,
  type TrendModel,
  VolatilityCalibrator,
  type VolatilityCalibratorJSON,
} from "../models/mod.ts";
import {
  type GateState,
  levelExpertScores,
  MoeCombiner,
  type MoeInputs,
  type MoeOutput,
  trendExpertScores,
} from "../moe/mod.ts";
import { type PortfolioResult, scoresFromProbs } from "../signals/mod.ts";
import { type BookPanels, bookPanels, buildBook, portfolioOptions } from "./book.ts";
import { checkSpec, type SystemSpec } from "./spec.ts";
import { nestedWindows, type SystemWindows } from "./windows.ts";

/** Per-stock market-condition features the gate sees, when the feature set has them. */
export const GATE_CONDITIONS = ["vol_20", "vol_60", "ret_20", "ret_60", "adx_14", "rank_vol_20"];
/** The gate's volatility input: the forecast volatility over its trailing reference (`vol_60`, else `vol_20`). */
export const VOL_RATIO = "forecast_vol_ratio";

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
  /** Each expert's output per row, row-major `n x K` (K = `experts.names.length`), in [-1, 1]. */
  experts: { names: string[]; scores: Float64Array };
  /** The gate's weights per row, row-major `n x K`, rows summing to 1. */
  gate: { names: string[]; weights: Float64Array };
  /** The combined score (gate-weighted experts) before standardization. */
  score: Float64Array;
  /** Forecast daily variance of the next session (volatility expert, as fitted). */
  forecastVar: Float64Array;
  /** Calibrated forecast daily standard deviation (the unit of every edge; sizes and risk). */
  dailyVol: Float64Array;
  /**
   * Calibrated edge of every strategy the system can trade, by name: `moe`, `expert:<name>`, `ensemble:<name>`,
   * `model:<name>`. An edge is the expected traded return (open t+1 -> open t+2) in units of `dailyVol`,
   * mapped from the strategy's raw score by an edge calibrator fitted on the calibration window.
   */
  edges: Map<string, Float64Array>;
}

/** One symbol's signal for a decision date, with what produced it. */
export interface SystemSignal extends Signal {
  /** The system's calibrated edge (expected traded return in units of `dailyVol`). */
  edge: number;
  /** Calibrated forecast daily standard deviation. */
  dailyVol: number;
}

/** Options of {@link fitSystem}. */
export interface FitOptions {
  /** Progress lines. */
  log?: (s: string) => void;
}

const FORMAT = "fmai-system";
const FORMAT_VERSION = 1;

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
  levels: Required<SwingLevelOptions> | null;
  ensembles: EnsembleState[];
  moe: { expertNames: string[]; conditionNames: string[]; gate: GateState };
  volatilityCalibrator: VolatilityCalibratorJSON;
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
  levels: SwingLevelModel | null;
  ensembles: FittedEnsemble[];
  moe: MoeCombiner;
  volCal: VolatilityCalibrator;
  edgeCals: Map<string, EdgeCalibrator>;
  timings: Record<string, number>;
}

/** Expert inputs of some rows, before the gate. */
interface ExpertRows {
  models: { name: string; probs: Float64Array }[];
  ensembles: { name: string; probs: Float64Array }[];
  forecastVar: Float64Array;
  moeIn: MoeInputs;
}

/**
 * A fitted system: base trend models, the volatility forecaster and the level detector (fitted on train less the
 * inner slice; early stopping on the inner slice), the six ensembles, the gate, the volatility calibrator and
 * each strategy's edge calibrator (fitted on the calibration window). Immutable once fitted.
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
    return this.#p.moe.expertNames;
  }

  /** Names of the strategies in {@link SystemPredictions.edges}, in table order. */
  get strategyNames(): string[] {
    return [
      "moe",
      ...this.#p.moe.expertNames.map((n) => `expert:${n}`),
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

  /** Everything the system predicts for `rows` of `ds`. */
  async predictRows(ds: Dataset, rows: Int32Array): Promise<SystemPredictions> {
    this.#checkDataset(ds);
    const x = await expertRows(this.#p, ds, rows);
    const out = this.#p.moe.predict(x.moeIn);
    return finish(this.#p, ds, rows, x, out);
  }

  /**
   * The book of a strategy over some predicted rows: portfolio weights per decision day from the strategy's
   * calibrated edges (`spec.portfolio`), with the covariance warmed up on the dataset's bars before the first day.
   */
  book(
    ds: Dataset,
    p: SystemPredictions,
    strategy = "moe",
  ): { panels: BookPanels; portfolio: PortfolioResult } {
    const edge = p.edges.get(strategy);
    if (!edge) throw new RangeError(`no strategy ${strategy} (known: ${[...p.edges.keys()].join(", ")})`);
    const panels = bookPanels(ds, p);
    return { panels, portfolio: buildBook(panels, edge, portfolioOptions(this.spec)) };
  }

  /**
   * One signal per symbol with a row on a decision date (after its close; the trade fills at the next open):
   * `size` = the target portfolio weight (fraction of capital, negative = short), `action` buy/sell/hold from
   * it (sell also when a long-only book holds nothing of a name with a negative edge), `edge` and `dailyVol`, and
   * per expert its calibrated edge and gate weight (`contributions`). The book is path dependent (top-k with
   * dropout keeps names; the covariance has memory), so it is rebuilt flat from `BOOK_PATH` decision sessions
   * before the date. Empty when the dataset has no row on that date.
   */
  async predict(ds: Dataset, decisionDate: IsoDate): Promise<SystemSignal[]> {
    const days = [...new Set(ds.date)].filter((d) => d <= decisionDate).sort();
    if (days[days.length - 1] !== decisionDate) return [];
    const from = days[Math.max(0, days.length - BOOK_PATH)];
    const p = await this.predictRows(ds, rowsBetween(ds, from, decisionDate));
    return bookSignals(p, this.book(ds, p).portfolio, decisionDate);
  }

  /**
   * Artifact files (name -> text or bytes) for the model registry (`saveModelArtifact`): `system.json` (spec,
   * windows, features, ensembles, gate, calibrators) and each model's files under `trend.<name>.*` and
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
      version: FORMAT_VERSION,
      spec: p.spec,
      windows: p.windows,
      featureSet: p.featureSet,
      featureNames: p.featureNames,
      tfBackend: p.tfBackend,
      trend: p.trend.map((t) => t.name),
      volatility: p.vol.name,
      levels: p.levels ? p.levels.options : null,
      ensembles: p.ensembles.map((e) => e.method.toJSON()),
      moe: p.moe.toJSON(),
      volatilityCalibrator: p.volCal.toJSON(),
      edgeCalibrators: Object.fromEntries([...p.edgeCals].map(([k, c]) => [k, c.toJSON()])),
    };
    files["system.json"] = JSON.stringify(sys);
    return files;
  }
}

/** Decision sessions of the book path {@link FittedSystem.predict} rebuilds before a decision date. */
export const BOOK_PATH = 21;

/**
 * The signals of predicted rows (of one decision date, or all) from the book built on them (source `moe`): size =
 * the book's weight, action from it, and per expert its output and gate weight.
 */
export function bookSignals(p: SystemPredictions, book: PortfolioResult, date?: IsoDate): SystemSignal[] {
  const S = book.symbols.length;
  const si = new Map(book.symbols.map((x, s) => [x, s])), ti = new Map(book.dates.map((d, t) => [d, t]));
  const K = p.experts.names.length, edge = p.edges.get("moe")!;
  const out: SystemSignal[] = [];
  for (let i = 0; i < p.rows.length; i++) {
    if (date !== undefined && p.date[i] !== date) continue;
    const t = ti.get(p.date[i]), s = si.get(p.symbol[i]);
    const w = t === undefined || s === undefined ? 0 : book.weights[t * S + s];
    const action: Action = w > 0 ? "buy" : w < 0 || edge[i] < 0 ? "sell" : "hold";
    out.push({
      symbol: p.symbol[i],
      date: p.date[i],
      knownAt: p.knownAt[i],
      action,
      size: w === 0 ? 0 : w,
      confidence: Number.isFinite(edge[i]) ? Math.min(1, Math.abs(edge[i]) / EDGE_FULL_CONFIDENCE) : 0,
      contributions: p.experts.names.map((expert, k) => ({
        expert,
        weight: p.gate.weights[i * K + k],
        score: p.experts.scores[i * K + k],
      })),
      source: "moe",
      edge: edge[i],
      dailyVol: p.dailyVol[i],
    });
  }
  return out;
}

/**
 * Edge (per-day Sharpe of a one-name bet) at which a signal's confidence reaches 1: 0.1, i.e. an annualized
 * Sharpe of about 1.6 for the name alone.
 */
export const EDGE_FULL_CONFIDENCE = 0.1;

function conditionMatrix(
  ds: Dataset,
  rows: Int32Array,
  names: readonly string[],
  forecastVar: Float64Array,
): Float64Array {
  const f = ds.featureNames.length, m = names.length;
  const out = new Float64Array(rows.length * m);
  const ref = featureColumn(ds, rows, ds.featureNames.includes("vol_60") ? "vol_60" : "vol_20");
  names.forEach((c, k) => {
    if (c === VOL_RATIO) {
      for (let i = 0; i < rows.length; i++) out[i * m + k] = Math.sqrt(forecastVar[i]) / ref[i];
      return;
    }
    const j = ds.featureNames.indexOf(c);
    for (let i = 0; i < rows.length; i++) out[i * m + k] = j < 0 ? NaN : ds.X[rows[i] * f + j];
  });
  return out;
}

async function expertRows(p: Parts, ds: Dataset, rows: Int32Array): Promise<ExpertRows> {
  const models: ExpertRows["models"] = [];
  for (const t of p.trend) models.push({ name: t.name, probs: await t.model.predict(ds, rows) });
  const probs = models.map((m) => m.probs);
  const ensembles = p.ensembles.map((e) => ({ name: e.name, probs: e.method.combine(probs) }));
  const forecastVar = await p.vol.predict(ds, rows, 1);
  const expertScores: Float64Array[] = [];
  for (const name of p.moe.expertNames) {
    if (name === "trend") {
      const soft = ensembles.find((e) => e.name === "soft")!.probs;
      expertScores.push(trendExpertScores(soft));
    } else if (name === "level") {
      const lv = levelColumns(ds, rows, p.levels!);
      expertScores.push(
        levelExpertScores({ close: closesOf(ds, rows), ...lv, dailyVol: forecastVar.map(Math.sqrt) }),
      );
    } else throw new ModelError(`system: unknown expert ${name}`);
  }
  const conditions = conditionMatrix(ds, rows, p.moe.conditionNames, forecastVar);
  return { models, ensembles, forecastVar, moeIn: { expertScores, conditions } };
}

/** Raw directional scores of every strategy, in `strategyNames` order. */
function rawStrategies(x: ExpertRows, out: MoeOutput): [string, Float64Array][] {
  return [
    ["moe", out.score],
    ...out.expertNames.map((n, k) => [`expert:${n}`, x.moeIn.expertScores[k]] as [string, Float64Array]),
    ...x.ensembles.map((e) => [`ensemble:${e.name}`, scoresFromProbs(e.probs)] as [string, Float64Array]),
    ...x.models.map((m) => [`model:${m.name}`, scoresFromProbs(m.probs)] as [string, Float64Array]),
  ];
}

function finish(p: Parts, ds: Dataset, rows: Int32Array, x: ExpertRows, out: MoeOutput): SystemPredictions {
  const edges = new Map<string, Float64Array>();
  for (const [name, raw] of rawStrategies(x, out)) edges.set(name, p.edgeCals.get(name)!.predict(raw));
  return {
    rows,
    symbol: Array.from(rows, (i) => ds.symbol[i]),
    date: Array.from(rows, (i) => ds.date[i]),
    knownAt: Float64Array.from(rows, (i) => ds.decisionTime[i]),
    models: x.models,
    ensembles: x.ensembles,
    experts: { names: [...out.expertNames], scores: out.expertScores },
    gate: { names: [...out.expertNames], weights: out.gates },
    score: out.score,
    forecastVar: x.forecastVar,
    dailyVol: p.volCal.dailyVol(x.forecastVar),
    edges,
  };
}

/**
 * Fits a system on the nested windows of `ds` (its segments decide them): the base trend models on train (those
 * with early stopping stop on the inner slice, then refit on all of train with the epochs/rounds chosen there;
 * see `fitTrendModel`); GARCH(1,1) on all train rows; then, on the
 * validation (calibration) window the base models never saw, the six ensembles, the gate and the calibrators.
 * The test segment is not read.
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
  if (spec.experts.trend.includes("mlp-tfjs")) tfBackend = (await initTensorflow()).backend;
  const trend: Parts["trend"] = [];
  for (const name of spec.experts.trend) {
    const t0 = performance.now();
    const model = await fitTrendModel(name, spec.seed, ds, rows.fit, rows.inner);
    timings[`fit:${name}`] = performance.now() - t0;
    trend.push({ name, model });
    log(`fit ${name} in ${(timings[`fit:${name}`] / 1000).toFixed(1)} s`);
  }
  let t0 = performance.now();
  const vol = new Garch11Model();
  const trainRows = Int32Array.from([...rows.fit, ...rows.inner].sort((a, b) => a - b));
  await vol.fit(ds, trainRows);
  timings["fit:garch11"] = performance.now() - t0;
  const levels = spec.experts.levels ? new SwingLevelModel() : null;
  const expertNames = ["trend", ...(levels ? ["level"] : [])];
  const conditionNames = [...GATE_CONDITIONS.filter((c) => ds.featureNames.includes(c)), VOL_RATIO];
  const moe = new MoeCombiner(conditionNames, { expertNames, objective: spec.combiner.objective });
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
    moe,
    volCal: new VolatilityCalibrator(),
    edgeCals: new Map(),
    timings,
  };
  // calibration window: ensembles, gate, calibrators
  t0 = performance.now();
  const cal = rows.calibration;
  const calProbs: Float64Array[] = [];
  for (const t of trend) calProbs.push(await t.model.predict(ds, cal));
  parts.ensembles = fitEnsembles(calProbs, labelsOf(ds, cal));
  timings["fit:ensembles"] = performance.now() - t0;
  t0 = performance.now();
  const x = await expertRows(parts, ds, cal);
  // the gate learns on the return the signals earn: next open to the open after (fills at the t+1 open)
  moe.fit(x.moeIn, Float64Array.from(cal, (i) => ds.labels.fwdOpenReturn[i]));
  const out = moe.predict(x.moeIn);
  timings["fit:gate"] = performance.now() - t0;
  // calibration: the volatility forecast to the traded return's scale, every strategy's score to an edge
  t0 = performance.now();
  const traded = Float64Array.from(cal, (i) => ds.labels.fwdOpenReturn[i]);
  parts.volCal.fit(x.forecastVar, traded);
  const z = standardizedOutcome(traded, parts.volCal.dailyVol(x.forecastVar));
  for (const [name, raw] of rawStrategies(x, out)) parts.edgeCals.set(name, new EdgeCalibrator().fit(raw, z));
  timings["fit:calibration"] = performance.now() - t0;
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
  if (s.version !== FORMAT_VERSION) {
    throw new ModelError(`system artifact version ${s.version}; this build reads ${FORMAT_VERSION}`);
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
    levels: s.levels ? new SwingLevelModel(s.levels) : null,
    ensembles: s.ensembles.map((e) => ({ name: e.method, method: ensembleFromJSON(e) })),
    moe: MoeCombiner.fromJSON(s.moe),
    volCal: VolatilityCalibrator.fromJSON(s.volatilityCalibrator),
    edgeCals: new Map(Object.entries(s.edgeCalibrators).map(([k, j]) => [k, EdgeCalibrator.fromJSON(j)])),
    timings: {},
  });
}
