import { deepEqual, equal, ok } from "node:assert/strict";
import { type Bar, sessions } from "@lib/core/mod.ts";
import { createSyntheticMarket, type MarketSource } from "@lib/sources/mod.ts";
import { incrementalRange, newsStep, pricesStep } from "./mod.ts";
import { tailRange } from "./prices.ts";
import { rangeChartFetch, sourcesOver, storeDump, tempStores } from "./_test_helpers.ts";

const AAPL = "chart-AAPL-2020-08-31-to-2020-11-07.json";
const strip = (s: string) => s.split("\n").filter((l) => !l.startsWith("raw/")).join("\n");

Deno.test("incrementalRange: nothing stored, tail only, all stored, a hole, a missing start", () => {
  const all = sessions("2020-01-01", "2020-01-31");
  deepEqual(incrementalRange([], "2020-01-01", "2020-01-31"), {
    from: "2020-01-01",
    to: "2020-01-31",
    holes: [],
  });
  deepEqual(incrementalRange(all.slice(0, 5), "2020-01-01", "2020-01-31"), {
    from: all[4],
    to: "2020-01-31",
    holes: [],
  });
  equal(incrementalRange(all, "2020-01-01", "2020-01-31"), null);
  const holed = [...all.slice(0, 3), ...all.slice(10)];
  deepEqual(incrementalRange(holed, "2020-01-01", "2020-01-31"), {
    from: all[3],
    to: "2020-01-31",
    holes: all.slice(3, 10),
  });
  deepEqual(incrementalRange(all.slice(2), "2020-01-01", "2020-01-31")?.from, "2020-01-01");
});

Deno.test("prices: a hole in the middle of the stored range is fetched and filled (as one clean run)", async () => {
  const a = await tempStores(), b = await tempStores();
  try {
    const f = await rangeChartFetch(AAPL);
    const req = { symbols: ["AAPL"], from: "2020-08-31", to: "2020-11-06", fillHoles: true };
    await pricesStep.run(sourcesOver(f), a.stores, { ...req, to: "2020-09-15" });
    await pricesStep.run(sourcesOver(f), a.stores, { ...req, from: "2020-10-15" });
    const hole = sessions("2020-09-16", "2020-10-14");
    const [plan] = await pricesStep.plan!(sourcesOver(f), a.stores, req);
    equal(plan.fetch, `2020-09-16..2020-11-06 (gap 2020-09-16..2020-10-14: ${hole.length} sessions missing)`);
    const [r] = await pricesStep.run(sourcesOver(f), a.stores, req);
    equal(r.ok, true, r.error);
    equal(r.range, "2020-09-16..2020-11-06");
    equal(r.inserted, hole.length);
    equal(r.skipped, 0);
    deepEqual(f.periods.at(-1), [
      Date.parse("2020-09-16T00:00:00Z") / 1000,
      Date.parse("2020-11-07T00:00:00Z") / 1000,
    ]);
    await pricesStep.run(sourcesOver(f), b.stores, req);
    equal(strip(await storeDump(a.stores)), strip(await storeDump(b.stores)));
    const [again] = await pricesStep.run(sourcesOver(f), a.stores, req);
    equal(again.range, "", "now complete: skipped");
  } finally {
    await a.dispose();
    await b.dispose();
  }
});

/** A synthetic market with no bars on `halted` dates (a halt: the source answers a hole with nothing). */
function haltedMarket(halted: Set<string>): MarketSource {
  const m = createSyntheticMarket({ start: "2019-01-02", sessions: 600, symbols: 2 });
  return {
    ...m,
    async bars(req) {
      const got = await m.bars(req);
      return new Map([...got].map(([s, bars]) => [s, bars.filter((x: Bar) => !halted.has(x.date))]));
    },
  };
}

