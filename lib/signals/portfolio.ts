/**
 * Portfolio construction: from per-name calibrated edges (expected next traded return in units of the name's
 * forecast daily standard deviation, known at the close of `t`) to target weights per decision day, as a fraction
 * of portfolio capital (negative = short). Selection (Qlib's TopkDropout, long-short top/bottom k, every name for
 * Kelly, every name for the always-long baseline, every name leaned on the edges for a tilt), sizing (equal or
 * capped fractional Kelly), portfolio-level volatility targeting from a covariance estimate, and exact limits
 * (per name, gross, net). Optional risk hooks
 * run after sizing (a later risk stage: VaR limit, drawdown brake) and the limits are re-applied after them.
 * @module
 */
import type { IsoDate } from "../core/mod.ts";
import { type CovarianceOptions, createRiskModel, type RiskModel } from "./covariance.ts";

/** How names are selected. */
export type PortfolioMethod = "topk-dropout" | "long-short" | "kelly" | "always-long" | "tilt";

/** What a risk hook sees on decision day `t` (everything known at the close of `t`). */
export interface RiskContext {
  /** Index of the decision day in the input panel. */
  t: number;
  date: IsoDate;
  symbols: readonly string[];
  /** Ex-ante annualized volatility of a weight vector under the portfolio's risk model. */
  portfolioVol(weights: Float64Array): number;
  /**
   * Realized net-of-nothing portfolio returns of the decisions already settled: entry `d` is `Σ_s w[d,s] ·
   * outcome[d,s]` for `d <= t - 2` (a decision at `d` earns open `d+1` -> open `d+2`, known at `t >= d + 2`). Empty
   * without `PortfolioInput.outcomes`.
   */
  realized: Float64Array;
  /**
   * The same settled days' returns after costs, as the backtest books them (`PortfolioInput.settle`); `realized`
   * itself when no settle function is given. What the drawdown brake reads.
   */
  settled: Float64Array;
}

/** A later risk stage: adjusts the day's weights in place (the limits are re-applied afterwards). */
export type RiskHook = (weights: Float64Array, ctx: RiskContext) => void;

/** The `tilt` method's default lean: a name one standard deviation of edge above the mean gets twice its share. */
export const DEFAULT_TILT = 1;

/** Options of {@link constructPortfolio}; every field has a default. */
export interface PortfolioOptions {
  /** Default `topk-dropout`. */
  method?: PortfolioMethod;
  /** Names held (per side for `long-short`). Default 20 (fewer when fewer names qualify). */
  topK?: number;
  /** Names replaced per day at most (Qlib `n_drop`; per side for `long-short`). Default `ceil(topK / 10)`. */
  nDrop?: number;
  /** Sessions a name must be held before it may be dropped for rank (Qlib `hold_thresh`). Default 1. */
  minHold?: number;
  /** `equal` (default for every method but `kelly`) or `kelly`: `f = kellyFraction · edge / σ_daily` per name. */
  weighting?: "equal" | "kelly";
  /** Fraction of the full Kelly bet. Default 0.25. */
  kellyFraction?: number;
  /** A name needs `edge > minEdge` to be held long (`edge < -minEdge` short). Default 0. */
  minEdge?: number;
  /** `kelly` method: no shorts. Default false. */
  longOnly?: boolean;
  /**
   * `tilt` method: how far the long-only book leans from equal weight on the day's edges. Each tradable name gets
   * `max(0, 1 + tilt · z)` shares, `z` its edge's cross-sectional z-score that day, and the shares are scaled to
   * the gross budget: 0 is equal weight, 1 doubles a name one standard deviation above the mean and drops one a
   * standard deviation below. Default 1.
   */
  tilt?: number;
  /**
   * Share of the way from the previous day's book to the day's target that is traded, in (0, 1]: 1 (default)
   * trades to the target, 0.5 halves each day's trades (the book moves halfway; turnover control). Applied before
   * the risk hooks, which still bind exactly: the blend starts from the previous day's book before its hooks, so
   * a hook that scales every day (the drawdown brake's `brakeScale`) scales the book by exactly its factor. A
   * name the target no longer holds is closed once the blend leaves less than {@link DUST_WEIGHT}.
   */
  rebalance?: number;
  /** Annualized ex-ante portfolio volatility target; 0 switches targeting off. Default 0.10. */
  targetVol?: number;
  /**
   * `scale`: weights are scaled up or down to the target (within `maxGross`); `cap`: only down. Default `cap` for
   * Kelly weighting (Kelly sizes already carry conviction), `scale` otherwise.
   */
  volTargeting?: "scale" | "cap";
  /** Cap on `Σ|w|`. Default 1 (no leverage). */
  maxGross?: number;
  /** Cap on `|w_s|`. Default 0.1. */
  maxWeight?: number;
  /** Bounds on the net exposure `Σ w`. Default `[-1, 1]`. */
  netRange?: [number, number];
  /** Covariance estimator (default EWMA, half-life 30). */
  risk?: CovarianceOptions;
  /** Risk hooks run in order after sizing (issue 15: VaR limit, drawdown brake). */
  riskHooks?: RiskHook[];
  /** Annualization. Default 252. */
  periodsPerYear?: number;
}

