/**
 * The store config files (`config/mysql.yaml`, `config/mongodb.yaml`, `config/s3.yaml`) are checked whole at
 * the edge: keys anywhere in the file, types, numeric ranges and `kind`. Each case edits a temp copy of the
 * shipped file, so the shipped files are tested too. No server is needed.
 */
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { type BackendName, chosenBackends, parseBackends, storeConfigFor } from "./stores.ts";

const SHIPPED = new URL("../config/", import.meta.url);
const FILE: Record<string, string> = { mysql: "mysql.yaml", mongodb: "mongodb.yaml", s3: "s3.yaml" };

/** Runs `fn` with a temp config folder holding the shipped file of `backend` changed by `edit`. */
async function withFile<T>(
  backend: Exclude<BackendName, "embedded">,
  edit: (text: string) => string,
  fn: (configDir: URL) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "fmai-stores-" });
  try {
    const text = await Deno.readTextFile(new URL(FILE[backend], SHIPPED));
    const changed = edit(text);
    await Deno.writeTextFile(`${dir}/${FILE[backend]}`, changed);
    return await fn(new URL(`file://${dir}/`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** `text` with the line setting `key` (indented, under the section) set to `value`; the key must be there. */
function set(key: string, value: string): (text: string) => string {
  return (text) => {
    const re = new RegExp(`^(\\s+${key}:) [^#\\n]*`, "m");
    if (!re.test(text)) throw new Error(`no ${key} in the shipped file`);
    return text.replace(re, `$1 ${value} `);
  };
}

async function refused(
  backend: Exclude<BackendName, "embedded">,
  edit: (t: string) => string,
  want: RegExp,
  env: Record<string, string> = {},
) {
  await withFile(backend, edit, (configDir) =>
    rejects(
      () => storeConfigFor("/tmp/x", [backend], env, configDir),
      (e) => {
        ok(e instanceof ConfigError, String(e));
        ok(want.test(e.message), e.message);
        ok(!e.message.includes("\n"), "one line");
        return true;
      },
    ));
}

Deno.test("store config files: the shipped files pass the checks", async () => {
  const c = await storeConfigFor("/tmp/x", ["mysql", "mongodb", "s3"], {});
  const t = c.tables as unknown as Record<string, unknown>,
    d = c.documents as unknown as Record<string, unknown>;
  const o = c.objects as unknown as Record<string, unknown>;
  deepEqual([t.kind, t.poolSize, d.kind, d.batchSize, o.kind, o.multipartBytes], [
    "mysql",
    4,
    "mongodb",
    1000,
    "s3",
    5 * 1024 * 1024,
  ]);
});

Deno.test("store config files: a number out of range is a ConfigError naming the file, key and range", async () => {
  // batchSize 0 made the first MongoDB upsert loop forever; poolSize 0 is an unlimited mysql2 pool
  for (const v of ["0", "-1", "1.5", "100001"]) {
    await refused(
      "mongodb",
      set("batchSize", v),
      new RegExp(
        `^config/mongodb\\.yaml: store\\.documents\\.batchSize: ${v.replace(".", "\\.")} is out of range`,
      ),
    );
  }
  await refused("mongodb", set("timeoutMs", "0"), /store\.documents\.timeoutMs: 0 is out of range/);
  await refused("mongodb", set("retries", "0"), /store\.documents\.retries: 0 is out of range/);
  await refused(
    "mysql",
    set("poolSize", "0"),
    /^config\/mysql\.yaml: store\.tables\.poolSize: 0 is out of range: want a whole number in \[1, 1000\] \(connections in the pool; 0 would mean unlimited\)$/,
  );
  for (const k of ["rowsPerStatement", "stagingFromRows", "connectTimeoutMs", "retries", "port"]) {
    await refused("mysql", set(k, "0"), new RegExp(`store\\.tables\\.${k}: 0 is out of range`));
  }
  await refused("mysql", set("port", "70000"), /store\.tables\.port: 70000 is out of range/);
  await refused("mysql", set("retryDelayMs", "-1"), /store\.tables\.retryDelayMs: -1 is out of range/);
  await refused("s3", set("multipartBytes", "1024"), /store\.objects\.multipartBytes: 1024 is out of range/);
  await refused("s3", set("maxAttempts", "0"), /store\.objects\.maxAttempts: 0 is out of range/);
  await refused("s3", set("timeoutMs", "0"), /store\.objects\.timeoutMs: 0 is out of range/);
  await refused(
    "s3",
    (t) => t.replace(/^(\s+)timeoutMs:/m, "$1listPageSize: 0\n$1timeoutMs:"),
    /listPageSize: 0/,
  );
  // the bounds themselves are accepted
  const d = await withFile(
    "mongodb",
    set("batchSize", "1"),
    (dir) => storeConfigFor("/tmp/x", ["mongodb"], {}, dir),
  );
  equal((d.documents as unknown as Record<string, unknown>).batchSize, 1);
  const t = await withFile(
    "mysql",
    (x) => set("retryDelayMs", "0")(set("poolSize", "1")(x)),
    (dir) => storeConfigFor("/tmp/x", ["mysql"], {}, dir),
  );
  deepEqual([
    (t.tables as unknown as Record<string, unknown>).poolSize,
    (t.tables as unknown as Record<string, unknown>).retryDelayMs,
  ], [1, 0]);
});

Deno.test("store config files: an unknown key anywhere in the file is a ConfigError naming file and key", async () => {
  await refused("mysql", (t) => `${t}extra: 1\n`, /^config\/mysql\.yaml: unknown config key extra$/);
  await refused(
    "mongodb",
    (t) => `${t}  tables:\n    host: h\n`,
    /^config\/mongodb\.yaml: unknown config key store\.tables$/,
  );
  await refused(
    "s3",
    (t) => `stor:\n  objects: {}\n${t}`,
    /^config\/s3\.yaml: unknown config key stor \(did you mean store\?\)$/,
  );
  await refused("mysql", (t) => `${t}extra: null\n`, /unknown config key extra/);
  await refused("mysql", () => "- a\n- b\n", /^config\/mysql\.yaml: expected a mapping with store\.tables/);
  // `endpoint: null` (AWS) is still "unset", not a type error
  const o = await withFile(
    "s3",
    set("endpoint", "null"),
    (dir) =>
      storeConfigFor("/tmp/x", ["s3"], { FMAI_S3_ACCESS_KEY_ID: "k", FMAI_S3_SECRET_ACCESS_KEY: "s" }, dir),
  );
  equal("endpoint" in (o.objects as unknown as Record<string, unknown>), false);
});

Deno.test("store config files: a kind other than the backend named by --stores is a ConfigError", async () => {
  await refused(
    "mongodb",
    set("kind", "sqlite"),
    /^config\/mongodb\.yaml: store\.documents\.kind: "sqlite" is not mongodb/,
  );
  await refused(
    "mysql",
    set("kind", "sqlite"),
    /^config\/mysql\.yaml: store\.tables\.kind: "sqlite" is not mysql/,
  );
  await refused("s3", set("kind", "local"), /^config\/s3\.yaml: store\.objects\.kind: "local" is not s3/);
  // the backend's own kind, or none, is fine
  const c = await withFile(
    "mongodb",
    (t) => t.replace(/^\s+kind:.*\n/m, ""),
    (dir) => storeConfigFor("/tmp/x", ["mongodb"], {}, dir),
  );
  equal(c.documents.kind, "mongodb");
});

Deno.test("chosenBackends: the flag when given, an empty flag refused; else FMAI_STORES, empty meaning embedded", () => {
  deepEqual(chosenBackends(undefined, undefined), []);
  deepEqual(chosenBackends(undefined, ""), []);
  deepEqual(chosenBackends(undefined, "s3"), ["s3"]);
  deepEqual(chosenBackends("mysql", "s3"), ["mysql"]);
  deepEqual(chosenBackends("embedded", "s3"), ["embedded"]);
  throws(
    () => chosenBackends("", "s3"),
    /^ConfigError: --stores: no backend named \(embedded, mysql, mongodb, s3\)$/,
  );
  throws(() => chosenBackends("", undefined), /^ConfigError: --stores: no backend named/);
});

Deno.test("parseBackends: names once each; commas alone or a name twice are refused, not taken for embedded", () => {
  deepEqual(parseBackends(undefined), []);
  deepEqual(parseBackends(""), []);
  deepEqual(parseBackends("mysql, s3"), ["mysql", "s3"]);
  throws(() => parseBackends(","), /^ConfigError: store backends: no name in ","/);
  throws(() => parseBackends("s3,s3"), /^ConfigError: store backend s3 is given twice \(in "s3,s3"\)$/);
  throws(() => parseBackends("mysql,oracle"), /^ConfigError: unknown store backend oracle/);
});

const same = (t: string) => t;

Deno.test("store settings: a value the driver would refuse is one line naming the variable or the file and key", async () => {
  // these were `internal error (a bug): mongodb config: invalid database name "a b"` (and `mysql config: user must
  // be a string`, an S3 request with region " "), from the driver, after the embedded fmai.sqlite was written
  for (const db of ["a b", "a.b", "x".repeat(70)]) {
    await refused(
      "mongodb",
      same,
      new RegExp(`^FMAI_MONGO_DATABASE: expected 1 to 63 letters, digits, _ or -, got "${db.slice(0, 50)}`),
      { FMAI_MONGO_DATABASE: db },
    );
  }
  await refused(
    "mongodb",
    set("database", "a b"),
    /^config\/mongodb\.yaml: store\.documents\.database: expected 1 to 63 letters, digits, _ or -, got "a b"$/,
  );
  await refused(
    "mysql",
    set("user", '""'),
    /^config\/mysql\.yaml: store\.tables\.user: expected a non-empty string without surrounding spaces, got ""$/,
  );
  await refused(
    "mysql",
    set("host", '" "'),
    /^config\/mysql\.yaml: store\.tables\.host: expected a non-empty/,
  );
  await refused(
    "mysql",
    set("database", "null"),
    /^config\/mysql\.yaml: store\.tables\.database: expected .*got null$/,
  );
  await refused("mysql", same, /^FMAI_MYSQL_URL's user: expected a non-empty/, {
    FMAI_MYSQL_URL: "mysql://%20:p@db:3306/fmai",
  });
  await refused(
    "s3",
    set("region", '""'),
    /^config\/s3\.yaml: store\.objects\.region: expected a region such as us-east-1 \(letters, digits and -\), got ""$/,
  );
  await refused("s3", same, /^FMAI_S3_REGION: expected a region such as us-east-1/, { FMAI_S3_REGION: " " });
  await refused("s3", same, /^FMAI_S3_REGION: expected a region/, { FMAI_S3_REGION: "us east" });
  // an empty key is not the local default: refused, naming the variable, its value never shown
  await refused("s3", same, /^FMAI_S3_ACCESS_KEY_ID: expected a key without spaces, got an empty value$/, {
    FMAI_S3_ACCESS_KEY_ID: "",
  });
  await refused(
    "s3",
    same,
    /^AWS_SECRET_ACCESS_KEY: expected a key without spaces, got one with spaces \(not shown\)$/,
    {
      FMAI_S3_ACCESS_KEY_ID: "k",
      AWS_SECRET_ACCESS_KEY: "se cret",
    },
  );
  // what the servers take is still accepted
  const c = await storeConfigFor("/tmp/x", ["mongodb", "s3"], {
    FMAI_MONGO_DATABASE: "fmai_test-1",
    FMAI_S3_REGION: "auto",
  });
  deepEqual(
    [
      (c.documents as unknown as Record<string, unknown>).database,
      (c.objects as unknown as Record<string, unknown>).region,
    ],
    ["fmai_test-1", "auto"],
  );
});

Deno.test("FMAI_S3_FORCE_PATH_STYLE: 1, true, 0 or false; anything else is refused, not taken for false", async () => {
  for (const [v, want] of [["1", true], ["true", true], ["0", false], ["false", false]] as const) {
    const o = (await storeConfigFor("/tmp/x", ["s3"], { FMAI_S3_FORCE_PATH_STYLE: v })).objects;
    equal((o as unknown as Record<string, unknown>).forcePathStyle, want, v);
  }
  // unset or empty: the file's forcePathStyle (true in the shipped file)
  const o = (await storeConfigFor("/tmp/x", ["s3"], { FMAI_S3_FORCE_PATH_STYLE: "" })).objects;
  equal((o as unknown as Record<string, unknown>).forcePathStyle, true);
  // `maybe` was taken for false (virtual-host URLs against a local server), while forcePathStyle: yes in the file
  // and FMAI_TF_ALLOW_FALLBACK=yes are refused
  for (const v of ["maybe", "yes", "TRUE", " 1"]) {
    await refused("s3", same, /^FMAI_S3_FORCE_PATH_STYLE must be 1, true, 0 or false, got "/, {
      FMAI_S3_FORCE_PATH_STYLE: v,
    });
  }
});
