/**
 * Class decisions from probability matrices.
 * @module
 */
import { argmax3 } from "./_util.ts";

/**
 * Argmax class per row of a row-major `n x 3` matrix `[down, neutral, up]`: 0 down, 1 neutral, 2 up. Ties go to
 * neutral (a down/up tie is a "hold").
 * @example
 * ```ts
 * import { argmaxRows } from "./argmax.ts";
 * argmaxRows(new Float64Array([0.1, 0.3, 0.6])); // Int8Array [2]
 * ```
 */
export function argmaxRows(probs: Float64Array): Int8Array {
  if (probs.length % 3 !== 0) {
    throw new RangeError(`argmaxRows: length ${probs.length} is not a multiple of 3`);
  }
  const n = probs.length / 3;
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = argmax3(probs[3 * i], probs[3 * i + 1], probs[3 * i + 2]);
  return out;
}

/** Fraction of known labels (>= 0) equal to the argmax of `probs`. NaN when no label is known. */
export function accuracy(probs: Float64Array, labels: Int8Array): number {
  const pred = argmaxRows(probs);
  if (labels.length !== pred.length) {
    throw new RangeError(`accuracy: ${labels.length} labels for ${pred.length} rows`);
  }
  let hit = 0, known = 0;
  for (let i = 0; i < pred.length; i++) {
    if (labels[i] < 0) continue;
    known++;
    if (pred[i] === labels[i]) hit++;
  }
  return known === 0 ? NaN : hit / known;
}
