import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError, InputError, nextSession, StoreError } from "../lib/core/mod.ts";
import { embeddedConfig, openEmbeddedStores, openStores } from "../lib/store/mod.ts";
import { existsSync } from "node:fs";
import { mySqlConfigFromUrl } from "../lib/store/mod.ts";
import { configFromEnv } from "./_config.ts";
import { storeConfigFor } from "../pipelines/stores.ts";
import { collectHandler, makeHandler, windowEndingAt, windowFor } from "./_handler.ts";

const FIX = ["yahoo", "nasdaq"].map((k) =>
  fileURLToPath(new URL(`../../shared/data/${k}-fixtures`, import.meta.url))
).join(":");

Deno.test("lambda config: embedded by default, server backends from FMAI_* variables", () => {
  const d = configFromEnv({});
  deepEqual(d.store, {
    dataDir: "/tmp/fmai",
    tables: { kind: "sqlite" },
    documents: { kind: "sqlite" },
    objects: { kind: "local" },
  });
  equal(d.symbols.length, 5);
  const c = configFromEnv({
    FMAI_SYMBOLS: "aapl, MSFT",
    FMAI_MYSQL_URL: "mysql://u:p%40ss@db.example:3307/fmai",
    FMAI_MONGO_URL: "mongodb://m:27017",
    FMAI_S3_BUCKET: "b",
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "k",
    AWS_SECRET_ACCESS_KEY: "s",
    FMAI_BATCH_SIZE: "3",
  });
  deepEqual(c.symbols, ["AAPL", "MSFT"]);
  deepEqual(c.store.tables, {
    kind: "mysql",
    host: "db.example",
    port: 3307,
    user: "u",
    password: "p@ss",
    database: "fmai",
  });
  equal(c.store.documents.kind, "mongodb");
  equal(c.store.objects.kind === "s3" && c.store.objects.region, "eu-west-1");
  equal(c.batchSize, 3);
  throws(() => configFromEnv({ FMAI_BATCH_SIZE: "0" }), ConfigError);
  throws(() => mySqlConfigFromUrl("mysql://u:p@h:3306"), /names no database/);
});

Deno.test("lambda windows: prices look back, snapshots use the last session, calendars look ahead", () => {
  const cfg = { lookbackDays: 7, calendarDays: 7 };
  deepEqual(windowFor("prices", "2024-06-08", cfg), { from: "2024-05-31", to: "2024-06-07" }); // Saturday
  deepEqual(windowFor("snapshot", "2024-06-10", cfg), { from: "2024-06-10", to: "2024-06-10" });
  deepEqual(windowFor("calendars", "2024-06-10", cfg), { from: "2024-06-10", to: "2024-06-16" });
});

Deno.test("lambda handler (in Deno): a scheduled event fans symbols out in batches over the pipeline steps", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = {
      FMAI_DATA_DIR: dir,
      FMAI_REPLAY_DIRS: FIX,
      FMAI_BATCH_SIZE: "2",
      FMAI_SYMBOLS: "AAPL,AMZN,GOOG,ABBV,QQQ",
    };
    const ev = {
      time: "2020-01-02T21:30:00Z",
      "detail-type": "Scheduled Event",
      detail: { from: "2020-01-01" },
    };
    const r = await collectHandler(["prices"], "prices", ev, undefined, env);
    equal(r.batches, 3);
    equal(r.ok, 5);
    equal(r.to, "2020-01-02");
    const again = await collectHandler(["prices"], "prices", ev, undefined, env);
    equal(again.inserted, 0, "a re-run stores nothing new");
    // out of time after the first batch: the rest is reported, not silently dropped
    const short = await collectHandler(["news"], "snapshot", { ...ev, detail: {} }, {
      getRemainingTimeInMillis: () => 10_000,
    }, env);
    equal(short.batches, 1);
    deepEqual(short.notRun, ["GOOG", "ABBV", "QQQ"]);
    const s = openEmbeddedStores(dir);
    try {
      equal(await s.tables.count("bars"), 5);
      equal(await s.documents.count("news"), 8);
    } finally {
      await s.close();
    }
    await rejects(
      collectHandler(["prices"], "prices", { ...ev, detail: { symbols: [] } }, undefined, env),
      /detail.symbols is empty/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "lambda bundles: every handler bundled and run under Node 22 stores the expected data (FMAI_LAMBDA_TEST=1)",
  ignore: Deno.env.get("FMAI_LAMBDA_TEST") !== "1",
  async fn() {
    const { bundleLambdas } = await import("../scripts/bundle_lambdas.ts");
    const { ensureNode22, smokeTestHandlers, CASES } = await import("../scripts/lambda_smoke.ts");
    const bundles = await bundleLambdas();
    ok(bundles.every((b) => b.bytes > 100_000));
    const runs = await smokeTestHandlers(await ensureNode22());
    deepEqual(runs.map((r) => r.kind), CASES.map((c) => c.kind));
  },
});

