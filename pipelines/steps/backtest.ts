/**
 * Step 6, backtest: every strategy (the mixture of experts, each ensemble method, each single trend model) through
 * the same walk-forward simulation on the test segment: decided at the close of t, filled at the open of t+1,
 * costs per side; plus equal-weight buy-and-hold of the same universe.
 * @module
 */
import { backtest, type BacktestResult, buyAndHold, toPanel } from "@lib/backtest/mod.ts";
import type { BuiltDataset } from "@lib/dataset/mod.ts";
import { positionsFromScores, scoresFromProbs, type SizingOptions } from "@lib/signals/mod.ts";
import type { Progress } from "../progress.ts";
import { annualVol } from "./signal.ts";

/** A strategy to simulate: per test row, a directional score in [-1, 1]. */
export interface Strategy {
  name: string;
  score: Float64Array;
}

/** Backtest results by strategy name, plus the benchmark under `buy-and-hold`. */
export type BacktestResults = Map<string, BacktestResult>;

/** Strategy scores from class probabilities. */
export function probsStrategy(name: string, probs: Float64Array): Strategy {
  return { name, score: scoresFromProbs(probs) };
}

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
  const symbol = Array.from(rows, (i) => ds.symbol[i]), date = Array.from(rows, (i) => ds.date[i]);
  const ret = toPanel(symbol, date, Float64Array.from(rows, (i) => ds.labels.fwdOpenReturn[i]));
  const axes = { dates: ret.dates, symbols: ret.symbols };
  const vol = annualVol(forecastVar);
  const out: BacktestResults = new Map();
  for (const s of strategies) {
    const pos = toPanel(symbol, date, positionsFromScores(s.score, vol, opts.sizing), axes);
    out.set(
      s.name,
      backtest({ ...axes, positions: pos.values, returns: ret.values }, { costBps: opts.costBps }),
    );
  }
  out.set("buy-and-hold", buyAndHold({ ...axes, returns: ret.values }, { costBps: opts.costBps }));
  done?.();
  return out;
}
