/**
 * The three experts of the mixture. Each maps its model's predictions to a directional score in [-1, 1]
 * (positive = bullish), one per row.
 * @module
 */

/** Expert names, in the order the combiner uses by default. */
export const EXPERT_NAMES = ["trend", "level", "volatility"] as const;

/**
 * Trend expert: `s = P(up) - P(down)` from a row-major `n x 3` matrix `[down, neutral, up]` (one trend model or
 * an ensemble's output).
 */
export function trendExpertScores(probs: Float64Array): Float64Array {
  if (probs.length % 3 !== 0) {
    throw new RangeError(`trendExpertScores: length ${probs.length} is not a multiple of 3`);
  }
  const n = probs.length / 3;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = probs[3 * i + 2] - probs[3 * i];
    out[i] = Number.isFinite(s) ? s : 0;
  }
  return out;
}

/** Per-row inputs of the level expert (NaN where a row has no support or no resistance). */
export interface LevelInputs {
  close: Float64Array;
  /** Nearest support below the close and its strength in [0, 1]. */
  support: Float64Array;
  supportStrength: Float64Array;
  /** Nearest resistance above the close and its strength in [0, 1]. */
  resistance: Float64Array;
  resistanceStrength: Float64Array;
  /** Daily return volatility (standard deviation) used as the distance unit, e.g. `sqrt(forecast variance)`. */
  dailyVol: Float64Array;
}

/**
 * Level expert: proximity to support is bullish, to resistance bearish, each weighted by the level's strength.
 * With distances in daily standard deviations `d_s = max(0, (close - support) / (close * vol))` and `d_r =
 * max(0, (resistance - close) / (close * vol))`: `s = str_s * exp(-d_s / h) - str_r * exp(-d_r / h)`, clipped to
 * [-1, 1]; `h` (bandwidth, default 1.5 daily sigmas). A missing level contributes 0; a row without a finite
 * positive vol scores 0.
 */
export function levelExpertScores(x: LevelInputs, options: { bandwidth?: number } = {}): Float64Array {
  const h = options.bandwidth ?? 1.5;
  if (!(h > 0)) throw new RangeError("levelExpertScores: bandwidth must be > 0");
  const n = x.close.length;
  for (const k of ["support", "supportStrength", "resistance", "resistanceStrength", "dailyVol"] as const) {
    if (x[k].length !== n) {
      throw new RangeError(`levelExpertScores: ${k} has ${x[k].length} rows, close has ${n}`);
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = x.close[i], v = x.dailyVol[i];
    if (!(c > 0) || !(v > 0) || !Number.isFinite(v)) continue;
    let s = 0;
    const sp = x.support[i], ss = x.supportStrength[i];
    if (Number.isFinite(sp) && Number.isFinite(ss)) s += ss * Math.exp(-Math.max(0, (c - sp) / (c * v)) / h);
    const rp = x.resistance[i], rs = x.resistanceStrength[i];
    if (Number.isFinite(rp) && Number.isFinite(rs)) s -= rs * Math.exp(-Math.max(0, (rp - c) / (c * v)) / h);
    out[i] = Math.max(-1, Math.min(1, s));
  }
  return out;
}

/**
 * Volatility expert: risk-off when the forecast volatility is high relative to its own history,
 * `s = -tanh(k * ln(forecastVol / referenceVol))` (k default 1): vol at twice its reference scores -0.6, at half
 * +0.6. `referenceVol` is, for example, the trailing one-year mean of the forecast (known at `t`). Non-finite or
 * non-positive inputs score 0. The same forecast also scales position size in lib/signals.
 */
export function volatilityExpertScores(
  forecastVol: Float64Array,
  referenceVol: Float64Array,
  options: { k?: number } = {},
): Float64Array {
  const k = options.k ?? 1;
  if (forecastVol.length !== referenceVol.length) {
    throw new RangeError(
      `volatilityExpertScores: ${forecastVol.length} forecasts, ${referenceVol.length} references`,
    );
  }
  const out = new Float64Array(forecastVol.length);
  for (let i = 0; i < out.length; i++) {
    const f = forecastVol[i], r = referenceVol[i];
    if (f > 0 && r > 0 && Number.isFinite(f) && Number.isFinite(r)) out[i] = -Math.tanh(k * Math.log(f / r));
  }
  return out;
}
