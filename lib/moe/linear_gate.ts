/**
 * The linear gate (kept as a baseline for the regime gate in `gate.ts`): softmax over experts of a linear
 * function of market-condition features, fitted by Adam on directional scores in [-1, 1].
 * @module
 */
import { ModelError } from "../core/mod.ts";

/** Training objective of the gate. */
export type GateObjective = "loglik" | "pnl";

/** Options of {@link GatingNetwork}. */
export interface GateOptions {
  /**
   * `loglik` (default): maximize the mixture log-likelihood of the next-day direction. Expert k says
   * `P_k(up) = 0.5 + 0.49 s_k`; the mixture says `q = sum_k g_k P_k(y)`, `y = sign(return)` (zero/NaN returns
   * skipped). `pnl`: maximize the mean P&L proxy `r~ * sum_k g_k s_k`, `r~` the return divided by its standard
   * deviation and clipped to [-5, 5].
   */
  objective?: GateObjective;
  /** L2 penalty on the condition weights (not the biases). Default 1e-3. */
  l2?: number;
  /** Full-batch Adam iterations. Default 400. */
  iters?: number;
  /** Adam step. Default 0.05. */
  lr?: number;
  /** At most this many rows (an even stride) are used for fitting. Default 20,000. */
  maxRows?: number;
}

/**
 * `g_i = softmax(b + W z_i)` over K experts, where `z_i` are the m condition features of row i standardized
 * with the training mean and standard deviation (NaN -> 0, the mean). Fitted by full-batch Adam.
 */
export class GatingNetwork {
  /** Number of experts. */
  readonly k: number;
  /** Number of condition features. */
  readonly m: number;
  /** Row-major `K x (m + 1)`: per expert `[b, w_1..w_m]`. Zero (uniform gate) before `fit`. */
  readonly coef: Float64Array;
  #mean: Float64Array;
  #std: Float64Array;
  #fitted = false;
  readonly #opts: GateOptions;
  constructor(k: number, m: number, options: GateOptions = {}) {
    if (!(Number.isInteger(k) && k >= 1)) {
      throw new RangeError(`gate: expert count ${k} must be an integer >= 1`);
    }
    if (!(Number.isInteger(m) && m >= 0)) {
      throw new RangeError(`gate: feature count ${m} must be an integer >= 0`);
    }
    this.k = k;
    this.m = m;
    this.coef = new Float64Array(k * (m + 1));
    this.#mean = new Float64Array(m);
    this.#std = new Float64Array(m).fill(1);
    this.#opts = options;
  }

  /** True after `fit`. */
  get fitted(): boolean {
    return this.#fitted;
  }

  #standardize(conditions: Float64Array, n: number): Float64Array {
    const m = this.m;
    if (conditions.length !== n * m) {
      throw new RangeError(`gate: conditions have ${conditions.length} values, want ${n} x ${m}`);
    }
    const z = new Float64Array(n * m);
    for (let i = 0; i < n * m; i++) {
      const j = i % m, v = (conditions[i] - this.#mean[j]) / this.#std[j];
      z[i] = Number.isFinite(v) ? v : 0;
    }
    return z;
  }

