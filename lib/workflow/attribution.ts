/**
 * Per-regime attribution of a system's book (lib/moe `regimeAttribution`): for each market regime and gate
 * output, the mean gate weight and the P&L each expert contributed.
 * @module
 */
import { type RegimeAttribution, regimeAttribution } from "../moe/mod.ts";
import type { PortfolioResult } from "../signals/mod.ts";
import type { BookPanels } from "./book.ts";
import { dayIndex } from "./mixture.ts";
import type { SystemPredictions } from "./system.ts";
import type { SystemSpec } from "./spec.ts";

/**
 * Attribution of the book built on `pred`'s combined edge (`FittedSystem.book`): each held row's gross P&L
 * (target weight x traded return) split over the experts in proportion to their contributions to its edge; for a
 * book that decides on the day's relative edges (every method but kelly), their contributions relative to the
 * day's mean, so an expert that moves every name alike (the market expert) is credited nothing it did not decide.
 */
export function systemAttribution(
  pred: SystemPredictions,
  book: { panels: BookPanels; portfolio: PortfolioResult },
  method: SystemSpec["portfolio"]["method"],
): RegimeAttribution {
  const idx = dayIndex(pred.date), D = idx.dates.length;
  const G = pred.gate.names.length, K = pred.experts.names.length;
  const weights = new Float64Array(D * G), dayRegime = new Array<string>(D).fill("unknown");
  const contributions = pred.experts.names.map(() => new Float64Array(pred.rows.length));
  const pnl = new Float64Array(pred.rows.length);
  for (let i = 0; i < pred.rows.length; i++) {
    const d = idx.rowDay[i];
    weights.set(pred.gate.weights.subarray(i * G, i * G + G), d * G);
    dayRegime[d] = pred.regime[i];
    for (let k = 0; k < K; k++) contributions[k][i] = pred.gate.contributions[i * K + k];
    const c = book.panels.cell[i];
    pnl[i] = book.portfolio.weights[c] * book.panels.returns[c];
  }
  return regimeAttribution({
    outputNames: pred.gate.names,
    weights,
    dayRegime,
    rowDay: idx.rowDay,
    contributions,
    pnl,
    relative: method !== "kelly",
  });
}
