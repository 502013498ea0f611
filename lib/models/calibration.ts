/**
 * Calibration: maps a model's raw output to a quantity whose stated value matches what happens, fitted on a
 * calibration window the model never trained on, and measured by reliability there.
 *
 * - Class probabilities: {@link ProbabilityCalibrator} (temperature scaling, temperature + class biases, or
 *   one-vs-rest isotonic), {@link PlattScaler} (binary), {@link reliabilityDiagram} and
 *   {@link calibrationError} (ECE, top-label or classwise).
 * - Expected returns: {@link EdgeCalibrator} maps a raw expert score to the expected standardized outcome
 *   `E[z | score]`, `z = return / forecast sd` (linear or binned isotonic); {@link edgeReliability} is its
 *   reliability diagram.
 * - Volatility: {@link VolatilityCalibrator} rescales a variance forecast so that `E[r² / σ̂²] = 1`.
 *
 * Every calibrator serializes to plain JSON (`toJSON` / `fromJSON`) and reloads exactly.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import { lbfgs } from "./_lbfgs.ts";

// ---------------------------------------------------------------------------------------------------------
// isotonic regression

/** A fitted monotone (non-decreasing) step function, evaluated by linear interpolation between its knots. */
export interface IsotonicFit {
  /** Knot positions (ascending). */
  x: number[];
  /** Fitted value at each knot (non-decreasing). */
  y: number[];
}

/**
 * Weighted isotonic regression by pool-adjacent-violators: the non-decreasing `f` minimizing
 * `Σ w_i (y_i - f(x_i))²`. Knots are each pooled block's smallest and largest `x`; between knots the fit is
 * interpolated linearly and beyond them held flat (as scikit-learn's `IsotonicRegression`). Non-finite pairs are
 * skipped.
 */
export function isotonicFit(x: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>): IsotonicFit {
  if (x.length !== y.length || (w && w.length !== x.length)) {
    throw new RangeError("isotonicFit: lengths differ");
  }
  const idx: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i]) && (!w || w[i] > 0)) idx.push(i);
  }
  if (!idx.length) return { x: [], y: [] };
  idx.sort((a, b) => x[a] - x[b] || a - b);
  // blocks: value, weight, first and last x
  const val: number[] = [], wt: number[] = [], lo: number[] = [], hi: number[] = [];
  for (const i of idx) {
    let v = y[i], ww = w ? w[i] : 1, l = x[i];
    const h = x[i];
    // ties in x join the previous block
    if (val.length && x[i] === hi[hi.length - 1]) {
      const k = val.length - 1;
      v = (val[k] * wt[k] + v * ww) / (wt[k] + ww);
      ww += wt[k];
      l = lo[k];
      val.pop(), wt.pop(), lo.pop(), hi.pop();
    }
    val.push(v), wt.push(ww), lo.push(l), hi.push(h);
    while (val.length > 1 && val[val.length - 2] > val[val.length - 1]) {
      const b = val.length - 1, a = b - 1;
      const nw = wt[a] + wt[b];
      val[a] = (val[a] * wt[a] + val[b] * wt[b]) / nw;
      wt[a] = nw;
      hi[a] = hi[b];
      val.pop(), wt.pop(), lo.pop(), hi.pop();
    }
  }
  const kx: number[] = [], ky: number[] = [];
  for (let k = 0; k < val.length; k++) {
    kx.push(lo[k]), ky.push(val[k]);
    if (hi[k] > lo[k]) kx.push(hi[k]), ky.push(val[k]);
  }
  return { x: kx, y: ky };
}

/** Evaluates an {@link IsotonicFit} at `v` (NaN for NaN, NaN for an empty fit). */
export function isotonicPredict(f: IsotonicFit, v: number): number {
  const n = f.x.length;
  if (!n || Number.isNaN(v)) return NaN;
  if (v <= f.x[0]) return f.y[0];
  if (v >= f.x[n - 1]) return f.y[n - 1];
  let a = 0, b = n - 1;
  while (b - a > 1) {
    const m = (a + b) >> 1;
    if (f.x[m] <= v) a = m;
    else b = m;
  }
  const span = f.x[b] - f.x[a];
  return span > 0 ? f.y[a] + (f.y[b] - f.y[a]) * (v - f.x[a]) / span : f.y[b];
}