/** Inputs: `T x S` row-major panels over the same dates (ascending) and symbols. */
export interface PortfolioInput {
  dates: readonly IsoDate[];
  symbols: readonly string[];
  /**
   * Calibrated edge decided at the close of `t`: expected return of the next traded session (open `t+1` -> open
   * `t+2`) in units of the name's forecast daily standard deviation. NaN = no view / not tradable (flat).
   */
  edge: Float64Array;
  /** Forecast daily standard deviation of each name's return, known at the close of `t` (NaN = use the risk model's). */
  dailyVol: Float64Array;
  /** Realized daily return of session `t` (close `t-1` -> close `t`), known at the close of `t`: feeds the covariance. */
  history: Float64Array;
  /** Realized traded return of a decision at `t` (`Labels.fwdOpenReturn`); only shown to risk hooks once settled. */
  outcomes?: Float64Array;
  /** First decision day (earlier days only warm up the risk model). Default 0. */
  firstDecision?: number;
  /**
   * The book's return after costs of decision day `d` (its final weights `w`), as the backtest simulates it; called
   * once per decision day in order, from `firstDecision`, when the day has settled. For the risk hooks'
   * `RiskContext.settled` (the lib/backtest cost model lives a layer above: the caller passes it in).
   */
  settle?: (d: number, w: Float64Array) => number;
}

/** Target weights and their daily summaries (days before `firstDecision` are all zero). */
export interface PortfolioResult {
  dates: readonly IsoDate[];
  symbols: readonly string[];
  /** `T x S` target weights, fraction of capital. */
  weights: Float64Array;
  /**
   * `T x S` edge each name was selected and sized on: for `long-short` and `tilt` the edge minus the day's mean
   * edge over the tradable names (the spread it bets on; the z-score's center), for the other methods the edge as
   * given (a top-k book given edges relative to the day's mean ranks on those). A held long has `decision > minEdge`, a held short
   * `decision < -minEdge`. NaN where the name is not tradable and before `firstDecision`.
   */
  decision: Float64Array;
  /** `Σ|w|` per day. */
  gross: Float64Array;
  /** `Σ w` per day. */
  net: Float64Array;
  /** Ex-ante annualized volatility of the final weights. */
  exAnteVol: Float64Array;
  /** Multiplier applied by volatility targeting (1 when off or not binding). */
  volScale: Float64Array;
  /** Names held per day. */
  held: Int32Array;
}

/** Options with defaults filled and ranges checked. */
export type ResolvedPortfolio = Required<Omit<PortfolioOptions, "risk" | "riskHooks">> & {
  risk: CovarianceOptions;
  riskHooks: RiskHook[];
};

