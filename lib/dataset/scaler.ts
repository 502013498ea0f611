/**
 * Z-score scaling fitted on training rows only.
 * @module
 */
import { type IsoDate, LookaheadError } from "../core/mod.ts";
import type { Dataset } from "./types.ts";

/** Per-feature mean and standard deviation, and the last date of the fit window. */
export interface Scaler {
  featureNames: string[];
  mean: Float64Array;
  /** Standard deviation (population); 1 where a feature is constant or has no finite values. */
  std: Float64Array;
  /** Latest row date used in the fit. */
  fitEnd: IsoDate;
  /** Rows fitted. */
  n: number;
}

/**
 * Fits z-score parameters on `rows` (non-finite values skipped). Throws `LookaheadError` when a row's date is
 * after `until` (default: the end of the train segment), so a scaler never sees validation or test data.
 */
export function fitScaler(
  ds: Pick<Dataset, "featureNames" | "X" | "n" | "date" | "symbol" | "segments">,
  rows: Int32Array,
  opts: { until?: IsoDate } = {},
): Scaler {
  const until = opts.until ?? ds.segments.train[1];
  const F = ds.featureNames.length;
  const sum = new Float64Array(F), sum2 = new Float64Array(F), cnt = new Float64Array(F);
  let fitEnd = "";
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    if (!(r >= 0 && r < ds.n)) throw new RangeError(`row ${r} outside the dataset`);
    const d = ds.date[r];
    if (d > until) {
      throw new LookaheadError(
        `scaler fit row ${r} (${ds.symbol[r]} ${d}) is after the fit window end ${until}`,
      );
    }
    if (d > fitEnd) fitEnd = d;
    const base = r * F;
    for (let f = 0; f < F; f++) {
      const v = ds.X[base + f];
      if (Number.isFinite(v)) {
        sum[f] += v;
        sum2[f] += v * v;
        cnt[f]++;
      }
    }
  }
  const mean = new Float64Array(F), std = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    if (cnt[f] === 0) {
      std[f] = 1;
      continue;
    }
    mean[f] = sum[f] / cnt[f];
    const v = Math.max(0, sum2[f] / cnt[f] - mean[f] * mean[f]);
    const sd = Math.sqrt(v);
    std[f] = sd > 1e-12 * Math.max(1, Math.abs(mean[f])) ? sd : 1;
  }
  return { featureNames: ds.featureNames.slice(), mean, std, fitEnd, n: rows.length };
}

/** Z-scored features of `rows` (default all), row-major `rows.length x features`. */
export function applyScaler(ds: Dataset, scaler: Scaler, rows?: Int32Array): Float64Array {
  const F = ds.featureNames.length;
  if (scaler.featureNames.length !== F || scaler.featureNames.some((n, i) => n !== ds.featureNames[i])) {
    throw new RangeError("scaler was fitted on different features");
  }
  const m = rows ? rows.length : ds.n;
  const out = new Float64Array(m * F);
  for (let k = 0; k < m; k++) {
    const r = rows ? rows[k] : k;
    const src = r * F, dst = k * F;
    for (let f = 0; f < F; f++) out[dst + f] = (ds.X[src + f] - scaler.mean[f]) / scaler.std[f];
  }
  return out;
}
