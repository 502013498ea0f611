import { deepEqual, equal, ok } from "node:assert/strict";
import { csvSourceFor } from "@lib/sources/mod.ts";
import { lexiconScorer } from "@lib/models/mod.ts";
import { embeddedConfig, openStores, type Stores } from "@lib/store/mod.ts";
import { makeSpec } from "@lib/workflow/mod.ts";
import { collect } from "./collect.ts";
import { checkEnoughData, datasetStep, PIPELINE_FEATURE_SET, sessionsNeeded } from "./dataset.ts";

const SP500 = new URL("../../../shared/data/sp500-5yr-ohlcv", import.meta.url).pathname;
const OPTS = { trainFrac: 0.6, validFrac: 0.2, purge: 1, embargo: 5 };
const SPEC = makeSpec();
const SPLIT = { segments: { trainFrac: 0.6, validFrac: 0.2 }, scorer: lexiconScorer() };

/** Embedded stores in a temporary folder holding the sp500 bars of `symbols` in `[from, to]`. */
async function withSp500(
  req: { symbols: string[]; from: string; to: string },
  fn: (stores: Stores) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fmai-ds-" });
  const stores = await openStores(embeddedConfig(dir));
  try {
    await collect(await csvSourceFor(SP500), stores, req);
    await fn(stores);
  } finally {
    await stores.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the feature set depends neither on the order of the symbols nor on their history", async () => {
  // APTV has 44 sessions (listed December 2017): once it was first, its short history dropped 4 features
  const req = { symbols: ["AAPL", "APTV"], from: "2016-06-01", to: "2018-02-07" };
  await withSp500(req, async (stores) => {
    const a = await datasetStep(stores, SPEC, { ...req, ...SPLIT });
    const b = await datasetStep(stores, SPEC, { ...req, symbols: ["APTV", "AAPL"], ...SPLIT });
    deepEqual(a.featureNames, b.featureNames);
    equal(a.featureSet.version, PIPELINE_FEATURE_SET.version);
    ok(a.featureNames.length >= PIPELINE_FEATURE_SET.features.length);
    equal(a.n, b.n);
  });
});

Deno.test("too little data is refused up front, saying how many sessions are needed", () => {
  const need = sessionsNeeded(OPTS);
  const dates = Array.from(
    { length: need - 1 },
    (_, i) => `2020-${String(1 + Math.floor(i / 28)).padStart(2, "0")}-01`,
  );
  let msg = "";
  try {
    checkEnoughData(dates, { ...OPTS, from: "2020-01-01", to: "2020-12-31" });
  } catch (e) {
    msg = (e as Error).message;
  }
  ok(msg.includes(`${need - 1} sessions`) && msg.includes(`needs at least ${need}`), msg);
  checkEnoughData([...dates, "2021-01-01"], { ...OPTS, from: "2020-01-01", to: "2021-01-01" });
});

Deno.test("a point-in-time universe read from the store keeps each symbol's rows to its membership", async () => {
  const req = { symbols: ["AAPL", "MSFT"], from: "2014-01-01", to: "2018-02-07" };
  await withSp500(req, async (stores) => {
    await stores.tables.upsert("universe_membership", [
      { universe: "u", symbol: "AAPL", from_date: "2014-01-01", to_date: null, known_at: 0 },
      { universe: "u", symbol: "MSFT", from_date: "2016-01-04", to_date: "2016-12-30", known_at: 0 },
    ]);
    const ds = await datasetStep(stores, SPEC, { ...req, ...SPLIT, universe: "u" });
    const msft = ds.date.filter((_, i) => ds.symbol[i] === "MSFT");
    ok(
      msft.length > 200 && msft.every((d) => d >= "2016-01-04" && d <= "2016-12-30"),
      `${msft[0]}..${msft.at(-1)}`,
    );
    ok(ds.date.some((d, i) => ds.symbol[i] === "AAPL" && d > "2017-01-01"));
    let missing = "";
    try {
      await datasetStep(stores, SPEC, { ...req, ...SPLIT, universe: "nope" });
    } catch (e) {
      missing = (e as Error).message;
    }
    equal(missing, "universe nope: no membership rows in the store");
  });
});
