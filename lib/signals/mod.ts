/**
 * Signals layer: scores or probabilities -> buy/sell/hold with a position size.
 * @module
 */
export {
  actionOf,
  confidenceOf,
  positionsFromScores,
  resolveSizing,
  scoresFromProbs,
  sizeOf,
  type Sizing,
  type SizingOptions,
} from "./sizing.ts";
export { type SignalRows, signalsFromMoe, signalsFromProbs, signalsFromScores } from "./signals.ts";
