/**
 * Baseline strategies every scoreboard shows beside a model: "always long, volatility-targeted" (every name
 * held at equal weight, the book scaled to a volatility target from the covariance estimate: the bar a timing
 * signal must clear) and, in `backtest.ts`, equal-weight buy-and-hold.
 * @module
 */
import type { IsoDate } from "../core/mod.ts";
import { constructPortfolio, type PortfolioOptions, type PortfolioResult } from "../signals/mod.ts";
import type { CostOptions } from "./costs.ts";
import { backtestWeights, costedSettle, type WeightBacktestResult } from "./weights.ts";

/** Inputs of {@link alwaysLongVolTargeted}: `T x S` panels as in `PortfolioInput` and `WeightBacktestInput`. */
export interface BaselineInput {
  dates: readonly IsoDate[];
  symbols: readonly string[];
  /** Realized daily return of session `t` (close `t-1` -> close `t`); a name is held on days it has one. */
  history: Float64Array;
  /**
   * Cells held although `history` has no return there (a session the name has no bar on, carried through:
   * sold and bought back otherwise).
   */
  carried?: Int32Array;
  /** Forecast daily sd per name known at `t` (NaN = the risk model's estimate). */
  dailyVol: Float64Array;
  /** Traded return of a decision at `t` (open `t+1` -> open `t+2`). */
  returns: Float64Array;
  /** Average daily dollar volume known at `t` (impact costs). */
  adv?: Float64Array;
  /** First decision day (earlier days warm up the risk model). Default 0. */
  firstDecision?: number;
}

/**
 * Always long, volatility-targeted: on each decision day every name with a return that session is held at equal
 * weight, then the book is scaled to `targetVol` (default 0.10 annualized) within the gross and per-name limits
 * of `portfolio` (method forced to `always-long`), and simulated with the cost model. Uses the same portfolio
 * machinery as the models, so it is "the same volatility targeting" the protocol asks for.
 */
export function alwaysLongVolTargeted(
  x: BaselineInput,
  options: { portfolio?: PortfolioOptions; costs?: CostOptions } = {},
): { portfolio: PortfolioResult; result: WeightBacktestResult } {
  const edge = x.history.map((v) => (Number.isFinite(v) ? 1 : NaN));
  for (const c of x.carried ?? []) edge[c] = 1;
  const portfolio = constructPortfolio(
    {
      dates: x.dates,
      symbols: x.symbols,
      edge,
      dailyVol: x.dailyVol,
      history: x.history,
      // settled traded returns, for the risk hooks a caller's options may hold (a drawdown brake), and after costs
      // as the backtest below books them
      outcomes: x.returns,
      firstDecision: x.firstDecision,
      settle: costedSettle(
        { symbols: x.symbols.length, returns: x.returns, dailyVol: x.dailyVol, adv: x.adv },
        options.costs ?? {},
        x.firstDecision ?? 0,
      ),
    },
    { maxWeight: 1, ...options.portfolio, method: "always-long", weighting: "equal" },
  );
  const first = x.firstDecision ?? 0, S = x.symbols.length;
  const slice = (a: Float64Array | undefined) => a?.subarray(first * S);
  const result = backtestWeights({
    dates: x.dates.slice(first),
    symbols: x.symbols,
    weights: portfolio.weights.subarray(first * S),
    returns: x.returns.subarray(first * S),
    dailyVol: slice(x.dailyVol),
    adv: slice(x.adv),
  }, options.costs);
  return { portfolio, result };
}
