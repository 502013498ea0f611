/**
 * The system's strategies through one simulation: every strategy a {@link SystemPredictions} holds (the mixture
 * of experts, each expert, each ensemble, each base model), sized the same way, plus the honest baselines.
 * @module
 */
import { backtest, type BacktestResult, buyAndHold, toPanel } from "../backtest/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import { positionsFromScores, type SizingOptions } from "../signals/mod.ts";
import type { SystemPredictions } from "./system.ts";

/** Name of the equal-weight buy-and-hold baseline in backtest tables. */
export const BUY_AND_HOLD = "buy-and-hold";
/** Name of the always-long, volatility-targeted baseline (the bar a timing signal must clear). */
export const ALWAYS_LONG = "always-long-voltarget";

/** Options of {@link backtestPredictions}. */
export interface BacktestOptions {
  sizing: SizingOptions;
  costBps: number;
}

/**
 * Simulates every strategy of `pred` over its rows (decided at the close of t, filled at the open of t+1,
 * earning `fwdOpenReturn`, `costBps` per side; sizes from each strategy's standardized score and the volatility
 * forecast), plus equal-weight buy-and-hold ({@link BUY_AND_HOLD}) and always long at the volatility target
 * ({@link ALWAYS_LONG}: score 1 on every row through the same sizing).
 */
export function backtestPredictions(
  ds: Dataset,
  pred: SystemPredictions,
  opts: BacktestOptions,
): Map<string, BacktestResult> {
  const rows = pred.rows;
  const ret = toPanel(pred.symbol, pred.date, Float64Array.from(rows, (i) => ds.labels.fwdOpenReturn[i]));
  const axes = { dates: ret.dates, symbols: ret.symbols };
  const out = new Map<string, BacktestResult>();
  const run = (score: Float64Array) => {
    const pos = toPanel(
      pred.symbol,
      pred.date,
      positionsFromScores(score, pred.forecastVol, opts.sizing),
      axes,
    );
    return backtest({ ...axes, positions: pos.values, returns: ret.values }, { costBps: opts.costBps });
  };
  for (const [name, score] of pred.strategies) out.set(name, run(score));
  out.set(ALWAYS_LONG, run(new Float64Array(rows.length).fill(1)));
  out.set(BUY_AND_HOLD, buyAndHold({ ...axes, returns: ret.values }, { costBps: opts.costBps }));
  return out;
}
