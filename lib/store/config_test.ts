import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { withTempDir } from "./_test_dir.ts";
import { ConfigError, InputError, redact, StoreError } from "../core/mod.ts";
import { embeddedConfig, mySqlConfigFromUrl, openStores, type StoreConfig } from "./config.ts";
import { openEmbeddedStores } from "./embedded.ts";
import { redactUrl, secretsOf } from "./urls.ts";
import { BARS } from "./schema.ts";

Deno.test("store config: embedded config opens SQLite + folder under dataDir", async () => {
  await withTempDir(async (dir) => {
    const s = await openStores(embeddedConfig(`${dir}/data`));
    equal(s.tables.backend, "sqlite");
    equal(s.documents.backend, "sqlite");
    equal(s.objects.backend, "local");
    await s.tables.ensureTable(BARS);
    await s.documents.upsert("news", [{ id: "a", knownAt: 1, headline: "x" }]);
    await s.objects.put("reports/r1/index.html", "<html></html>", { contentType: "text/html" });
    await s.close();
    ok((await Deno.stat(`${dir}/data/fmai.sqlite`)).isFile);
    ok((await Deno.stat(`${dir}/data/objects/reports/r1/index.html`)).isFile);
    // the same files through openEmbeddedStores
    const e = openEmbeddedStores(`${dir}/data`);
    equal(await e.documents.count("news"), 1);
    equal(await e.tables.count("bars"), 0);
    deepEqual((await e.objects.list("reports/")).map((o) => o.key), ["reports/r1/index.html"]);
    await e.close();
  });
});

Deno.test("store config: a wrong kind is a ConfigError; an unreachable server a StoreError", async () => {
  await withTempDir(async (dir) => {
    const bad = { ...embeddedConfig(dir), tables: { kind: "postgres" } } as unknown as StoreConfig;
    await rejects(openStores(bad), ConfigError);
    const unreachable: StoreConfig = {
      ...embeddedConfig(dir),
      tables: {
        kind: "mysql",
        host: "127.0.0.1",
        port: 9,
        user: "x",
        password: "x",
        database: "x",
        retries: 1,
        connectTimeoutMs: 500,
      },
    };
    await rejects(openStores(unreachable), StoreError);
  });
});

Deno.test("store config: the embedded path runs with npm disabled (no driver is loaded)", async () => {
  await withTempDir(async (dir) => {
    const mod = new URL("./mod.ts", import.meta.url).href;
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { embeddedConfig, openStores } from ${JSON.stringify(mod)};\n` +
        `const s = await openStores(embeddedConfig(${JSON.stringify(`${dir}/data`)}));\n` +
        `await s.tables.ensureTable({ name: "x", columns: { a: "text" }, key: ["a"] });\n` +
        `await s.close();\nconsole.log("embedded-ok");\n`,
    );
    const config = fileURLToPath(new URL("../../deno.json", import.meta.url));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-npm", "--config", config, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    equal(out.code, 0, text);
    ok(text.includes("embedded-ok"), text);
  });
});

Deno.test("secretsOf: passwords and keys of the environment, not the repository's local development defaults", () => {
  const env = {
    FMAI_MYSQL_URL: "mysql://fmai:s3cr%2Fet@db:3306/fmai",
    FMAI_MYSQL_PASSWORD: "fmai",
    FMAI_S3_SECRET_ACCESS_KEY: "fmai-local-secret",
    AWS_SESSION_TOKEN: "tok123",
  };
  deepEqual(secretsOf(env).sort(), ["s3cr%2Fet", "s3cr/et", "tok123"].sort());
  // the dev password is also the product's, the database's and the file's name: it stays readable
  equal(
    redact("Unknown database 'fmai_p3' (/tmp/x/fmai.sqlite) s3cr/et", secretsOf(env)),
    "Unknown database 'fmai_p3' (/tmp/x/fmai.sqlite) ***",
  );
});

Deno.test("openStores parts: a part a command does not use is not opened (no server contacted) and refuses every call", async () => {
  await withTempDir(async (dir) => {
    const cfg: StoreConfig = {
      ...embeddedConfig(dir),
      // nothing listens there: opening it would fail after its retries
      documents: {
        kind: "mongodb",
        uri: "mongodb://127.0.0.1:1",
        database: "fmai",
        retries: 0,
        timeoutMs: 200,
      },
    };
    const t0 = performance.now();
    const stores = await openStores(cfg, { parts: ["tables", "objects"] });
    try {
      ok(performance.now() - t0 < 1000, "the document server was not contacted");
      await stores.tables.ensureTable(BARS);
      equal(await stores.tables.count("bars"), 0);
      equal(stores.documents.backend, "none");
      await rejects(
        () => stores.documents.find("news"),
        (e) => e instanceof StoreError && e.message === "the documents store is not opened by this command",
      );
      await rejects(() => stores.documents.upsert("news", []), StoreError);
    } finally {
      await stores.close();
    }
  });
});

Deno.test("a malformed mysql URL is refused without its password (a mistyped scheme, no scheme)", () => {
  for (
    const url of ["mysql//u:sekretpw@127.0.0.1:3307/fmai", "mysql:/u:sekretpw@h:1/db", "u:sekretpw@h:1/db"]
  ) {
    try {
      mySqlConfigFromUrl(url);
      ok(false, `${url} accepted`);
    } catch (e) {
      ok(e instanceof InputError, String(e));
      ok(!String(e).includes("sekretpw"), String(e));
      ok(String(e).includes("***@"), String(e));
    }
  }
  equal(redactUrl("mysql://u:p%40ss@h:1/db"), "mysql://u:***@h:1/db");
  equal(redactUrl("no-credentials-here"), "no-credentials-here");
});
