/**
 * Build `Signal` records (lib/core) from combined scores or class probabilities (the fitted system of lib/workflow
 * builds its own, with the book's sizes).
 * @module
 */
import type { ExpertContribution, Instant, IsoDate, Signal } from "../core/mod.ts";
import {
  actionOf,
  confidenceOf,
  resolveSizing,
  scoresFromProbs,
  sizeOf,
  type SizingOptions,
} from "./sizing.ts";

/** Who each row is about and when it was decided. */
export interface SignalRows {
  symbol: readonly string[];
  /** Decision session `t` (the signal is for `t + 1`). */
  date: readonly IsoDate[];
  /** Decision instant (close of `t`, epoch ms): becomes the signal's `knownAt`. */
  knownAt: ArrayLike<Instant>;
}

function checkRows(rows: SignalRows, n: number, where: string): void {
  if (rows.symbol.length !== n || rows.date.length !== n || rows.knownAt.length !== n) {
    throw new RangeError(
      `${where}: rows have ${rows.symbol.length}/${rows.date.length}/${rows.knownAt.length} entries, want ${n}`,
    );
  }
}

/**
 * Signals from combined scores. `contributions(i)` gives the per-expert contributions of row i (default none).
 * `forecastVol`: annualized volatility forecast per row for vol targeting (omit for none).
 */
export function signalsFromScores(
  rows: SignalRows,
  score: Float64Array,
  source: string,
  options: SizingOptions & {
    forecastVol?: Float64Array;
    contributions?: (i: number) => ExpertContribution[];
  } = {},
): Signal[] {
  const n = score.length;
  checkRows(rows, n, "signalsFromScores");
  const s = resolveSizing(options);
  const fv = options.forecastVol;
  if (fv && fv.length !== n) {
    throw new RangeError(`signalsFromScores: ${fv.length} vol forecasts for ${n} rows`);
  }
  const out: Signal[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const sc = score[i];
    const size = sizeOf(sc, fv ? fv[i] : NaN, s);
    out[i] = {
      symbol: rows.symbol[i],
      date: rows.date[i],
      knownAt: rows.knownAt[i],
      action: Number.isFinite(sc) ? actionOf(sc, s.threshold) : "hold",
      size: size === 0 ? 0 : size, // no -0
      confidence: confidenceOf(sc, s),
      contributions: options.contributions ? options.contributions(i) : [],
      source,
    };
  }
  return out;
}

/**
 * Signals from class probabilities (an ensemble method or a single model): score = `P(up) - P(down)`, one
 * contribution `{expert: source, weight: 1, score}`. Source e.g. `ensemble:stacking`.
 */
export function signalsFromProbs(
  rows: SignalRows,
  probs: Float64Array,
  source: string,
  options: SizingOptions & { forecastVol?: Float64Array } = {},
): Signal[] {
  const score = scoresFromProbs(probs);
  return signalsFromScores(rows, score, source, {
    ...options,
    contributions: (i) => [{ expert: source, weight: 1, score: score[i] }],
  });
}
