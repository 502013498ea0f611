/**
 * RiskMetrics EWMA variance: `s2[t+1] = lambda s2[t] + (1 - lambda) r[t]^2` (lambda 0.94).
 * @module
 */
import type { Dataset } from "../dataset/mod.ts";
import type { VolatilityModel } from "./types.ts";
import { logReturns, pricesOf } from "./_returns.ts";

/**
 * EWMA variances aligned like `garchFilter`: `v` has length `n + 1`, `v[t]` uses returns before `t` only.
 * `v[0] = init` (default NaN); while fewer than `warmup` finite returns were seen and no `init` is given, `v[t]`
 * is the running mean of the squared returns so far (causal warm-up). NaN returns leave the variance unchanged.
 */
export function ewmaVariance(returns: Float64Array, lambda = 0.94, init?: number, warmup = 20): Float64Array {
  if (!(lambda > 0 && lambda < 1)) throw new RangeError(`lambda must be in (0, 1), got ${lambda}`);
  const n = returns.length, v = new Float64Array(n + 1);
  v[0] = init ?? NaN;
  let seen = 0, sum = 0;
  for (let t = 0; t < n; t++) {
    const r = returns[t];
    if (!Number.isFinite(r)) {
      v[t + 1] = v[t];
      continue;
    }
    seen++;
    sum += r * r;
    v[t + 1] = init === undefined && seen <= warmup ? sum / seen : lambda * v[t] + (1 - lambda) * r * r;
  }
  return v;
}

/** EWMA volatility model on a Dataset (`name = "ewma"`); nothing to fit, flat multi-step forecast. */
export class EwmaModel implements VolatilityModel {
  readonly name = "ewma";
  constructor(readonly lambda = 0.94) {}

  /** No parameters to estimate. */
  fit(_ds: Dataset, _train: Int32Array): Promise<void> {
    return Promise.resolve();
  }

  /** Variance forecast at each row from the symbol's returns up to that row (same for every horizon). */
  predict(ds: Dataset, rows: Int32Array, _horizon: number): Promise<Float64Array> {
    const out = new Float64Array(rows.length).fill(NaN);
    const cache = new Map<string, Float64Array>();
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k], sym = ds.symbol[i], t = ds.seriesIndex[i];
      let v = cache.get(sym);
      if (!v) {
        v = ewmaVariance(logReturns(pricesOf(ds.series.get(sym)!)), this.lambda);
        cache.set(sym, v);
      }
      out[k] = v[t + 1];
    }
    return Promise.resolve(out);
  }

  /** Parameters. */
  toJSON(): { model: "ewma"; lambda: number } {
    return { model: "ewma", lambda: this.lambda };
  }

  /** Restores from {@link EwmaModel.toJSON}. */
  static fromJSON(p: { model: "ewma"; lambda: number }): EwmaModel {
    if (p?.model !== "ewma") throw new TypeError("not ewma params");
    return new EwmaModel(p.lambda);
  }
}
