import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { normalRng } from "../core/mod.ts";
import { crossFitEdges, ExpertCalibration, marketExpertScores } from "./experts.ts";
import { fillMissingEdges, RegimeGate } from "./gate.ts";
import { expertReliability, withColumns } from "./regime.ts";
import { edgeSharpe, type RegimeRows, regimeRows, rowsBetween, take } from "./planted.ts";

const NAMES = ["market", "momentum", "reversal"];

/**
 * The workflow on a planted-regime market: experts calibrated on days 70..799, the gate fitted there on
 * out-of-fold edges with the market conditions and the experts' recent reliability, everything judged on days
 * 800.. by the Sharpe ratio of a market-neutral book holding each row's edge.
 */
async function fitOn(x: RegimeRows, conditions?: { names: string[]; values: Float64Array }) {
  const cal = rowsBetween(x, 70, 800), test = rowsBetween(x, 800, x.days);
  const rd = (rows: Int32Array) => Int32Array.from(rows, (i) => x.rowDay[i]);
  const ec = new ExpertCalibration(NAMES).fit(x.raw.map((r) => take(r, cal)), take(x.z, cal));
  const edges = ec.edges(x.raw);
  const rel = expertReliability(x.rowDay, edges, x.z, x.days);
  const cond = conditions ?? withColumns(x.conditions, NAMES.map((n) => `rel_${n}`), rel);
  const oof = crossFitEdges(NAMES, x.raw.map((r) => take(r, cal)), take(x.z, cal), rd(cal));
  const gate = new RegimeGate(cond.names, NAMES);
  const report = await gate.fit(
    { conditions: cond.values, rowDay: rd(cal), edges: oof },
    take(x.z, cal),
    x.days,
  );
  const te = edges.map((e) => take(e, test));
  const out = gate.combine({ conditions: cond.values, rowDay: rd(test), edges: te }, x.days);
  const tz = take(x.z, test), td = rd(test);
  return { gate, report, out, te, tz, td, cond };
}

Deno.test("regime gate routes by regime on a planted market: beats every single expert and a fixed mix", async () => {
  const x = await regimeRows(1);
  const r = await fitOn(x);
  const sharpe = (e: Float64Array) => edgeSharpe(e, r.tz, r.td);
  const gate = sharpe(r.out.edge);
  const singles = r.te.map(sharpe);
  // a fixed mix: the same gate with one constant condition (weights cannot depend on the day)
  const fixed = await fitOn(x, { names: ["const"], values: new Float64Array(x.days) });
  const mix = sharpe(fixed.out.edge);
  const msg = `gate ${gate.toFixed(2)}, singles ${singles.map((s) => s.toFixed(2))}, fixed mix ${
    mix.toFixed(2)
  }`;
  for (const s of singles) ok(gate > s + 1, msg);
  ok(gate > mix + 1, msg);
  // routing: momentum carries the calm days, reversal gets its weight in stress
  const w = r.out.weights, out = 4;
  const mean = (k: number, regime: number) => {
    let s = 0, n = 0;
    for (let d = 800; d < x.days - 2; d++) if (x.regime[d] === regime) [s, n] = [s + w[d * out + k], n + 1];
    return s / n;
  };
  ok(mean(1, 0) > mean(1, 1) + 0.3, `momentum weight calm ${mean(1, 0)} vs stressed ${mean(1, 1)}`);
  ok(mean(2, 1) > mean(2, 0) + 0.1, `reversal weight stressed ${mean(2, 1)} vs calm ${mean(2, 0)}`);
  ok(
    r.report.loss < r.report.abstainLoss * 0.99,
    `fit loss ${r.report.loss} vs abstain ${r.report.abstainLoss}`,
  );
  // bit-for-bit reload, and the same fit again gives the same gate (fixed seed, same backend)
  const back = RegimeGate.fromJSON(JSON.parse(JSON.stringify(r.gate.toJSON())));
  deepEqual(back.combine({ conditions: r.cond.values, rowDay: r.td, edges: r.te }, x.days), r.out);
  const again = await fitOn(x);
  deepEqual(again.gate.toJSON().layers, r.gate.toJSON().layers);
});