/** Fills defaults and checks ranges (`RangeError` naming the option). */
export function resolvePortfolio(o: PortfolioOptions = {}): ResolvedPortfolio {
  const method = o.method ?? "topk-dropout";
  if (!["topk-dropout", "long-short", "kelly", "always-long", "tilt"].includes(method)) {
    throw new RangeError(`portfolio: unknown method ${method}`);
  }
  const topK = o.topK ?? 20;
  const weighting = o.weighting ?? (method === "kelly" ? "kelly" : "equal");
  const r: ResolvedPortfolio = {
    method,
    topK,
    nDrop: o.nDrop ?? Math.ceil(topK / 10),
    minHold: o.minHold ?? 1,
    weighting,
    kellyFraction: o.kellyFraction ?? 0.25,
    minEdge: o.minEdge ?? 0,
    longOnly: o.longOnly ?? false,
    tilt: o.tilt ?? DEFAULT_TILT,
    rebalance: o.rebalance ?? 1,
    targetVol: o.targetVol ?? 0.10,
    volTargeting: o.volTargeting ?? (weighting === "kelly" ? "cap" : "scale"),
    maxGross: o.maxGross ?? 1,
    maxWeight: o.maxWeight ?? 0.1,
    netRange: o.netRange ?? [-1, 1],
    risk: o.risk ?? {},
    riskHooks: o.riskHooks ?? [],
    periodsPerYear: o.periodsPerYear ?? 252,
  };
  const int = (v: number, min: number) => Number.isInteger(v) && v >= min;
  if (!int(r.topK, 1)) throw new RangeError(`portfolio: topK ${r.topK} must be an integer >= 1`);
  if (!int(r.nDrop, 0)) throw new RangeError(`portfolio: nDrop ${r.nDrop} must be an integer >= 0`);
  if (!int(r.minHold, 1)) throw new RangeError(`portfolio: minHold ${r.minHold} must be an integer >= 1`);
  if (r.weighting !== "equal" && r.weighting !== "kelly") {
    throw new RangeError(`portfolio: weighting ${r.weighting} must be equal or kelly`);
  }
  if (!(r.kellyFraction > 0 && r.kellyFraction <= 1)) {
    throw new RangeError("portfolio: kellyFraction not in (0, 1]");
  }
  if (!(r.minEdge >= 0)) throw new RangeError("portfolio: minEdge must be >= 0");
  if (!(r.tilt >= 0 && r.tilt <= 10)) throw new RangeError(`portfolio: tilt ${r.tilt} must be in [0, 10]`);
  if (!(r.rebalance > 0 && r.rebalance <= 1)) {
    throw new RangeError(`portfolio: rebalance ${r.rebalance} must be in (0, 1]`);
  }
  if (method === "tilt" && r.weighting === "kelly") {
    throw new RangeError("portfolio: the tilt method sizes by its own rule, not kelly weighting");
  }
  if (!(r.targetVol >= 0)) throw new RangeError("portfolio: targetVol must be >= 0");
  if (r.volTargeting !== "scale" && r.volTargeting !== "cap") throw new RangeError("portfolio: volTargeting");
  if (!(r.maxGross > 0)) throw new RangeError("portfolio: maxGross must be > 0");
  if (!(r.maxWeight > 0)) throw new RangeError("portfolio: maxWeight must be > 0");
  const [lo, hi] = r.netRange;
  if (!(lo <= 0 && hi >= 0)) throw new RangeError(`portfolio: netRange [${lo}, ${hi}] must contain 0`);
  return r;
}

/**
 * Scales the weights down (never up) so that `|w_s| <= maxWeight`, `Σ|w| <= maxGross` and `lo <= Σw <= hi`,
 * in that order; each step only shrinks, so earlier limits keep holding. Exact up to rounding.
 */