// ---------------------------------------------------------------------------------------------------------
// reliability of probabilities

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean stated probability (or prediction) in the bin. */
  meanPred: number;
  /** Observed frequency (or mean outcome) in the bin. */
  observed: number;
}

/**
 * Reliability diagram of binary probabilities `p` against outcomes `y` (1/0; negative or NaN skipped) in
 * `bins` equal-width bins on [0, 1], and the expected calibration error
 * `ECE = Σ_b (n_b / n) |observed_b - meanPred_b|`.
 */
export function reliabilityDiagram(
  p: ArrayLike<number>,
  y: ArrayLike<number>,
  bins = 10,
): { bins: ReliabilityBin[]; ece: number; n: number } {
  if (p.length !== y.length) throw new RangeError("reliabilityDiagram: lengths differ");
  if (!(Number.isInteger(bins) && bins >= 1)) throw new RangeError("reliabilityDiagram: bins >= 1");
  const cnt = new Float64Array(bins), sp = new Float64Array(bins), sy = new Float64Array(bins);
  let n = 0;
  for (let i = 0; i < p.length; i++) {
    if (!Number.isFinite(p[i]) || !(y[i] === 0 || y[i] === 1)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p[i] * bins)));
    cnt[b]++, sp[b] += p[i], sy[b] += y[i], n++;
  }
  const out: ReliabilityBin[] = [];
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const c = cnt[b];
    out.push({
      lo: b / bins,
      hi: (b + 1) / bins,
      count: c,
      meanPred: c ? sp[b] / c : NaN,
      observed: c ? sy[b] / c : NaN,
    });
    if (c) ece += (c / n) * Math.abs(sy[b] / c - sp[b] / c);
  }
  return { bins: out, ece: n ? ece : NaN, n };
}

/**
 * Expected calibration error of row-major `n x K` class probabilities against labels (`< 0` skipped):
 * `top-label` (Guo et al. 2017: confidence of the predicted class vs its accuracy) or `classwise` (the mean over
 * classes of each one-vs-rest ECE).
 */
export function calibrationError(
  probs: Float64Array,
  labels: ArrayLike<number>,
  K: number,
  options: { bins?: number; kind?: "top-label" | "classwise" } = {},
): number {
  const n = labels.length, bins = options.bins ?? 10;
  if (probs.length !== n * K) {
    throw new RangeError(`calibrationError: ${probs.length} probabilities for ${n} x ${K}`);
  }
  if ((options.kind ?? "top-label") === "top-label") {
    const conf = new Float64Array(n), hit = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (probs[i * K + k] > probs[i * K + best]) best = k;
      conf[i] = probs[i * K + best];
      hit[i] = labels[i] < 0 ? -1 : labels[i] === best ? 1 : 0;
    }
    return reliabilityDiagram(conf, hit, bins).ece;
  }
  let s = 0;
  for (let k = 0; k < K; k++) {
    const pk = new Float64Array(n), yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      pk[i] = probs[i * K + k];
      yk[i] = labels[i] < 0 ? -1 : labels[i] === k ? 1 : 0;
    }
    s += reliabilityDiagram(pk, yk, bins).ece;
  }
  return s / K;
}

/** Mean negative log-likelihood of the labels (`< 0` skipped), probabilities floored at 1e-15. */
export function logLoss(probs: Float64Array, labels: ArrayLike<number>, K: number): number {
  let s = 0, n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) continue;
    s -= Math.log(Math.max(1e-15, probs[i * K + labels[i]]));
    n++;
  }
  return n ? s / n : NaN;
}

// ---------------------------------------------------------------------------------------------------------
// probability calibrators

/** How {@link ProbabilityCalibrator} recalibrates. */
export type ProbabilityCalibration = "temperature" | "temperature-bias" | "isotonic";

