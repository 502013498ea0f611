import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { LookaheadError } from "../core/mod.ts";
import type { FeatureSet } from "../features/mod.ts";
import { loadSp500 } from "./_test_sp500.ts";
import { buildDataset } from "./build.ts";
import { matrixOf, rowsBetween, rowsOf } from "./rows.ts";
import { applyScaler, fitScaler } from "./scaler.ts";
import { TREND_SEGMENTS } from "./segments.ts";
import { Segment } from "./types.ts";

const SET: FeatureSet = {
  name: "t",
  version: "1",
  features: [
    { name: "ret_1", fn: "log_return", params: { horizon: 1 } },
    { name: "vol_20", fn: "realized_vol", params: { window: 20 } },
  ],
};
const ds = buildDataset({
  series: await loadSp500(["AAPL", "MSFT", "KO"]),
  featureSet: SET,
  segments: TREND_SEGMENTS,
});

Deno.test("scaler fitted on train rows z-scores them; valid/test rows in the fit window are refused", () => {
  const train = rowsOf(ds, Segment.TRAIN), valid = rowsOf(ds, Segment.VALID), test = rowsOf(ds, Segment.TEST);
  const sc = fitScaler(ds, train);
  ok(sc.fitEnd <= TREND_SEGMENTS.train[1]);
  equal(sc.n, train.length);
  const Z = applyScaler(ds, sc, train), F = ds.featureNames.length;
  for (let f = 0; f < F; f++) {
    let s = 0, s2 = 0;
    for (let k = 0; k < train.length; k++) (s += Z[k * F + f], s2 += Z[k * F + f] ** 2);
    const m = s / train.length;
    ok(Math.abs(m) < 1e-9, `mean ${m}`);
    ok(Math.abs(s2 / train.length - m * m - 1) < 1e-9);
  }
  throws(() => fitScaler(ds, Int32Array.from([...train, valid[0]])), LookaheadError);
  throws(() => fitScaler(ds, test), LookaheadError);
  // an explicit later window (walk-forward re-estimation) is allowed up to its end only
  const upToValid = fitScaler(ds, Int32Array.from([...train, ...valid]), { until: TREND_SEGMENTS.valid[1] });
  ok(upToValid.fitEnd > TREND_SEGMENTS.train[1]);
  throws(() => fitScaler(ds, test, { until: TREND_SEGMENTS.valid[1] }), LookaheadError);
  throws(() => applyScaler({ ...ds, featureNames: ["a", "b", "c", "d"] }, sc), RangeError);
});

Deno.test("row helpers select by segment and date", () => {
  const va = rowsOf(ds, Segment.VALID);
  const between = rowsBetween(ds, "2016-07-01", "2016-12-28");
  deepEqual([...between], [...va]);
  const M = matrixOf(ds, va.subarray(0, 3)), F = ds.featureNames.length;
  for (let k = 0; k < 3; k++) for (let f = 0; f < F; f++) equal(M[k * F + f], ds.X[va[k] * F + f]);
});
