import { equal, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  forwardMean,
  loadVolInputs,
  rollingQlike,
  rvScale,
  VOL_METHODS,
  type VolInputs,
  volOrigins,
  volRun,
} from "./volatility.ts";

const SHARED = fileURLToPath(new URL("../../../shared/data/", import.meta.url));
const inp = loadVolInputs(SHARED);

Deno.test("loadVolInputs: 5,017 Oxford-Man rows, rv5 finite, ^GSPC returns aligned by date", () => {
  equal(inp.dates.length, 5017);
  equal(inp.dates[0], "2000-01-03");
  equal(inp.dates.at(-1), "2019-12-31");
  ok(inp.rv.every((v) => v > 0));
  ok(Number.isNaN(inp.ret[0]));
  // 2008-10-13: ^GSPC +11.0% (log 0.1096)
  const k = inp.dates.indexOf("2008-10-13");
  ok(Math.abs(inp.ret[k] - 0.1096) < 1e-3, `${inp.ret[k]}`);
  const c = rvScale(inp, inp.dates.length - 1);
  ok(c > 0.5 && c < 1, `intraday share of close-to-close variance ${c}`);
});

Deno.test("volOrigins: targets inside the window, monthly re-estimation points", () => {
  const { origins, refit } = volOrigins(inp.dates, 22, "2013-01-02", "2019-12-31");
  equal(inp.dates[origins[0] + 1], "2013-01-02");
  equal(inp.dates[origins.at(-1)! + 22], "2019-12-31"); // the last target window ends on the last row
  equal(refit[0], 1);
  const months = new Set(Array.from(origins, (t) => inp.dates[t].slice(0, 7)));
  equal(refit.reduce((s, v) => s + v, 0), months.size);
});

Deno.test("volRun: forecasts at an origin do not change when later data is altered (no look-ahead)", () => {
  const run = volRun(inp, 5, "2018-01-02", "2018-12-31");
  const cut = run.origins[100];
  const poisoned: VolInputs = {
    dates: inp.dates,
    rv: inp.rv.map((v, i) => (i > cut ? v * 7 : v)),
    ret: inp.ret.map((v, i) => (i > cut ? v * 3 : v)),
  };
  const run2 = volRun(poisoned, 5, "2018-01-02", "2018-12-31");
  for (const m of VOL_METHODS) {
    for (let k = 0; k <= 100; k++) equal(run2.forecasts[m][k], run.forecasts[m][k], `${m} at ${k}`);
    ok(run2.forecasts[m].slice(101).some((v, k) => v !== run.forecasts[m][101 + k]), `${m} uses new data`);
  }
  for (let k = 0; k < run.origins.length; k++) {
    equal(run.target[k], forwardMean(inp.rv, run.origins[k], 5));
  }
});

Deno.test("volRun on 2019: HAR-RV beats EWMA in QLIKE, every method finite", () => {
  const run = volRun(inp, 1, "2019-01-02", "2019-12-31");
  const q = (m: (typeof VOL_METHODS)[number]) => {
    const r = rollingQlike(run.target, run.forecasts[m], run.origins.length);
    return r.at(-1)!;
  };
  for (const m of VOL_METHODS) ok(run.forecasts[m].every((v) => v > 0), m);
  ok(q("har-rv") < q("ewma"), `har ${q("har-rv")} ewma ${q("ewma")}`);
});