export function applyLimits(
  w: Float64Array,
  maxWeight: number,
  maxGross: number,
  net: [number, number],
): void {
  let gross = 0;
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) w[i] = 0;
    if (w[i] > maxWeight) w[i] = maxWeight;
    else if (w[i] < -maxWeight) w[i] = -maxWeight;
    gross += Math.abs(w[i]);
  }
  if (gross > maxGross) {
    const k = maxGross / gross;
    for (let i = 0; i < w.length; i++) w[i] *= k;
  }
  let L = 0, Sh = 0;
  for (let i = 0; i < w.length; i++) w[i] > 0 ? (L += w[i]) : (Sh += w[i]);
  const [lo, hi] = net;
  if (L + Sh > hi && L > 0) {
    // shrink the longs so that L' + Sh = hi (hi >= 0 >= Sh, so L' >= 0)
    const k = Math.max(0, (hi - Sh) / L);
    for (let i = 0; i < w.length; i++) if (w[i] > 0) w[i] *= k;
  } else if (L + Sh < lo && Sh < 0) {
    const k = Math.max(0, (lo - L) / Sh);
    for (let i = 0; i < w.length; i++) if (w[i] < 0) w[i] *= k;
  }
}

/**
 * Qlib's TopkDropout step on one side: `held` (current names) and their `age` in sessions. Names no longer
 * eligible (`ok[s]` false) are dropped at once; the rest follows Qlib: the best `nDrop + topK - |held|` eligible
 * names not held are candidates, held names among the `nDrop` worst of (held ∪ candidates) are sold when held
 * at least `minHold` sessions, and the best candidates fill the free places up to `topK`. Returns the new set.
 * One difference: a name ranked within the top `topK` of (held ∪ candidates) is never among the worst. With at
 * least `topK + nDrop` eligible names this is Qlib's rule exactly; with fewer (a small universe) Qlib's rule
 * sells every held name whatever its rank and buys it back the next day.
 */
export function topkDropoutStep(
  score: ArrayLike<number>,
  ok: (s: number) => boolean,
  held: readonly number[],
  age: ArrayLike<number>,
  topK: number,
  nDrop: number,
  minHold: number,
): number[] {
  const by = (a: number, b: number) => score[b] - score[a] || a - b;
  const last = held.filter(ok).sort(by);
  const isHeld = new Set(last);
  const others: number[] = [];
  for (let s = 0; s < score.length; s++) if (ok(s) && !isHeld.has(s)) others.push(s);
  others.sort(by);
  const today = others.slice(0, Math.max(0, nDrop + topK - last.length));
  const comb = [...last, ...today].sort(by);
  const worst = new Set(comb.slice(Math.max(topK, comb.length - nDrop)));
  const sell = new Set(last.filter((s) => worst.has(s) && age[s] >= minHold));
  const keep = last.filter((s) => !sell.has(s));
  const buy = today.slice(0, Math.max(0, topK - keep.length));
  return [...keep, ...buy];
}

/**
 * Under a partial {@link PortfolioOptions.rebalance}, a name the day's target no longer holds is closed once the
 * blend would leave less than this weight (0.1% of capital) instead of decaying toward zero for ever.
 */
export const DUST_WEIGHT = 1e-3;

/**
 * Target weights for every decision day. Per day `t >= firstDecision`:
 * 1. the risk model takes the returns of session `t` (known at its close);
 * 2. selection: `topk-dropout` (long, names with `edge > minEdge`, Qlib's dropout turnover rule),
 *    `long-short` (the same on both sides: longs by highest edge, shorts by lowest, each side only names past
 *    ±minEdge around the day's mean edge), `kelly` (every name with `|edge| > minEdge`), `always-long` (every
 *    tradable name), `tilt` (every tradable name, equal weight leaned on the day's edges: see
 *    {@link PortfolioOptions.tilt}; equal weight on a day without dispersion). Ranking methods hold nothing on
 *    a day whose edges have no cross-sectional dispersion (a constant predictor carries no ranking information);
 * 3. sizing: `equal` (1/k of the gross budget per name and side) or `kelly` (`f = kellyFraction · edge / σ`,
 *    σ the name's forecast daily sd: the Kelly fraction `μ/σ²` with `μ = edge · σ`);
 * 4. per-name cap, then volatility targeting with the ex-ante volatility `sqrt(252 · wᵀΣw)`,
 *    `Σ_ij = ρ_ij σ_i σ_j` (forecast σ, risk-model correlations): `scale` multiplies by
 *    `min(target / vol, maxGross / gross)`, `cap` by `min(1, target / vol)`;
 * 5. {@link applyLimits}; with `rebalance < 1` the book moves only that share of the way from the previous
 *    day's book before its risk hooks (a name leaving the book is closed below {@link DUST_WEIGHT}); the risk
 *    hooks, {@link applyLimits} again.
 * O(T · (S log S + k²)) plus the risk model's O(T · S²) update.
 */
