/**
 * Folder-private study behind the numbers of the issue note (not a test): on `plantedRegimeMarket(seed)` for
 * several seeds, the market-neutral Sharpe ratio on days 800.. of the regime gate, each single expert, a fixed
 * mix (the gate with one constant condition) and an oracle that knows the true regime (momentum calibrated on
 * the calm days, reversal on the stressed days); plus the gate's mean weights per true regime.
 * Run: `deno run -A lib/moe/_regime_study.ts [seeds...]`.
 * @module
 */
import { EdgeCalibrator } from "../models/mod.ts";
import { crossFitEdges, ExpertCalibration } from "./experts.ts";
import { RegimeGate } from "./gate.ts";
import { expertReliability, withColumns } from "./regime.ts";
import { edgeSharpe, regimeRows, rowsBetween, take } from "./planted.ts";

const NAMES = ["market", "momentum", "reversal"];
const seeds = Deno.args.length ? Deno.args.map(Number) : [1, 2, 3, 4, 5];
console.log(
  "| seed | momentum | reversal | fixed mix | gate | oracle | gate/oracle | weights calm (mkt/mom/rev/abs) | weights stressed |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const seed of seeds) {
  const x = await regimeRows(seed);
  const cal = rowsBetween(x, 70, 800), test = rowsBetween(x, 800, x.days);
  const rd = (rows: Int32Array) => Int32Array.from(rows, (i) => x.rowDay[i]);
  const ec = new ExpertCalibration(NAMES).fit(x.raw.map((r) => take(r, cal)), take(x.z, cal));
  const edges = ec.edges(x.raw);
  const cond = withColumns(
    x.conditions,
    NAMES.map((n) => `rel_${n}`),
    expertReliability(x.rowDay, edges, x.z, x.days),
  );
  const oof = crossFitEdges(NAMES, x.raw.map((r) => take(r, cal)), take(x.z, cal), rd(cal));
  const te = edges.map((e) => take(e, test)), tz = take(x.z, test), td = rd(test);
  const fit = async (c: { names: string[]; values: Float64Array }) => {
    const g = new RegimeGate(c.names, NAMES);
    await g.fit({ conditions: c.values, rowDay: rd(cal), edges: oof }, take(x.z, cal), x.days);
    return g.combine({ conditions: c.values, rowDay: td, edges: te }, x.days);
  };
  const gate = await fit(cond);
  const fixed = await fit({ names: ["const"], values: new Float64Array(x.days) });
  // oracle: the true regime, each expert calibrated on its own regime's calibration days
  const oracle = new Float64Array(test.length);
  for (const [k, regime] of [[1, 0], [2, 1]] as const) {
    const rows = Int32Array.from([...cal].filter((i) => x.regime[x.rowDay[i]] === regime));
    const c = new EdgeCalibrator({ center: true }).fit(take(x.raw[k], rows), take(x.z, rows));
    test.forEach((i, j) => {
      if (x.regime[x.rowDay[i]] === regime) oracle[j] = c.predict([x.raw[k][i]])[0];
    });
  }
  const s = (e: Float64Array) => edgeSharpe(e, tz, td);
  const w = (regime: number) => {
    const acc = [0, 0, 0, 0];
    let n = 0;
    for (let d = 800; d < x.days - 2; d++) {
      if (x.regime[d] !== regime) continue;
      n++;
      for (let k = 0; k < 4; k++) acc[k] += gate.weights[d * 4 + k];
    }
    return acc.map((v) => (v / n).toFixed(2)).join("/");
  };
  const g = s(gate.edge), o = s(oracle);
  console.log(
    `| ${seed} | ${s(te[1]).toFixed(2)} | ${s(te[2]).toFixed(2)} | ${s(fixed.edge).toFixed(2)} | ${
      g.toFixed(2)
    } | ` +
      `${o.toFixed(2)} | ${(g / o).toFixed(2)} | ${w(0)} | ${w(1)} |`,
  );
}
