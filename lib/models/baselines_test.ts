import { deepEqual, ok, rejects } from "node:assert/strict";
import { fabricateDataset } from "./_test_data.ts";
import { assertEdge, assertNoEdge, scoreRows } from "./_test_checks.ts";
import { MajorityClassModel } from "./majority.ts";
import { MomentumModel } from "./momentum.ts";
import { ModelError } from "../core/mod.ts";

Deno.test("majority: predicts the train class frequencies; argmax accuracy equals the majority share", async () => {
  const { ds, train, test } = fabricateDataset({ strength: 0, seed: 11 });
  const m = new MajorityClassModel();
  await m.fit(ds, train);
  const c = [1, 1, 1];
  for (const i of train) c[ds.labels.trend[i]]++;
  const n = c[0] + c[1] + c[2];
  deepEqual(m.toJSON().probs, [c[0] / n, c[1] / n, c[2] / n]);
  const probs = await m.predict(ds, test);
  const s = scoreRows(ds, test, probs);
  assertNoEdge(s, "majority");
  const maj = c.indexOf(Math.max(...c));
  const share = test.filter((i) => ds.labels.trend[i] === maj).length / test.length;
  ok(Math.abs(s.accuracy - share) < 1e-12);
  deepEqual(MajorityClassModel.fromJSON(m.toJSON()).toJSON(), m.toJSON());
});

Deno.test("momentum: finds the planted ret_20 sign effect, nothing on null, needs the column", async () => {
  const planted = fabricateDataset({ strength: 1.5, seed: 12 });
  const m = new MomentumModel();
  await m.fit(planted.ds, planted.train);
  assertEdge(scoreRows(planted.ds, planted.test, await m.predict(planted.ds, planted.test)), "momentum");
  ok(m.toJSON().positive[2] > m.toJSON().negative[2]);
  const nul = fabricateDataset({ strength: 0, seed: 13 });
  const m0 = new MomentumModel();
  await m0.fit(nul.ds, nul.train);
  assertNoEdge(scoreRows(nul.ds, nul.test, await m0.predict(nul.ds, nul.test)), "momentum null");
  await rejects(() => new MomentumModel("ret_60").fit(nul.ds, nul.train), ModelError);
});
