/**
 * Scores -> actions and target positions: dead band, conviction ramp, volatility targeting, caps.
 * @module
 */
import type { Action } from "../core/mod.ts";

/** Sizing options. Scores are directional in [-1, 1] (positive = bullish). */
export interface SizingOptions {
  /** Dead band: |score| <= threshold holds (size 0). Default 0.05. */
  threshold?: number;
  /** |score| at which conviction reaches 1. Default 0.5 (must exceed `threshold`). */
  fullScore?: number;
  /** Annualized volatility each position targets. Default 0.15. `0` switches vol targeting off (scale 1). */
  targetVol?: number;
  /** Cap on |size|. Default 1. */
  maxPosition?: number;
  /** Long-only: bearish scores give size 0 (action `sell` = be flat). Default false (long/short). */
  longOnly?: boolean;
}

/** Resolved sizing options. */
export type Sizing = Required<SizingOptions>;

/** Fills defaults and checks ranges. */
export function resolveSizing(o: SizingOptions = {}): Sizing {
  const s: Sizing = {
    threshold: o.threshold ?? 0.05,
    fullScore: o.fullScore ?? 0.5,
    targetVol: o.targetVol ?? 0.15,
    maxPosition: o.maxPosition ?? 1,
    longOnly: o.longOnly ?? false,
  };
  if (!(s.threshold >= 0 && s.threshold < 1)) {
    throw new RangeError(`sizing: threshold ${s.threshold} not in [0, 1)`);
  }
  if (!(s.fullScore > s.threshold)) {
    throw new RangeError(`sizing: fullScore ${s.fullScore} must exceed threshold`);
  }
  if (!(s.targetVol >= 0)) throw new RangeError(`sizing: targetVol ${s.targetVol} must be >= 0`);
  if (!(s.maxPosition > 0)) throw new RangeError(`sizing: maxPosition ${s.maxPosition} must be > 0`);
  return s;
}

/** Action of a score: `buy` above the dead band, `sell` below it, else `hold`. */
export function actionOf(score: number, threshold: number): Action {
  return score > threshold ? "buy" : score < -threshold ? "sell" : "hold";
}

/** Confidence in [0, 1]: `min(1, |score| / fullScore)` (0 for a non-finite score). */
export function confidenceOf(score: number, s: Sizing): number {
  return Number.isFinite(score) ? Math.min(1, Math.abs(score) / s.fullScore) : 0;
}

/**
 * Target position of one score:
 * `conviction = clip((|score| - threshold) / (fullScore - threshold), 0, 1)`,
 * `volScale = targetVol / forecastVol` (annualized; 1 when `targetVol` is 0 or the forecast is missing),
 * `size = sign(score) * min(maxPosition, conviction * volScale)`; long-only clips negatives to 0.
 */
export function sizeOf(score: number, forecastVol: number, s: Sizing): number {
  if (!Number.isFinite(score)) return 0;
  const a = Math.abs(score);
  if (a <= s.threshold) return 0;
  const conviction = Math.min(1, (a - s.threshold) / (s.fullScore - s.threshold));
  const volScale = s.targetVol > 0 && forecastVol > 0 && Number.isFinite(forecastVol)
    ? s.targetVol / forecastVol
    : 1;
  const size = Math.sign(score) * Math.min(s.maxPosition, conviction * volScale);
  return s.longOnly && size < 0 ? 0 : size;
}

/**
 * Target positions for many rows (fast path for the backtest). `forecastVol`: annualized volatility forecast per
 * row, or undefined for no vol targeting.
 */
export function positionsFromScores(
  score: Float64Array,
  forecastVol: Float64Array | undefined,
  options: SizingOptions = {},
): Float64Array {
  const s = resolveSizing(options);
  if (forecastVol && forecastVol.length !== score.length) {
    throw new RangeError(
      `positionsFromScores: ${forecastVol.length} vol forecasts for ${score.length} scores`,
    );
  }
  const out = new Float64Array(score.length);
  for (let i = 0; i < score.length; i++) out[i] = sizeOf(score[i], forecastVol ? forecastVol[i] : NaN, s);
  return out;
}

/** Directional score `P(up) - P(down)` of each row of a row-major `n x 3` `[down, neutral, up]` matrix. */
export function scoresFromProbs(probs: Float64Array): Float64Array {
  if (probs.length % 3 !== 0) {
    throw new RangeError(`scoresFromProbs: length ${probs.length} is not a multiple of 3`);
  }
  const n = probs.length / 3;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = probs[3 * i + 2] - probs[3 * i];
  return out;
}

/**
 * Typical magnitude of a strategy's scores: their root mean square (finite values only), measured on the
 * validation segment so that test-time sizing uses no test information. 0 when there is nothing to measure.
 */
export function scoreScale(scores: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (Number.isFinite(v)) [s, n] = [s + v * v, n + 1];
  }
  return n ? Math.sqrt(s / n) : 0;
}

/**
 * Scores in units of their validation scale: `clip(score / (k * scale), -1, 1)` (k default 2), so a model whose
 * probabilities barely move and one that is very confident trade through the same dead band and ramp. A zero scale
 * leaves the scores as they are.
 */
export function standardizeScores(scores: Float64Array, scale: number, k = 2): Float64Array {
  if (!(scale > 0)) return scores;
  return scores.map((v) => (Number.isFinite(v) ? Math.max(-1, Math.min(1, v / (k * scale))) : v));
}

/** Annualized volatility from a daily variance forecast (`sqrt(252 v)`). */
export function annualVol(dailyVar: Float64Array): Float64Array {
  return dailyVar.map((v) => Math.sqrt(v * 252));
}
