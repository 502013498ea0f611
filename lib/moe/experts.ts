/**
 * The experts of the mixture. Each turns its model's output into a raw score per row (positive = bullish), and
 * an {@link ExpertCalibration} maps every raw score to the one common language of the mixture: the calibrated
 * edge, the expected next traded return (open `t+1` -> open `t+2`) in units of the row's forecast daily
 * standard deviation, fitted on the calibration window and measured by reliability there.
 *
 * Experts (see {@link EXPERTS}): trend (class probabilities of the trend models / ensembles, calibrated), level
 * (distance to the nearest support/resistance in ATR units with the learned bounce probability), reversal
 * (short-term mean reversion), momentum (intermediate-term trend), news (the decayed sentiment of the
 * headlines about the row's symbol, as the run's news scorer gave it: the text model when installed; off by
 * default). Volatility is not a directional expert: its calibrated forecast is the unit of every
 * edge, sizes positions and enters the gate as a regime input.

 * @module
 */
import {
  EdgeCalibrator,
  type EdgeCalibratorJSON,
  type EdgeCalibratorOptions,
  edgeReliability,
  type LevelBounceModel,
  type LevelRowFeatures,
  type ReliabilityBin,
} from "../models/mod.ts";

// ---------------------------------------------------------------------------------------------------------
// calibrated experts

/** Description of one expert of the calibrated mixture. */
export interface ExpertInfo {
  name: string;
  /** What its raw score is. */
  description: string;
  /** Included when a spec does not name its experts. */
  enabledByDefault: boolean;
}

/** Name of the market (drift) expert. */
export const MARKET_EXPERT = "market";

/** The calibrated experts, in their default order. */
export const EXPERTS: readonly ExpertInfo[] = [
  {
    name: MARKET_EXPERT,
    description: "the calibration window's mean traded return: always long; the gate decides when to hold it",
    enabledByDefault: true,
  },
  {
    name: "trend",
    description: "P(up) - P(down) of calibrated trend-model probabilities",
    enabledByDefault: true,
  },
  {
    name: "level",
    description: "bounce probability near support minus near resistance, weighted by ATR distance",
    enabledByDefault: true,
  },
  {
    name: "reversal",
    description: "minus the last 5 sessions' return in forecast sds",
    enabledByDefault: true,
  },
  { name: "momentum", description: "the return from t-60 to t-5 in forecast sds", enabledByDefault: true },
  {
    name: "news",
    description:
      "decayed sentiment of the headlines about the row's symbol (the run's news scorer: the text model when " +
      "installed); off by default: no out-of-sample edge on the data here (evaluate's sentiment section)",
    enabledByDefault: false,
  },
];

/** Names of the experts enabled by default. */
export const DEFAULT_EXPERTS: readonly string[] = EXPERTS.filter((e) => e.enabledByDefault).map((e) =>
  e.name
);

/**
 * Level expert raw scores: per row, the fitted bounce model's expected direction from the nearest support and
 * resistance (`LevelBounceModel.score`: touch probability x (2 P(hold) - 1), support minus resistance, with
 * distances in ATR units), from `levelRowFeatures` of each row (bars up to the row's close only).
 */
export function levelBounceScores(model: LevelBounceModel, rows: readonly LevelRowFeatures[]): Float64Array {
  return Float64Array.from(rows, (f) => model.score(f));
}

/**
 * Market expert raw score: 1 on rows that can be traded (a finite `reference` value, e.g. the forecast sd), NaN
 * elsewhere. Its calibrator is `constant`: the edge is the calibration window's mean standardized outcome.
 */
export function marketExpertScores(reference: ArrayLike<number>): Float64Array {
  return Float64Array.from(reference, (v) => (Number.isFinite(v) ? 1 : NaN));
}

/**
 * Reversal raw score: `-ln(C_t / C_{t-L}) / (σ_t sqrt(L))`, the last `L` sessions' log return (e.g. the dataset's
 * `ret_5`) in units of the row's forecast daily sd `σ_t` (both known at the close of `t`). NaN where either is
 * unusable.
 */
export function reversalExpertScores(
  retShort: ArrayLike<number>,
  dailyVol: ArrayLike<number>,
  lookback = 5,
): Float64Array {
  if (retShort.length !== dailyVol.length) throw new RangeError("reversalExpertScores: lengths differ");
  const k = Math.sqrt(lookback);
  return Float64Array.from(retShort, (r, i) => (dailyVol[i] > 0 ? -r / (dailyVol[i] * k) : NaN));
}

