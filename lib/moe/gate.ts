/**
 * The regime gate: a small neural network (TensorFlow.js, one or more tanh hidden layers, fixed seed) mapping
 * the day's market conditions to a softmax over the experts plus an abstain ("hold") output. The combined edge
 * of a row is
 * ```
 * ê = Σ_k g_k(x_day) · (α_k + β_k e_k)
 * ```
 * where `e_k` is expert k's calibrated edge (expected standardized return, the common language), `g` the gate
 * weights (abstain carries edge 0, so when no expert is reliable the gate moves weight there and the position
 * shrinks toward flat) and `(α_k, β_k)` expert k's specialist recalibration: its calibration on the days the gate
 * routes to it. An expert that works in one regime and not in another has a weak unconditional calibration; as
 * a specialist its slope is the one of its regime. This is the classic mixture-of-experts fit by alternation:
 * an EM search over days (each day explained by one expert or by abstain), from equal strength, gives the
 * specialist slopes `β` (`emIterations` steps; `α` stays 0, no specialist intercept); the network is fitted on
 * the specialist edges `β_k e_k`; then `refits` times `β` is refitted by least squares given the gate (ridge
 * toward the EM slopes, `β >= 0`, so a slope can end at 0 and switch its expert off) and the network again.
 *
 * Gate objective: least squares on the standardized outcome, `min Σ_i (z_i - ê_i)²` (the quadratic, second-order
 * Kelly utility `Σ ê z - ½ Σ ê²` of a position proportional to `ê`), plus L2 on the kernels; early stopping on
 * held-out blocks of days. The gate's inputs are per day, so the loss uses per-day sufficient statistics
 * `A_d = Σ e eᵀ`, `b_d = Σ e z`, `c_d = Σ z²` (O(n K²) once per iteration): an epoch costs O(days), not O(rows).
 *
 * Determinism: weights are initialized from the seed and trained full-batch with Adam on the cpu or wasm backend;
 * predictions run in plain JavaScript from the stored weights, so a gate reloaded from `toJSON` reproduces the
 * fitted one bit for bit, whatever the backend.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import { initTensorflow, solveNormal, tf } from "../models/mod.ts";

/** Options of {@link RegimeGate}; every field has a default. */
export interface RegimeGateOptions {
  /** Hidden layer sizes (tanh). Default `[8]`. */
  hidden?: number[];
  /** L2 penalty on the kernel weights. Default 1e-3. */
  l2?: number;
  /** Maximum full-batch Adam epochs per gate fit. Default 400. */
  epochs?: number;
  /** Adam learning rate. Default 0.02. */
  learningRate?: number;
  /** Seed of the weight initialization. Default 42. */
  seed?: number;
  /** Add the abstain ("hold") output. Default true. */
  abstain?: boolean;
  /**
   * Initial share of the abstain output (the experts share the rest equally): the prior that the gate holds
   * until the calibration window shows an expert earns its place. In (0, 1); default 0.6.
   */
  abstainPrior?: number;
  /**
   * Share of the fitting days held out (in blocks of 5 days spread over the window) to choose the number of
   * epochs; the gate is then refitted on all days for that many. 0 = no early stopping. Default 0.2.
   */
  validationFraction?: number;
  /** Early-stopping patience in epochs. Default 40. */
  patience?: number;
  /**
   * EM iterations of the specialist search (a mixture of regressions over days, see the module doc; 0 = keep the
   * calibration: `β = 1`). Default 20.
   */
  emIterations?: number;
  /** Cooperative refits after the gate: slopes by least squares given the gate, then the gate again. Default 1. */
  refits?: number;
  /** Ridge of a cooperative refit toward the specialist slopes, as a share of each slope's design diagonal. Default 0.1. */
  specialistRidge?: number;
}

/** Inputs of the gate: per-day conditions and per-row calibrated edges. */
export interface GateData {
  /** Row-major `days x m` market conditions (NaN allowed: the fitted mean). */
  conditions: Float64Array;
  /** Day index (row of `conditions`) of each row. */
  rowDay: Int32Array;
  /** One array of calibrated edges per expert (length n each; NaN = the expert has no view). */
  edges: readonly Float64Array[];
}

