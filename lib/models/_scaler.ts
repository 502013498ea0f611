/**
 * Feature standardization fitted on train rows only (folder-private). NaN and infinite values become 0 after
 * scaling (= the train mean).
 * @module
 */
import type { Dataset } from "../dataset/mod.ts";

/** Per-column mean and standard deviation. */
export interface Scaler {
  mean: number[];
  std: number[];
}

/** Fits a scaler on the finite values of `rows` of `ds.X`. Zero-variance columns get std 1. */
export function fitScaler(ds: Dataset, rows: Int32Array): Scaler {
  const p = ds.featureNames.length;
  const s = new Float64Array(p), s2 = new Float64Array(p), c = new Float64Array(p);
  for (const i of rows) {
    const o = i * p;
    for (let j = 0; j < p; j++) {
      const v = ds.X[o + j];
      if (Number.isFinite(v)) {
        s[j] += v;
        s2[j] += v * v;
        c[j]++;
      }
    }
  }
  const mean: number[] = [], std: number[] = [];
  for (let j = 0; j < p; j++) {
    const m = c[j] ? s[j] / c[j] : 0;
    const v = c[j] > 1 ? Math.max(0, s2[j] / c[j] - m * m) : 0;
    mean.push(m);
    std.push(v > 1e-24 ? Math.sqrt(v) : 1);
  }
  return { mean, std };
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
