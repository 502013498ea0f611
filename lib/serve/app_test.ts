import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { openEmbeddedStores, type Stores } from "../store/mod.ts";
import {
  type ApiKeyRecord,
  createApi,
  createApiKey,
  hasDotSegment,
  issuedView,
  KeyRing,
  MAX_INSTANT,
  parseCorsOrigins,
  parseKeyHashes,
  type ReaderOptions,
  requestTarget,
  yearBefore,
} from "./mod.ts";
import { rowToSignal, signalToRow } from "../store/mod.ts";
import { DATES, fillStores, type Fixture, issueRun, MODEL } from "./_test_fixture.ts";
import { promoteVersion } from "../models/mod.ts";
import { ConfigError, SHADOW_SIGNAL_SOURCE } from "../core/mod.ts";

interface Setup {
  stores: Stores;
  fx: Fixture;
  key: string;
  revoked: string;
  slow: string;
  records: ApiKeyRecord[];
  now: number;
}

async function setup(): Promise<Setup> {
  const stores = openEmbeddedStores(":memory:");
  const fx = await fillStores(stores.tables, stores.objects);
  const a = await createApiKey("tester", { ratePerSec: 1000, burst: 1000 });
  const r = await createApiKey("gone");
  const s = await createApiKey("slow", { ratePerSec: 1, burst: 2 });
  return {
    stores,
    fx,
    key: a.key,
    revoked: r.key,
    slow: s.key,
    records: [a.record, { ...r.record, revoked: true }, s.record],
    now: Date.UTC(2018, 1, 9),
  };
}

function apiOf(s: Setup, opts: { corsOrigins?: string[]; reader?: ReaderOptions } = {}) {
  const logged: string[] = [];
  const api = createApi({
    stores: s.stores,
    keys: new KeyRing(s.records),
    now: () => s.now,
    log: (m) => logged.push(m),
    ...opts,
  });
  const get = (
    path: string,
    headers: Record<string, string> = { "X-API-Key": s.key },
    init: RequestInit = {},
  ) => api.fetch(new Request(`http://api.test${path}`, { headers, ...init }));
  return { api, get, logged };
}

async function errorOf(res: Response): Promise<string> {
  equal(res.headers.get("content-type")?.split(";")[0], "application/json");
  const text = await res.text();
  ok(!text.includes("\n") && !/\bat .*\.ts:\d+/.test(text), `one line, no stack: ${text}`);
  const body = JSON.parse(text);
  deepEqual(Object.keys(body), ["error"]);
  return body.error;
}