Deno.test("prices: synthetic source fills a hole; a hole with no bars is counted, not an error, on every run", async () => {
  const t = await tempStores();
  try {
    const market = haltedMarket(new Set(["2019-06-03", "2019-06-04"]));
    const req = { symbols: ["SYN00"], from: "2019-01-02", to: "2019-12-31", fillHoles: true };
    await pricesStep.run({ market }, t.stores, { ...req, to: "2019-03-29" });
    await pricesStep.run({ market }, t.stores, { ...req, from: "2019-09-03" });
    const [r] = await pricesStep.run({ market }, t.stores, req);
    equal(r.ok, true, r.error);
    equal(r.range, "2019-04-01..2019-12-31");
    equal(r.skipped, 2, "the two halted sessions");
    const all = sessions(req.from, req.to);
    equal(await t.stores.tables.count("bars", { symbol: "SYN00" }), all.length - 2);
    for (let i = 0; i < 2; i++) {
      const [again] = await pricesStep.run({ market }, t.stores, req);
      equal(again.ok, true, again.error);
      equal(again.range, "2019-06-03..2019-12-31", "the halt is asked for again");
      deepEqual([again.inserted, again.skipped], [0, 2]);
    }
  } finally {
    await t.dispose();
  }
});

Deno.test("prices: a session missing from a first fetch is counted as left out, as a hole found later is", async () => {
  const t = await tempStores();
  try {
    const market = haltedMarket(new Set(["2019-06-03"]));
    const [first] = await pricesStep.run({ market }, t.stores, {
      symbols: ["SYN00"],
      from: "2019-05-01",
      to: "2019-06-28",
    });
    equal(first.ok, true, first.error);
    equal(first.skipped, 1, "the halted session, on the first fetch too");
  } finally {
    await t.dispose();
  }
});

Deno.test("prices without fillHoles (the daily run, the Lambdas): only the end of the stored range is extended", async () => {
  const t = await tempStores();
  try {
    const market = haltedMarket(new Set(["2019-06-03"]));
    const req = { symbols: ["SYN00"], from: "2019-01-02", to: "2019-12-31" };
    await pricesStep.run({ market }, t.stores, { ...req, to: "2019-09-30" });
    // a halt inside the stored range is not asked for again: the next run fetches only the missing tail
    const [r] = await pricesStep.run({ market }, t.stores, req);
    equal(r.ok, true, r.error);
    equal(r.range, "2019-09-30..2019-12-31");
    const [again] = await pricesStep.run({ market }, t.stores, req);
    equal(again.range, "", "complete at its end: skipped");
    deepEqual(
      tailRange({ first: "2019-01-02", last: "2019-12-31" }, "2019-01-02", "2019-12-31"),
      null,
    );
  } finally {
    await t.dispose();
  }
});

Deno.test("news with fillHoles (deno task collect): a range before the stored news is filled; without it the cursor holds", async () => {
  const a = await tempStores(), b = await tempStores();
  try {
    const market = createSyntheticMarket({ start: "2019-01-02", sessions: 600, symbols: 1 });
    const y2019 = { symbols: ["SYN00"], from: "2019-01-01", to: "2019-12-31" };
    const y2020 = { symbols: ["SYN00"], from: "2020-01-01", to: "2020-12-31" };
    await newsStep.run({ market }, a.stores, { ...y2020, fillHoles: true });
    // the daily run and the Lambdas: items before the latest stored one are not written
    const [kept] = await newsStep.run({ market }, a.stores, y2019);
    equal(kept.ok, true, kept.error);
    ok(kept.range.startsWith("since "), kept.range);
    equal(kept.inserted, 0);
    const [plan] = await newsStep.plan!({ market }, a.stores, { ...y2019, fillHoles: true });
    equal(plan.fetch, "2019-01-01..2019-12-31, items not stored yet");
    const [r] = await newsStep.run({ market }, a.stores, { ...y2019, fillHoles: true });
    equal(r.ok, true, r.error);
    equal(r.range, "not stored");
    ok(r.inserted > 0, "2019 news filled");
    equal(r.rows, r.inserted, "nothing stored is written again");
    // the same store as collecting the years in order, and a re-run writes nothing
    await newsStep.run({ market }, b.stores, { ...y2019, fillHoles: true });
    await newsStep.run({ market }, b.stores, { ...y2020, fillHoles: true });
    equal(await storeDump(a.stores), await storeDump(b.stores));
    for (const req of [y2019, y2020]) {
      const [again] = await newsStep.run({ market }, a.stores, { ...req, fillHoles: true });
      equal(again.rows, 0, `${req.from}: ${again.rows} rows written again`);
    }
  } finally {
    await a.dispose();
    await b.dispose();
  }
});
