/**
 * Baseline: predicts the class frequencies of the train rows for every row.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import type { TrendModel } from "./types.ts";

/** Serialized parameters of {@link MajorityClassModel}. */
export interface MajorityParams {
  model: "majority";
  probs: [number, number, number];
}

/** Class-frequency baseline (`name = "majority"`): argmax is the majority class of train. */
export class MajorityClassModel implements TrendModel {
  readonly name = "majority";
  private probs: [number, number, number] | null = null;

  /** Counts the labeled train rows per class (Laplace +1). */
  fit(ds: Dataset, train: Int32Array): Promise<void> {
    const c = [1, 1, 1];
    for (const i of train) {
      const y = ds.labels.trend[i];
      if (y >= 0) c[y]++;
    }
    const n = c[0] + c[1] + c[2];
    this.probs = [c[0] / n, c[1] / n, c[2] / n];
    return Promise.resolve();
  }

  /** The same train frequencies for every row. */
  predict(_ds: Dataset, rows: Int32Array): Promise<Float64Array> {
    if (!this.probs) return Promise.reject(new ModelError("majority: predict before fit"));
    const out = new Float64Array(rows.length * 3);
    for (let r = 0; r < rows.length; r++) out.set(this.probs, r * 3);
    return Promise.resolve(out);
  }

  /** Fitted parameters. */
  toJSON(): MajorityParams {
    if (!this.probs) throw new ModelError("majority: not fitted");
    return { model: "majority", probs: this.probs };
  }

  /** Restores from {@link MajorityClassModel.toJSON}. */
  static fromJSON(p: MajorityParams): MajorityClassModel {
    if (p?.model !== "majority") throw new TypeError("not majority params");
    const m = new MajorityClassModel();
    m.probs = p.probs;
    return m;
  }
}
