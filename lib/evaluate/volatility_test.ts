import { equal, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { qlike } from "../models/mod.ts";
import {
  forwardMean,
  loadVolInputs,
  rollingQlike,
  rvScale,
  vixKnownAt,
  VOL_HAR_METHODS,
  VOL_METHODS,
  VOL_OURS,
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
  const late = (x: Float64Array, k: number) => x.map((v, i) => (i > cut ? v * k : v));
  const poisoned: VolInputs = {
    ...inp,
    rv: late(inp.rv, 7),
    ret: late(inp.ret, 3),
    rsNeg: late(inp.rsNeg, 5),
    rq: late(inp.rq, 11),
    iv: late(inp.iv, 2),
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

Deno.test("VIX joined by publication time: the forecast at the close of t uses the previous session's VIX", () => {
  // every Oxford-Man day with a VIX print of its own still sees only the one before (16:15 > 16:00)
  const k = inp.dates.indexOf("2015-08-24");
  equal(inp.ivDate[k], "2015-08-21");
  const vix = loadVixCloses();
  ok(Math.abs(Math.sqrt(inp.iv[k] * 252) * 100 - vix.get("2015-08-21")!) < 1e-9);
  // a print published before the decision time is used the same day
  const { iv, ivDate } = vixKnownAt(["2020-01-02", "2020-01-03"], [12, 14], ["2020-01-03", "2020-01-06"]);
  equal(ivDate[0], "2020-01-02");
  equal(ivDate[1], "2020-01-03");
  ok(Math.abs(iv[1] - 0.14 ** 2 / 252) < 1e-15);
  // the same day's print (16:15) is never usable at that day's close (16:00)
  equal(vixKnownAt(["2020-01-03"], [14], ["2020-01-03"]).ivDate[0], null);
});

Deno.test("volatility goal: ours (shar-iv-lev) QLIKE at h=1 <= 0.78 x HAR-RV on 2013-2019; beats log-HAR at h=1, 5", () => {
  const ratio: Record<number, number> = {};
  for (const h of [1, 5, 22]) {
    const run = volRun(inp, h, undefined, undefined, undefined, VOL_HAR_METHODS);
    const q = (m: (typeof VOL_HAR_METHODS)[number]) => qlike(run.target, run.forecasts[m]);
    ratio[h] = q(VOL_OURS) / q("har-rv");
    if (h < 22) ok(q(VOL_OURS) < q("har-log"), `h=${h}: ours ${q(VOL_OURS)} vs log-HAR ${q("har-log")}`);
  }
  ok(ratio[1] <= 0.78, `h=1 ratio ${ratio[1]}`);
  ok(ratio[5] < 1 && ratio[22] < 1, JSON.stringify(ratio));
});

function loadVixCloses(): Map<string, number> {
  const text = Deno.readTextFileSync(`${SHARED}/us-index-etf-daily-yahoo/INDEX_VIX.csv`);
  return new Map(text.trim().split("\n").slice(1).map((l) => l.split(",")).map((r) => [r[0], +r[4]]));
}

Deno.test("rollingQlike: a day without a loss (no realized value) is left out of the window's mean, not counted as 0", () => {
  const rv = Float64Array.of(2, 2, NaN, 2), f = Float64Array.of(1, 1, 1, 1);
  const q = 2 - Math.log(2) - 1;
  const r = rollingQlike(rv, f, 2);
  ok(Number.isNaN(r[0]));
  equal(r[1], q);
  equal(r[2], q, "the missing day: the mean of the one loss in the window");
  equal(r[3], q);
  ok(Number.isNaN(rollingQlike(Float64Array.of(NaN, NaN), Float64Array.of(1, 1), 2)[1]), "no loss at all");
});
