/**
 * The book: per-row calibrated edges of a set of predicted rows -> portfolio weights per decision day
 * (`lib/signals` constructPortfolio: top-k with dropout, long-short or capped Kelly, volatility targeting from a
 * covariance estimate, gross/net/per-name limits) -> a costed simulation (`lib/backtest` backtestWeights, fixed
 * bps plus square-root impact on average daily volume). Every strategy a system can trade goes through the same
 * book, so the scoreboard compares signals, not sizing rules.
 * @module
 */
import {
  alwaysLongVolTargeted,
  averageDollarVolume,
  type BacktestResult,
  backtestWeights,
  buyAndHold,
  costedSettle,
  type CostOptions,
  DEFAULT_CAPITAL,
  type WeightBacktestResult,
} from "../backtest/mod.ts";
import type { IsoDate } from "../core/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import {
  constructPortfolio,
  DEFAULT_TILT,
  meanEdge,
  type PortfolioOptions,
  type PortfolioResult,
  resolveRiskLimits,
  riskLimitHooks,
  type RiskLimitOptions,
  type VarLimitHook,
} from "../signals/mod.ts";
import type { SystemSpec } from "./spec.ts";

/** Rows of a prediction the book needs: who, when, and the forecast daily volatility. */
export interface BookRows {
  rows: Int32Array;
  symbol: readonly string[];
  date: readonly IsoDate[];
  /** Calibrated forecast daily standard deviation per row. */
  dailyVol: Float64Array;
}

/** `T x S` panels over the decision dates (after `first` warm-up days) and the symbols of some rows. */
export interface BookPanels {
  dates: IsoDate[];
  symbols: string[];
  /** Index of the first decision day (earlier days only warm up the risk model). */
  first: number;
  /** Cell of each predicted row in the panels (`t * S + s`). */
  cell: Int32Array;
  /** Close-to-close return of session t per name (known at its close): feeds the covariance. */
  history: Float64Array;
  /** Forecast daily sd per name known at t (NaN in the warm-up: the risk model's estimate). */
  dailyVol: Float64Array;
  /** Traded return of a decision at t (open t+1 -> open t+2); NaN where unknown or not predicted. */
  returns: Float64Array;
  /** 20-session average daily dollar volume per name known at t (impact costs). */
  adv: Float64Array;
  /**
   * Cells carried through a hole: a session a symbol has no bar on (a halt, a gap in the data) between two of its
   * predicted rows, which takes the edge of the symbol's last row before it (`carriedFrom`, the same index); its
   * volatility and dollar volume are carried in the panels already and its return is 0.
   */
  carried: Int32Array;
  carriedFrom: Int32Array;
}

/** Sessions of return history before the first decision that warm up the covariance estimate. */
export const RISK_WARMUP = 63;

/**
 * The panels of some predicted rows: decision dates are the rows' dates, preceded by up to `warmup` sessions of
 * the dataset's bars for the risk model; returns are the dataset's `fwdOpenReturn` labels of the predicted rows.
 */
