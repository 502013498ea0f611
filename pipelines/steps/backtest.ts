/**
 * Step 6, backtest: every strategy (the mixture of experts, each ensemble method, each single trend model) through
 * the same walk-forward simulation on the test segment: decided at the close of t, filled at the open of t+1,
 * costs per side; plus equal-weight buy-and-hold of the same universe.
 * @module
 */
import type { BacktestResult } from "@lib/backtest/mod.ts";
import type { BuiltDataset } from "@lib/dataset/mod.ts";
import { backtestStrategies, type Strategy } from "@lib/evaluate/mod.ts";
import type { SizingOptions } from "@lib/signals/mod.ts";
import type { Progress } from "../progress.ts";

/** Backtest results by strategy name, plus the benchmark under `buy-and-hold`. */
export type BacktestResults = Map<string, BacktestResult>;

/** Simulates each strategy and the buy-and-hold benchmark over the test rows. */
export function backtestStep(
  ds: BuiltDataset,
  rows: Int32Array,
  strategies: Strategy[],
  forecastVar: Float64Array,
  opts: { sizing: SizingOptions; costBps: number },
  progress?: Progress,
): BacktestResults {
  const done = progress?.start(`backtest (${strategies.length} strategies)`);
  const out = backtestStrategies(ds, rows, strategies, forecastVar, opts);
  done?.();
  return out;
}