/**
 * The edges the gate combines: an expert without a view on a row (NaN edge) gets the mean of its edges over the
 * rows of the same day that have one (NaN stays only on a day where no row has one: that expert then carries 0
 * for every row of the day). An expert's missing view is neutral relative to the cross-section: counted as 0 it
 * would be an absolute view of a zero return, and since the gate's terms are shared by every name of a day (the
 * market expert's edge is the same for all names), a name missing a negative term would rank above its peers
 * for no reason but the missing data. Returns new arrays; the input is not changed.
 */
export function fillMissingEdges(
  edges: readonly Float64Array[],
  rowDay: Int32Array,
  days: number,
): Float64Array[] {
  return edges.map((e) => {
    let missing = false;
    for (let i = 0; i < e.length && !missing; i++) missing = !Number.isFinite(e[i]);
    if (!missing) return e;
    const sum = new Float64Array(days), cnt = new Float64Array(days);
    for (let i = 0; i < e.length; i++) {
      if (Number.isFinite(e[i])) {
        [sum[rowDay[i]], cnt[rowDay[i]]] = [sum[rowDay[i]] + e[i], cnt[rowDay[i]] + 1];
      }
    }
    return Float64Array.from(
      e,
      (v, i) => (Number.isFinite(v) ? v : cnt[rowDay[i]] ? sum[rowDay[i]] / cnt[rowDay[i]] : NaN),
    );
  });
}

/** What {@link RegimeGate.fit} reports. */
export interface GateFitReport {
  /** Epochs of the final gate fit. */
  epochs: number;
  /** Mean squared error per row of the final fit on all fitting days (standardized-outcome units). */
  loss: number;
  /** Same with every weight on abstain (predicting 0): the gate helps when `loss < abstainLoss`. */
  abstainLoss: number;
  /** Held-out loss at the chosen epoch (NaN without early stopping). */
  validLoss: number;
  /** Specialist recalibration per expert. */
  alpha: number[];
  beta: number[];
  backend: string;
  days: number;
  rows: number;
  /** Wall time of the fit (ms): a fact of the run, not of the model, so not serialized (absent after a load). */
  ms?: number;
}

/** Serialized {@link RegimeGate}. */
export interface RegimeGateJSON {
  kind: "regime-gate";
  conditionNames: string[];
  expertNames: string[];
  abstain: boolean;
  hidden: number[];
  /** Standardization of the conditions. */
  mean: number[];
  std: number[];
  alpha: number[];
  beta: number[];
  /** Per layer: kernel (row-major `in x out`) and bias. */
  layers: { kernel: number[]; bias: number[]; in: number; out: number }[];
  report: GateFitReport | null;
}

/** One dense layer: kernel row-major `in x out`. */
interface GateLayer {
  kernel: Float64Array;
  bias: Float64Array;
  in: number;
  out: number;
}

/** Per-day sufficient statistics of the least-squares objective. */
interface DayStats {
  A: Float32Array; // days x K x K
  b: Float32Array; // days x K
  c: Float64Array; // days
  rows: Float64Array; // rows per day
}

/**
 * Regime gate over K calibrated experts (+ abstain). Construct with the condition and expert names, `fit` on the
 * calibration window (days x conditions, rows x edges, standardized outcomes), then `weights` / `combine` for
 * any days.
 */
export class RegimeGate {
  readonly conditionNames: readonly string[];
  readonly expertNames: readonly string[];
  readonly options: Required<RegimeGateOptions>;
  #mean: Float64Array;
  #std: Float64Array;
  #alpha: Float64Array;
  #beta: Float64Array;
  #layers: GateLayer[] = [];
  #report: GateFitReport | null = null;

