/**
 * Feature standardization fitted on train rows only, enforced by lib/dataset (folder-private). NaN and infinite values become 0 after
 * scaling (= the train mean).
 * @module
 */
import { type Dataset, fitScaler as fitGuardedScaler } from "../dataset/mod.ts";

/** Per-column mean and standard deviation. */
export interface Scaler {
  mean: number[];
  std: number[];
}

/**
 * Fits a scaler on the finite values of `rows` of `ds.X` through lib/dataset's `fitScaler`, which throws
 * `LookaheadError` when a fit row lies after the train segment. Zero-variance columns get std 1.
 */
export function fitScaler(ds: Dataset, rows: Int32Array): Scaler {
  const s = fitGuardedScaler(ds, rows);
  return { mean: Array.from(s.mean), std: Array.from(s.std) };
}

/** Standardized row-major matrix `rows.length x p` (NaN -> 0), optionally clipped to `[-clip, clip]`. */
export function transform(ds: Dataset, rows: Int32Array, sc: Scaler, clip = 10): Float64Array {
  const p = ds.featureNames.length;
  const out = new Float64Array(rows.length * p);
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * p, q = r * p;
    for (let j = 0; j < p; j++) {
      const v = (ds.X[o + j] - sc.mean[j]) / sc.std[j];
      out[q + j] = Number.isFinite(v) ? Math.max(-clip, Math.min(clip, v)) : 0;
    }
  }
  return out;
}

/** Rows of `rows` whose trend label is known (0, 1 or 2). */
export function labeledRows(ds: Dataset, rows: Int32Array): Int32Array {
  const out: number[] = [];
  for (const i of rows) if (ds.labels.trend[i] >= 0) out.push(i);
  return Int32Array.from(out);
}