Deno.test("serve: auth: missing, wrong and revoked keys are refused; bearer and header keys work", async () => {
  const s = await setup();
  try {
    const { get } = apiOf(s);
    let r = await get("/v1/signals", {});
    equal(r.status, 401);
    equal(await errorOf(r), "missing api key");
    ok(r.headers.get("www-authenticate")?.startsWith("Bearer"));
    r = await get("/v1/signals", { "X-API-Key": s.key.slice(0, -1) + (s.key.endsWith("A") ? "B" : "A") });
    equal(r.status, 401);
    equal(await errorOf(r), "invalid api key");
    r = await get("/v1/signals", { "X-API-Key": "not-a-key" });
    equal(r.status, 401);
    await r.body?.cancel();
    r = await get("/v1/signals", { "X-API-Key": s.revoked });
    equal(r.status, 403);
    equal(await errorOf(r), "api key revoked");
    r = await get("/v1/signals", { Authorization: `Bearer ${s.key}` });
    equal(r.status, 200);
    await r.body?.cancel();
    r = await get("/metrics", {});
    equal(r.status, 401, "metrics need a key");
    await r.body?.cancel();
    // /healthz takes a monitor's cache-buster
    for (const open of ["/healthz", "/openapi.json", "/healthz?_=1733500000"]) {
      r = await get(open, {});
      equal(r.status, 200, open);
      await r.body?.cancel();
    }
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: the URL limit counts the path and query as sent, not the host; . and .. segments are 404", async () => {
  equal(requestTarget("http://a.test:8080/x/y?q=1"), "/x/y?q=1");
  equal(requestTarget("https://a.test"), "/");
  for (
    const p of [
      "/v1/./models",
      "/v1/../x",
      "/v1/signals/%2e%2E/models",
      "/v1/models/%2E",
      "/.?x=1",
      "/v1/signals\\..\\models",
      "/v1/signals/..\\models",
      "/v1/signals\\%2e%2e\\models",
    ]
  ) {
    ok(hasDotSegment(p), p);
  }
  for (
    const p of ["/v1/models", "/v1/models?x=..", "/v1/a.b", "/v1/...", "/v1/%2e%2e%2e", "/healthz?a=/./"]
  ) {
    ok(!hasDotSegment(p), p);
  }
  const s = await setup();
  try {
    const { api } = apiOf(s);
    // a host of 243 bytes (a client's Host header, or a gateway's domain) does not count
    const host = `${"h".repeat(60)}.`.repeat(4) + "test";
    const get = async (n: number) => {
      const r = await api.fetch(
        new Request(`http://${host}/healthz?x=${"a".repeat(n - "/healthz?x=".length)}`),
      );
      await r.body?.cancel();
      return r.status;
    };
    deepEqual([await get(2048), await get(2049)], [200, 414]);
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve keys: a whole key where an id belongs is refused without showing it", () => {
  const key = `fmai_0badc0de_${"k".repeat(43)}`;
  try {
    parseKeyHashes(`${key}:${"a".repeat(64)}`);
    ok(false, "refused");
  } catch (e) {
    const m = String(e);
    ok(!m.includes("kkkk"), m);
    equal(
      m,
      "ConfigError: FMAI_API_KEY_HASHES: api key: id must be 8 hex digits, got a whole key (the secret is not shown; give its id and sha256)",
    );
  }
});

Deno.test("serve: validation: bad dates, unknown symbols and parameters, oversized requests", async () => {
  const s = await setup();
  try {
    const { get } = apiOf(s);
    const cases: [string, number, RegExp][] = [
      ["/v1/signals?date=2018-02-30", 400, /^query date: expected a date YYYY-MM-DD, got "2018-02-30"$/],
      // the value quoted, as every date flag quotes it: a stray space shows
      [
        "/v1/signals/AAPL?from=%202018-02-01",
        400,
        /^query from: expected a date YYYY-MM-DD, got " 2018-02-01"$/,
      ],
      ["/v1/signals?date=yesterday", 400, /date/],
      // malformed: 400; well formed but naming what was never issued or registered: 404
      ["/v1/signals?symbols=AAPL,NOPE", 404, /^unknown symbol NOPE$/],
      ["/v1/signals?symbols=AA%20PL", 400, /symbols/],
      // a symbol named twice is refused, as every other edge refuses it, not answered once
      ["/v1/signals?symbols=AAPL,XOM,AAPL", 400, /^query symbols: AAPL is given twice$/],
      ["/v1/signals?symbols=aapl,AAPL", 400, /^query symbols: aapl and AAPL are the same symbol$/],
      ["/v1/signals?colour=red", 400, /unknown parameter "colour"/],
      // the routes without parameters refuse one too
      ["/v1/models?foo=1", 400, /^query: unknown parameter "foo"$/],
      ["/v1/models/champion?foo=1&bar=2", 400, /^query: unknown parameter "foo", "bar"$/],
      ["/metrics?foo", 400, /^query: unknown parameter "foo"$/],
      ["/openapi.json?v=2", 400, /^query: unknown parameter "v"$/],
      ["/v1/signals?asOf=2018-02-06", 400, /asOf/],
      ["/v1/signals?model=Bad_Model", 400, /model/],
      ["/v1/signals?model=nobody", 404, /unknown model alias nobody/],
      ["/v1/signals/NOPE", 404, /^unknown symbol NOPE$/],
      ["/v1/signals/AAPL?from=2018-02-07&to=2018-02-01", 400, /after/],
      ["/v1/signals/AAPL?limit=0", 400, /limit/],
      ["/v1/signals/AAPL?limit=5001", 400, /^query limit: expected an integer 1\.\.5000$/],
      ["/v1/signals/AAPL?limit=9999", 400, /^query limit: expected an integer 1\.\.5000$/],
      ["/v1/signals/AAPL?from=2018-13-01", 400, /from/],
      ["/v1/models/2099-01-01.0123456789", 404, /unknown model version/],
      ["/v1/signals?date=2017-01-03", 404, /no signals issued for 2017-01-03/],
      ["/v2/anything", 404, /^not found$/],
      [`/v1/signals?symbols=${Array.from({ length: 101 }, (_, i) => `S${i}`).join(",")}`, 400, /up to 100/],
      [`/v1/signals?symbols=${"A,".repeat(1100)}A`, 414, /URL longer than 2048/],
    ];
    for (const [path, status, re] of cases) {
      const r = await get(path);
      equal(r.status, status, path.slice(0, 80));
      const e = await errorOf(r);
      ok(re.test(e), `${path.slice(0, 60)}: ${e}`);
    }
    const body = await get("/v1/signals", { "X-API-Key": s.key, "Content-Type": "application/json" }, {
      method: "POST",
      body: "x".repeat(5000),
    });
    equal(body.status, 413);
    ok(/body larger than 1024/.test(await errorOf(body)));
    // a GET's body is dropped before the body limit: its declared length is refused all the same
    const declared = await get("/v1/signals", { "X-API-Key": s.key, "Content-Length": "2100" });
    equal(declared.status, 413);
    equal(declared.headers.get("cache-control"), "no-store");
    ok(/body larger than 1024/.test(await errorOf(declared)));
    // a refusal of the request's shape (the schema's) is never cached either
    for (const path of ["/v1/signals?date=2019-02-30", "/v1/signals?foo=1", "/v1/signals?limit=-1"]) {
      const r = await get(path, { "X-API-Key": s.key });
      equal(r.status, 400, path);
      equal(r.headers.get("cache-control"), "no-store", path);
      await r.body?.cancel();
    }
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: per-key rate limit answers 429 with Retry-After, other keys unaffected", async () => {
  const s = await setup();
  try {
    const { get, api } = apiOf(s);
    const slow = { "X-API-Key": s.slow };
    // the bucket of a key with rate 1/s and burst 2: its capacity, what is left, the seconds until it is full
    const rate = (r: Response) =>
      ["limit", "remaining", "reset"].map((f) => r.headers.get(`ratelimit-${f}`)).join(" ");
    for (const left of ["2 1 1", "2 0 2"]) {
      const r = await get("/v1/models", slow);
      equal(r.status, 200);
      equal(rate(r), left);
      await r.body?.cancel();
    }
    const r = await get("/v1/models", slow);
    equal(r.status, 429);
    equal(rate(r), "2 0 2");
    ok(Number(r.headers.get("retry-after")) >= 1);
    ok(/rate limit of 1 requests\/s exceeded/.test(await errorOf(r)));
    const other = await get("/v1/models");
    equal(other.status, 200);
    await other.body?.cancel();
    const m = await (await get("/metrics")).text();
    ok(m.includes('fmai_http_refused_total{reason="rate_limit"} 1'), m);
    ok(api.metrics.render({}).includes("fmai_http_requests_total"));
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: signals: latest run, by date, by model version; a new version never replaces the old one", async () => {
  const s = await setup();
  try {
    const { get } = apiOf(s);
    const latest = await (await get("/v1/signals")).json();
    equal(latest.date, DATES[1]);
    equal(latest.forSession, "2018-02-07");
    equal(latest.modelVersion, s.fx.v2, "the latest run of the latest date");
    deepEqual(latest.signals.map((x: { symbol: string }) => x.symbol), ["AAPL", "MSFT"]);
    const old = await (await get(`/v1/signals?date=${DATES[1]}&model=${s.fx.v1}&symbols=xom,AAPL`)).json();
    equal(old.modelVersion, s.fx.v1);
    deepEqual(old.signals.map((x: { symbol: string }) => x.symbol), ["AAPL", "XOM"]);
    const x = old.signals[0];
    equal(x.action, "sell");
    deepEqual(x.experts.map((e: { expert: string; weight: number }) => [e.expert, e.weight]), [
      ["trend", 0.5],
      ["level", 0.3],
      ["volatility", 0.2],
    ]);
    equal(x.featureHash, "a".repeat(64));
    equal(x.sizing.rule.method, "topk-dropout");
    equal(old.signals[1].sizing.forecastVol, null, "a missing forecast is null, not NaN");
    ok(Math.abs(x.sizing.decisionEdge - (x.sizing.score - 0.01)) < 1e-12, "the decision edge is served");
    equal(old.signals[1].sizing.decisionEdge, null, "a signal without a recorded decision edge: null");
    // the risk limits' records, only where the book was sized under them
    deepEqual(x.sizing.brake, { engaged: false, drawdown: 0.031, sessions: 12 });
    deepEqual(x.sizing.varCap, { var: 0.0234, limit: 0.02, alpha: 0.01 });
    ok(!("varCap" in old.signals[1].sizing) && !("brake" in old.signals[1].sizing));
    const v2only = await (await get(`/v1/signals?date=${DATES[1]}&symbols=XOM`)).json();
    deepEqual(v2only.notInRun, ["XOM"]);
    const byAlias = await (await get(`/v1/signals?date=${DATES[1]}&model=champion`)).json();
    equal(byAlias.modelVersion, s.fx.v2);
    const hist = await (await get("/v1/signals/AAPL?from=2018-01-01&to=2018-02-28")).json();
    deepEqual(hist.signals.map((h: { date: string; modelVersion: string }) => [h.date, h.modelVersion]), [
      [DATES[0], s.fx.v1],
      [DATES[1], s.fx.v2],
    ]);
    // no range: the year up to the latest issued date (2018), not the year up to today, which holds nothing
    const recent = await (await get("/v1/signals/AAPL")).json();
    deepEqual([recent.to, recent.signals.map((h: { date: string }) => h.date)], [DATES[1], [
      DATES[0],
      DATES[1],
    ]]);
    equal(recent.truncated, false);
    // a limit that leaves dates out says so; the newest are kept
    const one = await (await get("/v1/signals/AAPL?limit=1")).json();
    deepEqual([one.truncated, one.signals.map((h: { date: string }) => h.date)], [true, [DATES[1]]]);
    equal((await (await get("/v1/signals/AAPL?limit=2")).json()).truncated, false);
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: a challenger's shadow run answers only when its version is asked for", async () => {
  const s = await setup();
  try {
    const shadow = "2018-02-06.0123456789";
    await issueRun(
      s.stores.tables,
      shadow,
      DATES[1],
      s.fx.issued.d1v2 + 60_000,
      0.9,
      undefined,
      SHADOW_SIGNAL_SOURCE,
    );
    const { get } = apiOf(s);
    const latest = await (await get("/v1/signals")).json();
    equal(latest.modelVersion, s.fx.v2, "issued later, but a shadow run is not the day's signals");
    const hist = await (await get("/v1/signals/AAPL?from=2018-01-01&to=2018-02-28")).json();
    deepEqual(hist.signals.map((h: { modelVersion: string }) => h.modelVersion), [s.fx.v1, s.fx.v2]);
    const asked = await (await get(`/v1/signals?model=${shadow}`)).json();
    equal(asked.modelVersion, shadow);
    equal(asked.signals.length, 3);
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: as-of replay returns identical bytes, before and after later runs and across instances", async () => {
  const s = await setup();
  try {
    const asOf = new Date(s.fx.issued.d1v1 + 60_000).toISOString();
    const paths = [
      `/v1/signals?date=${DATES[1]}&asOf=${asOf}`,
      `/v1/signals?asOf=${encodeURIComponent(asOf)}`,
      `/v1/signals/AAPL?from=2018-01-01&to=2018-02-28&asOf=${s.fx.issued.d1v1 + 60_000}`,
      `/v1/health?asOf=${asOf}`,
      `/v1/scorecard?asOf=${asOf}`,
      `/v1/scorecard/days?asOf=${asOf}`,
    ];
    const first = [];
    for (const p of paths) {
      const r = await apiOf(s).get(p);
      equal(r.status, 200, p);
      equal(r.headers.get("cache-control"), "private, max-age=31536000, immutable");
      first.push(new Uint8Array(await r.arrayBuffer()));
    }
    const one = apiOf(s);
    for (const p of paths) {
      const a = new Uint8Array(await (await one.get(p)).arrayBuffer());
      const b = await one.get(p); // from the replay cache
      equal(b.headers.get("cache-control"), "private, max-age=31536000, immutable");
      deepEqual(new Uint8Array(await b.arrayBuffer()), a, `cached ${p}`);
    }
    const before = JSON.parse(new TextDecoder().decode(first[0]));
    equal(before.modelVersion, s.fx.v1, "v2 was issued after asOf");
    equal(before.signals.length, 3);
    // a later run (a third version re-issuing the same date) changes the latest answer, not the replay
    await issueRun(s.stores.tables, s.fx.v1.replace(/.$/, "9"), DATES[1], s.fx.issued.d1v2 + 1000, 0.9);
    s.now += 86_400_000;
    for (let i = 0; i < paths.length; i++) {
      const again = new Uint8Array(await (await apiOf(s).get(paths[i])).arrayBuffer());
      deepEqual(again, first[i], paths[i]);
    }
    const latest = await (await apiOf(s).get(`/v1/signals?date=${DATES[1]}`)).json();
    equal(latest.modelVersion, s.fx.v1.replace(/.$/, "9"));
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: models, manifest, scorecard, health, metrics and openapi", async () => {
  const s = await setup();
  try {
    const { get } = apiOf(s);
    const models = await (await get("/v1/models")).json();
    deepEqual(models.aliases, { champion: s.fx.v2 });
    deepEqual(models.versions.map((v: { version: string; aliases: string[] }) => [v.version, v.aliases]), [
      [s.fx.v1, []],
      [s.fx.v2, ["champion"]],
    ]);
    const man = await (await get(`/v1/models/${s.fx.v1}`)).json();
    equal(man.lineage.seed, 1);
    equal(man.digest.length, 64);
    equal((await (await get("/v1/models/champion")).json()).version, s.fx.v2);
    const sc = await (await get("/v1/scorecard")).json();
    equal(sc.models.length, 1);
    const e = sc.models[0];
    deepEqual([e.modelVersion, e.days, e.signals, e.traded, e.hitRate], [s.fx.v1, 2, 6, 4, 0.75]);
    ok(Math.abs(e.pnl - 0.004) < 1e-12);
    ok(Math.abs(e.meanIc - 0.75) < 1e-12);
    // the book over the one day that recorded it (compounded: 1.004 - 1 is 0.004 up to rounding)
    deepEqual([e.bookDays, e.bookSharpe, e.bookMaxDrawdown, e.meanTurnover], [1, null, 0, 0.5]);
    ok(Math.abs(e.bookReturn - 0.004) < 1e-12 && Math.abs(e.benchmarkReturn - 0.002) < 1e-12);
    // the days themselves, as stored (the first scored before the book was recorded)
    const days = await (await get(`/v1/scorecard/days?model=${s.fx.v1}`)).json();
    deepEqual(days.days.map((d: { date: string; bookPnl: number | null }) => [d.date, d.bookPnl]), [
      [DATES[0], null],
      [DATES[1], 0.004],
    ]);
    deepEqual(
      (({ modelVersion, source, signals, traded, hits, pnl, ic, turnover, benchmark }) => ({
        modelVersion,
        source,
        signals,
        traded,
        hits,
        pnl,
        ic,
        turnover,
        benchmark,
      }))(days.days[1]),
      {
        modelVersion: s.fx.v1,
        source: "moe",
        signals: 3,
        traded: 2,
        hits: 2,
        pnl: 0.003,
        ic: 1,
        turnover: 0.5,
        benchmark: 0.002,
      },
    );
    equal((await (await get(`/v1/scorecard/days?from=${DATES[1]}`)).json()).days.length, 1);
    equal((await get(`/v1/scorecard/days?from=${DATES[1]}&to=${DATES[0]}`)).status, 400);
    equal((await get("/v1/scorecard/days?model=nosuchalias")).status, 404);
    const h = await (await get(`/v1/health?date=${DATES[1]}`)).json();
    equal(h.modelVersion, s.fx.v2);
    equal(h.status, "ok", "the run's stored status: one failing check alone did not fail the run");
    deepEqual(h.checks.map((x: { status: string }) => x.status), ["fail"]);
    const h1 = await (await get(`/v1/health?date=${DATES[1]}&model=${s.fx.v1}`)).json();
    equal(h1.status, "ok");
    equal(h1.checks.length, 2);
    const m = await get("/metrics");
    equal(m.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const text = await m.text();
    ok(text.includes(`fmai_model_info{alias="champion",version="${s.fx.v2}"} 1`), text);
    ok(text.includes(`fmai_model_info{alias="latest_issued",version="${s.fx.v2}"} 1`));
    ok(/fmai_http_requests_total\{route="\/v1\/models\/:version",method="GET",status="200"\} 2/.test(text));
    ok(/fmai_http_request_duration_seconds_bucket\{route="\/v1\/scorecard",le="\+Inf"\} 1/.test(text));
    const doc = await (await get("/openapi.json", {})).json();
    equal(doc.openapi, "3.1.0");
    for (
      const p of [
        "/v1/signals",
        "/v1/signals/{symbol}",
        "/v1/models",
        "/v1/models/{version}",
        "/v1/scorecard",
        "/v1/scorecard/days",
        "/v1/health",
      ]
    ) {
      ok(doc.paths[p]?.get, p);
    }
    ok(doc.components.schemas.IssuedSignal);
    // the history window's defaults are stated where clients read them
    const params = doc.paths["/v1/signals/{symbol}"].get.parameters as {
      name: string;
      description?: string;
    }[];
    ok(
      params.find((x) => x.name === "from")?.description?.includes("one year before `to`"),
      JSON.stringify(params),
    );
    ok(
      params.find((x) => x.name === "to")?.description?.includes("the latest date issued by `asOf`"),
      JSON.stringify(params),
    );
    ok(doc.components.securitySchemes.ApiKey);
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: FMAI_API_CORS_ORIGINS takes origins only, kept as a browser sends them; anything else is one line naming it", () => {
  deepEqual(parseCorsOrigins(undefined), []);
  deepEqual(parseCorsOrigins(" , "), []);
  deepEqual(
    parseCorsOrigins(" https://a.example , http://localhost:3000,HTTPS://B.Example:443/,http://[::1]:8080"),
    ["https://a.example", "http://localhost:3000", "https://b.example", "http://[::1]:8080"],
  );
  for (
    const bad of [
      "not-a-url",
      "*",
      "a.example",
      "ftp://a.example",
      "https://a.example/app",
      "https://a.example?x",
      "https://u@a.example",
      "null",
    ]
  ) {
    throws(
      () => parseCorsOrigins(`https://ok.example,${bad}`),
      (e: Error) =>
        e instanceof ConfigError && !e.message.includes("\n") &&
        e.message.startsWith(`FMAI_API_CORS_ORIGINS: ${JSON.stringify(bad)} (entry 2 of 2) is not an origin`),
      bad,
    );
  }
  throws(() => parseCorsOrigins("*"), /a wildcard is not taken, list each origin/);
});

Deno.test("serve: CORS is off unless origins are configured; store failures are clean 503s", async () => {
  const s = await setup();
  try {
    const off = await apiOf(s).get("/v1/models", { "X-API-Key": s.key, Origin: "https://evil.example" });
    equal(off.headers.get("access-control-allow-origin"), null);
    await off.body?.cancel();
    const on = await apiOf(s, { corsOrigins: ["https://app.example"] }).get("/v1/models", {
      "X-API-Key": s.key,
      Origin: "https://app.example",
    });
    equal(on.headers.get("access-control-allow-origin"), "https://app.example");
    // a page of that origin can read the rate-limit fields
    equal(
      on.headers.get("access-control-expose-headers"),
      "RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset,Retry-After",
    );
    await on.body?.cancel();
    const { get, logged } = apiOf(s);
    await s.stores.tables.close();
    const r = await get("/v1/signals");
    ok(r.status === 503 || r.status === 500, String(r.status));
    ok(/^(store unavailable|internal error)$/.test(await errorOf(r)));
    ok(logged.length >= 1, "the cause is logged server-side");
    // a failure is never marked immutable, also where a settled replay would be
    for (const p of [`/v1/signals?asOf=${s.fx.issued.d1v2}`, `/v1/signals/AAPL?asOf=${s.fx.issued.d1v2}`]) {
      const f = await get(p);
      ok(f.status === 503 || f.status === 500, `${p}: ${f.status}`);
      equal(f.headers.get("cache-control"), "no-store", p);
      await f.body?.cancel();
    }
    const hz = await get("/healthz", {});
    equal(hz.status, 503);
    await hz.body?.cancel();
  } finally {
    await s.stores.close().catch(() => {});
  }
});

Deno.test("serve: one instance sees a new run at once; cached answers equal cold ones, byte for byte", async () => {
  const s = await setup();
  try {
    const warm = apiOf(s);
    const tiny = apiOf(s, { reader: { signalCacheEntries: 1 } }); // evicts all the time
    const paths = [
      "/v1/signals",
      "/v1/signals?symbols=XOM,AAPL",
      `/v1/signals?date=${DATES[1]}&model=${s.fx.v1}&symbols=MSFT`,
      `/v1/signals?date=${DATES[1]}&symbols=XOM`,
      "/v1/signals/AAPL?from=2018-01-01&to=2018-02-28",
      "/v1/signals/XOM?from=2018-01-01&to=2018-02-28",
      "/v1/signals/XOM?from=2018-01-01&to=2018-02-28&limit=1",
      `/v1/signals/MSFT?from=2018-01-01&to=2018-02-28&model=${s.fx.v1}`,
      "/v1/health",
    ];
    const bytes = async (a: ReturnType<typeof apiOf>, p: string) => {
      const r = await a.get(p);
      equal(r.status, 200, p);
      return await r.text();
    };
    const answers = async () => {
      const out: string[] = [];
      for (const p of paths) {
        const cold = await bytes(apiOf(s), p);
        equal(await bytes(warm, p), cold, `warm ${p}`);
        equal(await bytes(warm, p), cold, `warm again ${p}`);
        equal(await bytes(tiny, p), cold, `tiny cache ${p}`);
        out.push(cold);
      }
      return out;
    };
    const before = await answers();
    // every signal in an answer is the stored row's view
    const stored = await s.stores.tables.query("signals", {
      where: { symbol: "XOM", model_version: { gt: "" } },
    });
    const xom = JSON.parse(before[5]).signals;
    deepEqual(xom, stored.map((r) => JSON.parse(JSON.stringify(issuedView(rowToSignal(r))))));

    // a run written after those answers were cached: the same instances answer with it at once
    const v3 = s.fx.v1.replace(/.$/, "9");
    await issueRun(s.stores.tables, v3, DATES[1], s.fx.issued.d1v2 + 1000, 0.9, ["XOM"]);
    const after = await answers();
    equal(JSON.parse(after[0]).modelVersion, v3);
    deepEqual(JSON.parse(after[0]).signals.map((x: { symbol: string }) => x.symbol), ["XOM"]);
    deepEqual(JSON.parse(after[1]).notInRun, ["AAPL"]);
    equal(after[2], before[2], "an explicit model's answer is unchanged");
    deepEqual(
      JSON.parse(after[5]).signals.map((
        h: { date: string; modelVersion: string },
      ) => [h.date, h.modelVersion]),
      [[DATES[0], s.fx.v1], [DATES[1], v3]],
    );
    equal(after[4], before[4], "AAPL's history: the new run did not issue AAPL");

    // signals whose run row is not written yet (a run in progress) are not served, as history or latest
    const v4 = s.fx.v1.replace(/.$/, "8");
    const sig = (await issueRun(s.stores.tables, v4, "2018-02-07", s.fx.issued.d1v2 + 90_000_000, 0.2))
      .map(signalToRow);
    equal(await s.stores.tables.delete("signal_runs", { model_version: v4 }), 1);
    equal(await s.stores.tables.count("signals", { model_version: v4 }), sig.length);
    const pending = [
      await bytes(warm, "/v1/signals"),
      await bytes(warm, "/v1/signals/AAPL?from=2018-01-01&to=2018-02-28"),
    ];
    deepEqual(pending, [after[0], after[4]]);
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: a replay naming a model alias is never immutable (the alias moves); by version it is", async () => {
  const s = await setup();
  try {
    const { get } = apiOf(s);
    const asOf = s.fx.issued.d1v2 + 120_000;
    const byAlias = `/v1/signals?date=${DATES[1]}&model=champion&asOf=${asOf}`;
    const others = [
      `/v1/signals/AAPL?from=2018-01-01&to=2018-02-28&model=champion&asOf=${asOf}`,
      `/v1/scorecard?model=champion&asOf=${asOf}`,
      `/v1/health?date=${DATES[1]}&model=challenger&asOf=${asOf}`,
    ];
    let r = await get(byAlias);
    equal(r.headers.get("cache-control"), "no-store");
    equal((await r.json()).modelVersion, s.fx.v2);
    for (const p of others) {
      r = await get(p);
      equal(r.status, p.includes("challenger") ? 404 : 200, p); // v2 is champion now: no challenger
      equal(r.headers.get("cache-control"), "no-store", p);
      await r.body?.cancel();
    }
    const doc = await (await get("/openapi.json", {})).json();
    const asOfDoc = (doc.paths["/v1/signals"].get.parameters as { name: string; description?: string }[])
      .find((x) => x.name === "asOf")?.description ?? "";
    ok(/unless `model` is an alias/.test(asOfDoc), asOfDoc);
    const byVersion = await get(`/v1/signals?date=${DATES[1]}&model=${s.fx.v2}&asOf=${asOf}`);
    equal(byVersion.headers.get("cache-control"), "private, max-age=31536000, immutable");
    await byVersion.body?.cancel();
    // `deno task models promote` moves the champion: the same request, on the same instance, follows it
    await promoteVersion(s.stores.objects, MODEL, s.fx.v1, { now: s.now });
    r = await get(byAlias);
    equal(r.headers.get("cache-control"), "no-store");
    equal((await r.json()).modelVersion, s.fx.v1);
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: health reports the run's stored status, each check keeping its own", async () => {
  const s = await setup();
  try {
    const setStatus = async (version: string, status: string) => {
      const rows = await s.stores.tables.query("signal_runs", {
        where: { model_version: version, as_of: DATES[1] },
      });
      equal(rows.length, 1);
      await s.stores.tables.upsert("signal_runs", [{ ...rows[0], status }]);
    };
    await setStatus(s.fx.v1, "warn");
    await setStatus(s.fx.v2, "fail");
    const { get } = apiOf(s);
    const v1 = await (await get(`/v1/health?date=${DATES[1]}&model=${s.fx.v1}`)).json();
    equal(v1.status, "warn", "every check ok, the run warned: the run's status");
    deepEqual(v1.checks.map((x: { status: string }) => x.status), ["ok", "ok"]);
    const v2 = await (await get(`/v1/health?date=${DATES[1]}`)).json();
    equal(v2.status, "fail");
    // and the OpenAPI description says so
    const doc = await (await get("/openapi.json", {})).json();
    ok(/status as the daily run stored it/.test(doc.components.schemas.Health.properties.status.description));
    // a status no run writes is a broken store invariant: a clean 500, logged
    await setStatus(s.fx.v2, "bogus");
    const bad = apiOf(s);
    const r = await bad.get(`/v1/health?date=${DATES[1]}`);
    equal(r.status, 500);
    equal(await errorOf(r), "internal error");
    ok(bad.logged.length === 1, bad.logged.join("; "));
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: asOf is bounded to 1970..9999 at validation (400), never a 500 from the store", async () => {
  const s = await setup();
  try {
    const { get, logged } = apiOf(s);
    for (
      const p of [
        "/v1/scorecard?asOf=999999999999999",
        `/v1/scorecard?asOf=${MAX_INSTANT + 1}`,
        "/v1/signals?asOf=999999999999999",
        "/v1/signals/AAPL?asOf=999999999999999",
        "/v1/health?asOf=999999999999999",
        "/v1/signals?asOf=1969-12-31T23:59:59Z",
        `/v1/signals?asOf=${encodeURIComponent("0000-01-01T00:00:00+14:00")}`,
        `/v1/signals?asOf=${encodeURIComponent("9999-12-31T23:59:59-05:00")}`,
      ]
    ) {
      const r = await get(p);
      equal(r.status, 400, p);
      equal(
        await errorOf(r),
        "query asOf: expected an instant from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z, got " +
          JSON.stringify(decodeURIComponent(p.split("asOf=")[1])),
      );
    }
    for (const p of [`/v1/scorecard?asOf=${MAX_INSTANT}`, "/v1/scorecard?asOf=9999-12-31T23:59:59.999Z"]) {
      const r = await get(p);
      equal(r.status, 200, p);
      equal((await r.json()).to, "9999-12-31");
    }
    const r = await get("/v1/signals?asOf=0");
    equal(r.status, 404, "nothing was issued by 1970");
    await r.body?.cancel();
    deepEqual(logged, []);
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: symbols follow the core SYMBOL_PATTERN (BRK_B, ^GSPC, 24 characters)", async () => {
  const s = await setup();
  try {
    const long = "A".repeat(24);
    await issueRun(s.stores.tables, s.fx.v1, "2018-02-07", s.fx.issued.d1v2 + 86_400_000, 0.5, [
      "BRK_B",
      "^GSPC",
      long,
    ]);
    const { get } = apiOf(s);
    for (const sym of ["BRK_B", "brk_b", "^GSPC", long]) {
      const r = await get(`/v1/signals/${encodeURIComponent(sym)}?from=2018-01-01&to=2018-02-28`);
      equal(r.status, 200, sym);
      deepEqual((await r.json()).signals.map((x: { symbol: string }) => x.symbol), [sym.toUpperCase()]);
    }
    const run = await (await get(`/v1/signals?symbols=brk_b,${encodeURIComponent("^GSPC")},${long}`)).json();
    deepEqual(run.signals.map((x: { symbol: string }) => x.symbol), [long, "BRK_B", "^GSPC"].sort());
    // what the core pattern refuses is refused at validation
    for (const bad of [`${long}A`, "A^B", "_A", "A/B", "A B"]) {
      let r = await get(`/v1/signals/${encodeURIComponent(bad)}`);
      equal(r.status, 400, bad);
      await r.body?.cancel();
      r = await get(`/v1/signals?symbols=${encodeURIComponent(bad)}`);
      equal(r.status, 400, bad);
      ok(/symbols/.test(await errorOf(r)), bad);
    }
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: the history window's default start is one year before `to`, a real date", () => {
  equal(yearBefore("2018-02-06"), "2017-02-06");
  equal(yearBefore("2020-02-29"), "2019-02-28");
  equal(yearBefore("0001-05-01"), "0000-05-01");
  equal(yearBefore("0000-05-01"), "0000-01-01");
});

Deno.test("serve: a name every object inherits (constructor, toString, __proto__) is no model alias", async () => {
  const s = await setup();
  try {
    const { get, logged } = apiOf(s);
    for (
      const q of ["/v1/signals?", "/v1/signals/AAPL?", "/v1/scorecard?", "/v1/scorecard/days?", "/v1/health?"]
    ) {
      const r = await get(`${q}model=constructor`);
      equal(r.status, 404, q);
      equal(await errorOf(r), "unknown model alias constructor", q);
      for (const name of ["toString", "__proto__", "hasOwnProperty", "valueOf"]) {
        const bad = await get(`${q}model=${name}`);
        equal(bad.status, 400, `${q}${name}`);
        ok(/^query model: expected a model version/.test(await errorOf(bad)), `${q}${name}`);
      }
    }
    const m = await get("/v1/models/constructor");
    equal(m.status, 404);
    equal(await errorOf(m), "unknown model version constructor");
    deepEqual(logged, [], "no internal error");
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: asOf names a real instant: no Feb 31, no hour 24, no second 60 (400)", async () => {
  const s = await setup();
  try {
    const { get } = apiOf(s);
    for (
      const t of [
        "2026-02-31T23:59:59Z",
        "2018-02-29T12:00:00Z",
        "2018-04-31T12:00:00Z",
        "2018-02-00T12:00:00Z",
        "2018-13-01T12:00:00Z",
        "2018-00-10T12:00:00Z",
        "2018-02-06T24:00:00Z",
        "2018-02-06T23:60:00Z",
        "2018-02-06T23:59:60Z",
        "2018-02-06T12:00:00+24:00",
        "2018-02-06T12:00:00+05:60",
      ]
    ) {
      const r = await get(`/v1/scorecard?asOf=${encodeURIComponent(t)}`);
      equal(r.status, 400, t);
      equal(
        await errorOf(r),
        `query asOf: expected an RFC 3339 time with a zone or epoch milliseconds, got ${JSON.stringify(t)}`,
        t,
      );
    }
    for (
      const [t, to] of [
        ["2020-02-29T23:59:59Z", "2020-02-29"],
        ["2018-02-06T23:59:59.999+14:00", "2018-02-06"],
        ["2018-02-07T00:30-05:00", "2018-02-07"],
        ["2018-02-07T03:00:00Z", "2018-02-06"],
        // RFC 3339 allows any number of fraction digits (read to the millisecond) and a lower-case t and z
        ["2018-02-06T23:59:59.999999Z", "2018-02-06"],
        ["2018-02-07t03:00:00.123456789z", "2018-02-06"],
      ]
    ) {
      const r = await get(`/v1/scorecard?asOf=${encodeURIComponent(t)}`);
      equal(r.status, 200, t);
      equal((await r.json()).to, to, t);
    }
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: an unknown symbol is 404 as of asOf: a replay answers the same after the symbol is first issued", async () => {
  const s = await setup();
  try {
    const before = s.fx.issued.d1v2 + 60_000;
    const paths = [
      `/v1/signals?symbols=AAPL,NEW&asOf=${before}`,
      `/v1/signals/NEW?from=2018-01-01&to=2018-02-28&asOf=${before}`,
      "/v1/signals?symbols=NEW",
      "/v1/signals/NEW?from=2018-01-01&to=2018-02-28",
    ];
    const warm = apiOf(s);
    const answer = async (a: ReturnType<typeof apiOf>, p: string) => {
      const r = await a.get(p);
      return [r.status, r.headers.get("cache-control"), await r.text()];
    };
    const first = [];
    for (const p of paths) {
      const [status, cache, body] = await answer(warm, p);
      deepEqual([status, cache, body], [404, "no-store", '{"error":"unknown symbol NEW"}'], p);
      first.push(body);
    }
    // a run in progress (signals written, its run row not yet) makes no symbol known
    const issuedAt = s.fx.issued.d1v2 + 86_400_000;
    await issueRun(s.stores.tables, s.fx.v2, "2018-02-07", issuedAt, 0.5, ["NEW"]);
    const row = (await s.stores.tables.query("signal_runs", {
      where: { model_version: s.fx.v2, as_of: "2018-02-07" },
    }))[0];
    await s.stores.tables.delete("signal_runs", { model_version: s.fx.v2, as_of: "2018-02-07" });
    for (const p of paths) equal((await answer(warm, p))[0], 404, `in progress: ${p}`);
    // the run becomes visible: the present answers, the replays of before it still say unknown, byte for byte
    await s.stores.tables.upsert("signal_runs", [row]);
    s.now = issuedAt + 120_000;
    for (const a of [warm, apiOf(s)]) {
      for (let i = 0; i < 2; i++) {
        const [status, cache, body] = await answer(a, paths[i]);
        deepEqual([status, cache, body], [404, "no-store", first[i]], paths[i]);
      }
      for (const p of paths.slice(2)) {
        const r = await a.get(p);
        equal(r.status, 200, p);
        await r.body?.cancel();
      }
      const settled = await a.get(`/v1/signals/NEW?from=2018-01-01&to=2018-02-28&asOf=${issuedAt + 1}`);
      equal(settled.status, 200);
      equal(settled.headers.get("cache-control"), "private, max-age=31536000, immutable");
      deepEqual((await settled.json()).signals.map((x: { date: string }) => x.date), ["2018-02-07"]);
    }
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: metrics count every answer under its route, also a replay-cache hit, 401, 403 and 429", async () => {
  const s = await setup();
  try {
    const { get } = apiOf(s);
    const replay = `/v1/signals?date=${DATES[1]}&asOf=${s.fx.issued.d1v2 + 60_000}`;
    for (let i = 0; i < 2; i++) {
      const r = await get(replay); // the second from the replay cache
      equal(r.status, 200);
      await r.body?.cancel();
    }
    const statuses: [string, Record<string, string>, number][] = [
      ["/v1/signals/AAPL", {}, 401],
      ["/v1/scorecard", { "X-API-Key": s.revoked }, 403],
      ["/v1/models", { "X-API-Key": s.slow }, 200],
      ["/v1/models", { "X-API-Key": s.slow }, 200],
      ["/v1/models", { "X-API-Key": s.slow }, 429],
      ["/metrics", {}, 401],
      ["/v2/anything", {}, 404],
    ];
    for (const [p, h, status] of statuses) {
      const r = await get(p, h);
      equal(r.status, status, p);
      await r.body?.cancel();
    }
    const text = await (await get("/metrics")).text();
    const counted = (route: string, status: number) =>
      Number(
        new RegExp(
          `^fmai_http_requests_total\\{route="${
            route.replaceAll("/", "\\/")
          }",method="GET",status="${status}"\\} (\\d+)$`,
          "m",
        ).exec(text)?.[1] ?? 0,
      );
    equal(counted("/v1/signals", 200), 2, text);
    equal(counted("/v1/signals/:symbol", 401), 1, text);
    equal(counted("/v1/scorecard", 403), 1, text);
    equal(counted("/v1/models", 429), 1, text);
    equal(counted("/metrics", 401), 1, text);
    equal(counted("unmatched", 404), 1, text);
    ok(!text.includes('route="/v1/*"') && !text.includes('route="*"'), text);
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: the OpenAPI document lists every status a route answers, /healthz and /metrics, and what size and pnl are", async () => {
  const s = await setup();
  try {
    const { get } = apiOf(s);
    const doc = await (await get("/openapi.json", {})).json();
    const codes = (p: string) => Object.keys(doc.paths[p].get.responses).sort();
    const guarded = ["401", "403", "413", "414", "429", "500", "503"];
    for (
      const p of [
        "/v1/signals",
        "/v1/signals/{symbol}",
        "/v1/models/{version}",
        "/v1/scorecard",
        "/v1/scorecard/days",
        "/v1/health",
      ]
    ) {
      deepEqual(codes(p), ["200", "400", "404", ...guarded].sort(), p);
    }
    // the routes without parameters answer 400 to one
    deepEqual(codes("/v1/models"), ["200", "400", ...guarded].sort());
    deepEqual(codes("/healthz"), ["200", "413", "414", "503"]);
    deepEqual(codes("/metrics"), ["200", "400", "401", "403", "413", "414", "429", "500"]);
    ok(doc.paths["/metrics"].get.security?.length, "metrics need a key");
    equal(doc.paths["/healthz"].get.security, undefined, "healthz needs none");
    ok(doc.paths["/metrics"].get.responses["200"].content["text/plain; version=0.0.4; charset=utf-8"]);
    const size = doc.components.schemas.IssuedSignal.properties.size.description as string;
    ok(
      /fraction of the whole portfolio's capital/.test(size) && /maxWeight/.test(size) &&
        /maxGross/.test(size),
      size,
    );
    ok(!size.includes("[-1, 1]"), size);
    const pnl = doc.components.schemas.Scorecard.properties.models.items.properties.pnl.description as string;
    ok(/mean, over the day's `n` signals/.test(pnl) && /not the book's P&L/.test(pnl), pnl);
    ok(doc.components.schemas.Health.properties.shadowOf, "health says whose checks a shadow run shows");
  } finally {
    await s.stores.close();
  }
});

Deno.test("serve: a shadow run's health is the production run's it ran beside, and says so", async () => {
  const s = await setup();
  try {
    const shadow = "2018-02-06.0123456789";
    // the daily run writes the shadow run's row just before the production run's
    const at = s.fx.issued.d1v2 - 1000;
    await issueRun(s.stores.tables, shadow, DATES[1], at, 0.9, undefined, SHADOW_SIGNAL_SOURCE);
    const row = (await s.stores.tables.query("signal_runs", { where: { model_version: shadow } }))[0];
    await s.stores.tables.upsert("signal_runs", [{
      ...row,
      payload: JSON.stringify({ model: "shadow", champion: s.fx.v2 }),
    }]);
    const { get } = apiOf(s);
    const h = await (await get(`/v1/health?model=${shadow}`)).json();
    deepEqual(
      { ...h, checks: h.checks.map((x: { kind: string; status: string }) => [x.kind, x.status]) },
      { date: DATES[1], modelVersion: shadow, shadowOf: s.fx.v2, status: "ok", checks: [["psi", "fail"]] },
    );
    const own = await (await get(`/v1/health?date=${DATES[1]}`)).json();
    deepEqual([own.modelVersion, own.shadowOf], [s.fx.v2, null]);
    // before the production run it shadowed was issued, there was no health to show
    const r = await get(`/v1/health?model=${shadow}&asOf=${at + 1}`);
    equal(r.status, 404);
    equal(r.headers.get("cache-control"), "no-store");
    equal(
      await errorOf(r),
      `no health recorded for the shadow run of ${shadow} on ${DATES[1]} (the run it shadowed, ${s.fx.v2}, ` +
        "was not issued by then)",
    );
    // a shadow row that does not say which run it shadowed: no health, said plainly
    await s.stores.tables.upsert("signal_runs", [{ ...row, payload: "{}" }]);
    const bare = await apiOf(s).get(`/v1/health?model=${shadow}`);
    equal(bare.status, 404);
    equal(await errorOf(bare), `no health recorded for the shadow run of ${shadow} on ${DATES[1]}`);
  } finally {
    await s.stores.close();
  }
});
