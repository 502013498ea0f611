/**
 * Small gradient-boosted decision trees for the 3-class trend target (softmax loss, one tree per class per
 * round), written by hand on quantile-binned features: histogram splits, row subsampling per round, early
 * stopping on the validation log loss. Missing values go to the left branch.
 * @module
 */
import { ModelError, mulberry32 } from "../core/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import type { TrendModel } from "./types.ts";
import { labeledRows } from "./_scaler.ts";
import { JsonFitted } from "./_fitted.ts";

/** Options of {@link GbdtModel}. */
export interface GbdtOptions {
  maxRounds?: number;
  learningRate?: number;
  maxDepth?: number;
  /** Quantile bins per feature (at most 255). */
  maxBins?: number;
  /** Minimum hessian sum in a leaf. */
  minChildWeight?: number;
  /** L2 penalty on leaf values. */
  lambda?: number;
  /** Rows sampled per round (uniformly, with replacement; all rows when there are fewer). */
  rowsPerRound?: number;
  /** Rounds without validation improvement before stopping. */
  patience?: number;
  seed?: number;
}

/** One tree as flat arrays; a node with `feature[i] < 0` is a leaf with value `value[i]`. */
export interface GbdtTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** Serialized {@link GbdtModel}. */
export interface GbdtParams {
  model: "gbdt";
  featureNames: string[];
  options: Required<GbdtOptions>;
  /** Initial raw scores (log class frequencies). */
  base: [number, number, number];
  /** `trees[round][class]`. */
  trees: GbdtTree[][];
}

const DEFAULTS: Required<GbdtOptions> = {
  maxRounds: 150,
  learningRate: 0.1,
  maxDepth: 3,
  maxBins: 32,
  minChildWeight: 5,
  lambda: 1,
  rowsPerRound: 20000,
  patience: 10,
  seed: 42,
};

/** Upper bin edges per feature from (a sample of) the finite train values. */
function binEdges(ds: Dataset, rows: Int32Array, maxBins: number, rand: () => number): Float64Array[] {
  const p = ds.featureNames.length, out: Float64Array[] = [];
  const take = rows.length > 50000
    ? Int32Array.from({ length: 50000 }, () => rows[Math.floor(rand() * rows.length)])
    : rows;
  for (let j = 0; j < p; j++) {
    const v: number[] = [];
    for (const i of take) {
      const x = ds.X[i * p + j];
      if (Number.isFinite(x)) v.push(x);
    }
    v.sort((a, b) => a - b);
    const e: number[] = [];
    for (let b = 1; b < maxBins; b++) {
      if (!v.length) break;
      const q = v[Math.min(v.length - 1, Math.floor((b * v.length) / maxBins))];
      if (!e.length || q > e[e.length - 1]) e.push(q);
    }
    if (e.length && e[e.length - 1] >= v[v.length - 1]) e.pop();
    out.push(Float64Array.from(e));
  }
  return out;
}

