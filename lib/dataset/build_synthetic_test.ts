import { ok } from "node:assert/strict";
import { FMAI_CORE_V0 } from "../features/mod.ts";
import { createSyntheticMarket, nullMarket, type SyntheticMarket } from "../sources/mod.ts";
import { buildDataset } from "./build.ts";
import { segmentsFor } from "./segments.ts";
import { barsToSeriesMap } from "./series.ts";

/** Correlation of `news_sent_1` with the next-day return over rows that have news, and the row count. */
async function newsIc(mk: SyntheticMarket): Promise<{ ic: number; m: number }> {
  const req = { symbols: mk.symbols, from: mk.dates[0], to: mk.dates[mk.dates.length - 1] };
  const series = barsToSeriesMap(await mk.bars(req));
  // The market publishes sentiment only as headline text; this test is about the point-in-time join, so it
  // attaches the planted number (scoring the text is tested in pipelines/ and lib/models/).
  const truth = new Map(mk.truth.news.map((e) => [e.id, e.sentiment]));
  const news = (await mk.news(req)).map((n) => ({ ...n, sentiment: truth.get(n.id) }));
  const ds = buildDataset({ series, news, featureSet: FMAI_CORE_V0, segments: segmentsFor(mk.dates) });
  const F = ds.featureNames.length;
  const c = ds.featureNames.indexOf("news_count_1"), s = ds.featureNames.indexOf("news_sent_1");
  const xs: number[] = [], ys: number[] = [];
  for (let r = 0; r < ds.n; r++) {
    if (ds.X[r * F + c] > 0 && Number.isFinite(ds.labels.fwdReturn[r])) {
      xs.push(ds.X[r * F + s]);
      ys.push(ds.labels.fwdReturn[r]);
    }
  }
  const m = xs.length, mx = xs.reduce((a, b) => a + b, 0) / m, my = ys.reduce((a, b) => a + b, 0) / m;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < m; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return { ic: sxy / Math.sqrt(sxx * syy), m };
}

Deno.test("synthetic market: the planted news effect shows in news_sent_1 vs the next return; the null twin shows none", async () => {
  const opts = { seed: 7, symbols: 20, sessions: 400, newsRate: 0.1 };
  const planted = await newsIc(createSyntheticMarket({ ...opts, newsEffect: 0.02 }));
  const nul = await newsIc(nullMarket(7, opts));
  ok(planted.m > 300, `rows with news ${planted.m}`);
  ok(planted.ic > 6 / Math.sqrt(planted.m), `planted IC ${planted.ic} over ${planted.m} rows`);
  ok(Math.abs(nul.ic) < 3.5 / Math.sqrt(nul.m), `null IC ${nul.ic} over ${nul.m} rows`);
});
