/**
 * Real-data sanity checks: GARCH(1,1) on S&P 500 daily returns (2000-2012) and HAR-RV on Oxford-Man rv5,
 * forecasting 2013-2019 out of sample.
 */
import { ok } from "node:assert/strict";
import { garchFilter, garchFit, garchForecast } from "./garch.ts";
import { ewmaVariance } from "./ewma.ts";
import { harFit, harPredict } from "./har.ts";
import { mincerZarnowitzR2, qlike } from "./metrics.ts";

const DATA = new URL("../../../shared/data/", import.meta.url);

function readCsv(rel: string): { header: string[]; rows: string[][] } {
  const lines = Deno.readTextFileSync(new URL(rel, DATA)).trim().split(/\r?\n/);
  return { header: lines[0].split(","), rows: lines.slice(1).map((l) => l.split(",")) };
}

Deno.test("real data: GARCH on ^GSPC and HAR on Oxford-Man rv5 forecast 2013-2019 better than a constant", () => {
  const g = readCsv("us-index-etf-daily-yahoo/INDEX_GSPC.csv");
  const di = g.header.indexOf("Date"), ci = g.header.indexOf("Adj Close");
  const pxByDate = new Map(g.rows.map((r) => [r[di], Number(r[ci])]));
  const om = readCsv("oxford-man-realized-spx/oxford_man_realized_library_spx_2000_2019.csv");
  const odi = om.header.indexOf("date"), rvi = om.header.indexOf("rv5");
  // common dates, so that index t means the same session in both series
  const rowsOm = om.rows.filter((r) => pxByDate.has(r[odi]) && Number(r[rvi]) > 0);
  const dates = rowsOm.map((r) => r[odi]);
  const rv = Float64Array.from(rowsOm, (r) => Number(r[rvi]));
  const px = Float64Array.from(dates, (d) => pxByDate.get(d)!);
  const r = Float64Array.from(px, (p, t) => (t ? Math.log(p / px[t - 1]) : 0)).subarray(1); // r[k] = session k+1
  const split = dates.findIndex((d) => d >= "2013-01-02");
  ok(split > 2000 && dates.length - split > 1500);

  const p = garchFit(r.subarray(0, split - 1));
  console.log("GARCH(1,1) ^GSPC 2000-2012:", p);
  ok(p.alpha > 0.03 && p.alpha < 0.2 && p.beta > 0.75 && p.alpha + p.beta > 0.95 && p.alpha + p.beta < 1);

  const v = garchFilter(p, r); // v[k] = variance of r[k], known after r[k-1]
  const lam = ewmaVariance(r, 0.94);
  const har = harFit(rv.subarray(0, split), 1);
  const target: number[] = [], fG: number[] = [], fE: number[] = [], fH: number[] = [], fC: number[] = [];
  const trainMean = rv.subarray(0, split).reduce((s, x) => s + x, 0) / split;
  for (let t = split; t + 1 < rv.length; t++) {
    // decision after session t; target rv[t + 1]; daily return of session t is r[t - 1]
    target.push(rv[t + 1]);
    fG.push(garchForecast(p, v[t - 1], r[t - 1], 1));
    fE.push(lam[t]);
    fH.push(harPredict(har, rv, t));
    fC.push(trainMean);
  }
  const res = {
    garch: { qlike: qlike(target, fG), mz: mincerZarnowitzR2(target, fG) },
    ewma: { qlike: qlike(target, fE), mz: mincerZarnowitzR2(target, fE) },
    har: { qlike: qlike(target, fH), mz: mincerZarnowitzR2(target, fH) },
    constant: { qlike: qlike(target, fC) },
  };
  console.log("next-day rv5, 2013-2019:", JSON.stringify(res));
  for (const k of ["garch", "ewma", "har"] as const) {
    ok(res[k].qlike < res.constant.qlike, `${k} QLIKE ${res[k].qlike} vs constant ${res.constant.qlike}`);
    ok(res[k].mz > 0.05, `${k} MZ R2 ${res[k].mz}`);
  }
});
