/**
 * Is a classifier better than chance? Chance is the accuracy of predictions independent of the labels with the
 * same class shares: `sum_k q_k p_k` (q predicted shares, p label shares). The excess accuracy is averaged per day
 * and its z-score uses the spread across days, so the cross-sectional correlation of one day's rows (a market
 * move) does not inflate significance.
 * @module
 */
import { argmax3 } from "./metrics.ts";

/** Result of {@link chanceTest}. */
export interface ChanceResult {
  n: number;
  days: number;
  accuracy: number;
  /** Accuracy expected from label-independent predictions with the same class shares. */
  chance: number;
  /** Day-clustered z-score of `accuracy - chance`. Within noise of chance: `|z| < 3`. */
  z: number;
}

/** Day-clustered test of accuracy against chance. `probs` is `n x 3`; negative labels are skipped. */
export function chanceTest(
  probs: Float64Array,
  labels: ArrayLike<number>,
  dates: ArrayLike<string>,
): ChanceResult {
  const m = labels.length;
  if (probs.length !== m * 3 || dates.length !== m) {
    throw new RangeError("chanceTest: probs, labels, dates differ in length");
  }
  const pred = new Int8Array(m), p = [0, 0, 0], q = [0, 0, 0];
  let n = 0, correct = 0;
  for (let i = 0; i < m; i++) {
    const a = probs[3 * i], b = probs[3 * i + 1], c = probs[3 * i + 2];
    pred[i] = argmax3(a, b, c);
    if (labels[i] < 0) continue;
    n++;
    p[labels[i]]++;
    q[pred[i]]++;
    if (pred[i] === labels[i]) correct++;
  }
  if (n === 0) return { n, days: 0, accuracy: NaN, chance: NaN, z: NaN };
  const chance = (p[0] * q[0] + p[1] * q[1] + p[2] * q[2]) / (n * n);
  const perDay = new Map<string, [number, number]>();
  for (let i = 0; i < m; i++) {
    if (labels[i] < 0) continue;
    const e = perDay.get(dates[i]) ?? [0, 0];
    perDay.set(dates[i], [e[0] + (pred[i] === labels[i] ? 1 : 0) - chance, e[1] + 1]);
  }
  const ex = [...perDay.values()].map(([s, k]) => s / k);
  const mean = ex.reduce((s, v) => s + v, 0) / ex.length;
  const sd = Math.sqrt(ex.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, ex.length - 1));
  return {
    n,
    days: ex.length,
    accuracy: correct / n,
    chance,
    z: sd > 0 ? mean / (sd / Math.sqrt(ex.length)) : 0,
  };
}
