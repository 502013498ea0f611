/**
 * The system's strategies through one simulation: every strategy a {@link SystemPredictions} holds (the mixture
 * of experts, each expert, each ensemble, each base model) through the same book (portfolio construction and
 * costs of the spec), plus always-long at the volatility target and equal-weight buy-and-hold.
 * @module
 */
import type { BacktestResult } from "../backtest/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import {
  backtestBook,
  baselineBacktests,
  bookPanels,
  buildBook,
  costOptions,
  portfolioOptions,
} from "./book.ts";
import { checkSpec, type SystemSpec } from "./spec.ts";
import type { SystemPredictions } from "./system.ts";

/**
 * Simulates every strategy of `pred` over its rows: each strategy's calibrated edges -> the spec's portfolio
 * (decided at the close of t, filled at the open of t+1, earning the open-to-open return) -> the spec's costs;
 * with risk limits in the spec, the mixture's book without them ({@link UNLIMITED_MOE}); the mixture's books under
 * `opts.moeBooks`' sizing settings; then the baselines over the same panels. Strategies first (in `pred.edges`
 * order), baselines last.
 */
export function backtestPredictions(
  ds: Dataset,
  pred: SystemPredictions,
  spec: SystemSpec,
  opts: {
    /** The mixture's edges through other sizing settings too: one row per name, after the strategies. */
    moeBooks?: Record<string, SystemSpec["portfolio"]>;
  } = {},
): Map<string, BacktestResult> {
  const panels = bookPanels(ds, pred);
  const po = portfolioOptions(spec), co = costOptions(spec);
  const out = new Map<string, BacktestResult>();
  for (const [name, edge] of pred.edges) {
    out.set(name, backtestBook(panels, buildBook(panels, edge, po).weights, co));
  }
  const moe = pred.edges.get("moe");
  if (moe) {
    if (po.riskLimits) {
      // what the risk limits change: the mixture's book without them, beside the limited one
      const { riskLimits: _, ...free } = po;
      out.set(UNLIMITED_MOE, backtestBook(panels, buildBook(panels, moe, free).weights, co));
    }
    for (const [name, portfolio] of Object.entries(opts.moeBooks ?? {})) {
      const other = { ...spec, portfolio };
      checkSpec(other);
      out.set(name, backtestBook(panels, buildBook(panels, moe, portfolioOptions(other)).weights, co));
    }
  }
  for (const [name, r] of baselineBacktests(panels, po, co)) out.set(name, r);
  return out;
}

/** The row of the mixture's book without the spec's risk limits (only when the spec has some). */
export const UNLIMITED_MOE = "moe (no risk limits)";