/** Serialized {@link ProbabilityCalibrator}. */
export interface ProbabilityCalibratorJSON {
  kind: "probability-calibrator";
  method: ProbabilityCalibration;
  K: number;
  /** `1 / T` (temperature methods). */
  invTemperature: number;
  /** Class biases added to the scaled log-probabilities (`temperature-bias`). */
  bias: number[];
  /** One-vs-rest isotonic maps (`isotonic`). */
  isotonic: IsotonicFit[];
}

/**
 * Recalibrates row-major `n x K` class probabilities. `temperature`: `q = softmax(log p / T)` with one `T`
 * fitted by minimizing the log loss (keeps the ranking and the argmax); `temperature-bias`: `q = softmax(log p /
 * T + b)` with per-class biases (fixes a shifted base rate too); `isotonic`: one-vs-rest isotonic maps of each
 * class probability, renormalized. Fitted on calibration rows (labels `< 0` skipped).
 */
export class ProbabilityCalibrator {
  readonly method: ProbabilityCalibration;
  readonly K: number;
  #inv = 1;
  #bias: Float64Array;
  #iso: IsotonicFit[] = [];
  #fitted = false;
  constructor(K = 3, method: ProbabilityCalibration = "temperature") {
    if (!(Number.isInteger(K) && K >= 2)) throw new RangeError(`calibrator: K ${K} must be an integer >= 2`);
    if (!["temperature", "temperature-bias", "isotonic"].includes(method)) {
      throw new RangeError(`calibrator: unknown method ${method}`);
    }
    this.K = K;
    this.method = method;
    this.#bias = new Float64Array(K);
  }

  /** Fitted `1 / T`. */
  get invTemperature(): number {
    return this.#inv;
  }

  /** True after `fit` (or `fromJSON`). */
  get fitted(): boolean {
    return this.#fitted;
  }

