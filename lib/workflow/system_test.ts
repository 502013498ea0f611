import { deepEqual, equal, notDeepEqual, ok, rejects, throws } from "node:assert/strict";
import { barKnownAt, ConfigError, ModelError } from "../core/mod.ts";
import {
  type Dataset,
  rowsBetween,
  rowsOnDate,
  segmentsFor,
  sessionCalendar,
  type SymbolSeries,
  syntheticMarketContext,
  toSeries,
} from "../dataset/mod.ts";
import { createSyntheticMarket } from "../sources/mod.ts";
import { openEmbeddedStores } from "../store/mod.ts";
import {
  actionAndConfidence,
  backtestPredictions,
  bookSignals,
  EDGE_FULL_CONFIDENCE,
  fitSystem,
  loadSystem,
  loadSystemFrom,
  makeSpec,
  nestedWindows,
  resolveSegments,
  saveSystem,
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

/** The bars of a 500-session synthetic market of `symbols` names (to edit before building series). */
async function marketBars(symbols: number) {
  const m = createSyntheticMarket({ seed: 9, symbols, sessions: 500 });
  return { m, bars: await m.bars({ symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] }) };
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
    // a risk limit that is configured but never binds leaves every size as it is (its longer rebuilt path starts
    // the risk model's history where the plain one does)
    const idle = { ...spec.portfolio, risk: { drawdownBrake: { threshold: 0.99, scale: 0.5 } } };
    deepEqual(
      (await system.predict(ds, date, { portfolio: idle })).map((s) => [s.symbol, s.size]),
      sigs.map((s) => [s.symbol, s.size]),
    );

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
    // the mixture through other sizing settings: a row per name, equal to a system whose spec sizes that way
    const tilt = { ...spec.portfolio, method: "tilt" as const, tilt: 1 };
    const more = backtestPredictions(ds, before, spec, { moeBooks: { "moe (tilt 1)": tilt } });
    deepEqual([...more.keys()].filter((k) => !bt.has(k)), ["moe (tilt 1)"]);
    const direct = backtestPredictions(ds, before, { ...spec, portfolio: tilt }).get("moe")!;
    deepEqual(more.get("moe (tilt 1)")!.returns, direct.returns);
    notDeepEqual(direct.returns, bt.get("moe")!.returns);
    throws(
      () => backtestPredictions(ds, before, spec, { moeBooks: { x: { ...spec.portfolio, tilt: 1 } } }),
      /tilt/,
    );
    deepEqual(system.gateNames, [...system.expertNames, "abstain"]);
    const sp = system.gateSpecialists;
    equal(sp.alpha.length, system.expertNames.length);
    equal(sp.beta.length, system.expertNames.length);
    ok(sp.beta.every((b) => b >= 0 && Number.isFinite(b)), "slopes are clipped at 0");
  },
});

Deno.test({
  name:
    "workflow: a ranking book left with one name that has a volatility forecast is refused before the trend fits",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { m, bars } = await marketBars(3);
    const series = new Map<string, SymbolSeries>();
    // SYN01 and SYN02 list in the validation segment: no train returns, so no volatility forecast
    for (const s of m.symbols) {
      series.set(
        s,
        toSeries(s === m.symbols[0] ? bars.get(s)! : bars.get(s)!.filter((b) => b.date >= m.dates[380])),
      );
    }
    const spec = makeSpec({ experts: { trend: ["majority"] } });
    const ds = systemDataset(
      spec,
      { series, news: [], market: syntheticMarketContext(series) },
      segmentsFor(m.dates, { purge: spec.dataset.purge }),
    );
    const train = ds.segments.train.join("..");
    ok(m.dates[380] > ds.segments.train[1]);
    await rejects(() => fitSystem(spec, ds), (e: Error) => {
      ok(e instanceof ConfigError, String(e));
      equal(
        e.message,
        `portfolio.method topk-dropout ranks names against each other and needs at least 2 symbols with a ` +
          `volatility forecast, got 1: SYN01, SYN02 have fewer than 30 returns in their train rows (train ` +
          `segment ${train}; a symbol's rows start after the feature warm-up: listed later, or too short a ` +
          `history), so nothing would ever be held; start the train segment later, choose symbols with a longer ` +
          `history, or use portfolio.method: kelly (each name sized on its own edge)`,
      );
      return true;
    });
    // each name sized on its own edge: the one forecastable name is traded
    const kelly = makeSpec({ experts: { trend: ["majority"] }, portfolio: { method: "kelly" } });
    const sigs = await (await fitSystem(kelly, ds)).predict(ds, ds.segments.test[1]);
    deepEqual(sigs.map((s) => [s.symbol, s.untradable === undefined]), [
      ["SYN00", true],
      ["SYN01", false],
      ["SYN02", false],
    ]);
  },
});

