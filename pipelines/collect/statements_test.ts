import { deepEqual, equal } from "node:assert/strict";
import { type Filing, nyTime } from "@lib/core/mod.ts";
import { statementKnownAt } from "@lib/sources/mod.ts";
import { calendarsStep } from "./calendars.ts";
import { REPORTS_COLLECTION, stampStatements, statementsStep } from "./statements.ts";
import { replaySources, tempStores } from "./_test_helpers.ts";

const AAPL_2024 = { symbols: ["AAPL"], from: "2024-01-01", to: "2024-12-31" };

Deno.test("statements: a fiscal fourth quarter gets the 10-K's deadline, not the 10-Q's", async () => {
  const t = await tempStores();
  try {
    const [r] = await statementsStep.run(await replaySources(), t.stores, AAPL_2024);
    equal(r.ok, true, r.error);
    const docs = await t.stores.documents.find(REPORTS_COLLECTION, { symbol: "AAPL" });
    const at = (kind: string, end: string) =>
      docs.filter((d) => d.kind === kind && d.periodEnd === end).map((d) => d.knownAt);
    // AAPL's fiscal year ends in September: the quarter ending 2024-09-30 is reported in the 10-K only
    const q4 = at("quarterly", "2024-09-30");
    equal(q4.length > 0, true);
    deepEqual(new Set(q4), new Set([nyTime("2024-12-30", 17, 30)]));
    deepEqual(new Set(at("annual", "2024-09-30")), new Set([nyTime("2024-12-30", 17, 30)]));
    deepEqual(new Set(at("quarterly", "2024-06-30")), new Set([statementKnownAt("2024-06-30", "quarterly")]));
  } finally {
    await t.dispose();
  }
});

Deno.test("statements: a stored Nasdaq SEC filing of the period gives its filing time", async () => {
  const t = await tempStores();
  try {
    const filings = { ...AAPL_2024, calendars: ["filings" as const], filingGroups: ["Annual Reports"] };
    const [c] = await calendarsStep.run(await replaySources(), t.stores, filings);
    equal(c.ok, true, c.error);
    await statementsStep.run(await replaySources(), t.stores, AAPL_2024);
    const docs = await t.stores.documents.find(REPORTS_COLLECTION, { symbol: "AAPL" });
    const fy2024 = docs.filter((d) => d.source === "yahoo" && d.periodEnd === "2024-09-30");
    // the 10-K for the year ended 2024-09-28 was filed 2024-11-01: annual and fourth-quarter numbers alike
    const filed = nyTime("2024-11-02", 0, 0);
    deepEqual(new Set(fy2024.filter((d) => d.kind !== "earnings").map((d) => d.knownAt)), new Set([filed]));
  } finally {
    await t.dispose();
  }
});

Deno.test("stampStatements: fiscal year ends from stored annual periods, a week's tolerance, quarters kept", () => {
  const doc = (kind: Filing["kind"], periodEnd: string): Filing => ({
    id: `${kind}:${periodEnd}`,
    symbol: "X",
    kind,
    periodEnd,
    source: "yahoo",
    fields: {},
    knownAt: statementKnownAt(periodEnd, kind === "annual" ? "annual" : "quarterly"),
  });
  const stored = [doc("annual", "2022-06-25")]; // a 52/53-week year ending late June
  const out = stampStatements([doc("quarterly", "2024-06-29"), doc("quarterly", "2024-03-30")], stored);
  deepEqual(out.map((d) => d.knownAt), [
    statementKnownAt("2024-06-29", "annual"),
    statementKnownAt("2024-03-30", "quarterly"),
  ]);
});