  constructor(
    conditionNames: readonly string[],
    expertNames: readonly string[],
    options: RegimeGateOptions = {},
  ) {
    if (expertNames.length < 1) throw new RangeError("regime gate: at least one expert");
    this.conditionNames = [...conditionNames];
    this.expertNames = [...expertNames];
    this.options = {
      hidden: options.hidden ?? [8],
      l2: options.l2 ?? 1e-3,
      epochs: options.epochs ?? 400,
      learningRate: options.learningRate ?? 0.02,
      seed: options.seed ?? 42,
      abstain: options.abstain ?? true,
      abstainPrior: options.abstainPrior ?? 0.6,
      validationFraction: options.validationFraction ?? 0.2,
      patience: options.patience ?? 40,
      emIterations: options.emIterations ?? 20,
      refits: options.refits ?? 1,
      specialistRidge: options.specialistRidge ?? 0.1,
    };
    const o = this.options;
    if (!o.hidden.length || !o.hidden.every((h) => Number.isInteger(h) && h >= 1)) {
      throw new RangeError("regime gate: hidden must list at least one layer size >= 1");
    }
    if (!(o.l2 >= 0) || !(o.learningRate > 0)) throw new RangeError("regime gate: l2 >= 0, learningRate > 0");
    if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new RangeError("regime gate: epochs >= 1");
    if (!(o.abstainPrior > 0 && o.abstainPrior < 1)) {
      throw new RangeError("regime gate: abstainPrior in (0, 1)");
    }
    if (!(o.validationFraction >= 0 && o.validationFraction < 0.9)) {
      throw new RangeError("regime gate: validationFraction in [0, 0.9)");
    }
    if (!(Number.isInteger(o.emIterations) && o.emIterations >= 0)) {
      throw new RangeError("regime gate: emIterations >= 0");
    }
    if (!(Number.isInteger(o.refits) && o.refits >= 0)) throw new RangeError("regime gate: refits >= 0");
    if (!(o.specialistRidge >= 0)) throw new RangeError("regime gate: specialistRidge >= 0");
    const m = conditionNames.length, K = expertNames.length;
    this.#mean = new Float64Array(m);
    this.#std = new Float64Array(m).fill(1);
    this.#alpha = new Float64Array(K);
    this.#beta = new Float64Array(K).fill(1);
  }

  /** Outputs: the experts, then `abstain` when enabled. */
  get outputNames(): string[] {
    return this.options.abstain ? [...this.expertNames, "abstain"] : [...this.expertNames];
  }

  /** True after `fit` or `fromJSON`. */
  get fitted(): boolean {
    return this.#layers.length > 0;
  }

  /** The last fit's report (null before). */
  get report(): GateFitReport | null {
    return this.#report;
  }

  /** Specialist recalibration `(α_k, β_k)` per expert. */
  get specialists(): { alpha: number[]; beta: number[] } {
    return { alpha: Array.from(this.#alpha), beta: Array.from(this.#beta) };
  }

  #check(x: GateData, days: number): void {
    const m = this.conditionNames.length, n = x.rowDay.length;
    if (x.conditions.length !== days * m) {
      throw new RangeError(`regime gate: conditions have ${x.conditions.length} values, want ${days} x ${m}`);
    }
    if (x.edges.length !== this.expertNames.length) {
      throw new RangeError(`regime gate: ${x.edges.length} edge arrays, want ${this.expertNames.length}`);
    }
    for (const e of x.edges) {
      if (e.length !== n) throw new RangeError("regime gate: edges and rowDay differ in length");
    }
    for (let i = 0; i < n; i++) {
      if (!(x.rowDay[i] >= 0 && x.rowDay[i] < days)) {
        throw new RangeError(`regime gate: row ${i} has day ${x.rowDay[i]}`);
      }
    }
  }

  #standardized(conditions: Float64Array, days: number): Float32Array {
    const m = this.conditionNames.length, z = new Float32Array(days * m);
    for (let i = 0; i < days * m; i++) {
      const j = i % m, v = (conditions[i] - this.#mean[j]) / this.#std[j];
      z[i] = Number.isFinite(v) ? Math.max(-5, Math.min(5, v)) : 0;
    }
    return z;
  }

  /** Specialist edge of expert k for a calibrated edge `e` (NaN -> 0: no view). */
  #spec(k: number, e: number): number {
    return Number.isFinite(e) ? this.#alpha[k] + this.#beta[k] * e : 0;
  }

