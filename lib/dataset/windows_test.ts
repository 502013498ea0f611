import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { LookaheadError } from "../core/mod.ts";
import { type OhlcvColumns, windowMatrix, writeWindow } from "../features/mod.ts";
import { loadMarket, loadSp500 } from "./_test_sp500.ts";
import { buildDataset } from "./build.ts";
import { rowsOf } from "./rows.ts";
import { segmentsFor } from "./segments.ts";
import { Segment } from "./types.ts";
import { assertWindowsNoLookahead, fitWindowScaler, windowView } from "./windows.ts";

const AAPL = (await loadSp500(["AAPL"])).get("AAPL")!;

Deno.test("writeWindow: log ratios to the decision-time close and the window's mean volume, oldest first, edge-padded", () => {
  const cols: OhlcvColumns = {
    open: Float64Array.from([10, 11, 12]),
    high: Float64Array.from([11, 12, 13]),
    low: Float64Array.from([9, 10, 11]),
    close: Float64Array.from([10, 12, 12.5]),
    volume: Float64Array.from([100, 300, 200]),
  };
  const w = new Float64Array(4 * 5);
  writeWindow(cols, 2, 4, w);
  const last = w.subarray(15, 20); // session 2 (the decision session)
  ok(Math.abs(last[0] - Math.log(12 / 12.5)) < 1e-15);
  equal(last[3], 0); // its own close
  ok(Math.abs(last[4] - Math.log(200 / 200)) < 1e-15); // mean volume of sessions 0..2 is 200
  ok(Math.abs(w[5 + 3] - Math.log(10 / 12.5)) < 1e-15); // session 0 close at position 1
  deepEqual(Array.from(w.subarray(0, 5)), Array.from(w.subarray(5, 10))); // position 0 repeats session 0
  ok(Math.abs(w[10 + 4] - Math.log(300 / 200)) < 1e-15);
  // at t = 0 the volume mean is the bar's own volume
  writeWindow(cols, 0, 4, w);
  equal(w[19], 0);
  throws(() => writeWindow(cols, 3, 4, w), RangeError);
});

Deno.test("window truncation test: honest windows pass on real data; one that peeks at the next close is caught", () => {
  assertWindowsNoLookahead(AAPL, 60, { trials: 6 });
  const peek = (c: OhlcvColumns, L: number) => {
    const n = c.close.length, out = windowMatrix(c, L);
    // normalize by the next session's close where it exists (a look-ahead)
    for (let t = 0; t + 1 < n; t++) {
      for (let k = 0; k < L * 5; k++) out[t * L * 5 + k] += Math.log(c.close[t] / c.close[t + 1]);
    }
    return out;
  };
  throws(() => assertWindowsNoLookahead(AAPL, 60, { trials: 6 }, peek), (e: unknown) => {
    ok(e instanceof LookaheadError);
    ok(/ohlcv window \(60 sessions\) looks ahead/.test((e as Error).message), (e as Error).message);
    return true;
  });
});

Deno.test("window view of a built dataset: rows map to their symbol's bars up to the decision session; the scaler refuses rows after train", async () => {
  const series = await loadSp500(["AAPL", "MSFT", "XOM"]);
  const m = await loadMarket();
  const dates = [...series.get("AAPL")!.dates];
  const ds = buildDataset({
    series,
    market: m,
    segments: segmentsFor(dates),
    windowLength: 30,
  });
  const view = windowView(ds, { length: 30 });
  equal(view, windowView(ds, { length: 30 })); // memoized (the builder made it)
  equal(view.width, 150);
  equal(view.names[149], "volume_0");
  equal(view.names[0], "open_29");
  const rows = Int32Array.from([0, 500, ds.n - 1]);
  const x = view.fill(rows);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k], s = ds.series.get(ds.symbol[r])!;
    equal(s.dates[ds.seriesIndex[r]], ds.date[r]);
    const want = new Float32Array(150);
    writeWindow(s, ds.seriesIndex[r], 30, want);
    deepEqual(x.subarray(k * 150, k * 150 + 150), want);
    // the decision session's close sits last and is 0; no value comes from after the decision session
    equal(x[k * 150 + 29 * 5 + 3], 0);
  }
  const train = rowsOf(ds, Segment.TRAIN), valid = rowsOf(ds, Segment.VALID);
  const sc = fitWindowScaler(ds, view, train.subarray(0, 2000));
  equal(sc.mean.length, 150);
  ok(sc.std.every((v) => v > 0));
  throws(() => fitWindowScaler(ds, view, valid.subarray(0, 10)), LookaheadError);
  throws(() => windowView(ds, { length: 1 }), RangeError);
});

Deno.test("window view, cross-section: each position is z-scored over the rows of the same date", async () => {
  const series = await loadSp500(["AAPL", "MSFT", "XOM", "JPM", "JNJ", "PG"]);
  const m = await loadMarket();
  const ds = buildDataset({ series, market: m, segments: segmentsFor([...series.get("AAPL")!.dates]) });
  const view = windowView(ds, { length: 10 });
  const d = ds.date[ds.n - 1];
  const rows = Int32Array.from([...Array(ds.n).keys()].filter((i) => ds.date[i] === d));
  equal(rows.length, 6);
  const z = view.fill(rows, undefined, { crossSection: true });
  for (const j of [0, 17, 49]) {
    let s = 0, s2 = 0;
    for (let k = 0; k < rows.length; k++) (s += z[k * 50 + j], s2 += z[k * 50 + j] ** 2);
    ok(Math.abs(s / 6) < 1e-5 && Math.abs(s2 / 6 - 1) < 1e-4, `position ${j}: mean ${s / 6}, var ${s2 / 6}`);
  }
  // a row alone gets the same values as inside its full cross-section
  const one = view.fill(rows.subarray(2, 3), undefined, { crossSection: true });
  deepEqual(one, z.subarray(100, 150));
  // positions that are identical across symbols (close at lag 0 is always 0) become 0
  equal(z[9 * 5 + 3], 0);
});
