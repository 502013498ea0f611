import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  expertReliability,
  MARKET_CONDITION_NAMES,
  marketConditions,
  RegimeClassifier,
  withColumns,
} from "./regime.ts";

const near = (a: number, b: number, tol = 1e-12) => ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

function panel(T: number, S: number) {
  const close = new Float64Array(T * S);
  for (let t = 0; t < T; t++) {
    for (let s = 0; s < S; s++) {
      close[t * S + s] = 100 * Math.exp(0.001 * t * (s + 1) + 0.01 * Math.sin(t + s));
    }
  }
  const dates = Array.from({ length: T }, (_, t) => `d${String(t).padStart(4, "0")}`);
  return { dates, symbols: Array.from({ length: S }, (_, s) => `S${s}`), close };
}

Deno.test("market conditions: hand-checked values, NaN without an index or VIX, nothing from the future", () => {
  const T = 200, S = 4, p = panel(T, S);
  const indexClose = Float64Array.from(
    { length: T },
    (_, t) => 100 * Math.exp(0.0005 * t + 0.01 * Math.cos(t)),
  );
  const vix = Float64Array.from({ length: T }, (_, t) => 15 + (t % 7));
  const c = marketConditions({ ...p, indexClose, vix });
  deepEqual(c.names, [...MARKET_CONDITION_NAMES]);
  const m = c.names.length, col = (name: string, t: number) => c.values[t * m + c.names.indexOf(name)];
  near(col("vix", 150), vix[150] / 100);
  near(col("vix_chg_5", 150), Math.log(vix[150] / vix[145]));
  near(col("index_ret_20", 150), Math.log(indexClose[150] / indexClose[130]));
  // breadth: names above their 50-session mean; every name trends up here
  near(col("breadth_50", 150), 1);
  // dispersion: sd of the four daily log returns averaged over 5 days (recomputed)
  let d5 = 0;
  for (let t = 146; t <= 150; t++) {
    const r = Array.from({ length: S }, (_, s) => Math.log(p.close[t * S + s] / p.close[(t - 1) * S + s]));
    const mu = r.reduce((a, b) => a + b, 0) / S;
    d5 += Math.sqrt(r.reduce((a, b) => a + (b - mu) ** 2, 0) / (S - 1)) / 5;
  }
  near(col("dispersion_5", 150), d5);
  // point in time: truncating the panel changes no earlier value
  const short = marketConditions({
    dates: p.dates.slice(0, 120),
    symbols: p.symbols,
    close: p.close.slice(0, 120 * S),
    indexClose: indexClose.slice(0, 120),
    vix: vix.slice(0, 120),
  });
  deepEqual(Array.from(short.values), Array.from(c.values.slice(0, 120 * m)));
  const bare = marketConditions(p);
  ok(Number.isNaN(bare.values[150 * m]) && Number.isFinite(bare.values[150 * m + m - 1]));
  throws(() => marketConditions({ ...p, vix: new Float64Array(3) }), RangeError);
});

Deno.test("expert reliability uses only outcomes realized by the close (lag >= 2)", () => {
  // 6 days, 2 rows a day; expert edges equal the outcomes on days 0-2 and their negatives on days 3-5
  const rowDay = Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  const z = Float64Array.from([1, -1, 2, 1, -1, 3, 1, 2, -2, 1, 1, 1]);
  const e = Float64Array.from(z, (v, i) => (rowDay[i] < 3 ? v : -v));
  const rel = expertReliability(rowDay, [e], z, 6, { window: 1 });
  ok(Number.isNaN(rel[0]) && Number.isNaN(rel[1])); // days 0 and 1 know no outcome yet
  near(rel[2], 1); // day 2 sees day 0
  near(rel[4], 1); // day 4 sees day 2
  near(rel[5], -1); // day 5 sees day 3
  const wide = expertReliability(rowDay, [e], z, 6, { window: 3 });
  // day 5: decisions 1..3 -> (sum over days 1, 2 of z^2 - day 3's) / sqrt(...)
  const num = (4 + 1 + 1 + 9) - (1 + 4), den = (4 + 1 + 1 + 9) + (1 + 4);
  near(wide[5], num / den);
  throws(() => expertReliability(rowDay, [e], z, 6, { lag: 1 }), RangeError);
});

Deno.test("regime classifier: terciles fitted on the given days, labels per day, exact reload", () => {
  const T = 90, names = ["vix", "index_ret_60"];
  const values = new Float64Array(T * 2);
  for (let t = 0; t < T; t++) {
    [values[2 * t], values[2 * t + 1]] = [0.1 + (t % 30) / 100, t < 45 ? 0.05 : -0.05];
  }
  values[2 * 89] = NaN;
  const c = { dates: Array.from({ length: T }, (_, t) => `d${t}`), names, values };
  const rc = new RegimeClassifier().fit(c, Array.from({ length: 60 }, (_, t) => t));
  const l = rc.label(c);
  equal(l[0], "calm/up");
  equal(l[15], "normal/up");
  equal(l[29], "stressed/up");
  equal(l[48], "normal/down");
  equal(l[55], "stressed/down");
  equal(l[89], "unknown");
  deepEqual(RegimeClassifier.fromJSON(JSON.parse(JSON.stringify(rc))).label(c), l);
  const wide = withColumns(c, ["x"], new Float64Array(T).fill(7));
  deepEqual(wide.names, ["vix", "index_ret_60", "x"]);
  equal(wide.values[3 * 5 + 2], 7);
});
