/**
 * Step 5, backtest: every strategy of the system (the mixture of experts, each expert, each ensemble method,
 * each base trend model) through the same book (portfolio construction, costs with impact) on the test segment:
 * decided at the close of t, filled at the open of t+1; plus always-long at the volatility target and
 * equal-weight buy-and-hold.
 * @module
 */
import type { BacktestResult } from "@lib/backtest/mod.ts";
import type { BuiltDataset } from "@lib/dataset/mod.ts";
import { backtestPredictions, type SystemPredictions, type SystemSpec } from "@lib/workflow/mod.ts";
import type { Progress } from "../progress.ts";

/** Backtest results by strategy name (baselines included). */
export type BacktestResults = Map<string, BacktestResult>;

/** Simulates each strategy and the baselines over the predicted test rows. */
export function backtestStep(
  ds: BuiltDataset,
  pred: SystemPredictions,
  spec: SystemSpec,
  progress?: Progress,
): BacktestResults {
  const done = progress?.start(`backtest (${pred.edges.size} strategies + 2 baselines)`);
  const out = backtestPredictions(ds, pred, spec);
  done?.();
  return out;
}
