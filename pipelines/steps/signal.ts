/**
 * Step 4, signal: the system's book over the test rows -> buy/sell/hold signals with target portfolio weights
 * and, per expert, its output and gate weight; written to the `signals` table (idempotent by source, symbol,
 * date).
 * @module
 */
import type { Dataset } from "@lib/dataset/mod.ts";
import type { Signal } from "@lib/core/mod.ts";
import { signalToRow, type Stores } from "@lib/store/mod.ts";
import { bookSignals, type FittedSystem, type SystemPredictions } from "@lib/workflow/mod.ts";
import type { Progress } from "../progress.ts";

/** The system's signals of the predicted rows (its book), stored in the `signals` table. */
export async function signalStep(
  ds: Dataset,
  system: FittedSystem,
  pred: SystemPredictions,
  stores: Stores,
  progress?: Progress,
): Promise<Signal[]> {
  const done = progress?.start("signals (moe book)");
  const signals: Signal[] = bookSignals(pred, system.book(ds, pred).portfolio).map((
    { edge: _e, dailyVol: _v, ...s },
  ) => s);
  await stores.tables.upsert("signals", signals.map(signalToRow));
  done?.();
  return signals;
}
