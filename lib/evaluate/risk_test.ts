import { deepEqual, equal, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { stdTQuantile, volScaledRisk } from "../models/mod.ts";
import {
  backtestRun,
  gjrSegments,
  indexRiskRun,
  RISK_DEFAULT,
  RISK_METHODS_INDEX,
  stockRiskRun,
} from "./risk.ts";
import { loadVolInputs, type VolInputs } from "./volatility.ts";

const SHARED = fileURLToPath(new URL("../../../shared/data/", import.meta.url));
const inp = loadVolInputs(SHARED);

Deno.test("indexRiskRun: every method forecasts every day; a forecast never changes when later data does", () => {
  const run = indexRiskRun(inp, "2018-01-02", "2018-06-29");
  equal(run.paths.map((p) => p.method).join(), RISK_METHODS_INDEX.join());
  const cut = run.from + 60;
  const late = (x: Float64Array, k: number) => x.map((v, i) => (i > cut ? v * k : v));
  const poisoned: VolInputs = {
    ...inp,
    rv: late(inp.rv, 5),
    ret: late(inp.ret, 3),
    rsNeg: late(inp.rsNeg, 4),
    iv: late(inp.iv, 2),
  };
  const run2 = indexRiskRun(poisoned, "2018-01-02", "2018-06-29");
  for (const [k, p] of run.paths.entries()) {
    for (let a = 0; a < 2; a++) {
      for (let t = run.from; t < run.to; t++) {
        ok(p.var_[a][t] > 0 && p.es[a][t] > p.var_[a][t], `${p.method} ${t}`);
        if (t <= cut) equal(run2.paths[k].var_[a][t], p.var_[a][t], `${p.method} uses data after ${t}`);
      }
    }
    ok(
      run2.paths[k].var_[0].subarray(cut + 2, run.to).some((v, i) => v !== p.var_[0][cut + 2 + i]),
      p.method,
    );
  }
});

Deno.test("risk goal (holds): the default passes Kupiec at 99% and 97.5% and Christoffersen at 97.5% on the index 2013-2019", () => {
  const bt = backtestRun(indexRiskRun(inp), 200, 42).get(RISK_DEFAULT)!;
  const [b99, b975] = bt;
  ok(b99.kupiec.pValue >= 0.05 && b975.kupiec.pValue >= 0.05, JSON.stringify([b99.kupiec, b975.kupiec]));
  ok(
    b975.independence.pValue >= 0.05 && b975.conditionalCoverage.pValue >= 0.05,
    JSON.stringify(b975.independence),
  );
  ok(b975.z2.pValue >= 0.05, `ES at 97.5%: ${JSON.stringify(b975.z2)}`);
  equal(b99.kupiec.n, 1758);
});

Deno.test("stockRiskRun: forecasts exactly the returns dated inside the test segment", () => {
  const dates = inp.dates.slice(3000, 4300), r = inp.ret.slice(3000, 4300);
  const run = stockRiskRun("^GSPC", dates, r, "2016-01-04", "2016-06-30");
  equal(dates[run.from], "2016-01-04");
  equal(dates[run.to - 1] <= "2016-06-30" && dates[run.to] > "2016-06-30", true);
  for (const p of run.paths) ok(Number.isNaN(p.var_[0][run.from - 1]) && p.var_[0][run.from] > 0, p.method);
});

Deno.test("gjr-t's tail is the GJR model's own unit-variance Student-t, not a t fitted again to its residuals", () => {
  const from = inp.dates.indexOf("2016-01-04"), to = inp.dates.indexOf("2016-06-30");
  const g = gjrSegments(inp.ret, [from], to);
  equal(g.segments.length, 1);
  const nu = g.fits[0].params.nu;
  ok(nu > 2 && nu < 30, `nu ${nu}`);
  deepEqual(g.segments[0].dist, { nu, scale: 1 });
  const gj = volScaledRisk(inp.ret, g.segments, [0.01], { t: "gjr-t", fhs: "gjr-fhs" });
  deepEqual([gj.fits[0].nu, gj.fits[0].scale], [nu, 1]);
  // its 99% VaR: -(mu + sigma q_nu(0.01)) with the model's nu
  const t = from + 10, s = g.segments[0].sigma[t];
  ok(Math.abs(gj.t.var_[0][t] - -(g.segments[0].mu + s * stdTQuantile(0.01, nu))) < 1e-15);
});
