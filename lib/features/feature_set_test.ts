import { deepEqual, equal, notEqual, ok, throws } from "node:assert/strict";
import { dayOfWeek, sessions } from "../core/mod.ts";
import { loadIndexClose, loadTicker } from "./_test_data.ts";
import {
  computeFeatureMatrix,
  computeFeatures,
  DEFAULT_FEATURE_SET,
  FEATURE_FUNCTIONS,
  type FeatureFn,
  type FeatureSet,
  featureSetHash,
  featureSetId,
  FMAI_CORE_V0,
  type MarketContext,
  type OhlcvColumns,
  validateFeatureSet,
} from "./feature_set.ts";
import { logReturn } from "./returns.ts";

const AAPL = loadTicker("AAPL");
const CTX: MarketContext = {
  indexClose: loadIndexClose("INDEX_GSPC", AAPL.dates),
  vix: loadIndexClose("INDEX_VIX", AAPL.dates),
};
const CONTEXT_FNS = new Set(["index_return", "relative_return", "vix_level", "vix_change"]);
const CALENDAR_FNS = new Set(["day_of_week", "month", "days_to_month_end", "sessions_to_month_end"]);

function prefix(b: OhlcvColumns, ctx: MarketContext, end: number): [OhlcvColumns, MarketContext] {
  return [{
    open: b.open.slice(0, end),
    high: b.high.slice(0, end),
    low: b.low.slice(0, end),
    close: b.close.slice(0, end),
    volume: b.volume.slice(0, end),
    dates: b.dates?.slice(0, end),
  }, { indexClose: ctx.indexClose?.slice(0, end), vix: ctx.vix?.slice(0, end) }];
}

/** Throws when `fn`'s value at some index changes once later bars are appended (a look-ahead). */
function assertNoLookahead(name: string, fn: FeatureFn, params: Record<string, number>): void {
  const full = fn(AAPL, params, CTX);
  for (const end of [1, 2, 15, 27, 61, 150, 299]) {
    const [b, c] = prefix(AAPL, CTX, end);
    const part = fn(b, params, c);
    for (let i = 0; i < end; i++) {
      if (!Object.is(part[i], full[i]) && !(Math.abs(part[i] - full[i]) <= 1e-12 * Math.abs(full[i]))) {
        throw new Error(`${name}: value at ${i} is ${part[i]} with ${end} bars but ${full[i]} with all bars`);
      }
    }
  }
}

Deno.test("no feature function looks ahead: values on a prefix equal values on the full series", () => {
  for (const f of DEFAULT_FEATURE_SET.features) assertNoLookahead(f.name, FEATURE_FUNCTIONS[f.fn], f.params);
  for (const [key, fn] of Object.entries(FEATURE_FUNCTIONS)) assertNoLookahead(key, fn, {});
});

Deno.test("the look-ahead check catches a feature shifted one day into the future (planted leak)", () => {
  const leaky: FeatureFn = (b) => {
    const r = logReturn(b.close, 1);
    return Float64Array.from(r, (_, i) => (i + 1 < r.length ? r[i + 1] : NaN));
  };
  throws(() => assertNoLookahead("leak", leaky, {}), /leak: value at/);
});

Deno.test("fmai-alpha@1: id, stable hash, 30-50 unique names, keeps ret_1/ret_5/ret_20/vol_20 of fmai-core@0", () => {
  validateFeatureSet(DEFAULT_FEATURE_SET);
  equal(featureSetId(DEFAULT_FEATURE_SET), "fmai-alpha@1");
  // Pinned: editing the spec list without bumping the version must fail here.
  equal(featureSetHash(DEFAULT_FEATURE_SET), "433a504dbd0aa6dc");
  const n = DEFAULT_FEATURE_SET.features.length;
  ok(n >= 30 && n <= 50, `${n} features`);
  const v0 = computeFeatures(FMAI_CORE_V0, AAPL);
  const names = DEFAULT_FEATURE_SET.features.map((f) => f.name);
  const v1 = computeFeatures(DEFAULT_FEATURE_SET, AAPL, CTX);
  FMAI_CORE_V0.features.forEach((f, j) => {
    const col = v1[names.indexOf(f.name)];
    ok(col.length === v0[j].length && col.every((x, i) => Object.is(x, v0[j][i])), f.name);
  });
});

Deno.test("featureSetHash ignores param key order and changes with any spec change", () => {
  const a: FeatureSet = {
    name: "x",
    version: "1",
    features: [{ name: "m", fn: "ma_cross", params: { fast: 5, slow: 20 } }],
  };
  const b: FeatureSet = {
    name: "y",
    version: "2",
    features: [{ name: "m", fn: "ma_cross", params: { slow: 20, fast: 5 } }],
  };
  equal(featureSetHash(a), featureSetHash(b));
  notEqual(
    featureSetHash(a),
    featureSetHash({ ...a, features: [{ ...a.features[0], params: { fast: 5, slow: 21 } }] }),
  );
  notEqual(featureSetHash(a), featureSetHash({ ...a, features: [{ ...a.features[0], name: "m2" }] }));
  throws(() => validateFeatureSet({ ...a, features: [a.features[0], a.features[0]] }), RangeError);
  throws(() => validateFeatureSet({ ...a, features: [{ name: "q", fn: "nope", params: {} }] }), RangeError);
  throws(
    () => computeFeatures({ ...a, features: [{ name: "q", fn: "nope", params: {} }] }, AAPL),
    RangeError,
  );
});

