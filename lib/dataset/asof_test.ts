import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { closeTime, type NewsItem, nyTime, sessionForKnownAt, sessions } from "../core/mod.ts";
import { asOfIndex, joinAsOf, newsByDecision } from "./asof.ts";

Deno.test("asOfIndex finds the last record known at t", () => {
  const k = Float64Array.from([10, 20, 20, 30]);
  equal(asOfIndex(k, 5), -1);
  equal(asOfIndex(k, 10), 0);
  equal(asOfIndex(k, 20), 2);
  equal(asOfIndex(k, 29.9), 2);
  equal(asOfIndex(k, 1e9), 3);
  const recs = [{ knownAt: 30 }, { knownAt: 10 }, { knownAt: 20 }];
  deepEqual([...joinAsOf(recs, [0, 10, 25, 30, 31])], [-1, 1, 2, 0, 0]);
  throws(() => joinAsOf([{ knownAt: NaN }], [1]), TypeError);
});

function item(id: string, knownAt: number, symbols: string[], sentiment?: number): NewsItem {
  return { id, knownAt, publishedAt: knownAt, symbols, headline: id, source: "test", sentiment };
}

Deno.test("news after the close goes to the next session; weekend news to Monday", () => {
  const days = sessions("2020-11-23", "2020-12-01"); // includes Thanksgiving and the early close on 11-27
  const news = [
    item("before-close", nyTime("2020-11-23", 15, 59), ["A"], 0.5),
    item("at-close", closeTime("2020-11-23"), ["A"], 0.1),
    item("after-close", nyTime("2020-11-23", 16, 1), ["A"], -0.4),
    item("no-sentiment", nyTime("2020-11-24", 9), ["A"]),
    item("thanksgiving", nyTime("2020-11-26", 12), ["A", "B"], 1),
    item("early-close-after-13", nyTime("2020-11-27", 13, 30), ["B"], -1),
    item("weekend", nyTime("2020-11-28", 10), ["B"], 0.2),
    item("market", nyTime("2020-11-30", 10), [], 0.3),
    item("too-early", nyTime("2020-11-20", 10), ["A"], 1),
    item("too-late", nyTime("2020-12-01", 17), ["A"], 1),
  ];
  const res = newsByDecision(news, days);
  equal(res.dropped, 2);
  const a = res.bySymbol.get("A")!, b = res.bySymbol.get("B")!;
  const at = (d: string) => days.indexOf(d);
  equal(a.count[at("2020-11-23")], 2);
  ok(Math.abs(a.sentMean[at("2020-11-23")] - 0.3) < 1e-12);
  equal(a.count[at("2020-11-24")], 2); // after-close + no-sentiment
  equal(a.sentCount[at("2020-11-24")], 1);
  equal(a.sentMean[at("2020-11-24")], -0.4);
  equal(a.count[at("2020-11-27")], 1); // Thanksgiving -> Friday
  equal(b.count[at("2020-11-27")], 1);
  equal(b.count[at("2020-11-30")], 2); // after the 13:00 early close, and the weekend item
  ok(Math.abs(b.sentSum[at("2020-11-30")] - -0.8) < 1e-12);
  equal(res.bySymbol.get("")!.count[at("2020-11-30")], 1);
  // the assignment agrees with the calendar rule and never precedes knownAt
  for (const n of news.slice(0, 8)) {
    const d = sessionForKnownAt(n.knownAt);
    ok(closeTime(d) >= n.knownAt);
    const sym = n.symbols[0] ?? "";
    ok(res.bySymbol.get(sym)!.count[at(d)] >= 1, `${n.id} on ${d}`);
  }
  for (const d of res.bySymbol.values()) {
    for (let i = 0; i < days.length; i++) if (d.count[i] > 0) ok(d.maxKnownAt[i] <= res.decisionTime[i]);
  }
});