  /** Fits on probabilities and labels (`ModelError` with fewer than 10 labelled rows). */
  fit(probs: Float64Array, labels: ArrayLike<number>): this {
    const K = this.K, n = labels.length;
    if (probs.length !== n * K) {
      throw new RangeError(`calibrator.fit: ${probs.length} probabilities for ${n} x ${K}`);
    }
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (labels[i] >= 0 && labels[i] < K) rows.push(i);
    if (rows.length < 10) throw new ModelError(`calibrator.fit: ${rows.length} labelled rows (need 10)`);
    if (this.method === "isotonic") {
      this.#iso = [];
      for (let k = 0; k < K; k++) {
        this.#iso.push(
          isotonicFit(rows.map((i) => probs[i * K + k]), rows.map((i) => (labels[i] === k ? 1 : 0))),
        );
      }
      this.#fitted = true;
      return this;
    }
    const R = rows.length, L = new Float64Array(R * K), y = new Int32Array(R);
    rows.forEach((i, r) => {
      for (let k = 0; k < K; k++) L[r * K + k] = Math.log(Math.max(1e-12, probs[i * K + k]));
      y[r] = labels[i];
    });
    const withBias = this.method === "temperature-bias";
    const q = new Float64Array(K);
    const f = (th: Float64Array, g: Float64Array) => {
      const a = Math.exp(th[0]);
      g.fill(0);
      let nll = 0;
      for (let r = 0; r < R; r++) {
        let mx = -Infinity;
        for (let k = 0; k < K; k++) {
          q[k] = a * L[r * K + k] + (withBias ? th[1 + k] : 0);
          if (q[k] > mx) mx = q[k];
        }
        let s = 0;
        for (let k = 0; k < K; k++) s += q[k] = Math.exp(q[k] - mx);
        nll -= Math.log(q[y[r]] / s);
        for (let k = 0; k < K; k++) {
          const d = q[k] / s - (k === y[r] ? 1 : 0);
          g[0] += d * a * L[r * K + k];
          if (withBias) g[1 + k] += d;
        }
      }
      // a tiny ridge keeps the biases identifiable (they are defined up to a common shift)
      let pen = 0;
      for (let j = 1; j < th.length; j++) {
        pen += 1e-6 * th[j] * th[j];
        g[j] = g[j] / R + 2e-6 * th[j];
      }
      g[0] /= R;
      return nll / R + pen;
    };
    const th = new Float64Array(withBias ? 1 + K : 1);
    lbfgs(f, th, { maxIter: 200, gtol: 1e-9, ftol: 1e-12 });
    this.#inv = Math.exp(th[0]);
    this.#bias = withBias ? th.slice(1) : new Float64Array(K);
    this.#fitted = true;
    return this;
  }

  /** Calibrated probabilities, row-major `n x K` (rows with a non-finite input stay as given). */
  apply(probs: Float64Array): Float64Array {
    const K = this.K;
    if (probs.length % K !== 0) {
      throw new RangeError(`calibrator.apply: length ${probs.length} not a multiple of ${K}`);
    }
    const out = new Float64Array(probs.length);
    for (let o = 0; o < probs.length; o += K) {
      let finite = true;
      for (let k = 0; k < K; k++) if (!Number.isFinite(probs[o + k])) finite = false;
      if (!finite) {
        for (let k = 0; k < K; k++) out[o + k] = probs[o + k];
        continue;
      }
      let s = 0;
      if (this.method === "isotonic") {
        for (let k = 0; k < K; k++) {
          s += out[o + k] = Math.max(0, isotonicPredict(this.#iso[k], probs[o + k]));
        }
        if (!(s > 0)) {
          for (let k = 0; k < K; k++) out[o + k] = 1 / K;
          continue;
        }
        for (let k = 0; k < K; k++) out[o + k] /= s;
        continue;
      }
      let mx = -Infinity;
      for (let k = 0; k < K; k++) {
        out[o + k] = this.#inv * Math.log(Math.max(1e-12, probs[o + k])) + this.#bias[k];
        if (out[o + k] > mx) mx = out[o + k];
      }
      for (let k = 0; k < K; k++) s += out[o + k] = Math.exp(out[o + k] - mx);
      for (let k = 0; k < K; k++) out[o + k] /= s;
    }
    return out;
  }

  /** Plain JSON (exact reload with {@link ProbabilityCalibrator.fromJSON}). */
  toJSON(): ProbabilityCalibratorJSON {
    return {
      kind: "probability-calibrator",
      method: this.method,
      K: this.K,
      invTemperature: this.#inv,
      bias: Array.from(this.#bias),
      isotonic: this.#iso.map((f) => ({ x: [...f.x], y: [...f.y] })),
    };
  }

  /** Rebuilds a fitted calibrator from {@link ProbabilityCalibrator.toJSON}'s output. */
  static fromJSON(j: ProbabilityCalibratorJSON): ProbabilityCalibrator {
    if (j?.kind !== "probability-calibrator") throw new ModelError("not a probability-calibrator artifact");
    const c = new ProbabilityCalibrator(j.K, j.method);
    c.#inv = j.invTemperature;
    c.#bias = Float64Array.from(j.bias);
    c.#iso = j.isotonic.map((f) => ({ x: [...f.x], y: [...f.y] }));
    c.#fitted = true;
    return c;
  }
}

/**
 * Binary logistic regression by L-BFGS: weights `w` (`p + 1`, the last one the intercept) minimizing the mean
 * cross-entropy of `σ(w·x + w₀)` against `target` (0/1 or soft targets in [0, 1]) plus `½ l2 ‖w‖²` (intercept not
 * penalized). `X` is row-major `n x p`.
 */
export function fitBinaryLogistic(
  X: Float64Array,
  target: ArrayLike<number>,
  p: number,
  l2 = 0,
): Float64Array {
  const n = target.length;
  if (X.length !== n * p) throw new RangeError(`fitBinaryLogistic: ${X.length} values, want ${n} x ${p}`);
  if (!n) throw new ModelError("fitBinaryLogistic: no rows");
  const f = (w: Float64Array, g: Float64Array) => {
    let v = 0;
    g.fill(0);
    for (let i = 0; i < n; i++) {
      let z = w[p];
      for (let j = 0; j < p; j++) z += w[j] * X[i * p + j];
      const t = target[i];
      // log(1 + e^z) - t z, stable
      v += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - t * z;
      const d = 1 / (1 + Math.exp(-z)) - t;
      for (let j = 0; j < p; j++) g[j] += d * X[i * p + j];
      g[p] += d;
    }
    let pen = 0;
    for (let j = 0; j <= p; j++) g[j] /= n;
    for (let j = 0; j < p; j++) {
      pen += w[j] * w[j];
      g[j] += l2 * w[j];
    }
    return v / n + 0.5 * l2 * pen;
  };
  const w = new Float64Array(p + 1);
  lbfgs(f, w, { maxIter: 300, gtol: 1e-10, ftol: 1e-14 });
  return w;
}

/** Serialized {@link PlattScaler}. */
export interface PlattJSON {
  kind: "platt";
  a: number;
  b: number;
}

/**
 * Platt scaling of a binary score: `P(y = 1 | s) = 1 / (1 + exp(-(a s + b)))`, fitted by maximum likelihood with
 * Platt's smoothed targets (`(n₊ + 1) / (n₊ + 2)` and `1 / (n₋ + 2)`).
 */
export class PlattScaler {
  a = 1;
  b = 0;
  /** Fits on scores and 0/1 outcomes (others skipped). */
  fit(score: ArrayLike<number>, y: ArrayLike<number>): this {
    if (score.length !== y.length) throw new RangeError("platt.fit: lengths differ");
    const s: number[] = [], t: number[] = [];
    let pos = 0, neg = 0;
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(score[i]) || !(y[i] === 0 || y[i] === 1)) continue;
      s.push(score[i]);
      t.push(y[i]);
      y[i] === 1 ? pos++ : neg++;
    }
    if (!pos || !neg) throw new ModelError("platt.fit: need both outcomes");
    const hiT = (pos + 1) / (pos + 2), loT = 1 / (neg + 2);
    const w = fitBinaryLogistic(Float64Array.from(s), t.map((v) => (v ? hiT : loT)), 1);
    [this.a, this.b] = [w[0], w[1]];
    return this;
  }

  /** Calibrated probabilities. */
  apply(score: ArrayLike<number>): Float64Array {
    return Float64Array.from(score, (v) => 1 / (1 + Math.exp(-(this.a * v + this.b))));
  }

  /** Plain JSON. */
  toJSON(): PlattJSON {
    return { kind: "platt", a: this.a, b: this.b };
  }

  /** Rebuilds from {@link PlattScaler.toJSON}. */
  static fromJSON(j: PlattJSON): PlattScaler {
    if (j?.kind !== "platt") throw new ModelError("not a platt artifact");
    const p = new PlattScaler();
    [p.a, p.b] = [j.a, j.b];
    return p;
  }
}