Deno.test("every feature is finite after warm-up on 5 years of AAPL with real S&P 500 and VIX context", () => {
  const cols = computeFeatures(DEFAULT_FEATURE_SET, AAPL, CTX);
  DEFAULT_FEATURE_SET.features.forEach((f, j) => {
    for (let i = 61; i < AAPL.close.length; i++) {
      ok(Number.isFinite(cols[j][i]), `${f.name} at ${i}: ${cols[j][i]}`);
    }
  });
});

Deno.test("features are scale-free: prices x10 and volume x3 leave every column unchanged", () => {
  const mul = (x: Float64Array, k: number) => x.map((v) => v * k);
  const scaledBars: OhlcvColumns = {
    open: mul(AAPL.open, 10),
    high: mul(AAPL.high, 10),
    low: mul(AAPL.low, 10),
    close: mul(AAPL.close, 10),
    volume: mul(AAPL.volume, 3),
    dates: AAPL.dates,
  };
  const ctx2 = { indexClose: mul(CTX.indexClose!, 7), vix: CTX.vix };
  const a = computeFeatures(DEFAULT_FEATURE_SET, AAPL, CTX),
    b = computeFeatures(DEFAULT_FEATURE_SET, scaledBars, ctx2);
  DEFAULT_FEATURE_SET.features.forEach((f, j) => {
    // log(1 + 3v) - log(1 + v) is not exactly log 3: the +1 leaves ~1e-7 on volumes of ~1e7
    const tol = f.fn === "volume_zscore" ? 1e-5 : 1e-7;
    for (let i = 0; i < AAPL.close.length; i++) {
      const x = a[j][i], y = b[j][i];
      if (Number.isNaN(x)) ok(Number.isNaN(y), `${f.name} at ${i}`);
      else ok(Math.abs(x - y) <= tol * Math.max(1, Math.abs(x)), `${f.name} at ${i}: ${x} vs ${y}`);
    }
  });
});

Deno.test("market-context columns are NaN without ctx, calendar columns NaN without dates", () => {
  const { dates: _d, ...noDates } = AAPL;
  const cols = computeFeatures(DEFAULT_FEATURE_SET, noDates);
  DEFAULT_FEATURE_SET.features.forEach((f, j) => {
    const allNaN = cols[j].every(Number.isNaN);
    equal(allNaN, CONTEXT_FNS.has(f.fn) || CALENDAR_FNS.has(f.fn), f.name);
  });
  ok(DEFAULT_FEATURE_SET.features.some((f) => CONTEXT_FNS.has(f.fn)));
});

Deno.test("calendar features agree with the core trading calendar on every AAPL date", () => {
  const d = AAPL.dates;
  const dow = FEATURE_FUNCTIONS.day_of_week(AAPL, {}), mon = FEATURE_FUNCTIONS.month(AAPL, {});
  const dme = FEATURE_FUNCTIONS.days_to_month_end(AAPL, {}),
    sme = FEATURE_FUNCTIONS.sessions_to_month_end(AAPL, {});
  for (let i = 0; i < d.length; i++) {
    equal(dow[i], dayOfWeek(d[i]));
    equal(mon[i], Number(d[i].slice(5, 7)));
    const last = new Date(Date.UTC(Number(d[i].slice(0, 4)), Number(d[i].slice(5, 7)), 0)).getUTCDate();
    equal(dme[i], last - Number(d[i].slice(8, 10)));
    if (i % 50 === 0) equal(sme[i], sessions(d[i], `${d[i].slice(0, 8)}${last}`).length - 1, d[i]);
  }
  // The data's own month-end sessions have 0 sessions left (the next row is in another month).
  for (let i = 0; i + 1 < d.length; i++) {
    if (d[i + 1].slice(5, 7) !== d[i].slice(5, 7)) equal(sme[i], 0, d[i]);
  }
  throws(() => FEATURE_FUNCTIONS.month({ ...AAPL, dates: ["2018-02-30"] }, {}), RangeError);
});

Deno.test("sessions_to_month_end knows only the published schedule: a special closure later in the month counts", () => {
  const at = (dates: string[]) => [...FEATURE_FUNCTIONS.sessions_to_month_end({ ...AAPL, dates }, {})];
  // Sandy closed 2012-10-29/30, announced on the 28th and 29th: the closes of the 24th-26th did not know it
  deepEqual(at(["2012-10-24", "2012-10-25", "2012-10-26", "2012-10-31"]), [5, 4, 3, 0]);
  // 9/11 and a day of mourning announced after the close (Reagan died 2004-06-05)
  deepEqual(at(["2001-09-10", "2001-09-17", "2004-06-04"]), [14, 9, 18]);
  // rule holidays are published a year ahead: Thanksgiving is known
  deepEqual(at(["2017-11-20"]), [7]);
});

Deno.test("computeFeatureMatrix is the row-major layout of computeFeatures", () => {
  const cols = computeFeatures(DEFAULT_FEATURE_SET, AAPL, CTX),
    X = computeFeatureMatrix(DEFAULT_FEATURE_SET, AAPL, CTX);
  const k = cols.length;
  equal(X.length, k * AAPL.close.length);
  for (const i of [0, 100, 1258]) for (let j = 0; j < k; j++) ok(Object.is(X[i * k + j], cols[j][i]));
});
