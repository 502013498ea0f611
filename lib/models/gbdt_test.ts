import { equal, ok, rejects } from "node:assert/strict";
import { ModelError } from "../core/mod.ts";
import { fabricateDataset } from "./_test_data.ts";
import { assertEdge, assertNoEdge, scoreRows } from "./_test_checks.ts";
import { GbdtModel } from "./gbdt.ts";
import { LogisticModel } from "./logistic.ts";

Deno.test("gbdt: planted signal beats chance, null does not, JSON round trip is exact", async () => {
  const planted = fabricateDataset({ strength: 1.5, seed: 41 });
  const m = new GbdtModel();
  await rejects(() => m.predict(planted.ds, planted.test), ModelError);
  const t0 = performance.now();
  await m.fit(planted.ds, planted.train, planted.valid);
  console.log(
    `gbdt fit ${planted.train.length} rows: ${(performance.now() - t0).toFixed(0)} ms, ${m.rounds} rounds`,
  );
  const probs = await m.predict(planted.ds, planted.test);
  assertEdge(scoreRows(planted.ds, planted.test, probs), "gbdt");
  const back = GbdtModel.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
  const probs2 = await back.predict(planted.ds, planted.test);
  for (let i = 0; i < probs.length; i++) equal(probs[i], probs2[i]);

  const nul = fabricateDataset({ strength: 0, seed: 42 });
  const m0 = new GbdtModel();
  await m0.fit(nul.ds, nul.train, nul.valid);
  assertNoEdge(scoreRows(nul.ds, nul.test, await m0.predict(nul.ds, nul.test)), "gbdt null");
  ok(m0.rounds < m.rounds, `null keeps fewer rounds (${m0.rounds} vs ${m.rounds})`);
});

Deno.test("gbdt: finds a non-linear signal (|x0|) that logistic regression cannot", async () => {
  const { ds, train, valid, test } = fabricateDataset({ strength: 2, seed: 43, nonlinear: true });
  const g = new GbdtModel(), l = new LogisticModel();
  await g.fit(ds, train, valid);
  await l.fit(ds, train);
  const sg = scoreRows(ds, test, await g.predict(ds, test));
  const sl = scoreRows(ds, test, await l.predict(ds, test));
  assertEdge(sg, "gbdt non-linear");
  ok(sg.accuracy > sl.accuracy + 3 * sg.se, `gbdt ${sg.accuracy} vs logistic ${sl.accuracy}`);
});