  /**
   * Fits on rows with a finite target return. `expertScores`: K arrays of n scores; `conditions`: row-major
   * `n x m`; `fwdReturn`: what a position decided at the row earns (e.g. `Labels.fwdOpenReturn`) or the next-day
   * return whose sign is the direction.
   */
  fit(expertScores: Float64Array[], conditions: Float64Array, fwdReturn: Float64Array): void {
    const K = this.k, m = this.m, D = m + 1;
    if (expertScores.length !== K) {
      throw new RangeError(`gate.fit: ${expertScores.length} experts, want ${K}`);
    }
    const n = fwdReturn.length;
    for (const s of expertScores) {
      if (s.length !== n) throw new RangeError(`gate.fit: expert has ${s.length} rows, want ${n}`);
    }
    const objective = this.#opts.objective ?? "loglik";
    const l2 = this.#opts.l2 ?? 1e-3, iters = this.#opts.iters ?? 400, lr = this.#opts.lr ?? 0.05;
    const maxRows = this.#opts.maxRows ?? 20_000;
    // Rows to use.
    const all: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = fwdReturn[i];
      if (Number.isFinite(r) && (objective === "pnl" || r !== 0)) all.push(i);
    }
    if (all.length < 2) throw new ModelError("gate.fit: fewer than 2 rows with a usable target return");
    const stride = Math.max(1, Math.ceil(all.length / maxRows));
    const rows = stride === 1 ? all : all.filter((_, j) => j % stride === 0);
    const R = rows.length;
    // Standardization on the fitting rows.
    const mean = new Float64Array(m), std = new Float64Array(m), cnt = new Float64Array(m);
    for (const i of rows) {
      for (let j = 0; j < m; j++) {
        const v = conditions[i * m + j];
        if (Number.isFinite(v)) {
          mean[j] += v;
          cnt[j]++;
        }
      }
    }
    for (let j = 0; j < m; j++) mean[j] = cnt[j] > 0 ? mean[j] / cnt[j] : 0;
    for (const i of rows) {
      for (let j = 0; j < m; j++) {
        const v = conditions[i * m + j];
        if (Number.isFinite(v)) std[j] += (v - mean[j]) ** 2;
      }
    }
    for (let j = 0; j < m; j++) std[j] = cnt[j] > 1 && std[j] > 0 ? Math.sqrt(std[j] / cnt[j]) : 1;
    this.#mean = mean;
    this.#std = std;
    const Z = new Float64Array(R * m), S = new Float64Array(R * K), T = new Float64Array(R);
    let sd = 0;
    if (objective === "pnl") {
      let s2 = 0;
      for (const i of rows) s2 += fwdReturn[i] ** 2;
      sd = Math.sqrt(s2 / R) || 1;
    }
    for (let r = 0; r < R; r++) {
      const i = rows[r];
      for (let j = 0; j < m; j++) {
        const v = (conditions[i * m + j] - mean[j]) / std[j];
        Z[r * m + j] = Number.isFinite(v) ? v : 0;
      }
      for (let k = 0; k < K; k++) {
        const s = expertScores[k][i];
        S[r * K + k] = Number.isFinite(s) ? Math.max(-1, Math.min(1, s)) : 0;
      }
      T[r] = objective === "pnl" ? Math.max(-5, Math.min(5, fwdReturn[i] / sd)) : Math.sign(fwdReturn[i]);
    }
    const coef = this.coef;
    coef.fill(0);
    const P = K * D;
    const grad = new Float64Array(P), m1 = new Float64Array(P), m2 = new Float64Array(P);
    const a = new Float64Array(K), g = new Float64Array(K), dA = new Float64Array(K);
    for (let t = 1; t <= iters; t++) {
      grad.fill(0);
      for (let r = 0; r < R; r++) {
        const zo = r * m, so = r * K;
        let mx = -Infinity;
        for (let k = 0; k < K; k++) {
          let v = coef[k * D];
          for (let j = 0; j < m; j++) v += coef[k * D + 1 + j] * Z[zo + j];
          a[k] = v;
          if (v > mx) mx = v;
        }
        let sum = 0;
        for (let k = 0; k < K; k++) sum += g[k] = Math.exp(a[k] - mx);
        for (let k = 0; k < K; k++) g[k] /= sum;
        // d(objective_r)/d(a_k), to be MAXIMIZED.
        if (objective === "loglik") {
          let q = 0;
          for (let k = 0; k < K; k++) q += g[k] * (0.5 + 0.49 * S[so + k] * T[r]);
          for (let k = 0; k < K; k++) dA[k] = g[k] * ((0.5 + 0.49 * S[so + k] * T[r]) / q - 1);
        } else {
          let sbar = 0;
          for (let k = 0; k < K; k++) sbar += g[k] * S[so + k];
          for (let k = 0; k < K; k++) dA[k] = T[r] * g[k] * (S[so + k] - sbar);
        }
        for (let k = 0; k < K; k++) {
          const d = dA[k];
          grad[k * D] += d;
          for (let j = 0; j < m; j++) grad[k * D + 1 + j] += d * Z[zo + j];
        }
      }
      for (let p = 0; p < P; p++) {
        // Gradient of the loss to MINIMIZE: -(mean objective) + l2 ||W||^2.
        let gp = -grad[p] / R;
        if (p % D !== 0) gp += 2 * l2 * coef[p];
        m1[p] = 0.9 * m1[p] + 0.1 * gp;
        m2[p] = 0.999 * m2[p] + 0.001 * gp * gp;
        coef[p] -= lr * (m1[p] / (1 - 0.9 ** t)) / (Math.sqrt(m2[p] / (1 - 0.999 ** t)) + 1e-8);
      }
    }
    this.#fitted = true;
  }

  /** Gate weights, row-major `n x K`, each row summing to 1 (uniform before `fit`). */
  weights(conditions: Float64Array, n: number): Float64Array {
    const K = this.k, m = this.m, D = m + 1;
    const z = this.#standardize(conditions, n);
    const out = new Float64Array(n * K);
    const a = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) {
        let v = this.coef[k * D];
        for (let j = 0; j < m; j++) v += this.coef[k * D + 1 + j] * z[i * m + j];
        a[k] = v;
        if (v > mx) mx = v;
      }
      let sum = 0;
      for (let k = 0; k < K; k++) sum += a[k] = Math.exp(a[k] - mx);
      for (let k = 0; k < K; k++) out[i * K + k] = a[k] / sum;
    }
    return out;
  }
}
