import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { regimeAttribution } from "./attribution.ts";

const near = (a: number, b: number, tol = 1e-12) => ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

Deno.test("regime attribution: mean weights per regime and an exact split of each row's P&L", () => {
  // 3 days (calm, stressed, calm), outputs a, b, abstain; 2 rows a day
  const weights = new Float64Array([0.6, 0.2, 0.2, 0.1, 0.7, 0.2, 0.4, 0.4, 0.2]);
  const rowDay = Int32Array.from([0, 0, 1, 1, 2, 2]);
  const ca = new Float64Array([0.3, 0.1, 0.0, -0.05, 0.2, 0.001]);
  const cb = new Float64Array([0.1, 0.1, 0.2, 0.15, 0.0, -0.001]);
  const pnl = new Float64Array([0.04, -0.02, 0.01, 0.02, NaN, 0.005]);
  const a = regimeAttribution({
    outputNames: ["a", "b", "abstain"],
    weights,
    dayRegime: ["calm", "stressed", "calm"],
    rowDay,
    contributions: [ca, cb],
    pnl,
  });
  deepEqual(a.regimes, ["calm", "stressed"]);
  deepEqual(a.days, [2, 1]);
  near(a.meanWeight[0][0], 0.5);
  near(a.meanWeight[1][1], 0.7);
  // calm: row 0 split 0.75/0.25, row 1 0.5/0.5, row 5 cancels (|ê| ~ 0) -> split by |c| 0.5/0.5
  near(a.pnl[0][0], 0.04 * 0.75 - 0.02 * 0.5 + 0.005 * 0.5);
  near(a.pnl[0][1], 0.04 * 0.25 - 0.02 * 0.5 + 0.005 * 0.5);
  // stressed: row 2 all b; row 3 -0.05 / 0.1 and 0.15 / 0.1
  near(a.pnl[1][0], 0.02 * -0.5);
  near(a.pnl[1][1], 0.01 + 0.02 * 1.5);
  // parts add up to the total P&L
  near(a.pnl.flat().reduce((s, v) => s + v, 0), 0.04 - 0.02 + 0.01 + 0.02 + 0.005);
  near(a.annualized[0][0], (a.pnl[0][0] / 3) * 252);
  equal(a.table.rows.length, 6);
  deepEqual(a.table.rows[2].slice(0, 2), ["calm", "abstain"]);
  throws(
    () =>
      regimeAttribution({ outputNames: ["a"], weights, dayRegime: ["x"], rowDay, contributions: [ca], pnl }),
    RangeError,
  );
});

Deno.test("regime attribution, relative: an expert that gives every name of a day the same contribution is credited nothing", () => {
  // 2 days of 3 names; `market` is the same for every name of a day (the drift), `trend` ranks them
  const rowDay = Int32Array.from([0, 0, 0, 1, 1, 1]);
  const market = new Float64Array([0.8, 0.8, 0.8, 0.5, 0.5, 0.5]);
  const trend = new Float64Array([0.3, 0.0, -0.3, 0.1, 0.0, -0.1]);
  // a top-1 book: the best name by relative edge each day
  const pnl = new Float64Array([0.02, 0, 0, -0.01, 0, 0]);
  const base = {
    outputNames: ["market", "trend"],
    weights: new Float64Array([0.5, 0.5, 0.5, 0.5]),
    dayRegime: ["calm", "calm"],
    rowDay,
    contributions: [market, trend],
    pnl,
  };
  const rel = regimeAttribution({ ...base, relative: true });
  near(rel.pnl[0][0], 0);
  near(rel.pnl[0][1], 0.02 - 0.01);
  // on the edges themselves (a book sized on each name's own edge) the drift takes most of it
  const abs = regimeAttribution(base);
  near(abs.pnl[0][0], 0.02 * (0.8 / 1.1) - 0.01 * (0.5 / 0.6));
  near(abs.pnl[0][0] + abs.pnl[0][1], 0.01);
});
