import { ok } from "node:assert/strict";
import { backtest } from "./backtest.ts";
import { openToOpenReturns } from "./panel.ts";
import { MoeCombiner, trendExpertScores, volatilityExpertScores } from "../moe/mod.ts";
import { positionsFromScores } from "../signals/mod.ts";
import { gaussian, mulberry32 } from "../core/mod.ts";

Deno.test("null test: a MoE fitted on a random walk with uninformative experts shows no edge beyond costs", () => {
  const r = mulberry32(99), S = 40, TV = 250, TT = 500, T = TV + TT;
  // Panels (T x S): open-to-open returns of random walks; experts that know nothing.
  const ret = new Float64Array(T * S), trend = new Float64Array(T * S), vol = new Float64Array(T * S);
  const cond = new Float64Array(T * S * 2);
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
    vol[i] = 0.2 * Math.exp(0.3 * gaussian(r));
    cond[2 * i] = r();
    cond[2 * i + 1] = gaussian(r);
  }
  trend.set(trendExpertScores(probs));
  const volScore = volatilityExpertScores(vol, new Float64Array(T * S).fill(0.2));
  const level = new Float64Array(T * S).map(() => 0.5 * (r() - 0.5));
  const V = TV * S;
  const moe = new MoeCombiner(["u", "z"]).fit({
    expertScores: [trend.subarray(0, V), level.subarray(0, V), volScore.subarray(0, V)],
    conditions: cond.subarray(0, 2 * V),
  }, ret.subarray(0, V));
  const out = moe.predict({
    expertScores: [trend.subarray(V), level.subarray(V), volScore.subarray(V)],
    conditions: cond.subarray(2 * V),
  });
  const positions = positionsFromScores(out.score, vol.subarray(V), { threshold: 0.02, fullScore: 0.2 });
  const dates = Array.from({ length: TT }, (_, t) => String(t).padStart(4, "0"));
  const symbols = Array.from({ length: S }, (_, s) => `S${s}`);
  const bt = backtest({ dates, symbols, positions, returns: ret.subarray(V) });
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
});
