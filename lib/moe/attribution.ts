/**
 * Per-regime attribution of a fitted mixture: for every regime label and every gate output, the mean gate weight
 * over the regime's days and the P&L each expert contributed there, as a table a report or scoreboard can show.
 * @module
 */

/** Inputs of {@link regimeAttribution} (rows are decision rows, days index the gate's days). */
export interface AttributionInput {
  /** Gate outputs in weight order: the experts, then `abstain` when the gate has it. */
  outputNames: readonly string[];
  /** Gate weights, row-major `days x outputNames.length`. */
  weights: Float64Array;
  /** Regime label of each day (e.g. `RegimeClassifier.label`). */
  dayRegime: readonly string[];
  /** Day of each row. */
  rowDay: Int32Array;
  /** Per expert (in `outputNames` order, abstain excluded), each row's contribution to the combined edge. */
  contributions: readonly Float64Array[];
  /** Realized P&L of each row's position (e.g. weight x traded return, fraction of capital); NaN rows skipped. */
  pnl: Float64Array;
  /** Only these days count (default: every day with a row). */
  days?: ArrayLike<number>;
  /** Annualization. Default 252. */
  periodsPerYear?: number;
  /**
   * The book decides on each day's relative edges (top-k, long-short, tilt: the edge minus the day's mean): each
   * expert's contributions are then taken relative to their mean over the day's rows, so what an expert gives
   * every name alike (the market expert's drift) decides nothing there and is credited nothing. Default false
   * (a book sized on each name's own edge, kelly).
   */
  relative?: boolean;
}

/** The attribution table. */
export interface RegimeAttribution {
  regimes: string[];
  outputs: string[];
  /** Days per regime. */
  days: number[];
  /** `[regime][output]`: mean gate weight over the regime's days. */
  meanWeight: number[][];
  /** `[regime][expert]`: summed P&L contribution (fraction of capital). */
  pnl: number[][];
  /** `[regime][expert]`: contribution per day of the whole period x periodsPerYear (adds up to the annual P&L). */
  annualized: number[][];
  /** Flat table: one row per regime and output. */
  table: { columns: string[]; rows: (string | number)[][] };
}

/**
 * Mean gate weight and P&L contribution per expert per regime. A row's P&L is split over the experts in
 * proportion to their signed contributions to its combined edge, `pnl_i · c_ik / ê_i` (exact: the parts add up to
 * `pnl_i`); when `|ê_i|` is below 1e-3 of `Σ_k |c_ik|` the split is by `|c_ik|` instead (the experts cancelled
 * out), and a row without any contribution is left out of the expert split (its P&L is not the mixture's). With
 * `relative`, `c_ik` is the contribution minus its mean over row i's day.
 */
export function regimeAttribution(x: AttributionInput): RegimeAttribution {
  const out = x.outputNames.length, K = x.contributions.length, n = x.rowDay.length;
  const D = x.dayRegime.length, ppy = x.periodsPerYear ?? 252;
  if (x.weights.length !== D * out) {
    throw new RangeError(`attribution: weights have ${x.weights.length} values, want ${D} x ${out}`);
  }
  if (K > out) throw new RangeError("attribution: more contribution arrays than outputs");
  if (x.pnl.length !== n || x.contributions.some((c) => c.length !== n)) {
    throw new RangeError("attribution: row arrays differ in length");
  }
  let dayList: number[];
  if (x.days) dayList = Array.from(x.days);
  else {
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) seen.add(x.rowDay[i]);
    dayList = [...seen].sort((a, b) => a - b);
  }
  const inScope = new Uint8Array(D);
  for (const d of dayList) if (d >= 0 && d < D) inScope[d] = 1;
  const regimes = [...new Set(dayList.filter((d) => inScope[d]).map((d) => x.dayRegime[d]))].sort();
  const ri = new Map(regimes.map((r, i) => [r, i]));
  const R = regimes.length;
  const days = new Array(R).fill(0);
  const wsum = Array.from({ length: R }, () => new Array(out).fill(0));
  for (let d = 0; d < D; d++) {
    if (!inScope[d]) continue;
    const r = ri.get(x.dayRegime[d])!;
    days[r]++;
    for (let k = 0; k < out; k++) wsum[r][k] += x.weights[d * out + k];
  }
  const contributions = x.relative ? relativeToDay(x.contributions, x.rowDay, D) : x.contributions;
  const pnl = Array.from({ length: R }, () => new Array(K).fill(0));
  for (let i = 0; i < n; i++) {
    const d = x.rowDay[i], p = x.pnl[i];
    if (!inScope[d] || !Number.isFinite(p)) continue;
    const r = ri.get(x.dayRegime[d])!;
    let e = 0, a = 0;
    for (let k = 0; k < K; k++) {
      const c = contributions[k][i];
      if (Number.isFinite(c)) [e, a] = [e + c, a + Math.abs(c)];
    }
    if (!(a > 0)) continue;
    const exact = Math.abs(e) >= 1e-3 * a;
    for (let k = 0; k < K; k++) {
      const c = contributions[k][i];
      if (Number.isFinite(c)) pnl[r][k] += p * (exact ? c / e : Math.abs(c) / a);
    }
  }
  const total = dayList.filter((d) => inScope[d]).length || 1;
  const meanWeight = wsum.map((row, r) => row.map((v) => (days[r] ? v / days[r] : NaN)));
  const annualized = pnl.map((row) => row.map((v) => (v / total) * ppy));
  const rows: (string | number)[][] = [];
  regimes.forEach((reg, r) => {
    x.outputNames.forEach((name, k) => {
      rows.push([reg, name, days[r], meanWeight[r][k], k < K ? pnl[r][k] : 0, k < K ? annualized[r][k] : 0]);
    });
  });
  return {
    regimes,
    outputs: [...x.outputNames],
    days,
    meanWeight,
    pnl,
    annualized,
    table: { columns: ["regime", "output", "days", "mean_weight", "pnl", "pnl_annualized"], rows },
  };
}

/** Each expert's contributions minus their mean over the rows of the same day (finite values only). */
function relativeToDay(
  contributions: readonly Float64Array[],
  rowDay: Int32Array,
  days: number,
): Float64Array[] {
  return contributions.map((c) => {
    const sum = new Float64Array(days), count = new Float64Array(days);
    for (let i = 0; i < c.length; i++) {
      if (!Number.isFinite(c[i])) continue;
      sum[rowDay[i]] += c[i];
      count[rowDay[i]]++;
    }
    return Float64Array.from(c, (v, i) => v - sum[rowDay[i]] / count[rowDay[i]]);
  });
}
