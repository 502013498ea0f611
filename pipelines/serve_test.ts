import { fileURLToPath } from "node:url";
import { programStderr } from "../scripts/_test_process.ts";
import { deepEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import mysql from "mysql2/promise";
import { ConfigError, FmaiError } from "@lib/core/mod.ts";
import { createApi, createApiKey, KeyRing } from "@lib/serve/mod.ts";
import { openEmbeddedStores, openStores, type Stores } from "@lib/store/mod.ts";
import { loadConfig } from "./config.ts";
import {
  keyRecords,
  keysFilePath,
  listenAddress,
  loadKeys,
  readKeyFile,
  reloadingRing,
  serve,
  withKeyFileLock,
  writeKeyFile,
} from "./serve.ts";
import { runSignal } from "./signal.ts";
import { storeConfigFor } from "./stores.ts";

Deno.test("serve CLI: the key file must live outside the repository; env keys are hashed", async () => {
  throws(() => keysFilePath({ FMAI_API_KEYS_FILE: "./keys.json" }), ConfigError);
  throws(
    () => keysFilePath({ FMAI_API_KEYS_FILE: fileURLToPath(new URL("../data/k.json", import.meta.url)) }),
    ConfigError,
  );
  equal(keysFilePath({ HOME: "/home/u" }), "/home/u/.config/fmai/api-keys.json");
  throws(() => keysFilePath({ HOME: "/home/u", FMAI_API_KEYS_FILE: "" }), /FMAI_API_KEYS_FILE is empty/);
  const { key, record } = await createApiKey("x");
  const recs = await keyRecords({
    FMAI_API_KEYS: key,
    FMAI_API_KEY_HASHES: `${"ab".repeat(4)}:${"c".repeat(64)}:5`,
  });
  deepEqual(recs.map((r) => [r.id, r.ratePerSec]), [["abababab", 5], [record.id, 50]]);
  equal(recs[1].sha256, record.sha256);
  ok(!JSON.stringify(recs).includes(key.slice("fmai_12345678_".length)), "only hashes are kept");
});

Deno.test("serve CLI: a key file reached through a link into the repository is refused like one inside it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.symlink(fileURLToPath(new URL("..", import.meta.url)), `${dir}/repo-link`);
    throws(
      () => keysFilePath({ FMAI_API_KEYS_FILE: `${dir}/repo-link/secrets/k.json` }),
      /^ConfigError: api key file .*repo-link\/secrets\/k\.json is inside the repository/,
    );
    equal(keysFilePath({ FMAI_API_KEYS_FILE: `${dir}/k.json` }), `${dir}/k.json`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: the re-read key file keeps the environment's keys beside it; a file key named env reloads too; checks during a re-read wait for it", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/api-keys.json`;
  try {
    const named = await createApiKey("env");
    const user = await createApiKey("user");
    const fromEnv = await createApiKey("x");
    await writeKeyFile(file, [named.record, user.record]);
    const env = { FMAI_API_KEYS_FILE: file, FMAI_API_KEYS: fromEnv.key };
    const loaded = await loadKeys(env);
    deepEqual(loaded.envRecords.map((r) => r.name), ["env"]);
    const logged: string[] = [];
    const ring = reloadingRing(loaded.records, file, {
      stamp: loaded.keyFileStamp,
      fixed: loaded.envRecords,
      everyMs: 0,
      log: (m) => logged.push(m),
    });
    equal((await ring.check(user.key)).ok, true);
    // `keys revoke` of the user's key: every check that starts after it, however many at once, refuses it
    await writeKeyFile(file, [named.record, { ...user.record, revoked: true }]);
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () => ring.check(user.key).then((r) => r.ok ? 200 : r.status)),
    );
    deepEqual(statuses, Array(8).fill(403));
    equal((await ring.check(named.key)).ok, true, "the file's key named env");
    equal((await ring.check(fromEnv.key)).ok, true, "the environment's key");
    deepEqual(logged, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve CLI: a key that no request could match is refused at start, one line, the secret not shown", async () => {
  const short = "fmai_0123abcd_secretsecret";
  await rejects(() => keyRecords({ FMAI_API_KEYS: short }), (e: unknown) => {
    ok(e instanceof ConfigError, String(e));
    match(e.message, /^FMAI_API_KEYS: key 1 of 1 is not of the form fmai_<id>_<secret> \(id: 8 hex digits/);
    ok(!e.message.includes("secretsecret") && !e.message.includes("\n"), e.message);
    return true;
  });
  const { key } = await createApiKey("x");
  await rejects(() => keyRecords({ FMAI_API_KEYS: `${key},${key.slice(0, -1)}` }), /key 2 of 2/);
  // hashes: a bad entry, and a burst under one token (no request would ever pass), are user errors too
  await rejects(() => keyRecords({ FMAI_API_KEY_HASHES: "nope" }), ConfigError);
  await rejects(
    () => keyRecords({ FMAI_API_KEY_HASHES: `${"ab".repeat(4)}:${"c".repeat(64)}:1:0.5` }),
    /^ConfigError: FMAI_API_KEY_HASHES: .*burst must be at least 1$/,
  );
  // the same key twice: refused at start, not a stack trace at the first request
  await rejects(() => loadKeys({ FMAI_API_KEYS: `${key},${key}` }), /^ConfigError: api keys: .*listed twice/);
});

Deno.test("serve CLI: the listening address names its source when refused", () => {
  const refused = (flags: { port?: string; hostname?: string }, env: Record<string, string>, re: RegExp) =>
    throws(() => listenAddress(flags, env), (e: unknown) => e instanceof ConfigError && re.test(e.message));
  refused({}, { PORT: "abc" }, /^PORT: "abc" is not a port \(an integer 0\.\.65535\)$/);
  refused({ port: "" }, {}, /^--port: "" is not a port/);
  refused({ port: "80.5" }, { PORT: "8080" }, /^--port: "80\.5"/);
  refused({ port: "65536" }, {}, /^--port: "65536"/);
  refused({ hostname: "" }, {}, /^--hostname: "" is not a host name or IP address/);
  refused({ hostname: "bad host!" }, {}, /^--hostname: "bad host!"/);
  refused({}, { FMAI_API_HOST: "a/b" }, /^FMAI_API_HOST: "a\/b"/);
  deepEqual(listenAddress({}, {}), {
    port: 8787,
    hostname: "127.0.0.1",
    portFrom: "default",
    hostnameFrom: "default",
  });
  deepEqual(listenAddress({}, { PORT: "8080", FMAI_API_HOST: "0.0.0.0" }), {
    port: 8080,
    hostname: "0.0.0.0",
    portFrom: "PORT",
    hostnameFrom: "FMAI_API_HOST",
  });
  for (const h of ["::1", "::", "localhost", "api.example.com", "10.0.0.1"]) {
    equal(listenAddress({ hostname: h, port: "0" }, {}).hostname, h);
  }
});

Deno.test("serve: a key revoked before the server answered anything is refused from the first request", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/api-keys.json`;
  const stores = openEmbeddedStores(":memory:");
  const ac = new AbortController();
  try {
    const { key, record } = await createApiKey("soon-gone");
    const other = await createApiKey("stays");
    await writeKeyFile(file, [record, other.record]);
    const loaded = await loadKeys({ FMAI_API_KEYS_FILE: file });
    equal(loaded.keyFile, file);
    // `deno task serve keys revoke ID` while the server starts
    await writeKeyFile(file, [{ ...record, revoked: true }, other.record]);
    const listening = Promise.withResolvers<Deno.NetAddr>();
    const done = serve({
      port: 0,
      hostname: "127.0.0.1",
      stores,
      modelName: "system",
      ...loaded,
      corsOrigins: [],
      signal: ac.signal,
      onListen: (a) => listening.resolve(a),
    });
    const { port } = await listening.promise;
    const get = async (k: string) => {
      const r = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { "X-API-Key": k } });
      await r.body?.cancel();
      return r.status;
    };
    equal(await get(key), 403, "revoked before the first request");
    equal(await get(other.key), 200);
    ac.abort();
    await done;
  } finally {
    ac.abort();
    await stores.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a port in use is an operational failure (exit 1), one line naming the port", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const stores = openEmbeddedStores(":memory:");
  try {
    const { record } = await createApiKey("x");
    await rejects(
      () =>
        serve({
          port: busy.addr.port,
          hostname: "127.0.0.1",
          portFrom: "PORT",
          stores,
          modelName: "system",
          records: [record],
          keyFile: null,
          corsOrigins: [],
        }),
      (e: unknown) => {
        ok(e instanceof FmaiError && !e.userError, String(e));
        equal(
          e.message,
          `cannot listen on 127.0.0.1:${busy.addr.port}: the port is already in use (PORT ${busy.addr.port})`,
        );
        return true;
      },
    );
  } finally {
    busy.close();
    await stores.close();
  }
});

/**
 * `deno task serve ARGS` with `env` over a clean key setup and an empty embedded store (`--store-dir`, or
 * `storeDir` of the store's folder); killed after 60 s (a server that started).
 */
async function serveCli(
  args: string[],
  env: Record<string, string>,
  storeDir: (dir: string) => string = (dir) => dir,
) {
  const dir = await Deno.makeTempDir();
  try {
    await openEmbeddedStores(dir).close();
    const { key } = await createApiKey("cli");
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "pipelines/serve.ts",
        ...(args[0] === "keys" ? [] : ["--store-dir", storeDir(dir)]),
        ...args,
      ],
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: {
        FMAI_API_KEYS: key,
        FMAI_API_KEY_HASHES: "",
        FMAI_API_KEYS_FILE: `${dir}/no-keys.json`,
        FMAI_STORES: "embedded",
        PORT: "0",
        FMAI_API_HOST: "127.0.0.1",
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const lines = programStderr(r.stderr).split("\n").filter((l) => l.trim());
    // whether the store folder the server was given exists afterwards (a mistyped one must not be created)
    const created = await Deno.stat(storeDir(dir)).then(() => true, () => false);
    return { code: r.code, lines, dir, created };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("serve CLI: refused flags and addresses are one line with the right exit code, before listening", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const cases: [string[], Record<string, string>, number, RegExp][] = [
      [
        ["--rate", "1", "--burst", "1"],
        {},
        2,
        /^error: --rate does not apply to the server: rate limits are per key/,
      ],
      [["--burst", "1"], {}, 2, /^error: --burst does not apply to the server/],
      [["--port", ""], {}, 2, /^error: --port: "" is not a port/],
      [[], { PORT: "abc" }, 2, /^error: PORT: "abc" is not a port/],
      [["--hostname", ""], {}, 2, /^error: --hostname: "" is not a host name/],
      [["--hostname", "bad host!"], {}, 2, /^error: --hostname: "bad host!" is not a host name/],
      [[], { FMAI_API_KEYS: "fmai_0123abcd_secretsecret" }, 2, /^error: FMAI_API_KEYS: key 1 of 1 is not/],
      [["keys", "list", "--rate", "5"], {}, 2, /^error: --rate does not apply to `keys list`/],
      // a CORS entry that is not an origin is refused before the server starts (it was taken unchecked)
      [
        [],
        { FMAI_API_CORS_ORIGINS: "not-a-url" },
        2,
        /^error: FMAI_API_CORS_ORIGINS: "not-a-url" is not an origin/,
      ],
      // an empty key file variable is refused as empty (it said there was no HOME), by the server too
      [
        ["keys", "add", "me"],
        { FMAI_API_KEYS_FILE: "" },
        2,
        /^error: FMAI_API_KEYS_FILE is empty \(unset it/,
      ],
      [[], { FMAI_API_KEYS_FILE: " " }, 2, /^error: FMAI_API_KEYS_FILE is empty \(unset it/],
      [["keys", "list", "--port", "1"], {}, 2, /^error: --port does not apply to `serve keys`/],
      [
        ["keys", "add", "me", "--burst", "0.5"],
        {},
        2,
        /^error: --burst: expected a number of at least 1, got "0\.5"$/,
      ],
      [
        ["--port", String(busy.addr.port)],
        {},
        1,
        /^error: cannot listen on 127\.0\.0\.1:\d+: the port is already in use \(--port \d+\)$/,
      ],
    ];
    const runs = await Promise.all(cases.map(([args, env]) => serveCli(args, env)));
    runs.forEach((r, i) => {
      const [args, env, code, re] = cases[i];
      const what = JSON.stringify([args, env]);
      deepEqual([r.code, r.lines.length], [code, 1], `${what}: ${r.lines.join("\n")}`);
      ok(re.test(r.lines[0]), `${what}: ${r.lines[0]}`);
    });
  } finally {
    busy.close();
  }
});

Deno.test("serve CLI: a --store-dir that holds no store is refused (exit 2) and not created, as models refuses it", async () => {
  const r = await serveCli(["--port", "0"], {}, (dir) => `${dir}/typo`);
  deepEqual([r.code, r.lines.length], [2, 1], r.lines.join("\n"));
  ok(r.lines[0].startsWith(`error: --store-dir ${r.dir}/typo: no store there (`), r.lines[0]);
  equal(r.created, false, "nothing created");
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
      FMAI_MYSQL_DATABASE: tag, // .services/env names the shared database beside its URL
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
      equal((await get("/v1/signals?symbols=NOPE")).status, 404);
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

Deno.test("serve keys add waits for the key file's lock: a change made under it is kept beside the new key", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/cfg/keys.json`;
  try {
    const keysCli = (...args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "pipelines/serve.ts", "keys", ...args],
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        env: { FMAI_API_KEYS_FILE: file },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
    // a revoke of a key the file does not hold is refused before the folder or the lock is made
    const none = await keysCli("revoke", "0123abcd");
    equal(none.code, 2);
    deepEqual(await Array.fromAsync(Deno.readDir(dir)), [], "nothing created");
    // and a revoke naming no key says what it needs (it said "no key  in <file>")
    const bare = await keysCli("revoke");
    equal(bare.code, 2);
    ok(new TextDecoder().decode(bare.stderr).includes("error: keys revoke needs a key ID (the id column of"));
    const nothing = await keysCli();
    equal(nothing.code, 2);
    ok(
      new TextDecoder().decode(nothing.stderr).includes(
        "error: keys needs a command: add NAME, revoke ID or list",
      ),
    );
    // a change made while holding the lock (read, a long pause, write) and a `keys add` started inside it:
    // without the lock the add wrote first and the change's write dropped its key
    const mine = (await createApiKey("mine")).record;
    let added: Promise<Deno.CommandOutput> | undefined;
    await withKeyFileLock(file, async () => {
      const before = await readKeyFile(file);
      added = keysCli("add", "theirs");
      await new Promise((r) => setTimeout(r, 3000));
      await writeKeyFile(file, [...before, mine]);
    });
    const out = await added!;
    equal(out.code, 0, new TextDecoder().decode(out.stderr));
    deepEqual((await readKeyFile(file)).map((k) => k.name), ["mine", "theirs"]);
    // and a revoke keeps a concurrent add too
    const [rev, add] = await Promise.all([keysCli("revoke", mine.id), keysCli("add", "third")]);
    deepEqual([rev.code, add.code], [0, 0]);
    const keys = await readKeyFile(file);
    deepEqual(keys.map((k) => [k.name, k.revoked]).sort(), [["mine", true], ["theirs", false], [
      "third",
      false,
    ]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve keys: a key file, folder or lock that cannot be made is one line naming it (exit 2), nothing written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const listing = async () => (await Array.fromAsync(Deno.readDir(dir), (e) => e.name)).sort();
    let ran = false;
    const run = () => {
      ran = true;
      return Promise.resolve();
    };
    // a folder that is a file (as root too: permission bits would not stop it)
    await Deno.writeTextFile(`${dir}/plain`, "");
    await rejects(
      withKeyFileLock(`${dir}/plain/k.json`, run),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.startsWith(`cannot create the folder ${dir}/plain of api key file ${dir}/plain/k.json`),
    );
    // a lock that cannot be opened (a folder where it belongs)
    await Deno.mkdir(`${dir}/k.json.lock`);
    await rejects(
      withKeyFileLock(`${dir}/k.json`, run),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.startsWith(`cannot create the lock ${dir}/k.json.lock of api key file ${dir}/k.json`),
    );
    equal(ran, false, "nothing runs under a lock not held");
    // a key file that cannot be replaced (a folder that is not empty where it belongs)
    await Deno.mkdir(`${dir}/d.json/x`, { recursive: true });
    await rejects(
      writeKeyFile(`${dir}/d.json`, []),
      (e: Error) =>
        e instanceof ConfigError && e.message.startsWith(`cannot write api key file ${dir}/d.json`),
    );
    deepEqual(await listing(), ["d.json", "k.json.lock", "plain"], "no temporary file left");
    // the CLI: one line, exit 2, no stack
    const r = await serveCli(["keys", "add", "me"], { FMAI_API_KEYS_FILE: `${dir}/plain/k.json` });
    deepEqual([r.code, r.lines.length], [2, 1], r.lines.join("\n"));
    ok(r.lines[0].startsWith(`error: cannot create the folder ${dir}/plain of api key file`), r.lines[0]);
    deepEqual(await listing(), ["d.json", "k.json.lock", "plain"], "nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
