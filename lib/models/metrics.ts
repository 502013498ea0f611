/**
 * Evaluation metrics of EVALUATION.md: trend classification (accuracy, balanced accuracy, log loss, AUC,
 * up-vs-not-up accuracy, daily cross-sectional IC / RankIC) and volatility forecasts (QLIKE, MSE,
 * Mincer-Zarnowitz regression).
 * @module
 */

/** Mean, standard deviation and information ratio (`mean / std`) of a daily series of correlations. */
export interface IcSummary {
  mean: number;
  std: number;
  /** `mean / std` (ICIR); NaN when fewer than 2 days. */
  ir: number;
  days: number;
}

/** Trend metrics on the rows with a known label. */
export interface TrendMetrics {
  n: number;
  accuracy: number;
  /** Mean per-class recall over classes present in the labels. */
  balancedAccuracy: number;
  /** Mean cross-entropy, probabilities clipped to `[1e-15, 1]`. */
  logLoss: number;
  /** ROC AUC of `P(up)` for "up vs rest" (ties count half). */
  auc: number;
  /** Binary view: predict "up" iff `P(up) > 0.5`, scored against "label is up". */
  upAccuracy: number;
  /** Daily cross-sectional Pearson correlation of `P(up) - P(down)` with the next-day return. */
  ic: IcSummary;
  /** Daily cross-sectional Spearman correlation of the same. */
  rankIc: IcSummary;
}

/**
 * The class decision of a row `[down, neutral, up]`: the index of the largest probability, ties going to neutral
 * (1), and a down/up tie to neutral too (a hold). The one rule of every accuracy, chance test and ensemble vote.
 */
export function argmax3(a: number, b: number, c: number): number {
  if (b >= a && b >= c) return 1;
  if (a > c) return 0;
  if (c > a) return 2;
  return 1;
}

/** Average ranks (1-based, ties averaged) of the finite values of `v`; NaN for a value that is not finite. */
export function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  // a NaN in the comparator made the sort's order (and so every rank) depend on where it stood
  const idx = Array.from({ length: n }, (_, i) => i).filter((i) => Number.isFinite(v[i])).sort((a, b) =>
    v[a] - v[b]
  );
  const r = new Float64Array(n).fill(NaN);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** Indices where both `a` and `b` are finite. */
function finitePairs(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]) && Number.isFinite(b[i])) out.push(i);
  return out;
}

/**
 * Pearson correlation of the finite pairs; NaN when either side is constant (within 1e-12 of its scale:
 * `0.1 + 0.2` and `0.3` are one value) or there are fewer than 2 pairs.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const at = finitePairs(a, b), n = at.length;
  if (n < 2) return NaN;
  let ma = 0, mb = 0;
  for (const i of at) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0, maxA = 0, maxB = 0;
  for (const i of at) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
    maxA = Math.max(maxA, Math.abs(a[i]));
    maxB = Math.max(maxB, Math.abs(b[i]));
  }
  if (flat(saa, n, maxA) || flat(sbb, n, maxB)) return NaN;
  return sab / Math.sqrt(saa * sbb);
}

/** True when values with squared deviations `ss` (over `n`) spread less than 1e-12 of their largest `max`. */
function flat(ss: number, n: number, max: number): boolean {
  return Math.sqrt(ss / n) <= 1e-12 * max;
}

/**
 * Spearman rank correlation of the finite pairs; NaN when either side is flat as {@link pearson} has it (float
 * noise ranks as an order: `[0.1 + 0.2, 0.3, 0.3]` would rank 3, 1.5, 1.5).
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  // flat sides (and fewer than 2 pairs) as Pearson has them, before ranking
  if (Number.isNaN(pearson(a, b))) return NaN;
  const at = finitePairs(a, b);
  return pearson(ranks(at.map((i) => a[i])), ranks(at.map((i) => b[i])));
}

/**
 * ROC AUC of `score` for binary `positive` labels (Mann-Whitney, ties half) over the rows with a finite score.
 * NaN if a class is empty.
 */