Deno.test({
  name:
    "workflow: calibration reads one session's traded return, not a move across a hole in a symbol's bars",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { m, bars } = await marketBars(4);
    const spec = makeSpec({ experts: { trend: ["majority"] } });
    const segments = segmentsFor(m.dates, { purge: spec.dataset.purge });
    // SYN01 has no bars for 10 sessions inside the validation segment, and reopens 40% higher
    const mid = m.dates.findIndex((d) => d >= segments.valid[0]) + 20;
    const gap = new Set(m.dates.slice(mid, mid + 10));
    ok(m.dates[mid + 10] < segments.valid[1]);
    const series = new Map<string, SymbolSeries>();
    for (const s of m.symbols) {
      const b = s === "SYN01"
        ? bars.get(s)!.filter((x) => !gap.has(x.date)).map((x) =>
          x.date > m.dates[mid]
            ? {
              ...x,
              open: x.open * 1.4,
              high: x.high * 1.4,
              low: x.low * 1.4,
              close: x.close * 1.4,
              adjClose: x.adjClose * 1.4,
            }
            : x
        )
        : bars.get(s)!;
      series.set(s, toSeries(b));
    }
    const ds = systemDataset(spec, { series, news: [], market: syntheticMarketContext(series) }, segments);
    // the rows whose traded return spans the hole: SYN01's last two before it
    const spans = [...Array(ds.n).keys()].filter((r) =>
      ds.symbol[r] === "SYN01" && ds.date[r] < m.dates[mid] && ds.date[r] >= m.dates[mid - 2]
    );
    equal(spans.length, 2);
    ok(
      spans.some((r) => ds.labels.fwdOpenReturn[r] > 0.3),
      "the move across the hole is in the traded label",
    );
    // the same data with those two labels unknown: the same calibrators, gate and edges
    const blanked = { ...ds, labels: { ...ds.labels, fwdOpenReturn: ds.labels.fwdOpenReturn.slice() } };
    for (const r of spans) blanked.labels.fwdOpenReturn[r] = NaN;
    const a = JSON.parse((await (await fitSystem(spec, ds)).toArtifacts())["system.json"] as string);
    const b = JSON.parse((await (await fitSystem(spec, blanked)).toArtifacts())["system.json"] as string);
    deepEqual(a, b);
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
  // gaps the user leaves between the segments keep their length in every fold (they move with the boundaries)
  const gapped = {
    ...base,
    train: [cal[0], cal[29]],
    valid: [cal[40], cal[59]],
    test: [cal[70], cal[99]],
  } as never;
  for (const mode of ["expanding", "rolling"] as const) {
    const folds = walkForwardFolds(cal, gapped, { mode, refitEvery: 7 });
    equal(folds.length, 5);
    for (const f of folds) {
      const [t0, t1, v0, v1, s0] = [...f.segments.train, ...f.segments.valid, f.segments.test[0]].map((d) =>
        cal.indexOf(d)
      );
      equal(v1 - v0 + 1, 20, `fold ${f.fold}: validation keeps its length`);
      equal(s0 - v1, 11, `fold ${f.fold}: the gap before the test is kept`);
      equal(v0 - t1, 11, `fold ${f.fold}: the gap before the validation is kept`);
      equal(t0, mode === "expanding" ? 0 : 7 * f.fold, `${mode} train start`);
      equal(t1 - t0 + 1, mode === "expanding" ? 30 + 7 * f.fold : 30, `${mode} train length`);
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

/** The last `n` sessions of a series (a name that joined the universe late). */
function lastSessions(s: SymbolSeries, n: number): SymbolSeries {
  const a = s.dates.length - n;
  return {
    symbol: s.symbol,
    dates: s.dates.slice(a),
    open: s.open.slice(a),
    high: s.high.slice(a),
    low: s.low.slice(a),
    close: s.close.slice(a),
    adjClose: s.adjClose.slice(a),
    volume: s.volume.slice(a),
    ...(s.knownAt ? { knownAt: s.knownAt.slice(a) } : {}),
  };
}

Deno.test("workflow: action and confidence come from the edge the book decided on", () => {
  const full = EDGE_FULL_CONFIDENCE;
  // held long on a positive decision edge: confidence from that edge, whatever the absolute edge
  deepEqual(actionAndConfidence(0.25, full / 2), { action: "buy", confidence: 0.5 });
  deepEqual(actionAndConfidence(0.25, 3 * full), { action: "buy", confidence: 1 });
  // never full confidence against the action
  deepEqual(actionAndConfidence(0.25, -0.41), { action: "buy", confidence: 0 });
  deepEqual(actionAndConfidence(-0.1, 0.2), { action: "sell", confidence: 0 });
  // flat: sell below the day's mean, hold above it
  deepEqual(actionAndConfidence(0, -2 * full), { action: "sell", confidence: 1 });
  deepEqual(actionAndConfidence(0, full / 4), { action: "hold", confidence: 0.25 });
  deepEqual(actionAndConfidence(0, NaN), { action: "hold", confidence: 0 });
});

Deno.test({
  name: "workflow: a symbol without fitted state is not tradable; the gate sees no VIX not yet public; " +
    "confidence follows the book's decision",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { m, series, news } = await market(7, 700);
    const syms = [...series.keys()];
    const late = syms[6];
    const fitted = new Map(syms.slice(0, 6).map((s) => [s, series.get(s)!]));
    const ctx = syntheticMarketContext(fitted);
    // a VIX published like the real one: 16:15 New York, after the 16:00 decision
    const mk = { ...ctx, vixKnownAt: Float64Array.from(ctx.dates, (d) => barKnownAt("^VIX", d)) };
    const spec = makeSpec({ experts: { trend: ["majority", "logistic"] } });
    const segments = segmentsFor(m.dates, { purge: spec.dataset.purge });
    const ds = systemDataset(spec, { series: fitted, news, market: mk }, segments);
    const system = await fitSystem(spec, ds);
    const days = sessionCalendar(ds), t = days[days.length - 1], prev = days[days.length - 2];

    // look-ahead: the gate's input at the decision of t holds the VIX of t-1, not the VIX of t (public 16:15)
    // (the dataset's market context, with the publication times the builder resolved)
    const withVix = (d: string, factor: number): Dataset => {
      const vix = Float64Array.from(ds.market!.vix!);
      vix[ds.market!.dates.indexOf(d)] *= factor;
      return { ...ds, market: { ...ds.market!, vix } };
    };
    const onT = rowsOnDate(ds, t);
    const base = await system.predictRows(ds, onT);
    samePredictions(base, await system.predictRows(withVix(t, 3), onT));
    notDeepEqual(
      (await system.predictRows(withVix(prev, 3), onT)).gate.weights,
      base.gate.weights,
      "the VIX of t-1 is what the gate sees at t",
    );
    // a row's prediction does not depend on which rows of its day were asked for
    const two = await system.predictRows(ds, onT.slice(0, 2));
    sameFloats(two.score, base.score.slice(0, 2), "score of a partial day");
    // nor on which other days were asked for: the gate's reliability window is the dataset's sessions before it
    const withEarlier = await system.predictRows(
      ds,
      Int32Array.from([...rowsOnDate(ds, days[days.length - 12]), ...onT]),
    );
    sameFloats(
      withEarlier.score.slice(-onT.length),
      base.score,
      "score of a day asked for with an earlier one",
    );

    // a symbol that joins the universe after the fit: in the data, not in the fitted system
    const universe = new Map([...fitted, [late, lastSessions(series.get(late)!, 150)]]);
    const ds2 = systemDataset(spec, { series: universe, news, market: mk }, segments);
    const test = rowsBetween(ds2, segments.test[0], t);
    const pred = await system.predictRows(ds2, test);
    let lateRows = 0;
    pred.symbol.forEach((sym, i) => {
      if (sym !== late) {
        equal(pred.untradable[i], null, `${sym} ${pred.date[i]}`);
        ok(Number.isFinite(pred.score[i]), `${sym} ${pred.date[i]}`);
        return;
      }
      lateRows++;
      ok(/not in the fitted garch11 model/.test(pred.untradable[i] ?? ""), String(pred.untradable[i]));
      ok(Number.isNaN(pred.dailyVol[i]));
      for (const [name, e] of pred.edges) {
        ok(Number.isNaN(e[i]), `${name} of ${late} on ${pred.date[i]}: ${e[i]}`);
      }
    });
    ok(lateRows > 20, `${lateRows} rows of ${late}`);
    const { panels, portfolio } = system.book(ds2, pred);
    const S = panels.symbols.length, col = panels.symbols.indexOf(late);
    for (let d = 0; d < panels.dates.length; d++) equal(portfolio.weights[d * S + col], 0);
    const sigs = await system.predict(ds2, t);
    const s = sigs.find((x) => x.symbol === late)!;
    equal(s.action, "hold");
    equal(s.size, 0);
    equal(s.confidence, 0);
    ok(Number.isNaN(s.edge) && Number.isNaN(s.decisionEdge));
    ok(/refit the system to trade it/.test(s.untradable ?? ""), String(s.untradable));
    ok(sigs.filter((x) => x.symbol !== late).every((x) => x.untradable === undefined));

    // confidence and action from the book's decision edge: the edge relative to the day's mean (top-k)
    const all = bookSignals(pred, portfolio);
    let buys = 0;
    for (const day of new Set(pred.date)) {
      const today = all.filter((x) => x.date === day && x.untradable === undefined);
      const mean = today.reduce((a, x) => a + x.edge, 0) / today.length;
      for (const x of today) {
        ok(Math.abs(x.decisionEdge - (x.edge - mean)) < 1e-12, `${x.symbol} ${day}`);
        const c = Math.min(1, Math.abs(x.decisionEdge) / EDGE_FULL_CONFIDENCE);
        if (x.action === "buy") {
          buys++;
          ok(x.size > 0 && x.decisionEdge > 0, `${x.symbol} ${day}: buy on ${x.decisionEdge}`);
        } else if (x.action === "sell") {
          ok(x.decisionEdge < 0, `${x.symbol} ${day}: sell on ${x.decisionEdge}`);
        } else ok(x.size === 0 && x.decisionEdge >= 0, `${x.symbol} ${day}: hold on ${x.decisionEdge}`);
        equal(x.confidence, c, `${x.symbol} ${day}`);
      }
    }
    ok(buys > 0);
  },
});