// ---------------------------------------------------------------------------------------------------------
// expected-return (edge) calibration

/** Options of {@link EdgeCalibrator}. */
export interface EdgeCalibratorOptions {
  /**
   * `linear` (default): `E[z|x] = a + b·x` by least squares; `isotonic`: binned, non-decreasing; `constant`:
   * `E[z]` wherever the score is finite (the "market" expert: the calibration window's mean outcome).
   */
  method?: "linear" | "isotonic" | "constant";
  /**
   * Calibrate the information only: `E[z - z̄ | x]`, the edge relative to the window's mean outcome `z̄` (linear:
   * `b·(x - x̄)`), so a constant or uninformative score gets edge 0 and the drift is left to a `constant` expert.
   * Default false.
   */
  center?: boolean;
  /** Outcomes are clipped to `[-clip, clip]` before fitting (fat tails). Default 5. */
  clip?: number;
  /** Raw scores are winsorized at these quantiles of the calibration rows (and at prediction). Default 0.01. */
  winsor?: number;
  /** Isotonic: quantile bins of the score. Default 20. */
  bins?: number;
  /**
   * Linear: keep the expert's sign: `b` is floored at the slope of an IC of 1e-4 (a score pointing the wrong way
   * gets an edge of about 0, not a flipped one). Default true.
   */
  monotone?: boolean;
}

