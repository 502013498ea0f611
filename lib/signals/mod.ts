/**
 * Signals layer: scores or probabilities -> buy/sell/hold with a position size.
 * @module
 */
export {
  actionOf,
  annualVol,
  confidenceOf,
  positionsFromScores,
  resolveSizing,
  scoreScale,
  scoresFromProbs,
  sizeOf,
  type Sizing,
  type SizingOptions,
  standardizeScores,
} from "./sizing.ts";
export { type SignalRows, signalsFromMoe, signalsFromProbs, signalsFromScores } from "./signals.ts";