/** Bin of `x`: 0 for missing, else `1 + #(edges < x)`. */
function binOf(edges: Float64Array, x: number): number {
  if (!Number.isFinite(x)) return 0;
  let lo = 0, hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

function treeValue(t: GbdtTree, X: Float64Array, o: number): number {
  let n = 0;
  while (t.feature[n] >= 0) {
    const x = X[o + t.feature[n]];
    n = !Number.isFinite(x) || x <= t.threshold[n] ? t.left[n] : t.right[n];
  }
  return t.value[n];
}

/** Gradient-boosted trees trend model (`name = "gbdt"`). */
export class GbdtModel extends JsonFitted<GbdtParams> implements TrendModel {
  readonly name = "gbdt";
  readonly options: Required<GbdtOptions>;
  /** Rounds kept by early stopping in the last fit. */
  rounds = 0;

  constructor(options: GbdtOptions = {}) {
    super();
    this.options = { ...DEFAULTS, ...options };
    if (this.options.maxBins > 255 || this.options.maxBins < 2) {
      throw new RangeError("maxBins must be in [2, 255]");
    }
  }

  /** Fits on labeled `train` rows; early-stops on labeled `valid` rows when given. */
  fit(ds: Dataset, train: Int32Array, valid?: Int32Array): Promise<void> {
    // a synchronous throw rejects the promise
    return new Promise((resolve) => resolve(this.fitSync(ds, train, valid)));
  }

  private fitSync(ds: Dataset, train: Int32Array, valid?: Int32Array): void {
    const o = this.options, p = ds.featureNames.length;
    const tr = labeledRows(ds, train), va = valid ? labeledRows(ds, valid) : new Int32Array(0);
    if (tr.length < 20) throw new ModelError("gbdt: too few labeled train rows");
    const rand = mulberry32(o.seed);
    const edges = binEdges(ds, tr, o.maxBins, rand);
    const n = tr.length;
    const B = new Uint8Array(n * p);
    for (let r = 0; r < n; r++) {
      const off = tr[r] * p;
      for (let j = 0; j < p; j++) B[r * p + j] = binOf(edges[j], ds.X[off + j]);
    }
    const y = Int8Array.from(tr, (i) => ds.labels.trend[i]);
    const c = [1, 1, 1];
    for (const v of y) c[v]++;
    const base: [number, number, number] = [0, 1, 2].map((k) => Math.log(c[k] / (n + 3))) as [
      number,
      number,
      number,
    ];
    const F = new Float64Array(n * 3);
    for (let r = 0; r < n; r++) F.set(base, r * 3);
    const Fv = new Float64Array(va.length * 3);
    for (let r = 0; r < va.length; r++) Fv.set(base, r * 3);
    const g = new Float64Array(n * 3), h = new Float64Array(n * 3);
    const trees: GbdtTree[][] = [];
    let best = Infinity, bestRound = 0;
    const nb = o.maxBins + 1;
    const histG = new Float64Array(p * nb), histH = new Float64Array(p * nb);
    for (let round = 0; round < o.maxRounds; round++) {
      for (let r = 0; r < n; r++) {
        const a = F[r * 3], b = F[r * 3 + 1], d = F[r * 3 + 2], m = Math.max(a, b, d);
        const ea = Math.exp(a - m), eb = Math.exp(b - m), ed = Math.exp(d - m), s = ea + eb + ed;
        const pr = [ea / s, eb / s, ed / s];
        for (let k = 0; k < 3; k++) {
          g[r * 3 + k] = pr[k] - (y[r] === k ? 1 : 0);
          h[r * 3 + k] = Math.max(1e-6, pr[k] * (1 - pr[k]));
        }
      }
      // row sample for this round
      let sample: Int32Array;
      if (n > o.rowsPerRound) {
        sample = new Int32Array(o.rowsPerRound);
        for (let k = 0; k < sample.length; k++) sample[k] = Math.floor(rand() * n);
      } else sample = Int32Array.from({ length: n }, (_, k) => k);
      const roundTrees: GbdtTree[] = [];
      for (let k = 0; k < 3; k++) {
        const t: GbdtTree = { feature: [], threshold: [], left: [], right: [], value: [] };
        const grow = (rows: Int32Array, depth: number): number => {
          const id = t.feature.length;
          t.feature.push(-1);
          t.threshold.push(0);
          t.left.push(-1);
          t.right.push(-1);
          let G = 0, H = 0;
          for (const r of rows) {
            G += g[r * 3 + k];
            H += h[r * 3 + k];
          }
          t.value.push((-G / (H + o.lambda)) * o.learningRate);
          if (depth >= o.maxDepth || H < 2 * o.minChildWeight) return id;
          histG.fill(0);
          histH.fill(0);
          for (const r of rows) {
            const gr = g[r * 3 + k], hr = h[r * 3 + k], off = r * p;
            for (let j = 0; j < p; j++) {
              const b = j * nb + B[off + j];
              histG[b] += gr;
              histH[b] += hr;
            }
          }
          const parent = (G * G) / (H + o.lambda);
          let bestGain = 1e-9, bf = -1, bt = -1;
          for (let j = 0; j < p; j++) {
            let gl = 0, hl = 0;
            const last = edges[j].length + 1;
            for (let b = 0; b < last; b++) {
              gl += histG[j * nb + b];
              hl += histH[j * nb + b];
              const gr = G - gl, hr = H - hl;
              if (hl < o.minChildWeight || hr < o.minChildWeight) continue;
              const gain = (gl * gl) / (hl + o.lambda) + (gr * gr) / (hr + o.lambda) - parent;
              if (gain > bestGain) {
                bestGain = gain;
                bf = j;
                bt = b;
              }
            }
          }
          if (bf < 0) return id;
          const L: number[] = [], R: number[] = [];
          for (const r of rows) (B[r * p + bf] <= bt ? L : R).push(r);
          t.feature[id] = bf;
          t.threshold[id] = bt === 0 ? -Infinity : edges[bf][bt - 1];
          t.left[id] = grow(Int32Array.from(L), depth + 1);
          t.right[id] = grow(Int32Array.from(R), depth + 1);
          return id;
        };
        grow(sample, 0);
        roundTrees.push(t);
      }
      trees.push(roundTrees);
      for (let r = 0; r < n; r++) {
        for (let k = 0; k < 3; k++) F[r * 3 + k] += treeValue(roundTrees[k], ds.X, tr[r] * p);
      }
      if (va.length) {
        let loss = 0;
        for (let r = 0; r < va.length; r++) {
          const off = va[r] * p;
          for (let k = 0; k < 3; k++) Fv[r * 3 + k] += treeValue(roundTrees[k], ds.X, off);
          const a = Fv[r * 3], b = Fv[r * 3 + 1], d = Fv[r * 3 + 2], m = Math.max(a, b, d);
          const lse = m + Math.log(Math.exp(a - m) + Math.exp(b - m) + Math.exp(d - m));
          loss += lse - Fv[r * 3 + ds.labels.trend[va[r]]];
        }
        loss /= va.length;
        if (loss < best - 1e-6) {
          best = loss;
          bestRound = round + 1;
        } else if (round + 1 - bestRound >= o.patience) break;
      } else bestRound = round + 1;
    }
    this.rounds = bestRound;
    this.state = {
      model: "gbdt",
      featureNames: [...ds.featureNames],
      options: o,
      base,
      trees: trees.slice(0, bestRound),
    };
  }

  /** Class probabilities `[down, neutral, up]` per row. */
  predict(ds: Dataset, rows: Int32Array): Promise<Float64Array> {
    const pr = this.state;
    if (!pr) return Promise.reject(new ModelError("gbdt: predict before fit"));
    if (pr.featureNames.join(",") !== ds.featureNames.join(",")) {
      return Promise.reject(new ModelError("gbdt: dataset features differ from the fitted ones"));
    }
    const p = ds.featureNames.length, out = new Float64Array(rows.length * 3);
    for (let r = 0; r < rows.length; r++) {
      const off = rows[r] * p;
      const f = [...pr.base];
      for (const ts of pr.trees) for (let k = 0; k < 3; k++) f[k] += treeValue(ts[k], ds.X, off);
      const m = Math.max(f[0], f[1], f[2]);
      const e = f.map((v) => Math.exp(v - m)), s = e[0] + e[1] + e[2];
      out[r * 3] = e[0] / s;
      out[r * 3 + 1] = e[1] / s;
      out[r * 3 + 2] = e[2] / s;
    }
    return Promise.resolve(out);
  }

  /** Restores from {@link GbdtModel.toJSON}, also after a JSON round trip (which writes `-Infinity` thresholds as `null`). */
  static fromJSON(params: GbdtParams): GbdtModel {
    const fix = (t: GbdtTree): GbdtTree => ({ ...t, threshold: t.threshold.map((v) => v ?? -Infinity) });
    const m = JsonFitted.restore(
      params,
      "gbdt",
      "params",
      (p) => new GbdtModel(p.options),
      (p) => ({ ...p, trees: p.trees.map((ts) => ts.map(fix)) }),
    );
    m.rounds = params.trees.length;
    return m;
  }
}
