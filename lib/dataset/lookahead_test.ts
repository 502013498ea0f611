import { ok, throws } from "node:assert/strict";
import { LookaheadError } from "../core/mod.ts";
import { DEFAULT_FEATURE_SET, type OhlcvColumns } from "../features/mod.ts";
import { loadMarket, loadSp500 } from "./_test_sp500.ts";
import { assertFeatureSetNoLookahead, assertNoLookahead } from "./lookahead.ts";

const AAPL = (await loadSp500(["AAPL"])).get("AAPL")!;

function logRet(c: OhlcvColumns): Float64Array {
  const out = new Float64Array(c.close.length).fill(NaN);
  for (let i = 1; i < out.length; i++) out[i] = Math.log(c.close[i] / c.close[i - 1]);
  return out;
}

Deno.test("a feature shifted one day into the future is caught", () => {
  const leak = (c: OhlcvColumns) => {
    const r = logRet(c), out = new Float64Array(r.length).fill(NaN);
    for (let i = 0; i + 1 < r.length; i++) out[i] = r[i + 1]; // tomorrow's return at today's row
    return out;
  };
  throws(() => assertNoLookahead(leak, AAPL, { name: "ret_1_shifted" }), (e: unknown) => {
    ok(e instanceof LookaheadError);
    ok(/ret_1_shifted looks ahead/.test((e as Error).message));
    return true;
  });
  assertNoLookahead(logRet, AAPL); // the honest one passes
});

Deno.test("a feature normalized with full-series statistics is caught", () => {
  const zFull = (c: OhlcvColumns) => {
    const r = logRet(c);
    let s = 0, k = 0;
    for (const v of r) if (Number.isFinite(v)) (s += v, k++);
    return r.map((v) => v - s / k);
  };
  throws(() => assertNoLookahead(zFull, AAPL), LookaheadError);
});

Deno.test("the default feature set has no look-ahead on real data (with market context)", async () => {
  const m = await loadMarket();
  const at = new Map(m.dates.map((d, i) => [d, i]));
  const pick = (x: Float64Array) => Float64Array.from(AAPL.dates, (d) => (at.has(d) ? x[at.get(d)!] : NaN));
  const ctx = { indexClose: pick(m.indexClose), vix: pick(m.vix) };
  ok(ctx.vix.every(Number.isFinite));
  assertFeatureSetNoLookahead(DEFAULT_FEATURE_SET, AAPL, { trials: 8, ctx });
});