/** Serialized {@link EdgeCalibrator}. */
export interface EdgeCalibratorJSON {
  kind: "edge-calibrator";
  method: "linear" | "isotonic" | "constant";
  center: boolean;
  /** Mean outcome of the fitting rows (removed from the fit when `center`). */
  mean: number;
  /** Winsorization bounds of the raw score. */
  lo: number;
  hi: number;
  a: number;
  b: number;
  isotonic: IsotonicFit;
  /** Rows it was fitted on. */
  n: number;
}

/**
 * Maps an expert's raw score `x` to its calibrated edge: the expected standardized outcome `E[z | x]`, where
 * `z = r / σ̂` is the traded return (open `t+1` -> open `t+2`) over the row's forecast daily standard deviation.
 * Every expert calibrated this way speaks the same unit (expected return per unit of forecast risk, a per-day
 * Sharpe ratio of a one-name bet), so a gate compares like with like and a Kelly size is `edge / σ̂`.
 * Fitted on the calibration window only.
 */
export class EdgeCalibrator {
  readonly options: Required<EdgeCalibratorOptions>;
  #j: EdgeCalibratorJSON | null = null;
  constructor(options: EdgeCalibratorOptions = {}) {
    this.options = {
      method: options.method ?? "linear",
      clip: options.clip ?? 5,
      winsor: options.winsor ?? 0.01,
      bins: options.bins ?? 20,
      monotone: options.monotone ?? true,
      center: options.center ?? false,
    };
    const o = this.options;
    if (o.method !== "linear" && o.method !== "isotonic" && o.method !== "constant") {
      throw new RangeError(`edge calibrator: method ${o.method}`);
    }
    if (!(o.clip > 0)) throw new RangeError("edge calibrator: clip must be > 0");
    if (!(o.winsor >= 0 && o.winsor < 0.5)) {
      throw new RangeError("edge calibrator: winsor must be in [0, 0.5)");
    }
    if (!(Number.isInteger(o.bins) && o.bins >= 2)) throw new RangeError("edge calibrator: bins >= 2");
  }

  /** True after `fit` or `fromJSON`. */
  get fitted(): boolean {
    return this.#j !== null;
  }

