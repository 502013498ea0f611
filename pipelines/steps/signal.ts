/**
 * Step 4, signal: the system's predictions on the test rows -> buy/sell/hold signals with position sizes and,
 * per expert, its output and gate weight; written to the `signals` table (idempotent by source, symbol, date).
 * @module
 */
import type { Signal } from "@lib/core/mod.ts";
import { signalToRow, type Stores } from "@lib/store/mod.ts";
import { predictionSignals, type SystemPredictions, type SystemSpec } from "@lib/workflow/mod.ts";
import type { Progress } from "../progress.ts";

/** The system's signals of the predicted rows, stored in the `signals` table. */
export async function signalStep(
  pred: SystemPredictions,
  sizing: SystemSpec["sizing"],
  stores: Stores,
  progress?: Progress,
): Promise<Signal[]> {
  const done = progress?.start("signals (moe)");
  const signals: Signal[] = predictionSignals(pred, sizing).map(({ score: _s, forecastVol: _v, ...s }) => s);
  await stores.tables.upsert("signals", signals.map(signalToRow));
  done?.();
  return signals;
}