/**
 * Momentum raw score: `(ln(C_t / C_{t-L}) - ln(C_t / C_{t-s})) / (σ_t sqrt(L - s))`, the return from `t-L` to
 * `t-s` (e.g. the dataset's `ret_60 - ret_5`, the most recent sessions left out because they revert) in units of
 * the forecast daily sd. NaN where an input is unusable.
 */
export function momentumExpertScores(
  retLong: ArrayLike<number>,
  retSkip: ArrayLike<number>,
  dailyVol: ArrayLike<number>,
  options: { lookback?: number; skip?: number } = {},
): Float64Array {
  const L = options.lookback ?? 60, sk = options.skip ?? 5;
  if (!(L > sk && sk >= 0)) throw new RangeError("momentumExpertScores: need lookback > skip >= 0");
  if (retLong.length !== dailyVol.length || retSkip.length !== dailyVol.length) {
    throw new RangeError("momentumExpertScores: lengths differ");
  }
  const k = Math.sqrt(L - sk);
  return Float64Array.from(retLong, (r, i) => (dailyVol[i] > 0 ? (r - retSkip[i]) / (dailyVol[i] * k) : NaN));
}

/** Per-row inputs of the news expert, known at the close (the dataset's news columns). */
export interface NewsExpertInput {
  /**
   * Recency-decayed sum of the sentiments (each in [-1, 1]) of the headlines about the row's symbol known at the
   * close of `t`, weighted 0.5 per session back (the dataset's `news_sent_decay`: it grows with the number of
   * headlines, so it is not itself in [-1, 1]); NaN or 0 without news.
   */
  sentiment: Float64Array;
  /** Headlines over the last 5 sessions (the dataset's `news_count_5`). */
  count: Float64Array;
}

/**
 * News expert raw scores (off by default): `sentiment · (1 - e^{-count})`, 0 without news. The sentiment is the
 * dataset's `news_sent_decay`, built from the scores of the run's news scorer (`news.scorer`: the fine-tuned text
 * model when installed, else the lexicon). Off by default because news sentiment shows no out-of-sample edge on
 * the data here: next-session return IC of the text model -0.07 on Benzinga headlines and -0.01 on StockNet
 * tweets (`deno task evaluate`, sentiment section); `experts.use` with `news` turns it on.
 */
export function newsExpertScores(x: NewsExpertInput): Float64Array {
  if (x.sentiment.length !== x.count.length) throw new RangeError("newsExpertScores: lengths differ");
  return Float64Array.from(x.sentiment, (s, i) => {
    const c = x.count[i];
    return Number.isFinite(s) && c > 0 ? s * (1 - Math.exp(-c)) : 0;
  });
}

/** Reliability of one calibrated expert on a window. */
export interface ExpertReliability {
  name: string;
  n: number;
  /** Weighted mean |mean outcome - mean edge| over edge deciles (standardized-outcome units). */
  error: number;
  /** Slope of the outcome on the edge (1 = calibrated). */
  slope: number;
  /** Correlation of edge and outcome. */
  ic: number;
  bins: ReliabilityBin[];
}

/** Serialized {@link ExpertCalibration}. */
export interface ExpertCalibrationJSON {
  kind: "expert-calibration";
  names: string[];
  calibrators: EdgeCalibratorJSON[];
}

/** Calibrator options of an {@link ExpertCalibration}. */
export interface ExpertCalibrationOptions {
  /** Options of every expert but the market one (default `{ center: true }`: information only, linear). */
  experts?: EdgeCalibratorOptions;
  /** Per-expert overrides. */
  perExpert?: Record<string, EdgeCalibratorOptions>;
}

/**
 * One {@link EdgeCalibrator} per expert: raw scores -> calibrated edges, the expected standardized outcome. The
 * `market` expert is calibrated `constant` (the window's mean outcome: the drift, what always-long earns); every
 * other expert `center`ed: its edge is the expected outcome relative to that mean, `E[z - z̄ | x]`, so its
 * information and the market's drift are separate experts the gate can hold or drop apart. Fit on the
 * calibration window with the standardized outcome `z = r / σ̂` (`standardizedOutcome` in lib/models).
 */
