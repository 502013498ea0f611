/**
 * The mixture-of-experts combiner: gate weights times expert scores.
 * @module
 */
import { type GateOptions, GatingNetwork } from "./linear_gate.ts";
import { EXPERT_NAMES } from "./experts.ts";

/** Inputs of one batch of rows. */
export interface MoeInputs {
  /** One score array (length n, values in [-1, 1]) per expert, in the combiner's `expertNames` order. */
  expertScores: Float64Array[];
  /** Market-condition features, row-major `n x conditionNames.length` (NaN allowed: treated as the mean). */
  conditions: Float64Array;
}

/** Output per row. */
export interface MoeOutput {
  n: number;
  expertNames: readonly string[];
  /** Combined score `sum_k g_k s_k` in [-1, 1]. */
  score: Float64Array;
  /** Gate weights, row-major `n x K`, rows summing to 1. */
  gates: Float64Array;
  /** Expert scores, row-major `n x K` (clipped to [-1, 1], NaN -> 0). */
  expertScores: Float64Array;
}

/** Options of {@link MoeCombiner}. */
export interface MoeOptions extends GateOptions {
  /** Expert names (default `["trend", "level", "volatility"]`). */
  expertNames?: readonly string[];
}

/**
 * Mixture of experts: `score_i = sum_k g_k(z_i) s_ik` with the gate `g = softmax(b + W z)` over the market
 * conditions `z` (see {@link GatingNetwork}), fitted on validation rows.
 */
export class MoeCombiner {
  readonly expertNames: readonly string[];
  readonly conditionNames: readonly string[];
  readonly gate: GatingNetwork;
  constructor(conditionNames: readonly string[], options: MoeOptions = {}) {
    this.expertNames = options.expertNames ?? EXPERT_NAMES;
    this.conditionNames = conditionNames;
    this.gate = new GatingNetwork(this.expertNames.length, conditionNames.length, options);
  }

  #rows(x: MoeInputs): number {
    if (x.expertScores.length !== this.expertNames.length) {
      throw new RangeError(
        `moe: ${x.expertScores.length} expert score arrays, want ${this.expertNames.length}`,
      );
    }
    const n = x.expertScores[0].length;
    for (const s of x.expertScores) {
      if (s.length !== n) throw new RangeError("moe: expert score arrays differ in length");
    }
    return n;
  }

  /** Fits the gate on (validation) rows; `fwdReturn` as in {@link GatingNetwork.fit}. */
  fit(x: MoeInputs, fwdReturn: Float64Array): this {
    const n = this.#rows(x);
    if (fwdReturn.length !== n) throw new RangeError(`moe.fit: ${fwdReturn.length} returns for ${n} rows`);
    this.gate.fit(x.expertScores, x.conditions, fwdReturn);
    return this;
  }

  /** Combined score, gate weights and expert scores per row. */
  predict(x: MoeInputs): MoeOutput {
    const n = this.#rows(x);
    const K = this.expertNames.length;
    const gates = this.gate.weights(x.conditions, n);
    const es = new Float64Array(n * K);
    const score = new Float64Array(n);
    for (let k = 0; k < K; k++) {
      const s = x.expertScores[k];
      for (let i = 0; i < n; i++) {
        const v = Number.isFinite(s[i]) ? Math.max(-1, Math.min(1, s[i])) : 0;
        es[i * K + k] = v;
        score[i] += gates[i * K + k] * v;
      }
    }
    return { n, expertNames: this.expertNames, score, gates, expertScores: es };
  }
}
