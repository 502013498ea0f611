/**
 * Step 4, signal: the system's book over the test rows -> buy/sell/hold signals with target portfolio weights
 * and, per expert, its output and gate weight, written to the `signals` table (source `moe`, `model_version`
 * `""`); and the run's per-row model predictions (each base trend model's and each ensemble's class
 * probabilities, the volatility forecast) written to the `predictions` table.
 *
 * A research run replaces the research results of its symbols: afterwards the store holds exactly this run's
 * research signals and predictions for them (an earlier run's rows on other dates or of other models are
 * removed), however often it is re-run. Production signals (those with a model version) and other symbols are
 * never touched. Both tables are replaced in one transaction (`TableStore.replaceMany`: the new rows upserted and
 * the earlier rows the run did not produce deleted, in both tables together), so a run that dies leaves the
 * earlier run's signals and predictions or this run's, never a mix (not even this run's signals beside the
 * earlier run's predictions).
 * @module
 */
import type { Dataset } from "@lib/dataset/mod.ts";
import type { Prediction, Signal } from "@lib/core/mod.ts";
import { PREDICTIONS, predictionToRow, SIGNALS, signalToRow, type Stores } from "@lib/store/mod.ts";
import { bookSignals, type FittedSystem, type SystemPredictions } from "@lib/workflow/mod.ts";
import type { Progress } from "../progress.ts";

/** The `source` of a research run's signals (the gate's book). */
export const RESEARCH_SIGNAL_SOURCE = "moe";

/**
 * The system's signals of the predicted rows (its book), stored in the `signals` table, and the predictions
 * they came from, stored in the `predictions` table; each replacing the earlier research run's rows of the
 * run's symbols: those of the dataset and `requested` (a symbol asked for without bars in the range loses its
 * earlier research rows too).
 */
export async function signalStep(
  ds: Dataset,
  system: FittedSystem,
  pred: SystemPredictions,
  stores: Stores,
  progress?: Progress,
  requested: readonly string[] = [],
): Promise<Signal[]> {
  const done = progress?.start("signals (moe book)");
  const signals: Signal[] = bookSignals(pred, system.book(ds, pred).portfolio).map((
    { edge: _e, dailyVol: _v, ...s },
  ) => s);
  // a research signal has no provenance: its row's `score` is the row's combined edge (the gate-weighted
  // calibrated experts), as a production row's is (its sizing's `rawScore`); one signal per predicted row, in order
  const signalRows = signals.map((s, i) => ({
    ...signalToRow(s),
    score: Number.isFinite(pred.score[i]) ? pred.score[i] : null,
  }));
  const predictionRows = researchPredictions(pred, system.spec.experts.volatility).map(predictionToRow);
  const symbols = [...new Set([...ds.series.keys(), ...pred.symbol, ...requested])].sort();
  const t = stores.tables;
  for (const schema of [SIGNALS, PREDICTIONS]) await t.ensureTable(schema);
  // both tables in one transaction: the new rows, and the run's symbols' earlier research rows gone
  await t.replaceMany([
    {
      table: SIGNALS.name,
      where: { source: RESEARCH_SIGNAL_SOURCE, model_version: "", symbol: symbols },
      rows: signalRows,
    },
    { table: PREDICTIONS.name, where: { symbol: symbols }, rows: predictionRows },
  ]);
  done?.();
  return signals;
}

/**
 * The per-row predictions of a research run: each base trend model's class probabilities (model: its name),
 * each ensemble's (model `ensemble:<name>`), both `trend` predictions; and the volatility expert's forecast
 * daily variance of the next session (model `volModel`, `volatility`, horizon 1). Rows without finite values
 * (e.g. no volatility forecast for a symbol) are left out. The gate's combined edge is not a prediction kind
 * (it is a calibrated expected return, not class probabilities): it is what the `signals` rows act on.
 */
export function researchPredictions(pred: SystemPredictions, volModel: string): Prediction[] {
  const out: Prediction[] = [];
  const trend = [
    ...pred.models.map((m) => ({ model: m.name, probs: m.probs })),
    ...pred.ensembles.map((e) => ({ model: `ensemble:${e.name}`, probs: e.probs })),
  ];
  for (let i = 0; i < pred.rows.length; i++) {
    const base = { symbol: pred.symbol[i], date: pred.date[i], knownAt: pred.knownAt[i] };
    for (const { model, probs } of trend) {
      const p: [number, number, number] = [probs[3 * i], probs[3 * i + 1], probs[3 * i + 2]];
      if (p.every(Number.isFinite)) out.push({ ...base, model, kind: "trend", probs: p });
    }
    const variance = pred.forecastVar[i];
    if (Number.isFinite(variance) && variance >= 0) {
      out.push({
        ...base,
        model: volModel,
        kind: "volatility",
        horizon: 1,
        variance,
        annualizedVol: Math.sqrt(variance * 252),
      });
    }
  }
  return out;
}