export function constructPortfolio(x: PortfolioInput, options: PortfolioOptions = {}): PortfolioResult {
  const o = resolvePortfolio(options);
  const T = x.dates.length, S = x.symbols.length;
  for (const k of ["edge", "dailyVol", "history"] as const) {
    if (x[k].length !== T * S) {
      throw new RangeError(`portfolio: ${k} has ${x[k].length} cells, want ${T} x ${S}`);
    }
  }
  if (x.outcomes && x.outcomes.length !== T * S) {
    throw new RangeError("portfolio: outcomes have the wrong size");
  }
  const first = x.firstDecision ?? 0;
  if (!(Number.isInteger(first) && first >= 0 && first <= T)) {
    throw new RangeError("portfolio: firstDecision");
  }
  const risk = createRiskModel(S, o.risk);
  const weights = new Float64Array(T * S), decision = new Float64Array(T * S).fill(NaN);
  const gross = new Float64Array(T), net = new Float64Array(T), exAnteVol = new Float64Array(T).fill(NaN);
  const volScale = new Float64Array(T).fill(1), heldCount = new Int32Array(T);
  const realized = new Float64Array(T).fill(NaN), settled = new Float64Array(T).fill(NaN);
  const age = new Float64Array(S);
  let longs: number[] = [], shorts: number[] = [];
  const w = new Float64Array(S);
  // the previous day's book before the risk hooks: a partial rebalance moves from it, so a limit that stays on
  // scales the book by its own factor instead of compounding with the blend (a brake at 0.5 under rebalance 0.5
  // would otherwise settle at a third of the target)
  const plan = new Float64Array(S);
  const sigma = new Float64Array(S);
  const ppy = o.periodsPerYear;
  for (let t = 0; t < T; t++) {
    const row = t * S;
    risk.update(x.history.subarray(row, row + S));
    if (t < first) continue;
    const edge = x.edge.subarray(row, row + S);
    for (let s = 0; s < S; s++) {
      const f = x.dailyVol[row + s];
      sigma[s] = f > 0 && Number.isFinite(f) ? f : Math.sqrt(risk.variance(s));
    }
    const tradable = (s: number) => Number.isFinite(edge[s]) && sigma[s] > 0;
    w.fill(0);
    const center = selectAndSize(
      o,
      edge,
      sigma,
      tradable,
      age,
      w,
      { longs, shorts },
      (l, sh) => [longs, shorts] = [l, sh],
    );
    for (let s = 0; s < S; s++) if (tradable(s)) decision[row + s] = edge[s] - center;
    for (let s = 0; s < S; s++) age[s] = w[s] !== 0 ? age[s] + 1 : 0;
    applyLimits(w, o.maxWeight, Infinity, [-Infinity, Infinity]);
    const vol = (v: Float64Array) => portfolioVol(v, sigma, risk, ppy);
    if (o.targetVol > 0) {
      const v = vol(w);
      let g = 0;
      for (let s = 0; s < S; s++) g += Math.abs(w[s]);
      if (v > 0 && g > 0) {
        let k = o.targetVol / v;
        if (o.volTargeting === "cap") k = Math.min(1, k);
        k = Math.min(k, o.maxGross / g);
        for (let s = 0; s < S; s++) w[s] *= k;
        volScale[t] = k;
      }
    }
    applyLimits(w, o.maxWeight, o.maxGross, o.netRange);
    // turnover control: trade only part of the way from the previous day's book (before its risk hooks); a name
    // without a view today is still closed, and one the target no longer holds is closed once the blend leaves
    // less than DUST_WEIGHT. That can take a blend outside the limits, so they are applied again. The risk hooks
    // then see the book that will be held
    if (o.rebalance < 1 && t > first) {
      for (let s = 0; s < S; s++) {
        if (!tradable(s)) continue;
        const b = plan[s] + o.rebalance * (w[s] - plan[s]);
        w[s] = w[s] === 0 && Math.abs(b) < DUST_WEIGHT ? 0 : b;
      }
      applyLimits(w, o.maxWeight, o.maxGross, o.netRange);
    }
    plan.set(w);
    if (o.riskHooks.length) {
      if (x.outcomes) {
        const d = t - 2;
        if (d >= first) {
          let r = 0;
          for (let s = 0; s < S; s++) {
            const wd = weights[d * S + s], y = x.outcomes[d * S + s];
            if (wd !== 0 && Number.isFinite(y)) r += wd * y;
          }
          realized[d] = r;
          settled[d] = x.settle ? x.settle(d, weights.subarray(d * S, d * S + S)) : r;
        }
      }
      const ctx: RiskContext = {
        t,
        date: x.dates[t],
        symbols: x.symbols,
        portfolioVol: vol,
        realized: x.outcomes ? realized.subarray(first, Math.max(first, t - 1)) : new Float64Array(0),
        settled: x.outcomes ? settled.subarray(first, Math.max(first, t - 1)) : new Float64Array(0),
      };
      for (const h of o.riskHooks) h(w, ctx);
      applyLimits(w, o.maxWeight, o.maxGross, o.netRange);
    }
    let g = 0, nt = 0, h = 0;
    for (let s = 0; s < S; s++) {
      if (w[s] === 0) continue;
      weights[row + s] = w[s];
      g += Math.abs(w[s]);
      nt += w[s];
      h++;
    }
    gross[t] = g;
    net[t] = nt;
    heldCount[t] = h;
    exAnteVol[t] = vol(w);
  }
  return {
    dates: x.dates,
    symbols: x.symbols,
    weights,
    decision,
    gross,
    net,
    exAnteVol,
    volScale,
    held: heldCount,
  };
}