Deno.test("lambda handler: a run with failed or unrun symbols throws one line naming them (AWS retries, alarms fire)", async () => {
  const dir = await Deno.makeTempDir();
  const logs: string[] = [];
  const orig = [console.log, console.error, console.warn];
  console.log = console.error = console.warn = (...a: unknown[]) => logs.push(a.map(String).join(" "));
  try {
    const env = {
      FMAI_DATA_DIR: dir,
      FMAI_REPLAY_DIRS: FIX,
      FMAI_SYMBOLS: "ZZZZ,YYYY",
      FMAI_MYSQL_PASSWORD: "pa/ss@word",
    };
    const ev = { time: "2020-01-02T21:30:00Z", detail: { from: "2020-01-01" } };
    const handler = makeHandler(["prices"], "prices", env);
    await rejects(handler(ev), (e: Error) => {
      ok(
        /^collect prices 2020-01-01\.\.2020-01-02: 2 of 2 failed \(prices ZZZZ: .*prices YYYY: /.test(
          e.message,
        ),
        e.message,
      );
      equal(e.message.includes("\n"), false);
      return true;
    });
    // partly out of time: the symbols left are named, and it is a failure
    const short = makeHandler(["news"], "snapshot", {
      ...env,
      FMAI_SYMBOLS: "AAPL,AMZN,GOOG",
      FMAI_BATCH_SIZE: "1",
    });
    await rejects(
      short({ ...ev, detail: {} }, { getRemainingTimeInMillis: () => 10_000 }),
      /2 not run for lack of time \(AMZN, GOOG\)/,
    );
    // symbols in the event are checked before anything runs
    for (const bad of [[null, 123, {}], ["../../etc/passwd"], ["AAPL?x#"], 42]) {
      await rejects(
        handler({ ...ev, detail: { symbols: bad } }),
        /detail\.symbols(\[0\])?: .*(is not a symbol|expected a list)/,
      );
    }
    // a secret never leaves in a message
    const leak = makeHandler(["prices"], "prices", { ...env, FMAI_MYSQL_URL: "mysql://u:pa/ss@word@db:x/y" });
    await rejects(leak(ev), (e: Error) => {
      ok(!e.message.includes("pa/ss@word") && e.message.includes("***"), e.message);
      return true;
    });
    ok(logs.every((l) => !l.includes("pa/ss@word")), "nor in the log");
  } finally {
    [console.log, console.error, console.warn] = orig;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lambda api: a malformed FMAI_API_KEY_HASHES is a one-line ConfigError naming it, before any store opens", async () => {
  const { buildHandler } = await import("./api.ts");
  await rejects(
    () => buildHandler({ FMAI_API_KEY_HASHES: "nope", FMAI_DATA_DIR: "/nonexistent/fmai-never" }),
    (e) =>
      e instanceof ConfigError && e.message.startsWith("FMAI_API_KEY_HASHES: ") && !e.message.includes("\n"),
  );
});

Deno.test("lambda api: a FMAI_API_CORS_ORIGINS entry that is not an origin is a one-line ConfigError, before any store opens", async () => {
  const { buildHandler } = await import("./api.ts");
  await rejects(
    () =>
      buildHandler({
        FMAI_API_KEY_HASHES: `${"ab".repeat(4)}:${"c".repeat(64)}`,
        FMAI_API_CORS_ORIGINS: "https://ok.example,https://app.example/path",
        FMAI_DATA_DIR: "/nonexistent/fmai-never",
      }),
    (e) =>
      e instanceof ConfigError &&
      e.message.startsWith(
        'FMAI_API_CORS_ORIGINS: "https://app.example/path" (entry 2 of 2) is not an origin',
      ),
  );
});

const DEFAULTS = fileURLToPath(new URL("../config/default.yaml", import.meta.url));

Deno.test("lambda api: it serves the registry name the signal function registers under (production.model)", async () => {
  const { buildHandler } = await import("./api.ts");
  await withApiStore(async ({ key, hashes, dir }) => {
    const models = async (overrides?: string) => {
      const h = await buildHandler({
        FMAI_API_KEY_HASHES: hashes,
        FMAI_DATA_DIR: dir,
        FMAI_CONFIG_DEFAULTS: DEFAULTS,
        ...(overrides === undefined ? {} : { FMAI_CONFIG_OVERRIDES: overrides }),
      });
      // deno-lint-ignore no-explicit-any
      const r: any = await h(httpEvent("/v1/models", { key }) as any, {} as any);
      equal(r.statusCode, 200, r.body);
      return JSON.parse(r.body).name;
    };
    equal(await models(), "system");
    equal(await models('{"production":{"model":"alt"}}'), "alt");
    await refused(
      models('{"production":{"model":"no/slash"}}'),
      /^FMAI_CONFIG_OVERRIDES: .*production\.model/,
    );
  });
});

/**
 * Runs `fn` with an API key (`key`, and `hashes` as `FMAI_API_KEY_HASHES` names it) and a temporary embedded
 * store as the signal function leaves one (`dir`; an empty folder is refused: its own test), removed after.
 */
async function withApiStore(fn: (s: { key: string; hashes: string; dir: string }) => Promise<void>) {
  const { createApiKey } = await import("../lib/serve/mod.ts");
  const { key, record } = await createApiKey("test");
  const dir = await Deno.makeTempDir();
  await (await openStores(embeddedConfig(dir))).close();
  try {
    await fn({ key, hashes: `${record.id}:${record.sha256}`, dir });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** An API Gateway HTTP API (payload v2) GET event, as the probes of the server use. */
function httpEvent(rawPath: string, extra: { query?: string; key?: string; body?: string } = {}) {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: extra.query ?? "",
    headers: {
      ...(extra.key ? { "x-api-key": extra.key } : {}),
      host: "abc123defg.execute-api.us-east-1.amazonaws.com",
    },
    requestContext: {
      domainName: "abc123defg.execute-api.us-east-1.amazonaws.com",
      http: { method: "GET", path: rawPath, sourceIp: "127.0.0.1" },
      stage: "$default",
    },
    ...(extra.body !== undefined ? { body: extra.body } : {}),
    isBase64Encoded: false,
  };
}

Deno.test("lambda api: answers as the server does: a GET's body dropped (its length still checked), the URL limit on path and query, dot segments 404, documents never opened", async () => {
  const { buildHandler, asServerSees } = await import("./api.ts");
  await withApiStore(async ({ key, hashes, dir }) => {
    // a document server that cannot be reached: the API never opens it, so it starts at once
    const t0 = performance.now();
    const h = await buildHandler({
      FMAI_API_KEY_HASHES: hashes,
      FMAI_DATA_DIR: dir,
      FMAI_CONFIG_DEFAULTS: DEFAULTS,
      FMAI_MONGO_URL: "mongodb://127.0.0.1:1/fmai",
    });
    ok(performance.now() - t0 < 5000, "started without the document server");
    // deno-lint-ignore no-explicit-any
    const call = async (ev: any) => {
      // deno-lint-ignore no-explicit-any
      const r: any = await h(asServerSees(ev), {} as any);
      return {
        status: r.statusCode as number,
        type: String(r.headers?.["content-type"] ?? ""),
        body: r.body as string,
      };
    };
    const models = await call(httpEvent("/v1/models", { key }));
    equal(models.status, 200, models.body);
    equal(
      (await call(httpEvent("/v1/models", { key, body: "x=1" }))).status,
      200,
      "a small GET body is dropped",
    );
    const big = await call(httpEvent("/v1/models", { key, body: "x".repeat(2000) }));
    deepEqual([big.status, big.type.split(";")[0], JSON.parse(big.body)], [413, "application/json", {
      error: "request body larger than 1024 bytes",
    }]);
    // 2,048 bytes of path and query pass whatever the host's length; one more is 414
    const q = (n: number) => `x=${"a".repeat(n - "/healthz?x=".length)}`;
    equal((await call(httpEvent("/healthz", { query: q(2048) }))).status, 200);
    equal((await call(httpEvent("/healthz", { query: q(2049) }))).status, 414);
  });
});

Deno.test("lambda api: an embedded store that is not there is refused, not created; a container that cannot start answers 503 or 500 as one line of JSON and starts again", async () => {
  const api = await import("./api.ts");
  const { createApiKey } = await import("../lib/serve/mod.ts");
  const { key, record } = await createApiKey("test");
  const dir = await Deno.makeTempDir();
  const env = {
    FMAI_API_KEY_HASHES: `${record.id}:${record.sha256}`,
    FMAI_DATA_DIR: `${dir}/store`,
    FMAI_CONFIG_DEFAULTS: DEFAULTS,
  };
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  try {
    await rejects(() => api.buildHandler(env), /^StoreError: FMAI_DATA_DIR .*\/store: no store there/);
    const call = async (path: string) =>
      // deno-lint-ignore no-explicit-any
      await quiet(() => api.handler(httpEvent(path, { key }) as any, {} as any));
    // deno-lint-ignore no-explicit-any
    const r: any = await call("/healthz");
    deepEqual([r.statusCode, r.headers["content-type"], JSON.parse(r.body)], [503, "application/json", {
      error: "store unavailable",
    }]);
    equal(existsSync(`${dir}/store/fmai.sqlite`), false, "nothing created");
    // the signal function fills the store: the next request starts the container again and is answered
    await (await openStores(embeddedConfig(`${dir}/store`))).close();
    // deno-lint-ignore no-explicit-any
    const again: any = await call("/v1/models");
    equal(again.statusCode, 200, again.body);
    // deno-lint-ignore no-explicit-any
    const dots: any[] = await Promise.all(
      ["/v1/./models", "/v1/signals/%2e%2e/models", "/v1/models/%2E"].map(call),
    );
    for (const d of dots) deepEqual([d.statusCode, JSON.parse(d.body)], [404, { error: "not found" }]);
  } finally {
    for (const [k, v] of Object.entries(before)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lambda api: a MySQL server that does not answer is given up on well inside the function's 10 s", async () => {
  const { buildHandler } = await import("./api.ts");
  await withApiStore(async ({ hashes, dir }) => {
    const t0 = performance.now();
    await rejects(
      () =>
        quiet(() =>
          buildHandler({
            FMAI_API_KEY_HASHES: hashes,
            FMAI_DATA_DIR: dir,
            FMAI_CONFIG_DEFAULTS: DEFAULTS,
            // a non-routable address: a connection attempt waits for its timeout
            FMAI_MYSQL_URL: "mysql://u:pw@10.255.255.1:3306/fmai",
          })
        ),
      StoreError,
    );
    const s = (performance.now() - t0) / 1000;
    ok(s < 8, `gave up after ${s.toFixed(1)} s`);
  });
});

/** Runs `f` with the console silenced; returns the logged lines. */
async function quiet<T>(f: () => Promise<T>): Promise<T> {
  const orig = [console.log, console.error, console.warn];
  console.log = console.error = console.warn = () => {};
  try {
    return await f();
  } finally {
    [console.log, console.error, console.warn] = orig;
  }
}

/** `p` rejects with one line matching `re` (and no "internal error"). */
async function refused(p: Promise<unknown>, re: RegExp): Promise<void> {
  await rejects(p, (e: Error) => {
    ok(re.test(e.message), `${e.message}\n  does not match ${re}`);
    equal(e.message.includes("\n"), false);
    ok(!e.message.startsWith("internal error"), e.message);
    return true;
  });
}

Deno.test("lambda symbols: a symbol given twice, in any case, is refused like `deno task collect --symbols`", async () => {
  const env = { FMAI_DATA_DIR: "/dev/null/fmai-never", FMAI_SYMBOLS: "AAPL" };
  const handler = makeHandler(["prices"], "prices", env);
  const ev = { time: "2020-01-02T21:30:00Z", detail: { from: "2020-01-01" } };
  await refused(
    handler({ ...ev, detail: { ...ev.detail, symbols: ["AAPL", "aapl", "AAPL"] } }),
    /^detail\.symbols: AAPL and aapl are the same symbol$/,
  );
  await refused(
    handler({ ...ev, detail: { symbols: "MSFT,MSFT" } }),
    /^detail\.symbols: MSFT is given twice$/,
  );
  throws(
    () => configFromEnv({ FMAI_SYMBOLS: "AAPL,aapl" }),
    (e) => e instanceof ConfigError && e.message === "FMAI_SYMBOLS: AAPL and aapl are the same symbol",
  );
});

Deno.test("lambda config: every bad variable is a one-line ConfigError naming it, raised by configFromEnv", () => {
  const keys = { AWS_ACCESS_KEY_ID: "k", AWS_SECRET_ACCESS_KEY: "s" };
  const cases: [Record<string, string>, RegExp][] = [
    [{ FMAI_MYSQL_URL: "mysql://u:p@h:0/db" }, /^FMAI_MYSQL_URL .*expected a port/],
    [{ FMAI_MONGO_URL: "http://x" }, /^FMAI_MONGO_URL: expected a mongodb/],
    [{ FMAI_DATA_DIR: "" }, /^FMAI_DATA_DIR is empty \(unset it for \/tmp\/fmai\)$/],
    [{ FMAI_MONGO_URL: "mongodb://h:27017", FMAI_MONGO_DATABASE: "a/b" }, /^FMAI_MONGO_DATABASE: /],
    [{ FMAI_S3_BUCKET: "b", ...keys, FMAI_S3_PREFIX: "fmai" }, /^FMAI_S3_PREFIX: "fmai" must end with \//],
    [{ FMAI_S3_BUCKET: "b" }, /^FMAI_S3_BUCKET is set but AWS_ACCESS_KEY_ID is not/],
    [{ FMAI_S3_BUCKET: "b", AWS_ACCESS_KEY_ID: "k" }, /but AWS_SECRET_ACCESS_KEY is not/],
    [{ FMAI_S3_BUCKET: "b", ...keys, FMAI_S3_ENDPOINT: "minio:9000" }, /^FMAI_S3_ENDPOINT: expected an http/],
    [{ FMAI_S3_BUCKET: "Bad Bucket/x", ...keys }, /^FMAI_S3_BUCKET: expected a bucket name/],
    [
      { FMAI_REPLAY_DIRS: "/dev/null/fmai-replay" },
      /^FMAI_REPLAY_DIRS: \/dev\/null\/fmai-replay: no such folder/,
    ],
    [
      { FMAI_LOOKBACK_DAYS: "99999999" },
      /^FMAI_LOOKBACK_DAYS: expected a whole number from 1 to 3650, got "99999999"$/,
    ],
    [
      { FMAI_OPTION_EXPIRIES: "1000" },
      /^FMAI_OPTION_EXPIRIES: expected a whole number from 1 to 12, got "1000"$/,
    ],
    [
      { FMAI_OPTION_EXPIRIES: "13" },
      /^FMAI_OPTION_EXPIRIES: expected a whole number from 1 to 12, got "13"$/,
    ],
    [{ FMAI_BATCH_SIZE: "0x2" }, /^FMAI_BATCH_SIZE: expected a whole number from 1 to 1000, got "0x2"$/],
    [{ FMAI_BATCH_SIZE: "1e1" }, /^FMAI_BATCH_SIZE: expected a whole number from 1 to 1000, got "1e1"$/],
    [
      { FMAI_CONCURRENCY: "99999999999" },
      /^FMAI_CONCURRENCY: expected a whole number from 1 to 64, got "99999999999"$/,
    ],
    [{ FMAI_SYMBOLS: "" }, /^FMAI_SYMBOLS is empty/],
    // a backend's setting without the backend would be ignored, its value never checked
    [
      { FMAI_S3_ENDPOINT: "notaurl" },
      /^FMAI_S3_ENDPOINT is set but FMAI_S3_BUCKET is not, so the objects are embedded and FMAI_S3_ENDPOINT would be ignored: set FMAI_S3_BUCKET or unset FMAI_S3_ENDPOINT$/,
    ],
    [{ FMAI_S3_PREFIX: "../x" }, /^FMAI_S3_PREFIX is set but FMAI_S3_BUCKET is not/],
    [{ FMAI_S3_REGION: "eu-west-1" }, /^FMAI_S3_REGION is set but FMAI_S3_BUCKET is not/],
    [{ FMAI_S3_FORCE_PATH_STYLE: "1" }, /^FMAI_S3_FORCE_PATH_STYLE is set but FMAI_S3_BUCKET is not/],
    // read as the CLI reads it: `maybe` was accepted and ignored
    [
      { FMAI_S3_BUCKET: "b", ...keys, FMAI_S3_FORCE_PATH_STYLE: "maybe" },
      /^FMAI_S3_FORCE_PATH_STYLE must be 1, true, 0 or false, got "maybe"$/,
    ],
    [
      { FMAI_MONGO_DATABASE: "bad name!" },
      /^FMAI_MONGO_DATABASE is set but FMAI_MONGO_URL is not, so the documents/,
    ],
  ];
  for (const [env, re] of cases) {
    throws(() => configFromEnv(env), (e) => {
      ok(e instanceof ConfigError, `${JSON.stringify(env)}: ${e}`);
      ok(re.test((e as Error).message), `${JSON.stringify(env)}: ${(e as Error).message}`);
      equal((e as Error).message.includes("\n"), false);
      return true;
    });
  }
  // AWS Lambda's own environment: the execution role's keys and session token in AWS_* (the real deployment)
  const lambda = configFromEnv({
    FMAI_S3_BUCKET: "fmai-data-prod",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "ASIAEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_SESSION_TOKEN: "token",
    FMAI_MYSQL_URL: "mysql://u:p@db.example/fmai",
    FMAI_MONGO_URL: "mongodb+srv://u:p@cluster0.example.net/?retryWrites=true",
  });
  deepEqual(lambda.store.objects, {
    kind: "s3",
    bucket: "fmai-data-prod",
    region: "us-east-1",
    endpoint: undefined,
    prefix: "",
    accessKeyId: "ASIAEXAMPLE",
    secretAccessKey: "secret",
    sessionToken: "token",
    createBucket: false,
  });
  equal(lambda.store.tables.kind === "mysql" && lambda.store.tables.port, 3306);
  equal(configFromEnv({ FMAI_S3_BUCKET: "b", ...keys, FMAI_S3_PREFIX: "fmai/" }).store.objects.kind, "s3");
  for (const [v, want] of [["0", false], ["true", true]] as const) {
    const o = configFromEnv({ FMAI_S3_BUCKET: "b", ...keys, FMAI_S3_FORCE_PATH_STYLE: v }).store.objects;
    equal(o.kind === "s3" && o.forcePathStyle, want, v);
  }
  equal(configFromEnv({ FMAI_LOOKBACK_DAYS: "3650", FMAI_OPTION_EXPIRIES: "12" }).optionExpiries, 12);
});

Deno.test("lambda config: the MySQL, MongoDB and S3 variables are checked as the CLI checks them (one implementation)", async () => {
  const url = "mysql://u:p@h:1/d";
  const keys = { AWS_ACCESS_KEY_ID: "k", AWS_SECRET_ACCESS_KEY: "s" };
  // FMAI_MYSQL_PORT beside FMAI_MYSQL_URL was ignored by the Lambdas, refused by the CLI
  const both: [Record<string, string>, string][] = [
    [
      { FMAI_MYSQL_URL: url, FMAI_MYSQL_PORT: "5" },
      "FMAI_MYSQL_PORT 5 differs from FMAI_MYSQL_URL's port 1: set one of them",
    ],
    [
      { FMAI_MYSQL_URL: url, FMAI_MYSQL_DATABASE: "other" },
      "FMAI_MYSQL_DATABASE other differs from FMAI_MYSQL_URL's database d: set one of them",
    ],
    [
      { FMAI_MYSQL_URL: url, FMAI_MYSQL_PASSWORD: "q" },
      "FMAI_MYSQL_PASSWORD differs from the password in FMAI_MYSQL_URL: set one of them",
    ],
    [
      { FMAI_MYSQL_URL: url, FMAI_MYSQL_PORT: "x" },
      'FMAI_MYSQL_PORT: expected a port (a whole number 1..65535), got "x"',
    ],
  ];
  for (const [env, message] of both) {
    throws(() => configFromEnv(env), (e) => e instanceof ConfigError && e.message === message, message);
    await rejects(
      () => storeConfigFor("/tmp/x", ["mysql"], env),
      (e) => e instanceof ConfigError && e.message === message,
      `CLI: ${message}`,
    );
  }
  // the same values beside it are what `.services/env` exports: accepted
  const same = configFromEnv({
    FMAI_MYSQL_URL: url,
    FMAI_MYSQL_PORT: "1",
    FMAI_MYSQL_HOST: "h",
    FMAI_MYSQL_USER: "u",
  });
  equal(same.store.tables.kind === "mysql" && same.store.tables.port, 1);
  // without the URL the Lambda reads none of them: refused, not ignored
  throws(
    () => configFromEnv({ FMAI_MYSQL_PORT: "5" }),
    /^ConfigError: FMAI_MYSQL_PORT is set but FMAI_MYSQL_URL is not, so the tables are embedded/,
  );
  const one: [Record<string, string>, RegExp][] = [
    [
      { FMAI_MONGO_URL: "mongodb://h:27017", FMAI_MONGO_DATABASE: "a b" },
      /^FMAI_MONGO_DATABASE: expected 1 to 63 letters, digits, _ or -, got "a b"$/,
    ],
    [
      { FMAI_S3_BUCKET: "b", ...keys, FMAI_S3_REGION: " " },
      /^FMAI_S3_REGION: expected a region such as us-east-1/,
    ],
    [{ FMAI_S3_BUCKET: "b", ...keys, AWS_REGION: "us east" }, /^AWS_REGION: expected a region/],
    [
      { FMAI_S3_BUCKET: "b", ...keys, AWS_SECRET_ACCESS_KEY: "a b" },
      /^AWS_SECRET_ACCESS_KEY: expected a key without spaces/,
    ],
  ];
  for (const [env, re] of one) {
    throws(() => configFromEnv(env), (e) => e instanceof ConfigError && re.test(e.message), String(re));
  }
});

Deno.test("lambda handler: bad store config is refused before any work, as one line naming the variable", async () => {
  for (
    const [env, re] of [
      [
        { FMAI_MYSQL_URL: "mysql://u:s3cr3tpw@h:0/db" },
        /^FMAI_MYSQL_URL mysql:\/\/u:\*\*\*@h:0\/db: expected a port/,
      ],
      [{ FMAI_MONGO_URL: "http://x" }, /^FMAI_MONGO_URL: /],
      [{ FMAI_REPLAY_DIRS: "/dev/null/replay" }, /^FMAI_REPLAY_DIRS: /],
    ] as const
  ) {
    const h = makeHandler(["prices"], "prices", { FMAI_DATA_DIR: "/dev/null/fmai-never", ...env });
    await refused(quiet(() => h({ time: "2020-01-02T21:30:00Z" })), re);
  }
});

Deno.test("lambda events: a mistyped or malformed field is refused, EventBridge's scheduled event runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = { FMAI_DATA_DIR: dir, FMAI_REPLAY_DIRS: FIX, FMAI_SYMBOLS: "AAPL,GOOG" };
    const h = makeHandler(["news"], "snapshot", env);
    const t = "2025-02-20T15:00:00Z";
    const bad: [unknown, RegExp][] = [
      [
        { time: t, detail: { symbol: "QQQ" } },
        /^detail\.symbol is not a field of this event \(detail\.symbols, /,
      ],
      [{ time: t, detail: null }, /^detail: expected an object, got null/],
      [{ time: t, detail: "x" }, /^detail: expected an object/],
      [{ time: "", detail: {} }, /^event\.time: expected an ISO 8601 date-time/],
      [{ time: 12345 }, /^event\.time: expected an ISO 8601 date-time .*, got 12345$/],
      [{ time: "Feb 20 2025" }, /^event\.time: /],
      // a day the calendar does not have is refused, not rolled over into March
      [
        { time: "2020-02-30T21:30:00Z" },
        /^event\.time: expected an ISO 8601 date-time .*, got "2020-02-30T21:30:00Z"$/,
      ],
      [null, /^event: expected an object/],
      [{ time: t, detail: { from: 20250101 } }, /^detail\.from: expected a date YYYY-MM-DD/],
    ];
    for (const [ev, re] of bad) await refused(quiet(() => h(ev as never)), re);
    // the real scheduled event: other top-level keys, `detail: {}`
    const scheduled = {
      version: "0",
      id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "123456789012",
      time: t,
      region: "us-east-1",
      resources: ["arn:aws:events:us-east-1:123456789012:rule/fmai-news"],
      detail: {},
    };
    const r = await quiet(() => h(scheduled));
    equal(r.ok, 2);
    equal(r.to, "2025-02-20");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lambda calendars: FMAI_CALENDAR_DAYS below 7 (a window without a session on weekends) or above 180 (more requests than the timeout lets run) is refused", () => {
  for (const v of ["1", "2", "6", "181", "366"]) {
    throws(
      () => configFromEnv({ FMAI_CALENDAR_DAYS: v }),
      (e) =>
        e instanceof ConfigError &&
        e.message ===
          `FMAI_CALENDAR_DAYS: expected a whole number from 7 to 180 (at least 7 so every window holds a session, ` +
            `at most 180 so its Nasdaq requests, one a second, end within the function's 600 s), got "${v}"`,
    );
  }
  equal(configFromEnv({ FMAI_CALENDAR_DAYS: "7" }).calendarDays, 7);
  equal(configFromEnv({ FMAI_CALENDAR_DAYS: "180" }).calendarDays, 180);
});

Deno.test("lambda windows: detail.to alone ends the handler's usual window there", async () => {
  const cfg = { lookbackDays: 7, calendarDays: 7 };
  deepEqual(windowEndingAt("prices", "2024-06-09", cfg), { from: "2024-05-31", to: "2024-06-09" });
  deepEqual(windowEndingAt("snapshot", "2024-06-10", cfg), { from: "2024-06-10", to: "2024-06-10" });
  deepEqual(windowEndingAt("calendars", "2024-06-16", cfg), { from: "2024-06-10", to: "2024-06-16" });
  const dir = await Deno.makeTempDir();
  try {
    // an event months after detail.to: the window is FMAI_LOOKBACK_DAYS before detail.to, not before the event
    const env = { FMAI_DATA_DIR: dir, FMAI_REPLAY_DIRS: FIX, FMAI_SYMBOLS: "AAPL", FMAI_LOOKBACK_DAYS: "1" };
    const r = await quiet(() =>
      makeHandler(["prices"], "prices", env)({ time: "2020-06-01T21:30:00Z", detail: { to: "2020-01-02" } })
    );
    deepEqual([r.from, r.to, r.ok], ["2020-01-01", "2020-01-02", 1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lambda signal: detail.refit that is not true or false is refused, not read as false", async () => {
  const { handler } = await import("./signal.ts");
  const env = { FMAI_DATA_DIR: "/dev/null/fmai-never", FMAI_CONFIG_DEFAULTS: DEFAULTS };
  for (const [refit, shown] of [["true", '"true"'], [1, "1"], ["yes", '"yes"'], [null, "null"]]) {
    await refused(
      quiet(() => handler({ detail: { refit } }, {}, env)),
      new RegExp(`^detail\\.refit: expected true or false, got ${shown}$`),
    );
  }
});

Deno.test("lambda signal: a store without the universe's bars names the Lambda's remedy, not the CLI's", async () => {
  const { handler } = await import("./signal.ts");
  const dir = await Deno.makeTempDir();
  try {
    await refused(
      quiet(() => handler({}, {}, { FMAI_DATA_DIR: dir, FMAI_CONFIG_DEFAULTS: DEFAULTS })),
      /^no stored bars for the universe: run the prices function first \(or set FMAI_SIGNAL_COLLECT=1 to collect in this one\)$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lambda signal: the event and the environment are checked first; every error is one line naming its field", async () => {
  const { handler } = await import("./signal.ts");
  const dir = await Deno.makeTempDir();
  try {
    const env = { FMAI_DATA_DIR: dir, FMAI_CONFIG_DEFAULTS: DEFAULTS };
    const cases: [unknown, Record<string, string>, RegExp][] = [
      [{ detail: { asof: "2020-01-02" } }, {}, /^detail\.asof is not a field of this event \(detail\.asOf, /],
      [
        { detail: { asOf: "2020-13-45" } },
        {},
        /^detail\.asOf: expected a date YYYY-MM-DD, got "2020-13-45"$/,
      ],
      [{ detail: { asOf: "2020-01-04" } }, {}, /^detail\.asOf: 2020-01-04 is not a trading session$/],
      [null, {}, /^event: expected an object/],
      [{ detail: null }, {}, /^detail: expected an object/],
      [{}, { FMAI_CONFIG_OVERRIDES: "null" }, /^FMAI_CONFIG_OVERRIDES: expected a JSON object/],
      [{}, { FMAI_CONFIG_OVERRIDES: '{"nope":1}' }, /^FMAI_CONFIG_OVERRIDES: unknown config key nope/],
      // a key given twice (JSON.parse kept the last), or a name every object inherits, is refused
      [
        {},
        { FMAI_CONFIG_OVERRIDES: '{"portfolio":{"method":"bogus","method":"kelly"}}' },
        /^FMAI_CONFIG_OVERRIDES: a key is given twice \(the second at line 1, column 32\)$/,
      ],
      [
        {},
        { FMAI_CONFIG_OVERRIDES: '{"constructor":1}' },
        /^FMAI_CONFIG_OVERRIDES: unknown config key constructor/,
      ],
      // a bad symbol is named with the variable too (it was "config source.symbols[0]: ..." alone)
      [
        {},
        { FMAI_CONFIG_OVERRIDES: '{"source":{"symbols":["SP Y"]}}' },
        /^FMAI_CONFIG_OVERRIDES: .*source\.symbols\[0\]: "SP Y" is not a symbol/,
      ],
      [
        {},
        { FMAI_CONFIG_OVERRIDES: '{"source":{"market":{"index":"^GSPC"}}}' },
        /^FMAI_CONFIG_OVERRIDES: source\.market is not collected in a Lambda/,
      ],
      [{}, { FMAI_CONFIG_DEFAULTS: "/nonexistent.yaml" }, /^FMAI_CONFIG_DEFAULTS \/nonexistent\.yaml: /],
      [{}, { FMAI_MYSQL_URL: "mysql://u:s3cr3tpw@127.0.0.1:0/db" }, /^FMAI_MYSQL_URL mysql:\/\/u:\*\*\*@/],
      [{}, { FMAI_MONGO_URL: "http://u:s3cr3tpw@x" }, /^FMAI_MONGO_URL: .*http:\/\/u:\*\*\*@x/],
      [{}, { FMAI_SIGNAL_COLLECT: "true" }, /^FMAI_SIGNAL_COLLECT must be 1/],
      // the default config's source is the synthetic market: it cannot collect the real default universe
      [
        {},
        { FMAI_SIGNAL_COLLECT: "1" },
        /^FMAI_SIGNAL_COLLECT=1 collects from the config's synthetic source, which does not hold AAPL, .*: the collector functions fill the stores/,
      ],
    ];
    for (const [ev, extra, re] of cases) {
      await refused(quiet(() => handler(ev, {}, { ...env, ...extra })), re);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lambda signal: source.symbols of FMAI_CONFIG_OVERRIDES is honoured or refused, never replaced", async () => {
  const { handler } = await import("./signal.ts");
  const { createSyntheticMarket } = await import("../lib/sources/mod.ts");
  const { runCollect } = await import("../pipelines/collect/mod.ts");
  const dir = await Deno.makeTempDir();
  try {
    const env = { FMAI_DATA_DIR: dir, FMAI_CONFIG_DEFAULTS: DEFAULTS };
    const over = (o: unknown) => ({ ...env, FMAI_CONFIG_OVERRIDES: JSON.stringify(o) });
    await refused(
      quiet(() => handler({}, {}, { ...over({ source: { symbols: ["SYN00"] } }), FMAI_SYMBOLS: "AAPL" })),
      /^FMAI_SYMBOLS \("AAPL"\) and FMAI_CONFIG_OVERRIDES source\.symbols \("SYN00"\) name different universes/,
    );
    await refused(
      quiet(() => handler({}, {}, over({ dataDir: "/elsewhere" }))),
      /^FMAI_CONFIG_OVERRIDES: dataDir /,
    );
    await refused(
      quiet(() => handler({}, {}, over({ reportDir: "/r" }))),
      /^FMAI_CONFIG_OVERRIDES: reportDir /,
    );
    await refused(
      quiet(() => handler({}, {}, over({ source: { symbols: ["SYN00", "syn00"] } }))),
      /source\.symbols: SYN00 and syn00 are the same symbol/,
    );
    // 30 sessions of SYN00 only: the run gets as far as the fit, so it ran over SYN00 (the default universe
    // AAPL,MSFT,... has no stored bars); one symbol is sized on its own edge (a ranking book needs two)
    const one = {
      source: { symbols: ["SYN00"] },
      portfolio: { method: "kelly" },
      // a day's IC needs three names: one is compared on its book
      production: { retrain: { compareOn: "book" } },
    };
    const m = createSyntheticMarket({ seed: 3, symbols: 1, sessions: 30 });
    const s = openEmbeddedStores(dir);
    try {
      await runCollect(["prices"], { market: m }, s, {
        symbols: m.symbols,
        from: m.dates[0],
        to: m.dates.at(-1)!,
      });
    } finally {
      await s.close();
    }
    for (
      const e of [over(one), { ...over(one), FMAI_SYMBOLS: "syn00" }]
    ) {
      await refused(
        quiet(() => handler({ detail: {} }, {}, e)),
        /^not enough history to fit: 30 stored sessions/,
      );
    }
    // a date the run finds no data for names the event's field, as the CLI names --as-of (one shared check)
    const after = nextSession(m.dates.at(-1)!);
    const late = quiet(() => handler({ detail: { asOf: after } }, {}, over(one)));
    await refused(
      late,
      new RegExp(`^detail\\.asOf: ${after} is after the last stored session ${m.dates.at(-1)}$`),
    );
    await rejects(late, (e: Error) => e.cause instanceof InputError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
