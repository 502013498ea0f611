import { ok } from "node:assert/strict";
import { backtest } from "./backtest.ts";
import { openToOpenReturns } from "./panel.ts";
import { crossFitEdges, ExpertCalibration, marketExpertScores, RegimeGate } from "../moe/mod.ts";
import { positionsFromScores, scoresFromProbs } from "../signals/mod.ts";
import { gaussian, mulberry32 } from "../core/mod.ts";

Deno.test(
  "null test: the calibrated mixture (expert calibration + regime gate) fitted on a random walk with " +
    "uninformative experts shows no edge beyond costs",
  async () => {
    const r = mulberry32(99), S = 40, TV = 250, TT = 500, T = TV + TT;
    // Panels (T x S, row t*S+s): open-to-open returns of random walks; experts that know nothing.
    const ret = new Float64Array(T * S);
    for (let s = 0; s < S; s++) {
      const opens = new Float64Array(T + 2);
      let o = 50;
      for (let t = 0; t < T + 2; t++) opens[t] = o *= Math.exp(0.02 * gaussian(r));
      const rs = openToOpenReturns(opens);
      for (let t = 0; t < T; t++) ret[t * S + s] = rs[t];
    }
    const probs = new Float64Array(3 * T * S);
    for (let i = 0; i < T * S; i++) {
      const a = r() + 1, b = r() + 1, c = r() + 1;
      probs.set([a / (a + b + c), b / (a + b + c), c / (a + b + c)], 3 * i);
    }
    const z = Float64Array.from(ret, (v) => v / 0.02); // outcome in units of the (known) daily sd
    const names = ["market", "trend", "level"];
    const raw = [
      marketExpertScores(z),
      scoresFromProbs(probs),
      new Float64Array(T * S).map(() => 0.5 * (r() - 0.5)),
    ];
    const conditions = Float64Array.from({ length: T * 2 }, () => gaussian(r)); // per day
    const V = TV * S;
    const rowDay = Int32Array.from({ length: T * S }, (_, i) => Math.floor(i / S));
    const cal = <A extends Float64Array | Int32Array>(a: A) => a.subarray(0, V) as A;
    const test = <A extends Float64Array | Int32Array>(a: A) => a.subarray(V) as A;
    const edges = new ExpertCalibration(names).fit(raw.map(cal), cal(z)).edges(raw);
    const oof = crossFitEdges(names, raw.map(cal), cal(z), cal(rowDay));
    const gate = new RegimeGate(["u", "z"], names);
    await gate.fit({ conditions, rowDay: cal(rowDay), edges: oof }, cal(z), T);
    const out = gate.combine({ conditions, rowDay: test(rowDay), edges: edges.map(test) }, T);
    // any non-zero edge trades at full size in its direction, so the book trades whatever the gate says
    const positions = positionsFromScores(out.edge, undefined, { threshold: 0, fullScore: 1e-6 });
    const dates = Array.from({ length: TT }, (_, t) => String(t).padStart(4, "0"));
    const symbols = Array.from({ length: S }, (_, s) => `S${s}`);
    const bt = backtest({ dates, symbols, positions, returns: test(ret) });
    const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;
    const se = (a: Float64Array) => {
      const m = mean(a);
      return Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1) / a.length);
    };
    ok(
      bt.metrics.exposure > 0.05,
      `the strategy must trade to test anything (exposure ${bt.metrics.exposure})`,
    );
    // Before costs: no edge (|mean| < 4 standard errors). After costs: mean = -cost x turnover (no hidden gain).
    ok(Math.abs(mean(bt.gross)) < 4 * se(bt.gross), `gross mean ${mean(bt.gross)} se ${se(bt.gross)}`);
    const costPerDay = 5e-4 * bt.metrics.turnover;
    ok(
      Math.abs(mean(bt.returns) + costPerDay) < 4 * se(bt.returns),
      `net ${mean(bt.returns)} vs -costs ${-costPerDay}`,
    );
  },
);
