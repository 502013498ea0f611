/**
 * The inner early-stopping slice of a training window (folder-private): the latest `frac` of the rows by
 * date are held out, and the `labelHorizon` sessions before them are purged from what remains, so no
 * training label reads a held-out session.
 * @module
 */
import type { Dataset } from "../dataset/mod.ts";

/** Splits `rows` into a training part and a later, purged holdout part (both in date order). */
export function innerHoldout(
  ds: Pick<Dataset, "date" | "labelHorizon">,
  rows: Int32Array,
  frac = 0.1,
): { train: Int32Array; holdout: Int32Array } {
  const sorted = Array.from(rows).sort((
    a,
    b,
  ) => (ds.date[a] < ds.date[b] ? -1 : ds.date[a] > ds.date[b] ? 1 : a - b));
  const cut = Math.floor(sorted.length * (1 - frac));
  if (cut <= 0 || cut >= sorted.length) return { train: Int32Array.from(sorted), holdout: new Int32Array(0) };
  const holdout = Int32Array.from(sorted.slice(cut));
  // purge: train labels look `labelHorizon` sessions ahead, so the last train dates before the cut would
  // overlap the held-out labels; drop them (and any row dated on the cut's own date).
  const purge = new Set<string>();
  for (let k = cut - 1; k >= 0 && purge.size < (ds.labelHorizon ?? 1); k--) {
    if (ds.date[sorted[k]] !== ds.date[sorted[cut]]) purge.add(ds.date[sorted[k]]);
  }
  const firstPurged = purge.size ? [...purge].sort()[0] : ds.date[sorted[cut]];
  return { train: Int32Array.from(sorted.slice(0, cut).filter((r) => ds.date[r] < firstPurged)), holdout };
}
