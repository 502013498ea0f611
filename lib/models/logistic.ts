/**
 * Multinomial logistic regression with L2 penalty on standardized features, fitted by the project's one
 * softmax solver (`softmax.ts`, L-BFGS) on Float64Array.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import type { TrendModel } from "./types.ts";
import { fitScaler, labeledRows, type Scaler, transform } from "./_scaler.ts";
import { type ConvergenceReport, type Design, fitSoftmax, softmaxProbs } from "./softmax.ts";
import { JsonFitted } from "./_fitted.ts";

const K = 3;

/** Penalties tried by `l2: "auto"`. */
export const L2_GRID = [1e-4, 1e-3, 1e-2, 1e-1];

/** Options of {@link LogisticModel}. */
export interface LogisticOptions {
  /**
   * L2 penalty on the (standardized) weights, intercepts unpenalized. Default 1e-3. `"auto"` picks the value
   * of {@link L2_GRID} with the lowest log loss on the labeled `valid` rows (1e-3 when there are none).
   */
  l2?: number | "auto";
  maxIter?: number;
}

/** Serialized parameters of a fitted {@link LogisticModel}. */
export interface LogisticParams {
  model: "logistic";
  featureNames: string[];
  l2: number;
  scaler: Scaler;
  /** `3 x (p + 1)` row-major, last column the intercept. */
  weights: number[];
}

/** Multinomial logistic regression (`name = "logistic"`). */
export class LogisticModel extends JsonFitted<LogisticParams> implements TrendModel {
  readonly name = "logistic";
  /** L-BFGS iterations of the last fit. */
  iterations = 0;
  /** How the last fit's solver ended (for the chosen penalty). */
  convergence: ConvergenceReport | null = null;

  constructor(readonly options: LogisticOptions = {}) {
    super();
  }

  /** Fits on the labeled `train` rows; `valid` rows only choose the penalty when `l2` is `"auto"`. */
  fit(ds: Dataset, train: Int32Array, valid?: Int32Array): Promise<void> {
    // a synchronous throw rejects the promise
    return new Promise((resolve) => resolve(this.fitSync(ds, train, valid)));
  }

  private fitSync(ds: Dataset, train: Int32Array, valid?: Int32Array): void {
    const rows = labeledRows(ds, train);
    if (rows.length === 0) throw new ModelError("logistic: no labeled train rows");
    const p = ds.featureNames.length;
    const va = valid ? labeledRows(ds, valid) : new Int32Array(0);
    const opt = this.options.l2 ?? 1e-3;
    const grid = opt === "auto" ? (va.length ? L2_GRID : [1e-3]) : [opt];
    if (grid.some((v) => !(v >= 0))) throw new RangeError(`l2 must be >= 0, got ${opt}`);
    const scaler = fitScaler(ds, rows);
    const Z = transform(ds, rows, scaler);
    const y = new Int8Array(rows.length);
    for (let r = 0; r < rows.length; r++) y[r] = ds.labels.trend[rows[r]];
    const w0 = new Float64Array(K * (p + 1));
    // start from the class log-frequencies
    const c = [1, 1, 1];
    for (const v of y) c[v]++;
    for (let k = 0; k < K; k++) w0[k * (p + 1) + p] = Math.log(c[k] / (y.length + 3));
    const design: Design = { dense: Z, rows: rows.length, cols: p };
    const Zva = grid.length > 1 ? transform(ds, va, scaler) : null;
    let best: { l2: number; w: Float64Array; loss: number; report: ConvergenceReport } | null = null;
    for (const l2 of grid) {
      const res = fitSoftmax(design, y, { classes: K, l2, init: w0, maxIter: this.options.maxIter ?? 200 });
      let loss = 0;
      if (Zva) {
        const pr = softmaxProbs({ dense: Zva, rows: va.length, cols: p }, res.weights, K);
        for (let r = 0; r < va.length; r++) {
          loss -= Math.log(Math.max(1e-15, pr[r * 3 + ds.labels.trend[va[r]]]));
        }
      }
      if (!best || loss < best.loss) best = { l2, w: res.weights, loss, report: res.report };
    }
    this.iterations = best!.report.iterations;
    this.convergence = best!.report;
    this.state = {
      model: "logistic",
      featureNames: [...ds.featureNames],
      l2: best!.l2,
      scaler,
      weights: [...best!.w],
    };
  }

  /** Class probabilities `[down, neutral, up]` per row. */
  predict(ds: Dataset, rows: Int32Array): Promise<Float64Array> {
    try {
      const pr = this.fitted(ds);
      const p = ds.featureNames.length;
      const Z = transform(ds, rows, pr.scaler);
      return Promise.resolve(softmaxProbs({ dense: Z, rows: rows.length, cols: p }, pr.weights, K));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Restores a model from {@link LogisticModel.toJSON} output. */
  static fromJSON(params: LogisticParams): LogisticModel {
    return JsonFitted.restore(params, "logistic", "params", (p) => new LogisticModel({ l2: p.l2 }));
  }

  private fitted(ds: Dataset): LogisticParams {
    const pr = this.state;
    if (!pr) throw new ModelError("logistic: predict before fit");
    if (pr.featureNames.join(",") !== ds.featureNames.join(",")) {
      throw new ModelError("logistic: dataset features differ from the fitted ones");
    }
    return pr;
  }
}
