/**
 * Folder-private helpers: input checks and small statistics on `n x 3` probability matrices.
 * @module
 */
import { ModelError } from "../core/mod.ts";

/** Probability floor used in logs. */
export const EPS = 1e-12;

/** Checks K >= 1 matrices of equal length `n x 3`; returns n. */
export function checkProbs(probs: Float64Array[], where: string): number {
  if (!Array.isArray(probs) || probs.length === 0) throw new TypeError(`${where}: need at least one model`);
  const len = probs[0].length;
  if (len % 3 !== 0) {
    throw new RangeError(`${where}: probability matrix length ${len} is not a multiple of 3`);
  }
  for (let k = 0; k < probs.length; k++) {
    if (!(probs[k] instanceof Float64Array)) {
      throw new TypeError(`${where}: model ${k} is not a Float64Array`);
    }
    if (probs[k].length !== len) {
      throw new RangeError(`${where}: model ${k} has ${probs[k].length / 3} rows, model 0 has ${len / 3}`);
    }
  }
  return len / 3;
}

/** Checks labels against n rows; returns the count of known labels (0, 1 or 2). */
export function checkLabels(labels: Int8Array, n: number, where: string): number {
  if (!(labels instanceof Int8Array)) throw new TypeError(`${where}: labels must be an Int8Array`);
  if (labels.length !== n) throw new RangeError(`${where}: ${labels.length} labels for ${n} rows`);
  let known = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y > 2) throw new RangeError(`${where}: label ${y} at row ${i} is not 0, 1 or 2`);
    if (y >= 0) known++;
  }
  if (known === 0) throw new ModelError(`${where}: no known validation labels to fit on`);
  return known;
}

/** Checks K matches the number of models the method was fitted on. */
export function checkK(probs: Float64Array[], k: number, where: string): void {
  if (probs.length !== k) throw new RangeError(`${where}: fitted on ${k} models, got ${probs.length}`);
}

/** Mean of the K matrices (soft vote), optionally weighted (weights must sum to 1). */
export function weightedMean(probs: Float64Array[], weights?: Float64Array): Float64Array {
  const K = probs.length;
  const len = probs[0].length;
  const out = new Float64Array(len);
  for (let k = 0; k < K; k++) {
    const w = weights ? weights[k] : 1 / K;
    if (w === 0) continue;
    const p = probs[k];
    for (let j = 0; j < len; j++) out[j] += w * p[j];
  }
  return out;
}

/** The class decision of one row (one rule everywhere: lib/models/metrics.ts). */
export { argmax3 } from "../models/mod.ts";

/** Mean log-likelihood `mean log p(y_i)` of one model on known labels (probabilities floored at EPS). */
export function meanLogLik(p: Float64Array, labels: Int8Array): number {
  let s = 0, known = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y < 0) continue;
    known++;
    s += Math.log(Math.max(p[3 * i + y], EPS));
  }
  return known === 0 ? NaN : s / known;
}

/** Class frequencies of the known labels. */
export function classFrequencies(labels: Int8Array): [number, number, number] {
  const c = [0, 0, 0];
  let known = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y < 0) continue;
    c[y]++;
    known++;
  }
  return [c[0] / known, c[1] / known, c[2] / known];
}