export function bookPanels(ds: Dataset, p: BookRows, warmup = RISK_WARMUP): BookPanels {
  const predDates = [...new Set(p.date)].sort();
  const symbols = [...new Set(p.symbol)].sort();
  const days = new Set<IsoDate>();
  for (const sym of symbols) for (const d of ds.series.get(sym)!.dates) days.add(d);
  const calendar = [...days].sort();
  const i0 = calendar.indexOf(predDates[0]);
  const iEnd = calendar.indexOf(predDates[predDates.length - 1]);
  const start = Math.max(0, i0 - warmup);
  const dates = calendar.slice(start, iEnd + 1);
  const first = i0 - start;
  const T = dates.length, S = symbols.length;
  const di = new Map(dates.map((d, t) => [d, t]));
  const history = new Float64Array(T * S).fill(NaN), adv = new Float64Array(T * S).fill(NaN);
  const hasBar = new Uint8Array(T * S);
  symbols.forEach((sym, s) => {
    const ser = ds.series.get(sym)!;
    const a = averageDollarVolume(ser.close, ser.volume);
    for (let k = 0; k < ser.dates.length; k++) {
      const t = di.get(ser.dates[k]);
      if (t === undefined) continue;
      if (k > 0) history[t * S + s] = ser.close[k] / ser.close[k - 1] - 1;
      adv[t * S + s] = a[k];
      hasBar[t * S + s] = 1;
    }
  });
  const si = new Map(symbols.map((x, s) => [x, s]));
  const dailyVol = new Float64Array(T * S).fill(NaN), returns = new Float64Array(T * S).fill(NaN);
  const cell = new Int32Array(p.rows.length);
  for (let k = 0; k < p.rows.length; k++) {
    const c = di.get(p.date[k])! * S + si.get(p.symbol[k])!;
    cell[k] = c;
    dailyVol[c] = p.dailyVol[k];
    returns[c] = ds.labels.fwdOpenReturn[p.rows[k]];
  }
  // nothing trades in a session a symbol has no bar on: between two of its predicted rows the book carries the
  // name as it was (the last row's edge, volatility and dollar volume) and books no return there, since the
  // symbol's labels around the hole book every move of its bars once (forced flat, a held name was sold and
  // bought back the next session at a round trip's cost)
  const carried: number[] = [], carriedFrom: number[] = [], predicted = new Uint8Array(T * S);
  for (const c of cell) predicted[c] = 1;
  for (let s = 0; s < S; s++) {
    let source = -1, hole: number[] = [];
    for (let t = first; t < T; t++) {
      const c = t * S + s;
      if (predicted[c]) {
        for (const h of hole) {
          carried.push(h);
          carriedFrom.push(source);
          [returns[h], dailyVol[h], adv[h]] = [0, dailyVol[source], adv[source]];
        }
        [source, hole] = [c, []];
      } else if (source >= 0 && !hasBar[c]) hole.push(c);
      else [source, hole] = [-1, []];
    }
  }
  return {
    dates,
    symbols,
    first,
    cell,
    history,
    dailyVol,
    returns,
    adv,
    carried: Int32Array.from(carried),
    carriedFrom: Int32Array.from(carriedFrom),
  };
}

/**
 * A book's options: the portfolio's (`lib/signals` PortfolioOptions, without hooks) and the risk limits of the
 * sizing stage, whose hooks hold state: each book built from these options gets hooks of its own. `account`:
 * the settled daily returns of the book actually traded (oldest first), which the drawdown brake reads instead
 * of the book's own path (the production run's paper account).
 */
export type BookOptions = Omit<PortfolioOptions, "riskHooks"> & {
  riskLimits?: RiskLimitOptions;
  account?: readonly number[];
  /** The cost model the drawdown brake's record is booked with (the backtest's; none: returns before costs). */
  costs?: CostOptions;
};

/** The portfolio options of a book with fresh risk-limit hooks. */
function withHooks({ riskLimits, account, costs: _c, ...o }: BookOptions): PortfolioOptions {
  return riskLimits ? { ...o, riskHooks: riskLimitHooks(riskLimits, account) } : o;
}

/**
 * A book's weights with, under a VaR limit, what the limit saw: per decision day (`T`) the book's one-day VaR at
 * the limit's tail probability as it reached the limit, before any cap (fraction of capital; NaN before the first
 * decision). The limit bound on a day where `before > limit`.
 */
export type BookResult = PortfolioResult & {
  varCap?: { limit: number; alpha: number; before: Float64Array };
};

/** The book options of a spec: its portfolio and its risk limits. */
export function portfolioOptions(spec: SystemSpec): BookOptions {
  const p = spec.portfolio;
  return {
    // with a drawdown brake, its record is the backtest's equity, after the spec's costs (the VaR limit reads
    // returns before costs: no simulation for it)
    ...(p.risk ? { riskLimits: p.risk } : {}),
    ...(p.risk?.drawdownBrake ? { costs: costOptions(spec) } : {}),
    method: p.method,
    topK: p.topK,
    nDrop: p.nDrop,
    longOnly: p.longOnly,
    weighting: p.method === "kelly" ? "kelly" : "equal",
    kellyFraction: p.kellyFraction,
    ...(p.tilt !== undefined ? { tilt: p.tilt } : {}),
    ...(p.rebalance !== undefined ? { rebalance: p.rebalance } : {}),
    minEdge: p.minEdge,
    targetVol: p.targetVol,
    maxGross: p.maxGross,
    maxWeight: p.maxWeight,
  };
}

/**
 * The sizing rule of a spec as flat `name: value` pairs (what a signal's provenance records): the portfolio's
 * settings, and each risk limit that is on with its defaults filled (`varLimit`, `varAlpha`, `drawdownBrake`,
 * `brakeScale`, `brakeRecover`).
 */