export class ExpertCalibration {
  readonly names: readonly string[];
  readonly #cal: EdgeCalibrator[];
  constructor(names: readonly string[], options: ExpertCalibrationOptions = {}) {
    if (!names.length) throw new RangeError("expert calibration: no experts");
    if (new Set(names).size !== names.length) {
      throw new RangeError("expert calibration: duplicate expert names");
    }
    this.names = [...names];
    this.#cal = names.map((n) =>
      new EdgeCalibrator(
        options.perExpert?.[n] ??
          (n === MARKET_EXPERT ? { method: "constant" } : { center: true, ...options.experts }),
      )
    );
  }

  #raw(raw: readonly Float64Array[]): void {
    if (raw.length !== this.names.length) {
      throw new RangeError(`expert calibration: ${raw.length} score arrays, want ${this.names.length}`);
    }
  }

  /** Fits every expert's calibrator on its raw scores and the standardized outcomes. */
  fit(raw: readonly Float64Array[], z: Float64Array): this {
    this.#raw(raw);
    raw.forEach((r, k) => this.#cal[k].fit(r, z));
    return this;
  }

  /** Calibrated edges, one array per expert (NaN where the raw score is NaN). */
  edges(raw: readonly Float64Array[]): Float64Array[] {
    this.#raw(raw);
    return raw.map((r, k) => this.#cal[k].predict(r));
  }

  /** The fitted calibrator of one expert. */
  calibrator(name: string): EdgeCalibrator {
    const k = this.names.indexOf(name);
    if (k < 0) throw new RangeError(`expert calibration: no expert ${name}`);
    return this.#cal[k];
  }

  /** Reliability of each expert's edges against outcomes (on the calibration window or any other). */
  reliability(raw: readonly Float64Array[], z: Float64Array, bins = 10): ExpertReliability[] {
    return this.edges(raw).map((e, k) => ({ name: this.names[k], ...edgeReliability(e, z, { bins }) }));
  }

  /** Plain JSON (exact reload). */
  toJSON(): ExpertCalibrationJSON {
    return {
      kind: "expert-calibration",
      names: [...this.names],
      calibrators: this.#cal.map((c) => c.toJSON()),
    };
  }

  /** Rebuilds from {@link ExpertCalibration.toJSON}. */
  static fromJSON(j: ExpertCalibrationJSON): ExpertCalibration {
    if (j?.kind !== "expert-calibration") throw new RangeError("not an expert-calibration artifact");
    const c = new ExpertCalibration(j.names);
    j.calibrators.forEach((cj, k) => (c.#cal[k] = EdgeCalibrator.fromJSON(cj)));
    return c;
  }
}

/**
 * Out-of-fold calibrated edges of the calibration rows, for fitting the gate on edges it did not calibrate on:
 * the rows' days are cut into `folds` contiguous blocks; each block's edges come from an {@link ExpertCalibration}
 * fitted on the other blocks. (The gate fitted on in-sample edges would trust an expert's fitted intercept, which
 * on noise is a fitted accident; out of fold it is seen as noise and the gate abstains.) Returns one array per
 * expert, aligned with the given rows.
 */
export function crossFitEdges(
  names: readonly string[],
  raw: readonly Float64Array[],
  z: Float64Array,
  rowDay: Int32Array,
  options: { folds?: number; calibration?: ExpertCalibrationOptions } = {},
): Float64Array[] {
  const folds = options.folds ?? 5, n = z.length;
  if (!(Number.isInteger(folds) && folds >= 2)) throw new RangeError("crossFitEdges: folds must be >= 2");
  if (rowDay.length !== n || raw.some((r) => r.length !== n)) {
    throw new RangeError("crossFitEdges: lengths differ");
  }
  const days = [...new Set(rowDay)].sort((a, b) => a - b);
  const foldOf = new Map(days.map((d, p) => [d, Math.min(folds - 1, Math.floor(p * folds / days.length))]));
  const out = raw.map(() => new Float64Array(n).fill(NaN));
  for (let f = 0; f < folds; f++) {
    const inF: number[] = [], outF: number[] = [];
    for (let i = 0; i < n; i++) (foldOf.get(rowDay[i]) === f ? inF : outF).push(i);
    if (!inF.length) continue;
    const pick = (a: ArrayLike<number>, rows: number[]) => Float64Array.from(rows, (i) => a[i]);
    const cal = new ExpertCalibration(names, options.calibration).fit(
      raw.map((r) => pick(r, outF)),
      pick(z, outF),
    );
    const e = cal.edges(raw.map((r) => pick(r, inF)));
    e.forEach((col, k) => inF.forEach((i, j) => (out[k][i] = col[j])));
  }
  return out;
}
