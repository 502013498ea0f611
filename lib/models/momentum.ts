/**
 * Baseline: the sign of the 20-day return feature, calibrated by the train class frequencies per sign.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import type { TrendModel } from "./types.ts";
import { JsonFitted } from "./_fitted.ts";

/** Serialized parameters of {@link MomentumModel}. */
export interface MomentumParams {
  model: "momentum";
  feature: string;
  /** Class probabilities for a negative, a non-negative and a missing feature value. */
  negative: [number, number, number];
  positive: [number, number, number];
  missing: [number, number, number];
}

/**
 * Momentum baseline (`name = "momentum"`): rows are split by the sign of feature `feature` (default `ret_20`);
 * each sign predicts the train class frequencies observed with that sign (Laplace +1). Where up is the most
 * frequent class after either sign (the sp500 train), its argmax is up on every row, so its accuracy is the
 * majority baseline's: what it knows of momentum is in its probabilities (log-loss, IC), not its class.
 */
export class MomentumModel extends JsonFitted<MomentumParams> implements TrendModel {
  readonly name = "momentum";

  constructor(readonly feature = "ret_20") {
    super();
  }

  private column(ds: Dataset): number {
    const j = ds.featureNames.indexOf(this.feature);
    if (j < 0) throw new ModelError(`momentum: feature ${this.feature} not in the dataset`);
    return j;
  }

  /** Counts train classes per sign of the feature. */
  fit(ds: Dataset, train: Int32Array): Promise<void> {
    // a synchronous throw rejects the promise
    return new Promise((resolve) => resolve(this.fitSync(ds, train)));
  }

  private fitSync(ds: Dataset, train: Int32Array): void {
    const j = this.column(ds), p = ds.featureNames.length;
    const c = [[1, 1, 1], [1, 1, 1], [1, 1, 1]];
    for (const i of train) {
      const y = ds.labels.trend[i];
      if (y < 0) continue;
      const v = ds.X[i * p + j];
      c[Number.isFinite(v) ? (v < 0 ? 0 : 1) : 2][y]++;
    }
    const norm = (a: number[]): [number, number, number] => {
      const s = a[0] + a[1] + a[2];
      return [a[0] / s, a[1] / s, a[2] / s];
    };
    this.state = {
      model: "momentum",
      feature: this.feature,
      negative: norm(c[0]),
      positive: norm(c[1]),
      missing: norm(c[2]),
    };
  }

  /** Calibrated probabilities by the sign of the feature at each row. */
  predict(ds: Dataset, rows: Int32Array): Promise<Float64Array> {
    return new Promise((resolve) => resolve(this.predictSync(ds, rows)));
  }

  private predictSync(ds: Dataset, rows: Int32Array): Float64Array {
    const pr = this.state;
    if (!pr) throw new ModelError("momentum: predict before fit");
    const j = this.column(ds), p = ds.featureNames.length;
    const out = new Float64Array(rows.length * 3);
    for (let r = 0; r < rows.length; r++) {
      const v = ds.X[rows[r] * p + j];
      out.set(Number.isFinite(v) ? (v < 0 ? pr.negative : pr.positive) : pr.missing, r * 3);
    }
    return out;
  }

  /** Restores from {@link MomentumModel.toJSON}. */
  static fromJSON(p: MomentumParams): MomentumModel {
    return JsonFitted.restore(p, "momentum", "params", (j) => new MomentumModel(j.feature));
  }
}
