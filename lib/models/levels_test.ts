import { deepEqual, equal, ok, throws } from "node:assert/strict";
import type { SymbolSeries } from "../dataset/mod.ts";
import { closeTime, sessions } from "../core/mod.ts";
import { FloorPivotModel, floorPivots, levelsToPrediction, SwingLevelModel } from "./levels.ts";

function seriesOf(close: number[], spread = 0.2): SymbolSeries {
  const n = close.length;
  const c = Float64Array.from(close);
  return {
    symbol: "T",
    dates: sessions("2020-01-02", "2021-12-31").slice(0, n),
    open: c.slice(),
    high: c.map((x) => x + spread),
    low: c.map((x) => x - spread),
    close: c,
    adjClose: c.slice(),
    volume: new Float64Array(n).fill(1),
  };
}

/** A price bouncing between a floor at 90 and a ceiling at 110 (a triangle wave), ending at 100. */
function rangeBound(): number[] {
  const out: number[] = [];
  for (let cycle = 0; cycle < 4; cycle++) {
    for (let k = 0; k < 20; k++) out.push(100 - k * 0.5); // down to 90.5
    for (let k = 0; k < 40; k++) out.push(90 + k * 0.5); // up to 109.5
    for (let k = 0; k < 20; k++) out.push(110 - k * 0.5); // back to 100.5
  }
  out.push(100);
  return out;
}

Deno.test("swing levels: finds the planted floor and ceiling of a range-bound series", () => {
  const s = seriesOf(rangeBound());
  const t = s.close.length - 1;
  const m = new SwingLevelModel({ lookback: 200 });
  const { supports, resistances } = m.levels(s, t);
  ok(supports.length >= 1 && resistances.length >= 1);
  ok(Math.abs(supports[0].price - 89.8) < 0.5, `support ${supports[0].price}`);
  ok(Math.abs(resistances[0].price - 110.2) < 0.5, `resistance ${resistances[0].price}`);
  ok(supports[0].touches >= 2 && resistances[0].touches >= 2);
  ok(supports[0].strength > 0 && supports[0].strength < 1);
  // more touches -> stronger
  const short = new SwingLevelModel({ lookback: 100 }).levels(s, t);
  ok(short.supports[0].touches < supports[0].touches && short.supports[0].strength < supports[0].strength);
});

Deno.test("swing levels: use bars up to t only and need confirmed pivots", () => {
  const close = rangeBound();
  const s = seriesOf(close);
  const t = 150, m = new SwingLevelModel();
  const before = m.levels(s, t);
  for (let k = t + 1; k < close.length; k++) {
    s.close[k] = 500;
    s.high[k] = 600;
    s.low[k] = 1;
  }
  deepEqual(m.levels(s, t), before);
  // a fresh low at the last bar is not a confirmed pivot yet
  const v = seriesOf([...Array.from({ length: 30 }, () => 100), 80]);
  equal(m.levels(v, 30).supports.length, 0);
  throws(() => m.levels(s, close.length), RangeError);
});

Deno.test("floor pivots: exact classic values from session t", () => {
  const f = floorPivots(110, 90, 105);
  ok(Math.abs(f.p - 305 / 3) < 1e-12);
  ok(Math.abs(f.s1 - (610 / 3 - 110)) < 1e-12 && Math.abs(f.r1 - (610 / 3 - 90)) < 1e-12);
  ok(Math.abs(f.s2 - (305 / 3 - 20)) < 1e-12 && Math.abs(f.r2 - (305 / 3 + 20)) < 1e-12);
  ok(
    Math.abs(f.s3 - (90 - 2 * (110 - 305 / 3))) < 1e-12 &&
      Math.abs(f.r3 - (110 + 2 * (305 / 3 - 90))) < 1e-12,
  );
  const s = seriesOf([100, 105]);
  s.high[1] = 110;
  s.low[1] = 90;
  const pred = levelsToPrediction(new FloorPivotModel(), s, 1);
  equal(pred.model, "floor-pivots");
  equal(pred.date, s.dates[1]);
  equal(pred.knownAt, closeTime(s.dates[1]));
  equal(pred.supports[0].price, f.s1);
  equal(pred.resistances[0].price, f.r1);
  ok(pred.supports.every((l) => l.price <= 105) && pred.resistances.every((l) => l.price >= 105));
});

Deno.test("swing levels: a price the market keeps turning at outranks one it also turns at but often closes through", () => {
  // Zig-zags 100 -> 106 -> 100 ...: pivots at 100 (lows) and 106 (highs), never closed through. Then a few
  // swings between 103 and 112 put pivots at 112 (never crossed) and at 103, which the earlier zig-zags crossed
  // on every leg.
  const out: number[] = [];
  for (let cycle = 0; cycle < 6; cycle++) {
    for (let k = 0; k < 12; k++) out.push(100 + k * 0.5);
    for (let k = 0; k < 12; k++) out.push(106 - k * 0.5);
  }
  for (let k = 0; k <= 6; k++) out.push(100 + k * 0.5); // back up to 103
  for (let cycle = 0; cycle < 2; cycle++) {
    for (let k = 1; k <= 18; k++) out.push(103 + k * 0.5); // to 112
    for (let k = 1; k <= 18; k++) out.push(112 - k * 0.5); // to 103
  }
  out.push(107.5);
  const s = seriesOf(out, 0.1);
  const lv = new SwingLevelModel({ lookback: 400 }).levels(s, s.close.length - 1);
  const all = [...lv.supports, ...lv.resistances];
  const near = (p: number) => all.find((l) => Math.abs(l.price - p) < 0.5);
  ok(near(112) && near(103), JSON.stringify(all));
  ok(near(112)!.strength > near(103)!.strength, `112: ${near(112)!.strength}, 103: ${near(103)!.strength}`);
  // the recency strength ranks by touches and recency alone
  const rec = new SwingLevelModel({ lookback: 400, strength: "recency" }).levels(s, s.close.length - 1);
  ok([...rec.supports, ...rec.resistances].every((l) => l.strength > 0 && l.strength < 1));
});