export function sizingRule(spec: SystemSpec): Record<string, string | number | boolean> {
  const { risk, ...p } = spec.portfolio;
  const r = resolveRiskLimits(risk ?? {});
  return {
    ...p,
    ...(p.method === "tilt" ? { tilt: p.tilt ?? DEFAULT_TILT } : {}),
    ...(r.varLimit ? { varLimit: r.varLimit.limit, varAlpha: r.varLimit.alpha } : {}),
    ...(r.drawdownBrake
      ? {
        drawdownBrake: r.drawdownBrake.threshold,
        brakeScale: r.drawdownBrake.scale,
        brakeRecover: r.drawdownBrake.recover,
      }
      : {}),
  };
}

/**
 * The spec's risk limits in words (`""` when none is on), e.g. `VaR limit 2.0% (99%), drawdown brake at 10.0%:
 * exposure x0.5 until under 5.0%` (at `brakeScale` 0, a stop: `drawdown stop at 10.0%: flat from then on ...`).
 */
export function riskLimitsText(spec: SystemSpec): string {
  const r = resolveRiskLimits(spec.portfolio.risk ?? {});
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const parts: string[] = [];
  if (r.drawdownBrake) {
    const b = r.drawdownBrake;
    // at scale 0 the book goes flat and its account stops moving, so its drawdown never recovers: a stop
    parts.push(
      b.scale === 0
        ? `drawdown stop at ${pct(b.threshold)}: flat from then on (a flat book cannot recover its drawdown)`
        : `drawdown brake at ${pct(b.threshold)}: exposure x${b.scale} until under ${pct(b.recover)}`,
    );
  }
  if (r.varLimit) {
    parts.push(`VaR limit ${pct(r.varLimit.limit)} (${+(100 * (1 - r.varLimit.alpha)).toFixed(2)}%)`);
  }
  return parts.join(", ");
}

/**
 * The spec's book in words, e.g. `top-k dropout (top 50, at most 5 replaced a day), 10% volatility target, gross
 * <= 1, per name <= 0.25` or `tilt 1 on equal weight, ..., rebalance 0.5`.
 */
export function bookText(spec: SystemSpec): string {
  const p = spec.portfolio;
  const how = p.method === "topk-dropout"
    ? `top-k dropout (top ${p.topK}, at most ${p.nDrop} replaced a day)`
    : p.method === "long-short"
    ? `long-short (top and bottom ${p.topK})`
    : p.method === "kelly"
    ? `Kelly (${p.kellyFraction} of the full bet, ${p.longOnly ? "long only" : "long and short"})`
    : `tilt ${p.tilt ?? DEFAULT_TILT} on equal weight`;
  return [
    how,
    p.targetVol > 0 ? `${+(100 * p.targetVol).toFixed(2)}% volatility target` : "no volatility target",
    `gross <= ${p.maxGross}, per name <= ${p.maxWeight}`,
    ...(p.rebalance !== undefined ? [`rebalance ${p.rebalance}`] : []),
  ].join(", ");
}

/** The cost model of a spec. */
export function costOptions(spec: SystemSpec): CostOptions {
  return {
    costBps: spec.costs.costBps,
    impact: spec.costs.impact,
    ...(spec.costs.capital !== undefined ? { capital: spec.costs.capital } : {}),
  };
}

/** The spec's costs in words, e.g. `5 bps per side + square-root impact x1 on a $10M book`. */
export function costsText(spec: SystemSpec): string {
  const c = spec.costs, capital = c.capital ?? DEFAULT_CAPITAL;
  const money = capital >= 1e9
    ? `$${+(capital / 1e9).toFixed(2)}B`
    : capital >= 1e6
    ? `$${+(capital / 1e6).toFixed(2)}M`
    : `$${Math.round(capital).toLocaleString("en-US")}`;
  return `${c.costBps} bps per side` +
    (c.impact > 0 ? ` + square-root impact x${c.impact} on a ${money} book` : ", no impact");
}

/**
 * Weights of a book from per-row edges (NaN = no view) on the panels. A top-k book ranks names: it sees each
 * day's edges relative to that day's mean, so a shift of every edge together (the market term of the mixture)
 * does not decide who is held, and the dropout rule, not the sign of a drifting edge, limits the turnover.
 */
