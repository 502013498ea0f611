import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { chooseTickers, loadMarket, loadSp500, tickerCount } from "./data.ts";

const SHARED = fileURLToPath(new URL("../../../shared/data", import.meta.url));

Deno.test("chooseTickers: a seeded, sorted subset; the same seed picks the same tickers", () => {
  const all = Array.from({ length: 50 }, (_, i) => `T${String(i).padStart(2, "0")}`).reverse();
  const a = chooseTickers(all, 10, 1), b = chooseTickers(all, 10, 1), c = chooseTickers(all, 10, 2);
  deepEqual(a, b);
  equal(a.length, 10);
  deepEqual(a, [...a].sort());
  ok(a.every((s) => all.includes(s)));
  ok(a.join() !== c.join());
  deepEqual(chooseTickers(all, 99, 1), [...all].sort());
  throws(() => chooseTickers(all, 0, 1), RangeError);
  equal(tickerCount({ sharedDir: "", seed: 1, reduced: true }), 60);
  equal(tickerCount({ sharedDir: "", seed: 1, reduced: false }), Infinity);
  equal(tickerCount({ sharedDir: "", seed: 1, reduced: true, tickers: 7 }), 7);
});

Deno.test("real data: sp500 tickers of a reduced context and ^GSPC/^VIX market context", async () => {
  const s = await loadSp500({ sharedDir: SHARED, seed: 42, reduced: true, tickers: 5 });
  equal(s.size, 5);
  for (const v of s.values()) {
    ok(v.dates.length > 1000, `${v.symbol}: ${v.dates.length} bars`);
    equal(v.dates[0] >= "2013-02-08", true);
    ok(v.close.every((x) => x > 0));
  }
  const m = await loadMarket(SHARED);
  ok(m.dates.includes("2017-01-03"));
  for (let i = 1; i < m.dates.length; i++) ok(m.dates[i] > m.dates[i - 1]);
  const k = m.dates.indexOf("2017-01-03");
  ok(m.indexClose![k] > 2200 && m.indexClose![k] < 2300, `^GSPC ${m.indexClose![k]}`);
  ok(m.vix![k] > 10 && m.vix![k] < 15, `^VIX ${m.vix![k]}`);
});
