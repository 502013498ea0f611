import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError, ModelError } from "../core/mod.ts";
import { segmentsFor, type SymbolSeries, syntheticMarketContext, toSeries } from "../dataset/mod.ts";
import { createSyntheticMarket } from "../sources/mod.ts";
import { openEmbeddedStores } from "../store/mod.ts";
import {
  backtestPredictions,
  fitSystem,
  loadSystem,
  loadSystemFrom,
  makeSpec,
  nestedWindows,
  resolveSegments,
  saveSystem,
  sessionCalendar,
  systemDataset,
  type SystemPredictions,
  walkForward,
  walkForwardFolds,
} from "./mod.ts";

async function market(symbols = 8, sessions = 700, newsEffect = 0.02) {
  const m = createSyntheticMarket({ seed: 9, symbols, sessions, newsEffect, newsRate: 0.3 });
  const bars = await m.bars({ symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] });
  const series = new Map<string, SymbolSeries>();
  for (const s of m.symbols) series.set(s, toSeries(bars.get(s)!));
  const news = await m.news({ symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] });
  return { m, series, news, market: syntheticMarketContext(series) };
}

function sameFloats(a: Float64Array, b: Float64Array, what: string) {
  equal(a.length, b.length, `${what} length`);
  for (let i = 0; i < a.length; i++) ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

function samePredictions(a: SystemPredictions, b: SystemPredictions) {
  deepEqual(a.symbol, b.symbol);
  sameFloats(a.dailyVol, b.dailyVol, "dailyVol");
  sameFloats(a.score, b.score, "score");
  sameFloats(a.experts.scores, b.experts.scores, "experts");
  sameFloats(a.gate.weights, b.gate.weights, "gate");
  deepEqual(a.regime, b.regime);
  a.models.forEach((m, k) => sameFloats(m.probs, b.models[k].probs, m.name));
  a.ensembles.forEach((e, k) => sameFloats(e.probs, b.ensembles[k].probs, e.name));
  for (const [k, v] of a.edges) sameFloats(v, b.edges.get(k)!, k);
}

Deno.test({
  name:
    "workflow: nested windows, predictions per date, and a save/load round trip that predicts bit for bit",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { m, series, news, market: mk } = await market();
    const spec = makeSpec({ experts: { trend: ["majority", "logistic", "mlp-tfjs", "gbdt", "lstm"] } });
    const segments = segmentsFor(m.dates, { purge: spec.dataset.purge });
    const ds = systemDataset(spec, { series, news, market: mk }, segments);
    const system = await fitSystem(spec, ds);
    const w = system.windows;
    // nesting: fit < inner < calibration < test, with the purge between fit and inner
    ok(w.inner !== null);
    ok(w.fit[1] < w.inner![0] && w.inner![1] < w.calibration[0], JSON.stringify(w));
    ok(w.calibration[1] < segments.test[0]);
    const cal = sessionCalendar(ds);
    equal(
      cal.indexOf(w.inner![0]) - cal.indexOf(w.fit[1]),
      spec.dataset.purge + 1,
      "purge before the inner slice",
    );
    // calibration = the validation segment less the purge before the test
    const lastValid = cal.indexOf([...cal].reverse().find((d) => d <= segments.valid[1])!);
    deepEqual(w.calibration, [cal.find((d) => d >= segments.valid[0]), cal[lastValid - spec.dataset.purge]]);

    // predict one decision date: one signal per symbol, gate weights summing to 1, the book within its limits
    const date = segments.test[1];
    const sigs = await system.predict(ds, date);
    equal(sigs.length, series.size);
    let gross = 0;
    for (const s of sigs) {
      equal(s.date, date);
      ok(["buy", "sell", "hold"].includes(s.action));
      equal(s.action === "buy", s.size > 0, `${s.symbol}: ${s.action} with weight ${s.size}`);
      ok(Math.abs(s.size) <= spec.portfolio.maxWeight + 1e-12);
      gross += Math.abs(s.size);
      ok(Math.abs(s.contributions.reduce((a, c) => a + c.weight, 0) - 1) < 1e-12);
      deepEqual(s.contributions.map((c) => c.expert), [...system.gateNames]);
      ok(Number.isFinite(s.edge) && s.dailyVol > 0);
    }
    ok(gross <= spec.portfolio.maxGross + 1e-12 && gross > 0, `gross ${gross}`);
    deepEqual(await system.predict(ds, "1999-01-04"), []);

    // serialize, load, predict the whole test segment again: bit for bit
    const test =
      nestedWindows(ds, { innerFrac: spec.dataset.innerFrac, purge: spec.dataset.purge }).rows.test;
    const before = await system.predictRows(ds, test);
    const files = await system.toArtifacts();
    ok("system.json" in files && "trend.mlp-tfjs.weights.bin" in files, Object.keys(files).join(","));
    const back = await loadSystem(files);
    samePredictions(before, await back.predictRows(ds, test));
    deepEqual(back.windows, system.windows);
    deepEqual(back.spec, system.spec);
    // the same system gives the same bytes
    const again = await back.toArtifacts();
    equal(again["system.json"], files["system.json"]);

    // through the registry on an object store
    const dir = await Deno.makeTempDir({ prefix: "fmai-wf-" });
    const stores = openEmbeddedStores(dir);
    try {
      await saveSystem(stores.objects, "trend-system", "v1", system);
      samePredictions(
        before,
        await (await loadSystemFrom(stores.objects, "trend-system", "v1")).predictRows(ds, test),
      );
      await rejects(() => loadSystemFrom(stores.objects, "trend-system", "v2"), ModelError);
    } finally {
      await stores.close();
      await Deno.remove(dir, { recursive: true });
    }
    await rejects(() => loadSystem({ "system.json": "{}" }), ModelError);

    // backtests: every strategy plus the two baselines
    const bt = backtestPredictions(ds, before, spec);
    for (const n of [...system.strategyNames, "buy-and-hold", "always-long-voltarget"]) ok(bt.has(n), n);
    deepEqual(system.gateNames, [...system.expertNames, "abstain"]);
  },
});

