/**
 * Step 5, signal: the mixture of experts' scores on the test rows -> buy/sell/hold signals with position sizes
 * (volatility-targeted), written to the `signals` table (idempotent by source, symbol and date).
 * @module
 */
import type { Signal } from "@lib/core/mod.ts";
import type { BuiltDataset } from "@lib/dataset/mod.ts";
import { annualVol } from "@lib/evaluate/mod.ts";
import type { MoeOutput } from "@lib/moe/mod.ts";
import { scoreScale, signalsFromMoe, type SizingOptions, standardizeScores } from "@lib/signals/mod.ts";
import { signalToRow, type Stores } from "@lib/store/mod.ts";
import type { Progress } from "../progress.ts";

/**
 * Signals of the test rows from the mixture of experts, stored in the `signals` table. The combined score is
 * standardized by the scale of the same combiner's validation scores (see `scoreScale`) before sizing.
 */
export async function signalStep(
  ds: BuiltDataset,
  rows: Int32Array,
  moe: MoeOutput,
  validScore: Float64Array,
  forecastVar: Float64Array,
  sizing: SizingOptions,
  stores: Stores,
  progress?: Progress,
): Promise<Signal[]> {
  const done = progress?.start("signals (moe)");
  const signals = signalsFromMoe(
    {
      symbol: Array.from(rows, (i) => ds.symbol[i]),
      date: Array.from(rows, (i) => ds.date[i]),
      knownAt: Float64Array.from(rows, (i) => ds.decisionTime[i]),
    },
    { ...moe, score: standardizeScores(moe.score, scoreScale(validScore)) },
    { ...sizing, forecastVol: annualVol(forecastVar) },
  );
  await stores.tables.upsert("signals", signals.map(signalToRow));
  done?.();
  return signals;
}