/** Ex-ante annualized volatility `sqrt(ppy · Σ_ij w_i w_j ρ_ij σ_i σ_j)` over the non-zero weights. */
function portfolioVol(w: Float64Array, sigma: Float64Array, risk: RiskModel, ppy: number): number {
  const nz: number[] = [];
  for (let s = 0; s < w.length; s++) if (w[s] !== 0 && sigma[s] > 0) nz.push(s);
  const v = risk.quadraticForm(nz, nz.map((s) => w[s] * sigma[s]));
  return Math.sqrt(Math.max(0, v) * ppy);
}

function dispersed(edge: Float64Array, ok: (s: number) => boolean): boolean {
  let first = NaN;
  for (let s = 0; s < edge.length; s++) {
    if (!ok(s)) continue;
    if (Number.isNaN(first)) first = edge[s];
    else if (edge[s] !== first) return true;
  }
  return false;
}

/**
 * The mean of the tradable edges (0 when none is), exactly their common value when they are all equal: the mean
 * of equal numbers can differ from them by rounding, and a decision edge of -1e-19 would read as a sell.
 */
export function meanEdge(edge: Float64Array, tradable: (s: number) => boolean): number {
  let n = 0, mean = 0, first = NaN;
  for (let s = 0; s < edge.length; s++) {
    if (!tradable(s)) continue;
    if (!n) first = edge[s];
    [mean, n] = [mean + edge[s], n + 1];
  }
  if (!n) return 0;
  return dispersed(edge, tradable) ? mean / n : first;
}

/**
 * The `tilt` method's day: equal weight over the tradable names, leaned on the edges' z-scores (long only), scaled
 * to the gross budget. Returns the day's mean edge, which the decision edges are taken against.
 */