export function buildBook(
  panels: BookPanels,
  edge: Float64Array,
  options: BookOptions,
): BookResult {
  const e = new Float64Array(panels.history.length).fill(NaN);
  for (let k = 0; k < panels.cell.length; k++) e[panels.cell[k]] = edge[k];
  panels.carried.forEach((c, k) => e[c] = e[panels.carriedFrom[k]]);
  if ((options.method ?? "topk-dropout") === "topk-dropout") {
    const S = panels.symbols.length;
    for (let t = 0; t < panels.dates.length; t++) {
      const day = e.subarray(t * S, t * S + S);
      // exactly 0 for equal edges (their mean can be 1e-17 off them, a decision that read as a sell)
      const m = meanEdge(day, (s) => Number.isFinite(day[s]));
      for (let s = 0; s < S; s++) day[s] -= m;
    }
  }
  const o = withHooks(options);
  const book = constructPortfolio({
    dates: panels.dates,
    symbols: panels.symbols,
    edge: e,
    dailyVol: panels.dailyVol,
    history: panels.history,
    outcomes: panels.returns,
    firstDecision: panels.first,
    // the brake reads each settled day after the costs the backtest books
    ...(options.costs
      ? {
        settle: costedSettle(
          {
            symbols: panels.symbols.length,
            returns: panels.returns,
            dailyVol: panels.dailyVol,
            adv: panels.adv,
          },
          options.costs,
          panels.first,
        ),
      }
      : {}),
  }, o);
  const cap = o.riskHooks?.find((h): h is VarLimitHook => "varAt" in h);
  if (!cap) return book;
  const before = new Float64Array(panels.dates.length).fill(NaN);
  for (const [t, v] of cap.varAt) before[t] = v;
  return { ...book, varCap: { limit: cap.limit, alpha: cap.alpha, before } };
}

/**
 * End (exclusive) of the decision days a backtest can score: after the last day with a known traded return for
 * some name. A decision at `d` earns open `d+1` -> open `d+2`, so a test that ends on the data's last session
 * has two last days whose outcome no one knows yet; they are not simulated (counted, they were flat days). All
 * days when no day has a known return.
 */
export function settledEnd(panels: Pick<BookPanels, "dates" | "symbols" | "first" | "returns">): number {
  const S = panels.symbols.length;
  for (let t = panels.dates.length - 1; t >= panels.first; t--) {
    for (let s = 0; s < S; s++) if (Number.isFinite(panels.returns[t * S + s])) return t + 1;
  }
  return panels.dates.length;
}

/** The decision days of a panel (after the warm-up, up to {@link settledEnd}) as a slice of a `T x S` panel. */
function decisions(panels: BookPanels, a: Float64Array): Float64Array {
  const S = panels.symbols.length;
  return a.subarray(panels.first * S, settledEnd(panels) * S);
}

/** Costed simulation of a book's weights over the decision days whose traded return is known. */
export function backtestBook(
  panels: BookPanels,
  weights: Float64Array,
  costs: CostOptions,
): WeightBacktestResult {
  return backtestWeights({
    dates: panels.dates.slice(panels.first, settledEnd(panels)),
    symbols: panels.symbols,
    weights: decisions(panels, weights),
    returns: decisions(panels, panels.returns),
    dailyVol: decisions(panels, panels.dailyVol),
    adv: decisions(panels, panels.adv),
  }, costs);
}

/** Name of the equal-weight buy-and-hold baseline in backtest tables. */
export const BUY_AND_HOLD = "buy-and-hold";
/** Name of the always-long, volatility-targeted baseline (the bar a timing signal must clear). */
export const ALWAYS_LONG = "always-long-voltarget";

/**
 * The two baselines over the same panels: always long at the book's volatility target (every tradable name at
 * equal weight, scaled by the same covariance estimate and limits, same costs) and equal-weight buy-and-hold
 * (bought once, weights drift, one side of the fixed cost).
 */
export function baselineBacktests(
  panels: BookPanels,
  options: BookOptions,
  costs: CostOptions,
): Map<string, BacktestResult> {
  // the days the strategies are scored on: up to the last known traded return
  const end = settledEnd(panels), cells = end * panels.symbols.length;
  const al = alwaysLongVolTargeted({
    dates: panels.dates.slice(0, end),
    symbols: panels.symbols,
    history: panels.history.subarray(0, cells),
    dailyVol: panels.dailyVol.subarray(0, cells),
    returns: panels.returns.subarray(0, cells),
    adv: panels.adv.subarray(0, cells),
    // the cells carried through a hole (their sources, earlier cells, held)
    carried: panels.carried.filter((c) => c < cells),
    firstDecision: panels.first,
  }, { portfolio: { ...withHooks(options), method: "always-long" }, costs });
  const bh = buyAndHold({
    dates: panels.dates.slice(panels.first, end),
    symbols: panels.symbols,
    returns: decisions(panels, panels.returns),
  }, { costBps: costs.costBps });
  return new Map<string, BacktestResult>([[ALWAYS_LONG, al.result], [BUY_AND_HOLD, bh]]);
}