export function auc(score: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const r = ranks(score);
  let nPos = 0, sumPos = 0, m = 0;
  for (let i = 0; i < r.length; i++) {
    if (!Number.isFinite(r[i])) continue;
    m++;
    if (positive[i]) {
      nPos++;
      sumPos += r[i];
    }
  }
  const nNeg = m - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (sumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

function summarize(xs: number[]): IcSummary {
  const d = xs.length;
  if (d === 0) return { mean: NaN, std: NaN, ir: NaN, days: 0 };
  const mean = xs.reduce((s, x) => s + x, 0) / d;
  const std = d > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (d - 1)) : NaN;
  return { mean, std, ir: std > 0 ? mean / std : NaN, days: d };
}

/**
 * Daily cross-sectional IC and RankIC of `score` vs `ret`, grouped by `dates` (days with fewer than
 * `minPerDay` finite pairs or zero variance are skipped).
 */
export function dailyIc(
  score: ArrayLike<number>,
  ret: ArrayLike<number>,
  dates: ArrayLike<string>,
  minPerDay = 3,
): { ic: IcSummary; rankIc: IcSummary } {
  const byDay = new Map<string, number[]>();
  for (let i = 0; i < score.length; i++) {
    if (!Number.isFinite(score[i]) || !Number.isFinite(ret[i])) continue;
    let a = byDay.get(dates[i]);
    if (!a) byDay.set(dates[i], a = []);
    a.push(i);
  }
  const ics: number[] = [], rics: number[] = [];
  for (const day of [...byDay.keys()].sort()) {
    const idx = byDay.get(day)!;
    if (idx.length < minPerDay) continue;
    const s = idx.map((i) => score[i]), r = idx.map((i) => ret[i]);
    const ic = pearson(s, r), ric = spearman(s, r);
    if (Number.isFinite(ic)) ics.push(ic);
    if (Number.isFinite(ric)) rics.push(ric);
  }
  return { ic: summarize(ics), rankIc: summarize(rics) };
}

/**
 * Trend metrics of EVALUATION.md section 1. `probs` is row-major `n x 3` ([down, neutral, up]); `labels` are
 * class indices (negative = unknown, skipped); `fwdReturns` and `dates` align with rows (for IC / RankIC).
 */
export function trendMetrics(
  probs: Float64Array,
  labels: ArrayLike<number>,
  fwdReturns: ArrayLike<number>,
  dates: ArrayLike<string>,
): TrendMetrics {
  const m = labels.length;
  if (probs.length !== m * 3) throw new RangeError(`probs has ${probs.length} values, expected ${m * 3}`);
  let n = 0, correct = 0, ll = 0, upCorrect = 0;
  const hit = [0, 0, 0], cnt = [0, 0, 0];
  const pUp: number[] = [],
    isUp: boolean[] = [],
    score: number[] = [],
    rets: number[] = [],
    ds: string[] = [];
  for (let i = 0; i < m; i++) {
    const y = labels[i];
    const p0 = probs[i * 3], p1 = probs[i * 3 + 1], p2 = probs[i * 3 + 2];
    if (y >= 0 && y <= 2) {
      n++;
      const am = argmax3(p0, p1, p2);
      cnt[y]++;
      if (am === y) {
        correct++;
        hit[y]++;
      }
      ll -= Math.log(Math.min(1, Math.max(1e-15, probs[i * 3 + y])));
      if ((p2 > 0.5) === (y === 2)) upCorrect++;
      pUp.push(p2);
      isUp.push(y === 2);
    }
    score.push(p2 - p0);
    rets.push(fwdReturns[i]);
    ds.push(dates[i]);
  }
  let bal = 0, present = 0;
  for (let c = 0; c < 3; c++) {
    if (cnt[c] > 0) {
      bal += hit[c] / cnt[c];
      present++;
    }
  }
  const { ic, rankIc } = dailyIc(score, rets, ds);
  return {
    n,
    accuracy: n ? correct / n : NaN,
    balancedAccuracy: present ? bal / present : NaN,
    logLoss: n ? ll / n : NaN,
    auc: auc(pUp, isUp),
    upAccuracy: n ? upCorrect / n : NaN,
    ic,
    rankIc,
  };
}

/** Mean QLIKE loss `RV/F - ln(RV/F) - 1` over pairs with `RV > 0` and `F > 0` (others skipped). */
export function qlike(rv: ArrayLike<number>, f: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < rv.length; i++) {
    const a = rv[i], b = f[i];
    if (!(a > 0) || !(b > 0) || !Number.isFinite(a) || !Number.isFinite(b)) continue;
    const q = a / b;
    s += q - Math.log(q) - 1;
    n++;
  }
  return n ? s / n : NaN;
}

/** Mean squared error on variance over finite pairs. */
export function mseVariance(rv: ArrayLike<number>, f: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < rv.length; i++) {
    if (!Number.isFinite(rv[i]) || !Number.isFinite(f[i])) continue;
    s += (rv[i] - f[i]) ** 2;
    n++;
  }
  return n ? s / n : NaN;
}

/** Mincer-Zarnowitz regression `RV = a + b F + e` over finite pairs: intercept, slope and R^2. */
export function mincerZarnowitz(
  rv: ArrayLike<number>,
  f: ArrayLike<number>,
): { a: number; b: number; r2: number } {
  const x: number[] = [], y: number[] = [];
  for (let i = 0; i < rv.length; i++) {
    if (Number.isFinite(rv[i]) && Number.isFinite(f[i])) {
      x.push(f[i]);
      y.push(rv[i]);
    }
  }
  const n = x.length;
  if (n < 3) return { a: NaN, b: NaN, r2: NaN };
  const mx = x.reduce((s, v) => s + v, 0) / n, my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : NaN;
  const r = pearson(x, y);
  return { a: my - b * mx, b, r2: r * r };
}

/** Mincer-Zarnowitz R^2 of forecasts `f` for realized `rv`. */
export function mincerZarnowitzR2(rv: ArrayLike<number>, f: ArrayLike<number>): number {
  return mincerZarnowitz(rv, f).r2;
}