function tiltBook(
  o: ResolvedPortfolio,
  edge: Float64Array,
  tradable: (s: number) => boolean,
  w: Float64Array,
  setHeld: (longs: number[], shorts: number[]) => void,
): number {
  setHeld([], []);
  let n = 0;
  for (let s = 0; s < edge.length; s++) if (tradable(s)) n++;
  if (!n) return 0;
  const mean = meanEdge(edge, tradable);
  let sq = 0;
  for (let s = 0; s < edge.length; s++) if (tradable(s)) sq += (edge[s] - mean) ** 2;
  // identical edges: no lean (the mean of equal numbers can differ from them by rounding, so not sd > 0)
  const sd = dispersed(edge, tradable) ? Math.sqrt(sq / n) : 0;
  let total = 0;
  for (let s = 0; s < edge.length; s++) {
    if (!tradable(s)) continue;
    w[s] = Math.max(0, 1 + (sd > 0 ? o.tilt * (edge[s] - mean) / sd : 0));
    total += w[s];
  }
  for (let s = 0; s < edge.length; s++) w[s] *= o.maxGross / total;
  return mean;
}

/**
 * Selects and sizes one day into `w`; returns the center the day's edges were decided against (the day's mean
 * edge for long-short and tilt, else 0).
 */
function selectAndSize(
  o: ResolvedPortfolio,
  edge: Float64Array,
  sigma: Float64Array,
  tradable: (s: number) => boolean,
  age: Float64Array,
  w: Float64Array,
  held: { longs: number[]; shorts: number[] },
  setHeld: (longs: number[], shorts: number[]) => void,
): number {
  const S = edge.length;
  if (o.method === "tilt") return tiltBook(o, edge, tradable, w, setHeld);
  const kelly = (s: number) => o.kellyFraction * edge[s] / sigma[s];
  if (o.method === "kelly" || o.method === "always-long") {
    let n = 0;
    for (let s = 0; s < S; s++) {
      if (!tradable(s)) continue;
      if (o.method === "always-long") n++;
      else if (edge[s] > o.minEdge || (!o.longOnly && edge[s] < -o.minEdge)) n++;
    }
    for (let s = 0; s < S; s++) {
      if (!tradable(s)) continue;
      if (o.method === "always-long") w[s] = o.weighting === "kelly" ? Math.max(0, kelly(s)) : o.maxGross / n;
      else if (edge[s] > o.minEdge || (!o.longOnly && edge[s] < -o.minEdge)) {
        w[s] = o.weighting === "kelly" ? kelly(s) : Math.sign(edge[s]) * o.maxGross / n;
      }
    }
    setHeld([], []);
    return 0;
  }
  const both = o.method === "long-short";
  const center = both ? meanEdge(edge, tradable) : 0;
  if (!dispersed(edge, tradable)) {
    setHeld([], []);
    return center;
  }
  const longOk = (s: number) => tradable(s) && edge[s] - center > o.minEdge;
  const longs = topkDropoutStep(edge, longOk, held.longs, age, o.topK, o.nDrop, o.minHold);
  let shorts: number[] = [];
  if (both) {
    const neg = Float64Array.from(edge, (e) => -e);
    const shortOk = (s: number) => tradable(s) && center - edge[s] > o.minEdge && !longs.includes(s);
    shorts = topkDropoutStep(neg, shortOk, held.shorts, age, o.topK, o.nDrop, o.minHold);
  }
  const budget = both ? o.maxGross / 2 : o.maxGross;
  // Kelly on the edge relative to the day's mean for long-short (a market-neutral book bets on the spread)
  const k = (s: number) => o.kellyFraction * (edge[s] - center) / sigma[s];
  for (const s of longs) w[s] = o.weighting === "kelly" ? Math.max(0, k(s)) : budget / longs.length;
  for (const s of shorts) w[s] = o.weighting === "kelly" ? Math.min(0, k(s)) : -budget / shorts.length;
  setHeld(longs, shorts);
  return center;
}
