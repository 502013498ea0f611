import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { normalRng } from "../core/mod.ts";
import { constructPortfolio, type PortfolioInput } from "./portfolio.ts";
import {
  brakeState,
  drawdownBrakeHook,
  resolveRiskLimits,
  riskLimitHooks,
  varLimitHook,
} from "./risk_limits.ts";

/** S names, one factor; daily sd `sd(t)`, drift `mu(t)`; the traded outcome of a decision at t is the next day's return. */
function market(
  T: number,
  S: number,
  sd: (t: number) => number,
  mu: (t: number) => number = () => 0,
): PortfolioInput {
  const g = normalRng(5), history = new Float64Array(T * S), outcomes = new Float64Array(T * S).fill(NaN);
  for (let t = 0; t < T; t++) {
    const f = g();
    for (let s = 0; s < S; s++) history[t * S + s] = mu(t) + sd(t) * (0.7 * f + 0.7 * g());
  }
  for (let t = 0; t + 1 < T; t++) for (let s = 0; s < S; s++) outcomes[t * S + s] = history[(t + 1) * S + s];
  const dates = Array.from(
    { length: T },
    (_, t) => new Date(Date.UTC(2000, 0, 3) + t * 86_400_000).toISOString().slice(0, 10),
  );
  return {
    dates,
    symbols: Array.from({ length: S }, (_, s) => `S${s}`),
    edge: new Float64Array(T * S).fill(1),
    dailyVol: new Float64Array(T * S).fill(NaN), // the risk model's own estimate
    history,
    outcomes,
    firstDecision: 60,
  };
}

const LONG = {
  method: "always-long" as const,
  weighting: "equal" as const,
  targetVol: 0.4,
  maxGross: 2,
  maxWeight: 1,
};

Deno.test("VaR limit: the book's forecast one-day VaR never exceeds the limit, and it only scales down", () => {
  const x = market(700, 8, (t) => (t < 400 ? 0.01 : 0.03));
  const free = constructPortfolio(x, LONG);
  const hook = varLimitHook({ limit: 0.02, alpha: 0.01 });
  const capped = constructPortfolio(x, { ...LONG, riskHooks: [hook] });
  ok(hook.bound.length > 50, `bound ${hook.bound.length} days`);
  ok(hook.lastVar.every((v) => v <= 0.02 + 1e-12));
  // its record: each decision day's VaR before the cap; it bound exactly on the days that were over the limit
  equal(hook.varAt.size, 700 - 60);
  deepEqual(hook.bound, [...hook.varAt].filter(([, v]) => v > 0.02).map(([t]) => t));
  deepEqual([hook.limit, hook.alpha], [0.02, 0.01]);
  for (let t = 60; t < 700; t++) ok(capped.gross[t] <= free.gross[t] + 1e-12, `day ${t}`);
  ok(capped.gross[650] < 0.8 * free.gross[650], "high-volatility days are cut");
  // causal: altering outcomes that are not yet settled at day t leaves the book of day t unchanged
  const y = { ...x, outcomes: x.outcomes!.map((v, i) => (i >= 500 * 8 ? v * 5 : v)) };
  const capped2 = constructPortfolio(y, { ...LONG, riskHooks: [varLimitHook({ limit: 0.02 })] });
  for (let t = 60; t <= 501; t++) equal(capped2.gross[t], capped.gross[t], `day ${t}`);
});

Deno.test("drawdown brake: engages after the threshold, halves exposure, releases after recovery", () => {
  // a fall (days 100-199) and a recovery (200-399)
  const x = market(400, 5, () => 0.004, (t) => (t >= 100 && t < 200 ? -0.003 : t >= 200 ? 0.004 : 0));
  const free = constructPortfolio(x, LONG);
  const brake = drawdownBrakeHook({ threshold: 0.1, scale: 0.5, recover: 0.05 });
  const braked = constructPortfolio(x, { ...LONG, riskHooks: [brake] });
  ok(brake.engaged.length > 10, `engaged ${brake.engaged.length} days`);
  const firstOn = brake.engaged[0];
  ok(firstOn > 100 && firstOn < 200, `engaged first on day ${firstOn}`);
  ok(Math.abs(braked.gross[firstOn] / free.gross[firstOn] - 0.5) < 0.05);
  ok(brake.engaged.at(-1)! < 399, "released once the drawdown fell under 5%");
  ok(Math.abs(braked.gross[399] / free.gross[399] - 1) < 0.05);
});

Deno.test("drawdown brake: brakeState walks a record as the hook walks the book; given an account, the hook reads it", () => {
  const x = market(400, 5, () => 0.004, (t) => (t >= 100 && t < 200 ? -0.003 : t >= 200 ? 0.004 : 0));
  const o = { threshold: 0.1, scale: 0.5, recover: 0.05 };
  const brake = drawdownBrakeHook(o);
  const braked = constructPortfolio(x, { ...LONG, riskHooks: [brake] });
  // the braked book's settled returns: a decision at d earns outcome[d], known from day d + 2 on
  const S = 5, settled: number[] = [];
  for (let d = 60; d < 400; d++) {
    let r = 0;
    for (let s = 0; s < S; s++) r += braked.weights[d * S + s] * x.outcomes![d * S + s];
    settled.push(r);
  }
  const on = new Set(brake.engaged);
  for (let t = 60; t < 400; t++) {
    equal(brakeState(settled.slice(0, Math.max(0, t - 61)), o).braking, on.has(t), `day ${t}`);
  }
  const st = brakeState(settled.slice(0, 150), o);
  equal(st.days, 150);
  ok(st.braking && st.drawdown >= 0.05, `${st.drawdown}`);
  // an account 20% down engages the brake on every day whatever the book's own path; a calm one on none
  const down = drawdownBrakeHook(o, [0.01, -0.2, 0.01]);
  const calm = drawdownBrakeHook(o, [0.01, -0.02]);
  const a = constructPortfolio(x, { ...LONG, riskHooks: [down] });
  const b = constructPortfolio(x, { ...LONG, riskHooks: [calm] });
  const free = constructPortfolio(x, LONG);
  equal(down.engaged.length, 400 - 60);
  equal(calm.engaged.length, 0);
  for (let t = 60; t < 400; t++) {
    ok(Math.abs(a.gross[t] - 0.5 * free.gross[t]) < 1e-12, `day ${t}`);
    equal(b.gross[t], free.gross[t]);
  }
  equal(brakeState([], o).braking, false);
});

Deno.test("risk limits: ranges checked, the brake runs before the VaR limit", () => {
  throws(() => resolveRiskLimits({ varLimit: { limit: 0 } }), /varLimit.limit/);
  throws(() => resolveRiskLimits({ varLimit: { limit: 0.02, alpha: 0.7 } }), /varLimit.alpha/);
  throws(() => resolveRiskLimits({ drawdownBrake: { threshold: 0.1, recover: 0.2 } }), /recover/);
  throws(() => resolveRiskLimits({ drawdownBrake: { threshold: 0.1, scale: 1.5 } }), /scale/);
  equal(resolveRiskLimits({ drawdownBrake: { threshold: 0.2 } }).drawdownBrake!.recover, 0.1);
  equal(riskLimitHooks({}).length, 0);
  const hooks = riskLimitHooks({ varLimit: { limit: 0.02 }, drawdownBrake: { threshold: 0.1 } });
  equal(hooks.length, 2);
  ok("engaged" in hooks[0] && "bound" in hooks[1]);
});