  /** The fitted parameters (slope `b`, intercept `a` for linear). */
  get params(): EdgeCalibratorJSON {
    if (!this.#j) throw new ModelError("edge calibrator is not fitted");
    return this.#j;
  }

  /** Fits on raw scores and standardized outcomes (pairs with a non-finite value skipped; `ModelError` under 20). */
  fit(x: ArrayLike<number>, z: ArrayLike<number>): this {
    if (x.length !== z.length) {
      throw new RangeError(`edge calibrator: ${x.length} scores, ${z.length} outcomes`);
    }
    const o = this.options;
    const xs: number[] = [], zs: number[] = [];
    for (let i = 0; i < x.length; i++) {
      if (Number.isFinite(x[i]) && Number.isFinite(z[i])) {
        xs.push(x[i]);
        zs.push(Math.max(-o.clip, Math.min(o.clip, z[i])));
      }
    }
    const n = xs.length;
    if (n < 20) throw new ModelError(`edge calibrator: ${n} usable rows (need 20)`);
    const sorted = Float64Array.from(xs).sort();
    const q = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.round(p * (n - 1))))];
    const lo = q(o.winsor), hi = q(1 - o.winsor);
    const w = xs.map((v) => Math.max(lo, Math.min(hi, v)));
    let a = 0, b = 0;
    let iso: IsotonicFit = { x: [], y: [] };
    let mz = 0;
    for (let i = 0; i < n; i++) mz += zs[i];
    mz /= n;
    const shift = o.center ? mz : 0;
    if (o.method === "constant") {
      a = mz;
    } else if (o.method === "linear") {
      let mx = 0;
      for (let i = 0; i < n; i++) mx += w[i];
      mx /= n;
      let sxx = 0, sxz = 0;
      for (let i = 0; i < n; i++) {
        sxx += (w[i] - mx) ** 2;
        sxz += (w[i] - mx) * (zs[i] - mz);
      }
      b = sxx > 0 ? sxz / sxx : 0;
      // monotone: a score pointing the wrong way keeps its sign with a negligible slope (an IC of 1e-4), so its
      // edge is ~0 but a mixture can still rescale it where the expert does work
      let sz2 = 0;
      for (let i = 0; i < n; i++) sz2 += (zs[i] - mz) ** 2;
      const floor = sxx > 0 ? 1e-4 * Math.sqrt(sz2 / sxx) : 0;
      if (o.monotone && b < floor) b = floor;
      a = mz - shift - b * mx;
    } else {
      // quantile bins -> (mean x, mean z, count) -> weighted PAV
      const order = w.map((_, i) => i).sort((i, j) => w[i] - w[j]);
      const B = Math.min(o.bins, Math.floor(n / 10));
      const bx: number[] = [], bz: number[] = [], bw: number[] = [];
      for (let k = 0; k < B; k++) {
        const s = Math.floor(k * n / B), e = Math.floor((k + 1) * n / B);
        let sx = 0, sz = 0;
        for (let r = s; r < e; r++) [sx, sz] = [sx + w[order[r]], sz + zs[order[r]]];
        bx.push(sx / (e - s)), bz.push(sz / (e - s) - shift), bw.push(e - s);
      }
      iso = isotonicFit(bx, bz, bw);
    }
    this.#j = {
      kind: "edge-calibrator",
      method: o.method,
      center: o.center,
      mean: mz,
      lo,
      hi,
      a,
      b,
      isotonic: iso,
      n,
    };
    return this;
  }

  /** Calibrated edges (NaN for a NaN score). */
  predict(x: ArrayLike<number>): Float64Array {
    const j = this.params;
    return Float64Array.from(x, (v) => {
      if (!Number.isFinite(v)) return NaN;
      const c = Math.max(j.lo, Math.min(j.hi, v));
      return j.method === "isotonic" ? isotonicPredict(j.isotonic, c) : j.a + j.b * c;
    });
  }

  /** Plain JSON (exact reload). */
  toJSON(): EdgeCalibratorJSON {
    const j = this.params;
    return { ...j, isotonic: { x: [...j.isotonic.x], y: [...j.isotonic.y] } };
  }

  /** Rebuilds from {@link EdgeCalibrator.toJSON}. */
  static fromJSON(j: EdgeCalibratorJSON, options: EdgeCalibratorOptions = {}): EdgeCalibrator {
    if (j?.kind !== "edge-calibrator") throw new ModelError("not an edge-calibrator artifact");
    const c = new EdgeCalibrator({ ...options, method: j.method, center: j.center });
    c.#j = { ...j, isotonic: { x: [...j.isotonic.x], y: [...j.isotonic.y] } };
    return c;
  }
}

/**
 * Reliability of predicted edges: `bins` quantile bins of the prediction, each with its mean prediction and mean
 * outcome; `error` = `Σ_b (n_b / n) |meanOutcome_b - meanPred_b|` (the regression analogue of ECE, in units of
 * the outcome), `slope` = least-squares slope of the outcome on the prediction (1 when calibrated, 0 when the
 * prediction carries no information) and `ic` = their Pearson correlation. Outcomes are clipped to ±`clip`.
 */
