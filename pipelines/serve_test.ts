import { deepEqual, equal, ok, throws } from "node:assert/strict";
import mysql from "mysql2/promise";
import { ConfigError } from "@lib/core/mod.ts";
import { createApi, createApiKey, KeyRing } from "@lib/serve/mod.ts";
import { openStores, type Stores } from "@lib/store/mod.ts";
import { loadConfig } from "./config.ts";
import { keyRecords, keysFilePath } from "./serve.ts";
import { runSignal } from "./signal.ts";
import { storeConfigFor } from "./stores.ts";

Deno.test("serve CLI: the key file must live outside the repository; env keys are hashed", async () => {
  throws(() => keysFilePath({ FMAI_API_KEYS_FILE: "./keys.json" }), ConfigError);
  throws(
    () => keysFilePath({ FMAI_API_KEYS_FILE: new URL("../data/k.json", import.meta.url).pathname }),
    ConfigError,
  );
  equal(keysFilePath({ HOME: "/home/u" }), "/home/u/.config/fmai/api-keys.json");
  const { key, record } = await createApiKey("x");
  const recs = await keyRecords({
    FMAI_API_KEYS: key,
    FMAI_API_KEY_HASHES: `${"ab".repeat(4)}:${"c".repeat(64)}:5`,
  });
  deepEqual(recs.map((r) => [r.id, r.ratePerSec]), [["abababab", 5], [record.id, 50]]);
  equal(recs[1].sha256, record.sha256);
  ok(!JSON.stringify(recs).includes(key.slice("fmai_12345678_".length)), "only hashes are kept");
});

const MYSQL = Deno.env.get("FMAI_MYSQL_URL");
const servers = Boolean(MYSQL && Deno.env.get("FMAI_MONGO_URL") && Deno.env.get("FMAI_S3_ENDPOINT"));

Deno.test({
  name:
    "serve on real servers: the daily run writes to MySQL/MongoDB/S3 and the API serves it, replay byte-identical",
  ignore: !servers,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    // a database, a document database and an object prefix of its own
    const tag = `fmai_api_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    const admin = await mysql.createConnection(MYSQL!);
    await admin.query(`CREATE DATABASE \`${tag}\``);
    const env = Deno.env.toObject();
    const url = new URL(MYSQL!);
    url.pathname = `/${tag}`;
    const sc = await storeConfigFor(await Deno.makeTempDir(), ["mysql", "mongodb", "s3"], {
      ...env,
      FMAI_MYSQL_URL: url.href,
      FMAI_MONGO_DATABASE: tag,
    });
    (sc.objects as { prefix?: string }).prefix = `${tag}/`;
    let stores: Stores | null = null;
    try {
      stores = await openStores(sc);
      const cfg = await loadConfig({
        overrides: {
          source: { synthetic: { symbols: 6, sessions: 420, seed: 3 } },
          models: { trend: ["majority", "logistic"] },
          news: { scorer: "lexicon" },
        },
      });
      const run = await runSignal(cfg, { stores, quiet: true, git: { sha: "test", dirty: false } });
      equal(run.written, 6);
      equal(stores.tables.backend, "mysql");
      const { key, record } = await createApiKey("it", { ratePerSec: 100 });
      const api = createApi({ stores, keys: new KeyRing([record]), now: () => Date.now() + 120_000 });
      const get = (p: string, k: string | null = key) =>
        api.fetch(new Request(`http://t${p}`, { headers: k ? { "X-API-Key": k } : {} }));
      const latest = await (await get("/v1/signals")).json();
      equal(latest.date, run.asOf);
      equal(latest.modelVersion, run.modelVersion);
      equal(latest.signals.length, 6);
      deepEqual(
        latest.signals[0].featureHash,
        run.signals.find((s) => s.symbol === latest.signals[0].symbol)!.provenance!.featureHash,
      );
      const asOf = new Date(Date.now() + 1000).toISOString();
      const a = new Uint8Array(await (await get(`/v1/signals?asOf=${asOf}`)).arrayBuffer());
      const b = new Uint8Array(await (await get(`/v1/signals?asOf=${asOf}`)).arrayBuffer());
      deepEqual(a, b);
      const models = await (await get("/v1/models")).json();
      deepEqual(models.aliases, { champion: run.modelVersion });
      equal((await get("/v1/models/champion")).status, 200);
      equal((await get("/v1/signals", null)).status, 401);
      equal((await get("/v1/signals?symbols=NOPE")).status, 400);
      equal((await get("/healthz", null)).status, 200);
      const h = await (await get("/v1/health")).json();
      ok(h.checks.length > 0);
    } finally {
      for (const o of (await stores?.objects.list("")) ?? []) await stores!.objects.delete(o.key);
      await stores?.close();
      await admin.query(`DROP DATABASE \`${tag}\``);
      await admin.end();
      const { MongoClient } = await import("mongodb");
      const mc = new MongoClient(env.FMAI_MONGO_URL!);
      await mc.db(tag).dropDatabase().catch(() => {});
      await mc.close();
    }
  },
});