Deno.test("regime gate abstains on pure noise and finds nothing in shuffled returns", async () => {
  const g = normalRng(5), D = 600, S = 40, m = 6, n = D * S;
  const rowDay = Int32Array.from({ length: n }, (_, i) => Math.floor(i / S));
  const z = Float64Array.from({ length: n }, () => g());
  const raw = [marketExpertScores(z), Float64Array.from(z, () => g()), Float64Array.from(z, () => g())];
  const cond = Float64Array.from({ length: D * m }, () => g());
  const cal = Int32Array.from({ length: 400 * S }, (_, i) => i);
  const calDay = Int32Array.from(cal, (i) => rowDay[i]);
  const oof = crossFitEdges(NAMES, raw.map((r) => take(r, cal)), take(z, cal), calDay);
  const gate = new RegimeGate(["c1", "c2", "c3", "c4", "c5", "c6"], NAMES);
  const rep = await gate.fit({ conditions: cond, rowDay: calDay, edges: oof }, take(z, cal), D);
  const w = gate.weights(cond, D);
  let abstain = 0;
  for (let d = 400; d < D; d++) abstain += w[d * 4 + 3] / 200;
  ok(abstain > 0.5, `mean abstain weight on noise ${abstain}`);
  ok(
    (rep.abstainLoss - rep.loss) / rep.abstainLoss < 0.002,
    `in-sample gain over abstaining ${rep.abstainLoss - rep.loss}`,
  );
  // shuffled outcomes of the planted market: the market-neutral book is at chance
  const x = await regimeRows(1, { shuffleOutcomes: true });
  const r = await fitOn(x);
  const s = edgeSharpe(r.out.edge, r.tz, r.td);
  ok(Math.abs(s) < 1.5, `Sharpe on shuffled returns ${s}`); // se about 0.6 over 2.7 years
  throws(() => new RegimeGate(["a"], []), RangeError);
  throws(() => gate.weights(new Float64Array(3), 1), RangeError);
  equal(gate.outputNames.at(-1), "abstain");
});

Deno.test("regime gate: a missing expert view is neutral within its day, not a zero that lifts a name above its peers", () => {
  // three names on day 0, two on day 1; the market expert's edge is the same for every name of a day (negative
  // here) and name 2 has no market view on day 0; the trend expert has no view at all on day 1
  const rowDay = Int32Array.from([0, 0, 0, 1, 1]);
  const market = Float64Array.from([-0.3, -0.3, NaN, -0.2, -0.2]);
  const trend = Float64Array.from([0.1, 0.1, 0.1, NaN, NaN]);
  const [m, t] = fillMissingEdges([market, trend], rowDay, 2);
  deepEqual(Array.from(m), [-0.3, -0.3, -0.3, -0.2, -0.2]);
  ok(Number.isNaN(t[3]) && Number.isNaN(t[4]), "no row of the day has a view: none is made up");
  ok(Number.isNaN(market[2]), "the input is not changed");
  // a gate with equal weights on (market, trend, abstain): name 2 combines like its peers with the same views
  const gate = RegimeGate.fromJSON({
    kind: "regime-gate",
    conditionNames: ["c"],
    expertNames: ["market", "trend"],
    abstain: true,
    hidden: [1],
    mean: [0],
    std: [1],
    alpha: [0, 0],
    beta: [1, 1],
    layers: [{ kernel: [0], bias: [0], in: 1, out: 1 }, {
      kernel: [0, 0, 0],
      bias: [0, 0, 0],
      in: 1,
      out: 3,
    }],
    report: null,
  });
  const out = gate.combine({ conditions: new Float64Array(2), rowDay, edges: [market, trend] }, 2);
  equal(out.edge[2], out.edge[0], "the name without a market view does not outrank its peers");
  ok(Math.abs(out.edge[0] - (-0.3 + 0.1) / 3) < 1e-15, `${out.edge[0]}`);
  equal(out.contributions[0][2], out.contributions[0][0]);
  ok(Math.abs(out.edge[3] - -0.2 / 3) < 1e-15, "a day with no trend view: trend carries 0");
  // every edge finite: nothing changes
  const full = [Float64Array.from([1, 2, 3, 4, 5])];
  equal(fillMissingEdges(full, rowDay, 2)[0], full[0]);
});