  #stats(x: GateData, outcome: Float64Array, days: number): DayStats {
    const K = this.expertNames.length, n = x.rowDay.length;
    const A = new Float64Array(days * K * K), b = new Float64Array(days * K), c = new Float64Array(days);
    const rows = new Float64Array(days), e = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      const d = x.rowDay[i], z = outcome[i];
      if (!Number.isFinite(z)) continue;
      for (let k = 0; k < K; k++) e[k] = this.#spec(k, x.edges[k][i]);
      for (let k = 0; k < K; k++) {
        b[d * K + k] += e[k] * z;
        for (let l = 0; l < K; l++) A[(d * K + k) * K + l] += e[k] * e[l];
      }
      c[d] += z * z;
      rows[d]++;
    }
    return { A: Float32Array.from(A), b: Float32Array.from(b), c, rows };
  }

  /**
   * Fits on the calibration window: `outcome` is the standardized outcome per row (`z = r / σ̂`, the traded return
   * over the forecast sd; NaN rows skipped), `days` the number of condition rows. For an honest gate pass edges
   * the calibrators did not see (`crossFitEdges`). `ModelError` with fewer than 10 days with outcomes.
   */
  async fit(data: GateData, outcome: Float64Array, days: number): Promise<GateFitReport> {
    this.#check(data, days);
    const x = { ...data, edges: fillMissingEdges(data.edges, data.rowDay, days) };
    if (outcome.length !== x.rowDay.length) {
      throw new RangeError("regime gate: outcome and rowDay differ in length");
    }
    const t0 = performance.now();
    const backend = (await initTensorflow()).backend;
    const m = this.conditionNames.length, o = this.options;
    const hasRows = new Uint8Array(days);
    for (let i = 0; i < outcome.length; i++) if (Number.isFinite(outcome[i])) hasRows[x.rowDay[i]] = 1;
    const used: number[] = [];
    for (let d = 0; d < days; d++) if (hasRows[d]) used.push(d);
    if (used.length < 10) throw new ModelError(`regime gate: ${used.length} days with outcomes (need 10)`);
    for (let j = 0; j < m; j++) {
      let s = 0, s2 = 0, c = 0;
      for (const d of used) {
        const v = x.conditions[d * m + j];
        if (Number.isFinite(v)) [s, s2, c] = [s + v, s2 + v * v, c + 1];
      }
      const mu = c ? s / c : 0, v = c > 1 ? (s2 - c * mu * mu) / (c - 1) : 0;
      this.#mean[j] = mu;
      this.#std[j] = v > 1e-24 ? Math.sqrt(v) : 1;
    }
    this.#alpha.fill(0);
    this.#beta.fill(1);
    if (o.emIterations > 0) this.#specialize(x, outcome, days);
    const prior = Float64Array.from(this.#beta);
    const Z = this.#standardized(x.conditions, days);
    // early-stopping days: blocks of 5 days, one block in every round(1 / fraction)
    const every = o.validationFraction > 0 ? Math.max(2, Math.round(1 / o.validationFraction)) : 0;
    const held = (p: number) => every > 0 && Math.floor(p / 5) % every === every - 1;
    const valDays = used.filter((_, p) => held(p)), fitDays = used.filter((_, p) => !held(p));
    let fit!: { layers: GateLayer[]; loss: number; epochs: number; validLoss: number };
    for (let it = 0; it <= o.refits; it++) {
      const st = this.#stats(x, outcome, days);
      let epochs = o.epochs, validLoss = NaN;
      if (valDays.length >= 5) {
        const r = this.#train(Z, st, fitDays, valDays, o.epochs);
        [epochs, validLoss] = [r.bestEpoch, r.bestValid];
      }
      const final = this.#train(Z, st, used, [], epochs);
      fit = { layers: final.layers, loss: final.loss, epochs, validLoss };
      this.#layers = final.layers;
      if (it < o.refits) this.#recalibrate(x, outcome, days, prior);
    }
    let rows = 0, cz = 0;
    for (let i = 0; i < outcome.length; i++) {
      if (Number.isFinite(outcome[i])) [rows, cz] = [rows + 1, cz + outcome[i] ** 2];
    }
    this.#report = {
      epochs: fit.epochs,
      loss: fit.loss / rows,
      abstainLoss: cz / rows,
      validLoss: fit.validLoss,
      alpha: Array.from(this.#alpha),
      beta: Array.from(this.#beta),
      backend,
      days: used.length,
      rows,
      ms: performance.now() - t0,
    };
    return this.#report;
  }

  /**
   * The specialist search: a mixture of regressions over days. Day `d` is explained by one expert k (outcomes
   * `z_i ~ N(β_k e_ik, 1)` for its rows) or by abstain (`N(0, 1)`); with per-day sums `b_dk = Σ e z`,
   * `A_dk = Σ e²`, the log-likelihood gain over abstain is `ℓ_dk = β_k b_dk - ½ β_k² A_dk`. Starting from equal
   * strength (every expert's edges scaled to the largest root-mean-square edge) and a uniform prior `π`, EM
   * alternates responsibilities `r_dk ∝ π_k e^{ℓ_dk}` and `β_k = max(0, Σ_d r_dk b_dk / Σ_d r_dk A_dk)`,
   * `π_k = mean_d r_dk`. Competition for days is what lets an expert that is useful only in one regime (and so
   * has a weak unconditional calibration) become that regime's specialist.
   */
  #specialize(x: GateData, outcome: Float64Array, days: number): void {
    const K = this.expertNames.length;
    const b = new Float64Array(days * K), A = new Float64Array(days * K);
    for (let i = 0; i < outcome.length; i++) {
      const z = outcome[i], d = x.rowDay[i];
      if (!Number.isFinite(z)) continue;
      for (let k = 0; k < K; k++) {
        const e = x.edges[k][i];
        if (!Number.isFinite(e)) continue;
        b[d * K + k] += e * z;
        A[d * K + k] += e * e;
      }
    }
    const rms = new Float64Array(K);
    let rows = 0;
    for (let i = 0; i < outcome.length; i++) if (Number.isFinite(outcome[i])) rows++;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let d = 0; d < days; d++) s += A[d * K + k];
      rms[k] = Math.sqrt(s / Math.max(1, rows));
    }
    const target = Math.max(...rms);
    if (!(target > 0)) return;
    const beta = Float64Array.from(rms, (r) => (r > 0 ? target / r : 0));
    const pi = new Float64Array(K + 1).fill(1 / (K + 1));
    const r = new Float64Array(K + 1), l = new Float64Array(K + 1);
    for (let it = 0; it < this.options.emIterations; it++) {
      const num = new Float64Array(K), den = new Float64Array(K), mass = new Float64Array(K + 1);
      let nd = 0;
      for (let d = 0; d < days; d++) {
        let any = false;
        for (let k = 0; k < K; k++) if (A[d * K + k] > 0) any = true;
        if (!any) continue;
        nd++;
        let mx = 0; // abstain: ℓ = 0
        l[K] = 0;
        for (let k = 0; k < K; k++) {
          l[k] = beta[k] * b[d * K + k] - 0.5 * beta[k] * beta[k] * A[d * K + k];
          if (l[k] > mx) mx = l[k];
        }
        let s = 0;
        for (let k = 0; k <= K; k++) s += r[k] = pi[k] * Math.exp(l[k] - mx);
        for (let k = 0; k <= K; k++) {
          r[k] /= s;
          mass[k] += r[k];
        }
        for (let k = 0; k < K; k++) {
          num[k] += r[k] * b[d * K + k];
          den[k] += r[k] * A[d * K + k];
        }
      }
      if (!nd) return;
      for (let k = 0; k < K; k++) beta[k] = den[k] > 0 ? Math.max(0, num[k] / den[k]) : 0;
      for (let k = 0; k <= K; k++) pi[k] = Math.max(1e-6, mass[k] / nd);
    }
    this.#beta.set(beta);
  }

  /**
   * Least squares of `z` on the regressors `g_k e_k` (g the current gate weights of the row's day) for the slopes
   * `β`, each with a ridge toward its specialist value of `specialistRidge` times its own diagonal; a negative slope is clipped to 0
   * and the rest refitted. (No specialist intercept: a per-expert constant would be a bet on the market's
   * direction on the days an expert is used, fitted on a handful of regime spells.)
   */
  #recalibrate(x: GateData, outcome: Float64Array, days: number, prior: Float64Array): void {
    const K = this.expertNames.length;
    const w = this.gate(x.conditions, days).weights, out = this.outputNames.length;
    const XtX = Array.from({ length: K }, () => new Array(K).fill(0)), Xtz = new Array(K).fill(0);
    const u = new Float64Array(K);
    for (let i = 0; i < outcome.length; i++) {
      const z = outcome[i];
      if (!Number.isFinite(z)) continue;
      const d = x.rowDay[i];
      for (let k = 0; k < K; k++) {
        const e = x.edges[k][i];
        u[k] = Number.isFinite(e) ? w[d * out + k] * e : 0;
      }
      for (let p = 0; p < K; p++) {
        if (u[p] === 0) continue;
        Xtz[p] += u[p] * z;
        for (let q = 0; q < K; q++) XtX[p][q] += u[p] * u[q];
      }
    }
    const lam = XtX.map((r, p) => this.options.specialistRidge * r[p] + 1e-300);
    const free = new Array(K).fill(true);
    for (let round = 0; round <= K; round++) {
      const A = XtX.map((r, p) =>
        r.map((v, q) => (!free[p] || !free[q] ? (p === q ? 1 : 0) : p === q ? v + lam[p] : v))
      );
      const b = Xtz.map((v, p) => (free[p] ? v + lam[p] * prior[p] : 0));
      const sol = solveNormal(A, b, "regime gate recalibration");
      const neg = [...Array(K).keys()].filter((k) => free[k] && sol[k] < 0);
      if (!neg.length || round === K) {
        for (let k = 0; k < K; k++) this.#beta[k] = free[k] ? Math.max(0, sol[k]) : 0;
        return;
      }
      for (const k of neg) free[k] = false;
    }
  }

  /** Trains a fresh seeded network on `train` days; tracks the held-out loss on `valid` days. */
  #train(
    Z: Float32Array,
    st: DayStats,
    train: number[],
    valid: number[],
    epochs: number,
  ): { layers: GateLayer[]; bestEpoch: number; bestValid: number; loss: number } {
    const m = this.conditionNames.length, K = this.expertNames.length, o = this.options;
    const out = K + (o.abstain ? 1 : 0);
    const sizes = [m, ...o.hidden, out];
    const pick = (days: number[]) => {
      const z = new Float32Array(days.length * m), A = new Float32Array(days.length * K * K);
      const b = new Float32Array(days.length * K);
      let c = 0, rows = 0;
      days.forEach((d, r) => {
        z.set(Z.subarray(d * m, d * m + m), r * m);
        A.set(st.A.subarray(d * K * K, (d + 1) * K * K), r * K * K);
        b.set(st.b.subarray(d * K, (d + 1) * K), r * K);
        c += st.c[d];
        rows += st.rows[d];
      });
      return { z, A, b, c, rows, n: days.length };
    };
    const tr = pick(train), va = valid.length ? pick(valid) : null;
    const vars: tf.Variable[] = [];
    tf.tidy(() => {
      for (let l = 0; l + 1 < sizes.length; l++) {
        const init = tf.initializers.glorotUniform({ seed: o.seed + 101 * l });
        vars.push(tf.variable(init.apply([sizes[l], sizes[l + 1]]) as tf.Tensor2D, true));
        const bias = new Float32Array(sizes[l + 1]);
        // abstain logit a with experts at 0: e^a / (e^a + K) = prior
        if (o.abstain && l + 2 === sizes.length) {
          bias[K] = Math.log(o.abstainPrior * K / (1 - o.abstainPrior));
        }
        vars.push(tf.variable(tf.tensor1d(bias), true));
      }
    });
    // expert part of the softmax per day
    const forward = (z: tf.Tensor2D): tf.Tensor2D => {
      let h: tf.Tensor2D = z;
      for (let l = 0; l + 1 < sizes.length; l++) {
        h = tf.add(tf.matMul(h, vars[2 * l] as tf.Tensor2D), vars[2 * l + 1]) as tf.Tensor2D;
        if (l + 2 < sizes.length) h = tf.tanh(h);
      }
      const g = tf.softmax(h) as tf.Tensor2D;
      return K < out ? tf.slice(g, [0, 0], [-1, K]) as tf.Tensor2D : g;
    };
    const tensors = (d: ReturnType<typeof pick>) => ({
      z: tf.tensor2d(d.z, [d.n, m]),
      A: tf.tensor3d(d.A, [d.n, K, K]),
      b: tf.tensor2d(d.b, [d.n, K]),
    });
    const T = tensors(tr), V = va ? tensors(va) : null;
    // Σ_d (c_d - 2 gᵀ b_d + gᵀ A_d g)
    const sse = (g: tf.Tensor2D, A: tf.Tensor3D, b: tf.Tensor2D, c: number): tf.Scalar => {
      const Ag = tf.sum(tf.mul(tf.expandDims(g, 2), A), 1) as tf.Tensor2D; // Σ_k g_k A_kl
      const quad = tf.sum(tf.mul(Ag, g));
      const lin = tf.sum(tf.mul(g, b));
      return tf.add(tf.sub(quad, tf.mul(2, lin)), c) as tf.Scalar;
    };
    const kernels = vars.filter((_, i) => i % 2 === 0);
    const loss = (): tf.Scalar => {
      const data = tf.div(sse(forward(T.z), T.A, T.b, tr.c), tr.rows) as tf.Scalar;
      const pen = tf.addN(kernels.map((w) => tf.sum(tf.square(w))));
      return tf.add(data, tf.mul(o.l2, pen)) as tf.Scalar;
    };
    const opt = tf.train.adam(o.learningRate);
    let bestEpoch = epochs, bestValid = Infinity, since = 0;
    for (let e = 1; e <= epochs; e++) {
      tf.tidy(() => {
        opt.minimize(loss, false, vars);
      });
      if (V && va) {
        const v = tf.tidy(() => sse(forward(V.z), V.A, V.b, va.c).dataSync()[0]) / va.rows;
        if (v < bestValid - 1e-9) [bestValid, bestEpoch, since] = [v, e, 0];
        else if (++since >= o.patience) break;
      }
    }
    const finalLoss = tf.tidy(() => sse(forward(T.z), T.A, T.b, tr.c).dataSync()[0]);
    const layers: GateLayer[] = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      layers.push({
        kernel: Float64Array.from(vars[2 * l].dataSync()),
        bias: Float64Array.from(vars[2 * l + 1].dataSync()),
        in: sizes[l],
        out: sizes[l + 1],
      });
    }
    opt.dispose();
    for (const v of [...vars, T.z, T.A, T.b, ...(V ? [V.z, V.A, V.b] : [])]) v.dispose();
    return { layers, bestEpoch, bestValid: V ? bestValid : NaN, loss: finalLoss };
  }

  /**
   * Gate weights per day, row-major `days x outputs` (experts, then abstain), each row summing to 1. Computed in
   * plain JavaScript from the stored (float32) weights, so identical after a JSON round trip.
   */
  gate(conditions: Float64Array, days: number): { weights: Float64Array } {
    if (!this.fitted) throw new ModelError("regime gate is not fitted");
    const m = this.conditionNames.length;
    if (conditions.length !== days * m) {
      throw new RangeError(`regime gate: conditions have ${conditions.length} values, want ${days} x ${m}`);
    }
    const Z = this.#standardized(conditions, days);
    const out = this.outputNames.length;
    const weights = new Float64Array(days * out);
    for (let d = 0; d < days; d++) {
      let h = Float64Array.from(Z.subarray(d * m, d * m + m));
      for (let l = 0; l < this.#layers.length; l++) {
        const L = this.#layers[l], a = new Float64Array(L.out);
        for (let j = 0; j < L.out; j++) {
          let s = L.bias[j];
          for (let i = 0; i < L.in; i++) s += h[i] * L.kernel[i * L.out + j];
          a[j] = l + 1 < this.#layers.length ? Math.tanh(s) : s;
        }
        h = a;
      }
      let mx = -Infinity, sum = 0;
      for (let j = 0; j < out; j++) if (h[j] > mx) mx = h[j];
      for (let j = 0; j < out; j++) sum += h[j] = Math.exp(h[j] - mx);
      for (let j = 0; j < out; j++) weights[d * out + j] = h[j] / sum;
    }
    return { weights };
  }

  /** Gate weights per day, row-major `days x outputs` (experts, then abstain), rows summing to 1. */
  weights(conditions: Float64Array, days: number): Float64Array {
    return this.gate(conditions, days).weights;
  }

  /**
   * Combined edge per row `ê_i = Σ_k g_{d,k} (α_k + β_k e_ik)` (`d` the row's day; abstain contributes 0; a NaN
   * edge, no view, takes the mean edge of the expert over the day's rows that have one: {@link fillMissingEdges},
   * as in `fit`; 0 when no row of the day has one), the per-day weights, and each expert's contribution per row
   * (`contributions[k][i] = g_{d,k} (α_k + β_k e_ik)`, summing to `ê_i`). The rows of one day should be the whole
   * cross-section the edges are compared within.
   */
  combine(
    data: GateData,
    days: number,
  ): { edge: Float64Array; weights: Float64Array; contributions: Float64Array[] } {
    this.#check(data, days);
    const x = { ...data, edges: fillMissingEdges(data.edges, data.rowDay, days) };
    const w = this.weights(x.conditions, days);
    const K = this.expertNames.length, out = this.outputNames.length, n = x.rowDay.length;
    const edge = new Float64Array(n), contributions = x.edges.map(() => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      const d = x.rowDay[i];
      let s = 0;
      for (let k = 0; k < K; k++) {
        const c = w[d * out + k] * this.#spec(k, x.edges[k][i]);
        contributions[k][i] = c;
        s += c;
      }
      edge[i] = s;
    }
    return { edge, weights: w, contributions };
  }

  /** Plain JSON with every weight (exact reload). */
  toJSON(): RegimeGateJSON {
    if (!this.fitted) throw new ModelError("regime gate is not fitted");
    return {
      kind: "regime-gate",
      conditionNames: [...this.conditionNames],
      expertNames: [...this.expertNames],
      abstain: this.options.abstain,
      hidden: [...this.options.hidden],
      mean: Array.from(this.#mean),
      std: Array.from(this.#std),
      alpha: Array.from(this.#alpha),
      beta: Array.from(this.#beta),
      layers: this.#layers.map((l) => ({
        kernel: Array.from(l.kernel),
        bias: Array.from(l.bias),
        in: l.in,
        out: l.out,
      })),
      // a saved gate is a function of its data and seed alone: the fit's wall time would change the artifact's
      // digest on every refit of the same data
      report: this.#report && (({ ms: _ms, ...rest }) => rest)(this.#report),
    };
  }

  /** Rebuilds a fitted gate from {@link RegimeGate.toJSON}. */
  static fromJSON(j: RegimeGateJSON, options: RegimeGateOptions = {}): RegimeGate {
    if (j?.kind !== "regime-gate") throw new ModelError("not a regime-gate artifact");
    const g = new RegimeGate(j.conditionNames, j.expertNames, {
      ...options,
      hidden: j.hidden,
      abstain: j.abstain,
    });
    g.#mean = Float64Array.from(j.mean);
    g.#std = Float64Array.from(j.std);
    g.#alpha = Float64Array.from(j.alpha);
    g.#beta = Float64Array.from(j.beta);
    g.#layers = j.layers.map((l) => ({
      kernel: Float64Array.from(l.kernel),
      bias: Float64Array.from(l.bias),
      in: l.in,
      out: l.out,
    }));
    g.#report = j.report;
    return g;
  }
}
