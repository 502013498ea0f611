import { deepEqual, equal, ok } from "node:assert/strict";
import { barKnownAt, closeTime, type IsoDate } from "../core/mod.ts";
import {
  type Dataset,
  segmentsFor,
  type SymbolSeries,
  syntheticMarketContext,
  toSeries,
} from "../dataset/mod.ts";
import { MARKET_CONDITION_NAMES } from "../moe/mod.ts";
import { createSyntheticMarket } from "../sources/mod.ts";
import { datasetConditions, dateDecisionTimes, makeSpec, systemDataset } from "./mod.ts";

/** A small dataset whose market context is published like the real one: the VIX at 16:15, the index at 16:05. */
async function dataset() {
  const m = createSyntheticMarket({ seed: 3, symbols: 5, sessions: 260 });
  const bars = await m.bars({ symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] });
  const series = new Map<string, SymbolSeries>();
  for (const s of m.symbols) series.set(s, toSeries(bars.get(s)!));
  const ctx = syntheticMarketContext(series);
  const market = {
    ...ctx,
    // the real VIX prints at 16:15 New York, after the 16:00 decision; an index printed late the same way
    vixKnownAt: Float64Array.from(ctx.dates, (d) => barKnownAt("^VIX", d)),
    knownAt: Float64Array.from(ctx.dates, (d) => closeTime(d) + 5 * 60_000),
  };
  const spec = makeSpec();
  const ds = systemDataset(spec, { series, market }, segmentsFor(m.dates, { purge: spec.dataset.purge }));
  return { ds, market };
}

/** The dataset with its market context's `key` series changed at date `d` (a new market object). */
function changed(ds: Dataset, key: "vix" | "indexClose", d: IsoDate, factor: number): Dataset {
  const m = ds.market!;
  const k = m.dates.indexOf(d);
  const v = Float64Array.from(m[key]!);
  v[k] *= factor;
  return { ...ds, market: { ...m, [key]: v } };
}

function row(c: { dates: IsoDate[]; names: string[]; values: Float64Array }, d: IsoDate): number[] {
  const t = c.dates.indexOf(d), m = c.names.length;
  return Array.from(c.values.subarray(t * m, t * m + m));
}

Deno.test("mixture: the gate's market conditions join the VIX and the index by publication time, not by date", async () => {
  const { ds, market } = await dataset();
  const c = datasetConditions(ds);
  deepEqual(c.names, [...MARKET_CONDITION_NAMES]);
  const days = c.dates;
  const t = days[days.length - 20], prev = days[days.length - 21], next = days[days.length - 19];
  const vixAt = (d: IsoDate) => market.vix![market.dates.indexOf(d)];
  // at the 16:00 decision of t the VIX of t (16:15) is not public yet: the VIX of t-1 is used
  equal(row(c, t)[0], vixAt(prev) / 100);
  equal(row(c, next)[0], vixAt(t) / 100);
  // truncation: changing the VIX or the index of t changes nothing the gate sees at t (or before), only later
  for (const key of ["vix", "indexClose"] as const) {
    const after = datasetConditions(changed(ds, key, t, 3));
    for (const d of days.filter((d) => d <= t)) deepEqual(row(after, d), row(c, d), `${key}: ${d}`);
    ok(row(after, next).some((v, j) => v !== row(c, next)[j]), `${key} of ${t} is used at ${next}`);
    // changing the value of t-1 changes what is seen at t
    const before = datasetConditions(changed(ds, key, prev, 3));
    ok(row(before, t).some((v, j) => v !== row(c, t)[j]), `${key} of ${prev} is used at ${t}`);
  }
  // the decision instant of a date is its rows' (the close here)
  equal(dateDecisionTimes(ds, [t])[0], closeTime(t));
});