Deno.test("workflow: segments are the user's dates or refused, never substituted", () => {
  const cal = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09"];
  const o = { purge: 2, embargo: 0, trainFrac: 0.5, validFrac: 0.25 };
  type Dates = { train?: [string, string]; valid?: [string, string]; test?: [string, string] };
  const ok3: Dates = {
    train: ["2020-01-02", "2020-01-03"],
    valid: ["2020-01-06", "2020-01-07"],
    test: ["2020-01-08", "2020-01-09"],
  };
  // a refusal is a one-line ConfigError naming what is wrong
  const refused = (dates: Dates, why: RegExp) =>
    throws(
      () => resolveSegments(cal, { ...o, ...dates }, o),
      (e: Error) => e instanceof ConfigError && why.test(e.message),
    );
  const r = resolveSegments(cal, { ...o, ...ok3 }, o);
  equal(r.source, "dates");
  deepEqual(r.segments.test, ["2020-01-08", "2020-01-09"]);
  equal(resolveSegments(cal, o, o).source, "fractions");
  refused(
    { ...ok3, train: ["2019-12-02", "2020-01-03"] },
    /train 2019-12-02\.\.2020-01-03 starts before the data/,
  );
  refused({ ...ok3, test: ["2020-01-08", "2020-02-09"] }, /ends after the data \(last session 2020-01-09\)/);
  refused({ test: ["2020-01-08", "2020-01-09"] }, /not train, valid/);
  refused({ ...ok3, train: ["2020-01-02", "2020-01-07"] }, /ordered/);
});

Deno.test("workflow: walk-forward folds tile the test segment and keep the nesting", () => {
  const cal = Array.from(
    { length: 100 },
    (_, i) =>
      `2020-${String(1 + Math.floor(i / 28)).padStart(2, "0")}-${String(1 + (i % 28)).padStart(2, "0")}`,
  );
  const base = {
    train: [cal[0], cal[49]],
    valid: [cal[50], cal[69]],
    test: [cal[70], cal[99]],
    purge: 2,
    embargo: 0,
  } as const;
  const spec = { ...base, train: [...base.train], valid: [...base.valid], test: [...base.test] } as never;
  for (const mode of ["expanding", "rolling"] as const) {
    const folds = walkForwardFolds(cal, spec, { mode, refitEvery: 7 });
    equal(folds.length, 5); // 30 test sessions in slices of 7
    deepEqual(folds[0].segments.train, base.train);
    deepEqual(folds[0].segments.test, [cal[70], cal[76]]);
    deepEqual(folds[4].segments.test, [cal[98], cal[99]]);
    for (const f of folds) {
      const s = f.segments;
      equal(
        cal.indexOf(s.valid[1]) + 1,
        cal.indexOf(s.test[0]),
        "validation ends right before the test slice",
      );
      equal(cal.indexOf(s.valid[1]) - cal.indexOf(s.valid[0]) + 1, 20, "validation keeps its length");
      equal(cal.indexOf(s.train[0]), mode === "expanding" ? 0 : 7 * f.fold, `${mode} train start`);
      if (f.fold > 0) equal(cal.indexOf(s.test[0]), cal.indexOf(folds[f.fold - 1].segments.test[1]) + 1);
    }
  }
});

Deno.test({
  name: "workflow: walk-forward refits and predicts one continuous test, each fold nested",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { m, series, news, market: mk } = await market(6, 600);
    const spec = makeSpec({
      experts: { trend: ["majority", "logistic"] },
      walkForward: { mode: "rolling", refitEvery: 40 },
    });
    const segments = segmentsFor(m.dates, { purge: spec.dataset.purge });
    const ds = systemDataset(spec, { series, news, market: mk }, segments);
    const wf = await walkForward(spec, ds);
    ok(wf.folds.length >= 3, `${wf.folds.length} folds`);
    const testDays = [...new Set(wf.predictions.date)].sort();
    const cal = sessionCalendar(ds);
    const expected = cal.filter((d) => d >= segments.test[0] && d <= segments.test[1]);
    deepEqual(testDays, expected.filter((d) => testDays.includes(d)));
    ok(testDays.length >= expected.length - 2, "the whole test segment is predicted");
    for (const f of wf.folds) {
      ok(f.windows.calibration[1] < f.segments.test[0], `fold ${f.fold}: calibration before its test`);
      ok(f.windows.fit[1] < f.windows.calibration[0], `fold ${f.fold}: fit before calibration`);
    }
    equal(
      new Set(wf.folds.map((f) => f.windows.calibration[0])).size,
      wf.folds.length,
      "each fold recalibrates",
    );
    const off = await walkForward({ ...spec, walkForward: { mode: "off", refitEvery: 21 } }, ds);
    equal(off.folds.length, 1);
    equal(off.predictions.rows.length, wf.predictions.rows.length);
  },
});