export function edgeReliability(
  pred: ArrayLike<number>,
  outcome: ArrayLike<number>,
  options: { bins?: number; clip?: number } = {},
): { bins: ReliabilityBin[]; error: number; slope: number; ic: number; n: number } {
  if (pred.length !== outcome.length) throw new RangeError("edgeReliability: lengths differ");
  const B = options.bins ?? 10, clip = options.clip ?? 5;
  const idx: number[] = [];
  for (let i = 0; i < pred.length; i++) {
    if (Number.isFinite(pred[i]) && Number.isFinite(outcome[i])) idx.push(i);
  }
  const n = idx.length;
  const y = (i: number) => Math.max(-clip, Math.min(clip, outcome[i]));
  idx.sort((a, b) => pred[a] - pred[b] || a - b);
  const bins: ReliabilityBin[] = [];
  let error = 0;
  for (let k = 0; k < B && n; k++) {
    const s = Math.floor(k * n / B), e = Math.floor((k + 1) * n / B);
    if (e <= s) continue;
    let sp = 0, so = 0;
    for (let r = s; r < e; r++) [sp, so] = [sp + pred[idx[r]], so + y(idx[r])];
    const c = e - s;
    bins.push({ lo: pred[idx[s]], hi: pred[idx[e - 1]], count: c, meanPred: sp / c, observed: so / c });
    error += (c / n) * Math.abs(so / c - sp / c);
  }
  let mp = 0, mo = 0;
  for (const i of idx) [mp, mo] = [mp + pred[i], mo + y(i)];
  mp /= n || 1, mo /= n || 1;
  let spp = 0, spo = 0, soo = 0;
  for (const i of idx) {
    const a = pred[i] - mp, b = y(i) - mo;
    spp += a * a, spo += a * b, soo += b * b;
  }
  return {
    bins,
    error: n ? error : NaN,
    slope: spp > 0 ? spo / spp : NaN,
    ic: spp > 0 && soo > 0 ? spo / Math.sqrt(spp * soo) : NaN,
    n,
  };
}

// ---------------------------------------------------------------------------------------------------------
// volatility calibration

/** Serialized {@link VolatilityCalibrator}. */
export interface VolatilityCalibratorJSON {
  kind: "volatility-calibrator";
  /** Variance multiplier. */
  scale: number;
  n: number;
}

/**
 * Rescales a variance forecast so that standardized returns have unit variance on the calibration window:
 * `scale = mean(r² / σ̂²)` (the maximum-likelihood scale under a normal model, also the QLIKE-optimal one), so
 * the calibrated forecast is `scale · σ̂²`. The risk expert's unit: every edge is measured in its sd.
 */
export class VolatilityCalibrator {
  scale = 1;
  n = 0;
  /** Fits on variance forecasts and realized returns (non-finite or non-positive forecasts skipped). */
  fit(forecastVar: ArrayLike<number>, ret: ArrayLike<number>): this {
    if (forecastVar.length !== ret.length) throw new RangeError("volatility calibrator: lengths differ");
    let s = 0, n = 0;
    for (let i = 0; i < ret.length; i++) {
      const v = forecastVar[i], r = ret[i];
      if (v > 0 && Number.isFinite(v) && Number.isFinite(r)) [s, n] = [s + r * r / v, n + 1];
    }
    if (n < 20) throw new ModelError(`volatility calibrator: ${n} usable rows (need 20)`);
    this.scale = s / n;
    this.n = n;
    return this;
  }

  /** Calibrated daily standard deviations `sqrt(scale · σ̂²)` (NaN where the forecast is unusable). */
  dailyVol(forecastVar: ArrayLike<number>): Float64Array {
    return Float64Array.from(
      forecastVar,
      (v) => (v > 0 && Number.isFinite(v) ? Math.sqrt(this.scale * v) : NaN),
    );
  }

  /** Plain JSON. */
  toJSON(): VolatilityCalibratorJSON {
    return { kind: "volatility-calibrator", scale: this.scale, n: this.n };
  }

  /** Rebuilds from {@link VolatilityCalibrator.toJSON}. */
  static fromJSON(j: VolatilityCalibratorJSON): VolatilityCalibrator {
    if (j?.kind !== "volatility-calibrator") throw new ModelError("not a volatility-calibrator artifact");
    const c = new VolatilityCalibrator();
    [c.scale, c.n] = [j.scale, j.n];
    return c;
  }
}

/**
 * Standardized outcomes `z = r / σ` clipped to `[-clip, clip]` (default 10): the common unit of every expert's
 * edge. NaN where `r` or `σ` is unusable.
 */
export function standardizedOutcome(
  ret: ArrayLike<number>,
  dailyVol: ArrayLike<number>,
  clip = 10,
): Float64Array {
  if (ret.length !== dailyVol.length) throw new RangeError("standardizedOutcome: lengths differ");
  return Float64Array.from(ret, (r, i) => {
    const s = dailyVol[i];
    return s > 0 && Number.isFinite(r) ? Math.max(-clip, Math.min(clip, r / s)) : NaN;
  });
}
