import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError } from "../lib/core/mod.ts";
import { openEmbeddedStores } from "../lib/store/mod.ts";
import { mySqlConfigFromUrl } from "../lib/store/mod.ts";
import { configFromEnv } from "./_config.ts";
import { collectHandler, makeHandler, windowFor } from "./_handler.ts";

const FIX = ["yahoo", "nasdaq"].map((k) =>
  new URL(`../../shared/data/${k}-fixtures`, import.meta.url).pathname
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
