/**
 * store:copy and backend selection. The server part runs under `deno task test:integration` (it needs the
 * environment `.services/env` provides); without it that test is ignored with a message naming the command.
 */
import { fileURLToPath } from "node:url";
import { programStderr } from "../scripts/_test_process.ts";
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { createSyntheticMarket } from "@lib/sources/mod.ts";
import {
  ALL_SCHEMAS,
  BARS,
  barToRow,
  embeddedConfig,
  openEmbeddedStores,
  openStores,
  type Stores,
} from "@lib/store/mod.ts";
import { collect } from "./steps/collect.ts";
import type { NewsItem } from "@lib/core/mod.ts";
import { lexiconScorer, NEWS_SCORES_COLLECTION, scoreNews } from "@lib/models/mod.ts";
import { copyStores, copyToParquet } from "./store_copy.ts";
import { checkStoreExists, parseBackends, storeConfigFor } from "./stores.ts";

async function seeded(dir: string): Promise<Stores> {
  const stores = openEmbeddedStores(dir);
  const m = createSyntheticMarket({ seed: 9, symbols: 3, sessions: 60, newsRate: 0.3 });
  await collect(m, stores, { symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] });
  await stores.objects.put("charts/SYN00/2015-01-02.svg", "<svg/>", { contentType: "image/svg+xml" });
  // each news item's cached score, the store's point-in-time record of them (a copy dropped it)
  await scoreNews(
    (await stores.documents.find("news")) as unknown as NewsItem[],
    lexiconScorer(),
    stores.documents,
  );
  return stores;
}

async function snapshot(s: Stores) {
  return {
    bars: await s.tables.count("bars"),
    news: await s.documents.count("news"),
    newsScores: await s.documents.count(NEWS_SCORES_COLLECTION),
    firstBar: (await s.tables.query("bars", { orderBy: ["symbol", "date"], limit: 1 }))[0],
    objects: (await s.objects.list("charts/")).map((o) => o.key),
  };
}

Deno.test("backend selection: config files and environment", async () => {
  const e = await storeConfigFor("/tmp/x", []);
  deepEqual([e.tables.kind, e.documents.kind, e.objects.kind], ["sqlite", "sqlite", "local"]);
  throws(() => parseBackends("mysql,mongo"), ConfigError);
  const c = await storeConfigFor("/tmp/x", ["mysql", "mongodb", "s3"], {
    FMAI_MYSQL_PASSWORD: "pw",
    FMAI_MONGO_URL: "mongodb://h:1",
    FMAI_S3_BUCKET: "b2",
  });
  const t = c.tables as unknown as Record<string, unknown>,
    d = c.documents as unknown as Record<string, unknown>;
  const o = c.objects as unknown as Record<string, unknown>;
  deepEqual([t.kind, t.host, t.port, t.password], ["mysql", "127.0.0.1", 3307, "pw"]);
  deepEqual([d.kind, d.uri, d.database], ["mongodb", "mongodb://h:1", "fmai"]);
  deepEqual([o.kind, o.bucket, o.endpoint], ["s3", "b2", "http://127.0.0.1:9000"]);
  const u = (await storeConfigFor("/tmp/x", ["mysql"], { FMAI_MYSQL_URL: "mysql://u:p@db:3310/x" })).tables;
  deepEqual(
    [(u as unknown as Record<string, unknown>).host, (u as unknown as Record<string, unknown>).port],
    ["db", 3310],
  );
  await rejects(() => storeConfigFor("/tmp/x", ["mysql"], { FMAI_MYSQL_URL: "nope" }), ConfigError);
  // development credentials only for the local servers; elsewhere the secret must come from the environment
  await rejects(
    () => storeConfigFor("/tmp/x", ["s3"], { FMAI_S3_ENDPOINT: "https://s3.example.com" }),
    /FMAI_S3_ACCESS_KEY_ID is not set/,
  );
  await rejects(
    () => storeConfigFor("/tmp/x", ["mysql"], { FMAI_MYSQL_HOST: "db.example.com" }),
    ConfigError,
  );
  const local = (await storeConfigFor("/tmp/x", ["s3"], {})).objects as unknown as Record<string, unknown>;
  deepEqual([local.accessKeyId, local.secretAccessKey], ["fmai", "fmai-local-secret"]);
  // exactly 127.0.0.1, ::1 or localhost: no other 127.* name gets the development credentials
  for (const host of ["127.0.0.2", "127.evil.example", "localhost.example"]) {
    await rejects(
      () => storeConfigFor("/tmp/x", ["mysql"], { FMAI_MYSQL_HOST: host }),
      /FMAI_MYSQL_PASSWORD is not set/,
    );
  }
  // a password holding "/" is parsed whole, and never printed when the URL is malformed
  const slash = (await storeConfigFor("/tmp/x", ["mysql"], { FMAI_MYSQL_URL: "mysql://u:p/a@ss@db:3310/x" }))
    .tables as unknown as Record<string, unknown>;
  deepEqual([slash.user, slash.password, slash.host, slash.database], ["u", "p/a@ss", "db", "x"]);
  await rejects(
    () => storeConfigFor("/tmp/x", ["mysql"], { FMAI_MYSQL_URL: "mysql://u:p/a@ss@db:x/y" }),
    (e) => {
      ok(
        !(e as Error).message.includes("p/a@ss") && (e as Error).message.includes("***"),
        (e as Error).message,
      );
      return true;
    },
  );
});

Deno.test("backend selection: a typo, a wrong type or a secret in a store config file is a ConfigError", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-storecfg-" });
  try {
    const configDir = new URL(`file://${dir}/`);
    const cases: [string, RegExp][] = [
      [
        "poolSize: 4\n    stagingFromRow: 2",
        /config\/mysql\.yaml: unknown config key store\.tables\.stagingFromRow \(did you mean stagingFromRows\?\)/,
      ],
      [
        "poolSize: four",
        // the file is named once: no "config" again before the key
        /config\/mysql\.yaml: store\.tables\.poolSize: expected number, got string \("four"\)/,
      ],
      ["password: hunter2", /store\.tables\.password: secrets come only from the environment/],
    ];
    for (const [extra, want] of cases) {
      await Deno.writeTextFile(
        `${dir}/mysql.yaml`,
        `store:\n  tables:\n    kind: mysql\n    host: 127.0.0.1\n    ${extra}\n`,
      );
      await rejects(
        () => storeConfigFor("/tmp/x", ["mysql"], {}, configDir),
        (e) => e instanceof ConfigError && want.test(e.message),
      );
    }
    await Deno.writeTextFile(
      `${dir}/mysql.yaml`,
      // a whole connection: host, port, user and database are each required (a missing one is refused)
      "store:\n  tables:\n    kind: mysql\n    host: 127.0.0.1\n    port: 3307\n    user: fmai\n    database: fmai\n" +
        "    stagingFromRows: 2\n",
    );
    const t = (await storeConfigFor("/tmp/x", ["mysql"], {}, configDir)).tables as unknown as Record<
      string,
      unknown
    >;
    deepEqual([t.host, t.stagingFromRows, t.password], ["127.0.0.1", 2, "fmai"]);
    // a password inside a connection string in the file is refused like any other secret (shown redacted)
    await Deno.writeTextFile(
      `${dir}/mongodb.yaml`,
      "store:\n  documents:\n    kind: mongodb\n    uri: mongodb://fmai:s3cr/et@127.0.0.1:27018\n",
    );
    await rejects(() => storeConfigFor("/tmp/x", ["mongodb"], {}, configDir), (e) => {
      ok(
        e instanceof ConfigError &&
          /store\.documents\.uri holds a password \(mongodb:\/\/fmai:\*\*\*@127/.test(e.message),
        String(e),
      );
      ok(!(e as Error).message.includes("s3cr"), "the password is not shown");
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store:copy only reads its source: a table the source never held is not created there", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-copy-ro-" });
  const a = openEmbeddedStores(`${dir}/a`), b = openEmbeddedStores(`${dir}/b`);
  try {
    await a.tables.ensureTable(BARS);
    await a.tables.upsert("bars", [
      barToRow({
        symbol: "AAA",
        date: "2020-01-02",
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        adjClose: 1,
        volume: 1,
        knownAt: 0,
      }),
    ]);
    const held = async (s: Stores) =>
      (await Promise.all(ALL_SCHEMAS.map((t) => s.tables.hasTable(t.name)))).filter(Boolean).length;
    const before = await held(a);
    ok(before < ALL_SCHEMAS.length, `${before} of ${ALL_SCHEMAS.length} tables`);
    await copyToParquet(a, `${dir}/pq`);
    await copyStores(a, b);
    equal(await held(a), before, "the source gained no table");
    equal(await b.tables.count("bars"), 1);
    equal(await held(b), ALL_SCHEMAS.length, "the target has every table");
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store:copy embedded -> embedded copies everything, and again adds nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-copy-" });
  const a = await seeded(`${dir}/a`), b = openEmbeddedStores(`${dir}/b`);
  try {
    await copyStores(a, b);
    await copyStores(a, b);
    ok((await snapshot(a)).newsScores > 0, "the source holds cached news scores");
    deepEqual(await snapshot(b), await snapshot(a));
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backend selection: a bad FMAI_MYSQL_PORT or FMAI_S3_ENDPOINT is a ConfigError naming the variable", async () => {
  for (const port of ["99999", "-1", "3307.5", "0", "x", "1e3"]) {
    await rejects(
      () => storeConfigFor("/tmp/x", ["mysql"], { FMAI_MYSQL_PORT: port }),
      (e) => e instanceof ConfigError && e.message.startsWith("FMAI_MYSQL_PORT: expected a port"),
      port,
    );
  }
  const t = (await storeConfigFor("/tmp/x", ["mysql"], { FMAI_MYSQL_PORT: "3310" })).tables;
  equal((t as unknown as Record<string, unknown>).port, 3310);
  for (const endpoint of ["notaurl", "ftp://h:9000", "http:/h", "http://"]) {
    await rejects(
      () => storeConfigFor("/tmp/x", ["s3"], { FMAI_S3_ENDPOINT: endpoint }),
      (e) => e instanceof ConfigError && e.message.startsWith("FMAI_S3_ENDPOINT: expected an http(s) URL"),
      endpoint,
    );
  }
  const o = (await storeConfigFor("/tmp/x", ["s3"], {
    FMAI_S3_ENDPOINT: "https://s3.example.com",
    FMAI_S3_ACCESS_KEY_ID: "k",
    FMAI_S3_SECRET_ACCESS_KEY: "s",
  })).objects;
  equal((o as unknown as Record<string, unknown>).endpoint, "https://s3.example.com");
  // a bucket name S3 cannot have is refused here as the Lambdas refuse it (the server's answer was "UnknownError")
  for (const bucket of ["Bad_Bucket", "a/b", " fmai"]) {
    await rejects(
      () =>
        storeConfigFor("/tmp/x", ["s3"], {
          FMAI_S3_BUCKET: bucket,
          FMAI_S3_ENDPOINT: "http://127.0.0.1:9000",
        }),
      (e) =>
        e instanceof ConfigError &&
        e.message.startsWith("FMAI_S3_BUCKET: expected a bucket name"),
      bucket,
    );
  }
});

Deno.test("backend selection: FMAI_MYSQL_URL with parts that say otherwise is refused; FMAI_S3_PREFIX is read", async () => {
  const url = "mysql://fmai:pw@127.0.0.1:3307/fmai";
  // what `.services/env` exports: the URL and the same parts
  const same = {
    FMAI_MYSQL_URL: url,
    FMAI_MYSQL_HOST: "127.0.0.1",
    FMAI_MYSQL_PORT: "3307",
    FMAI_MYSQL_USER: "fmai",
    FMAI_MYSQL_DATABASE: "fmai",
    FMAI_MYSQL_PASSWORD: "pw",
  };
  const t = (await storeConfigFor("/tmp/x", ["mysql"], same)).tables as unknown as Record<string, unknown>;
  deepEqual([t.database, t.port, t.password], ["fmai", 3307, "pw"]);
  // a part changed in one place only was ignored: the run wrote into the URL's database or port
  const refused: [Record<string, string>, string][] = [
    [
      { FMAI_MYSQL_DATABASE: "fmai_only" },
      "FMAI_MYSQL_DATABASE fmai_only differs from FMAI_MYSQL_URL's database fmai: set one of them",
    ],
    [
      { FMAI_MYSQL_PORT: "3399" },
      "FMAI_MYSQL_PORT 3399 differs from FMAI_MYSQL_URL's port 3307: set one of them",
    ],
    [
      { FMAI_MYSQL_PASSWORD: "other" },
      "FMAI_MYSQL_PASSWORD differs from the password in FMAI_MYSQL_URL: set one of them",
    ],
  ];
  for (const [over, message] of refused) {
    await rejects(
      () => storeConfigFor("/tmp/x", ["mysql"], { ...same, ...over }),
      (e) => e instanceof ConfigError && e.message === message,
      message,
    );
  }
  await rejects(
    () => storeConfigFor("/tmp/x", ["mysql"], { FMAI_MYSQL_URL: url, FMAI_MYSQL_PORT: "abc" }),
    (e) => e instanceof ConfigError && e.message.startsWith("FMAI_MYSQL_PORT: expected a port"),
  );
  // the CLI reads the S3 prefix from the environment, as the Lambdas do
  const keys = { FMAI_S3_ACCESS_KEY_ID: "k", FMAI_S3_SECRET_ACCESS_KEY: "s" };
  const o = (await storeConfigFor("/tmp/x", ["s3"], { ...keys, FMAI_S3_PREFIX: "team-a/" })).objects;
  equal((o as unknown as Record<string, unknown>).prefix, "team-a/");
  await rejects(
    () => storeConfigFor("/tmp/x", ["s3"], { ...keys, FMAI_S3_PREFIX: "/bad" }),
    (e) => e instanceof ConfigError && e.message.startsWith("FMAI_S3_PREFIX: "),
  );
});

Deno.test("checkStoreExists: a folder without an embedded store is refused, and nothing is created", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-exists-" });
  try {
    await rejects(
      () => checkStoreExists(embeddedConfig(`${dir}/typo`)),
      (e) =>
        e instanceof ConfigError &&
        e.message ===
          `--store-dir ${dir}/typo: no store there (${dir}/typo/fmai.sqlite not found; a wrong folder?)`,
    );
    equal(await Deno.stat(`${dir}/typo`).then(() => true, () => false), false);
    // server parts are not checked: only the embedded ones asked for
    const servers = await storeConfigFor(`${dir}/typo`, ["mysql", "mongodb", "s3"], {
      FMAI_MYSQL_PASSWORD: "p",
    });
    await checkStoreExists(servers);
    await checkStoreExists(await storeConfigFor(`${dir}/typo`, ["mysql"], { FMAI_MYSQL_PASSWORD: "p" }), [
      "tables",
    ]);
    const s = openEmbeddedStores(`${dir}/real`);
    await s.close();
    await checkStoreExists(embeddedConfig(`${dir}/real`));
    await Deno.remove(`${dir}/real/objects`, { recursive: true });
    await checkStoreExists(embeddedConfig(`${dir}/real`), ["tables"]);
    await rejects(
      () => checkStoreExists(embeddedConfig(`${dir}/real`), ["objects"], "--data"),
      /^ConfigError: --data /,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const ROOT = fileURLToPath(new URL("../", import.meta.url));
async function storeCopy(...args: string[]) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}pipelines/store_copy.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: r.code, err: programStderr(r.stderr) };
}
const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

Deno.test("store:copy CLI: a mistyped --store-dir, a missing Parquet folder or the same stores twice: exit 2, nothing written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-copy-cli-" });
  try {
    const a = await seeded(`${dir}/a`);
    await a.close();
    let r = await storeCopy("--from", "embedded", "--to", `parquet:${dir}/pq`, "--store-dir", `${dir}/a`);
    equal(r.code, 0, r.err);
    const good = await Deno.readFile(`${dir}/pq/bars.parquet`);
    const cases: [string[], RegExp, string][] = [
      // the source of a copy to Parquet must be there: a typo would overwrite a good export with 0 rows
      [
        ["--from", "embedded", "--to", `parquet:${dir}/pq`, "--store-dir", `${dir}/typo`],
        /^error: --store-dir .*\/typo: no store there/,
        `${dir}/typo`,
      ],
      [
        ["--from", "embedded", "--to", "mysql", "--store-dir", `${dir}/typo2`],
        /^error: --store-dir .*\/typo2: no store there/,
        `${dir}/typo2`,
      ],
      // an empty --store-dir names no folder, whichever side reads it (to Parquet it said "no store there
      // (/fmai.sqlite not found)")
      [
        ["--from", "embedded", "--to", `parquet:${dir}/pq2`, "--store-dir", ""],
        /^error: --store-dir: empty path \(name a folder\)$/,
        `${dir}/pq2`,
      ],
      [
        ["--from", `parquet:${dir}/pq`, "--to", "embedded", "--store-dir", " "],
        /^error: --store-dir: empty path \(name a folder\)$/,
        `${dir}/pq2`,
      ],
      // the Parquet folder is read before the target store is opened (and created)
      [
        ["--from", `parquet:${dir}/nonexist`, "--to", "embedded", "--store-dir", `${dir}/new`],
        /^error: no export folder /,
        `${dir}/new`,
      ],
    ];
    for (const [args, want, absent] of cases) {
      r = await storeCopy(...args);
      equal(r.code, 2, r.err);
      equal(r.err.split("\n").length, 1, r.err);
      ok(want.test(r.err), r.err);
      equal(await exists(absent), false, `${absent} created`);
    }
    deepEqual(await Deno.readFile(`${dir}/pq/bars.parquet`), good, "the good export is untouched");
    for (const to of ["embedded,", " embedded"]) {
      r = await storeCopy("--from", "embedded", "--to", to, "--store-dir", `${dir}/a`);
      equal(r.code, 2, r.err);
      ok(/^error: --from embedded and --to .* name the same stores$/.test(r.err), r.err);
    }
    // a list of commas alone names no store (it was taken for embedded)
    r = await storeCopy("--from", "embedded", "--to", ",", "--store-dir", `${dir}/a`);
    equal(r.code, 2, r.err);
    equal(r.err, 'error: store backends: no name in "," (embedded, mysql, mongodb, s3)');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store:copy CLI: an embedded target folder that is a file or cannot be written is refused before the source is read (exit 2), as a Parquet one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-copy-target-" });
  try {
    const a = await seeded(`${dir}/a`);
    await a.close();
    let r = await storeCopy("--from", "embedded", "--to", `parquet:${dir}/pq`, "--store-dir", `${dir}/a`);
    equal(r.code, 0, r.err);
    await Deno.writeTextFile(`${dir}/file`, "x");
    const notDir = `${dir}/file: ${dir}/file is not a folder`;
    const cases: [string[], string][] = [
      // it failed with exit 1 (File exists: mkdir) after the source store was opened
      [["--from", "embedded", "--to", `embedded:${dir}/file`, "--store-dir", `${dir}/a`], `--to ${notDir}`],
      [["--from", "embedded", "--to", `parquet:${dir}/file`, "--store-dir", `${dir}/a`], `--to ${notDir}`],
      [["--from", `parquet:${dir}/pq`, "--to", `embedded:${dir}/file`], `--to ${notDir}`],
      [
        ["--from", `parquet:${dir}/pq`, "--to", "embedded", "--store-dir", `${dir}/file/x`],
        `--store-dir ${dir}/file/x: ${dir}/file is not a folder`,
      ],
    ];
    // a read-only folder (where its bits bind: root may write in it all the same)
    await Deno.mkdir(`${dir}/ro`);
    await Deno.chmod(`${dir}/ro`, 0o555);
    const bound = await Deno.makeTempFile({ dir: `${dir}/ro` }).then(Deno.remove, () => "bound");
    if (bound === "bound") {
      cases.push([
        ["--from", "embedded", "--to", `embedded:${dir}/ro`, "--store-dir", `${dir}/a`],
        `--to ${dir}/ro: cannot write in ${dir}/ro`,
      ]);
    }
    for (const [args, want] of cases) {
      r = await storeCopy(...args);
      equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      equal(r.err.split("\n").length, 1, r.err);
      ok(r.err.startsWith(`error: ${want}`), r.err);
    }
    equal(await Deno.readTextFile(`${dir}/file`), "x");
    deepEqual([...Deno.readDirSync(`${dir}/ro`)], []);
  } finally {
    await Deno.chmod(`${dir}/ro`, 0o755).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store:copy and export CLI: a destination folder inside the store they read is refused (exit 2), nothing written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-copy-into-" });
  try {
    const a = await seeded(`${dir}/a`);
    await a.close();
    await Deno.symlink(`${dir}/a`, `${dir}/link`);
    const before = async () => {
      const files: string[] = [];
      const walk = async (d: string) => {
        for await (const f of Deno.readDir(d)) {
          if (f.isDirectory) await walk(`${d}/${f.name}`);
          else files.push(`${d}/${f.name}`.slice(dir.length));
        }
      };
      await walk(`${dir}/a`);
      return files.sort();
    };
    const held = await before();
    const cli = async (script: string, ...args: string[]) => {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}pipelines/${script}`, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: r.code, err: programStderr(r.stderr) };
    };
    // the copy's Parquet files and manifest became store objects (objects 19 -> 31); the store's own folder,
    // and one reached through a link, too
    for (
      const [script, args, named] of [
        [
          "store_copy.ts",
          ["--from", "embedded", "--to", `parquet:${dir}/a/objects`],
          `--to parquet:${dir}/a/objects`,
        ],
        ["store_copy.ts", ["--from", "embedded", "--to", `parquet:${dir}/a`], `--to parquet:${dir}/a`],
        [
          "store_copy.ts",
          ["--from", "embedded", "--to", `parquet:${dir}/link/x`],
          `--to parquet:${dir}/link/x`,
        ],
        ["export.ts", ["--what", "bars", "--out", `${dir}/a/objects/exp`], `--out ${dir}/a/objects/exp`],
        ["export.ts", ["--what", "bars", "--out", `${dir}/link`], `--out ${dir}/link`],
      ] as const
    ) {
      const r = await cli(script, ...args, "--store-dir", `${dir}/a`);
      equal(r.code, 2, r.err);
      const inside = named.endsWith("/a") || named.endsWith("/link") ? "is" : "is inside";
      equal(
        r.err,
        `error: ${named}: ${inside} the folder of the store it reads (--store-dir ${dir}/a): its files would ` +
          `become the store's; name a folder outside it`,
      );
    }
    deepEqual(await before(), held, "nothing written in the store's folder");
    // beside the store: written
    const r = await cli(
      "store_copy.ts",
      "--from",
      "embedded",
      "--to",
      `parquet:${dir}/pq`,
      "--store-dir",
      `${dir}/link`,
    );
    equal(r.code, 0, r.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store:copy CLI: --to embedded:DIR copies the --store-dir store into another folder, news, scores and objects included; again adds nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-copy-emb-" });
  try {
    const a = await seeded(`${dir}/a`);
    const want = await snapshot(a);
    await a.close();
    // there was no way: one --store-dir, and --from embedded --to embedded named the same stores (the route
    // through a Parquet folder leaves news, news scores and objects behind)
    for (let i = 0; i < 2; i++) {
      const r = await storeCopy("--from", "embedded", "--to", `embedded:${dir}/b`, "--store-dir", `${dir}/a`);
      equal(r.code, 0, r.err);
    }
    // and from one named folder to another, the --store-dir aside
    const r = await storeCopy("--from", `embedded:${dir}/b`, "--to", `embedded:${dir}/c`);
    equal(r.code, 0, r.err);
    for (const d of ["b", "c"]) {
      const s = openEmbeddedStores(`${dir}/${d}`);
      try {
        deepEqual(await snapshot(s), want, d);
      } finally {
        await s.close();
      }
    }
    // the same store spelled twice, a target inside the source's folder, a missing source: exit 2, one line
    await Deno.symlink(`${dir}/a`, `${dir}/link`);
    const cases: [string[], string][] = [
      [
        ["--from", "embedded", "--to", `embedded:${dir}/link`, "--store-dir", `${dir}/a`],
        `error: --from embedded and --to embedded:${dir}/link name the same stores`,
      ],
      [
        ["--from", `embedded:${dir}/a`, "--to", `embedded:${dir}/a/objects/copy`],
        `error: --to embedded:${dir}/a/objects/copy: is inside the folder of the store it reads (--from ` +
        `embedded:${dir}/a): its files would become the store's; name a folder outside it`,
      ],
      [
        ["--from", `embedded:${dir}/typo`, "--to", `embedded:${dir}/d`],
        `error: --from ${dir}/typo: no store there (${dir}/typo/fmai.sqlite not found; a wrong folder?)`,
      ],
      [["--from", "embedded:", "--to", "mysql"], "error: --from embedded:: names no folder (embedded:DIR)"],
      // a --store-dir neither side reads is refused, not ignored
      [
        ["--from", `embedded:${dir}/b`, "--to", `embedded:${dir}/e`, "--store-dir", `${dir}/a`],
        `error: --store-dir ${dir}/a: neither side reads it (--from embedded:${dir}/b and --to ` +
        `embedded:${dir}/e name their own folders); leave it out`,
      ],
    ];
    for (const [args, want] of cases) {
      const r = await storeCopy(...args);
      equal(r.code, 2, r.err);
      equal(r.err, want);
    }
    for (const gone of ["a/objects/copy", "typo", "d"]) equal(await exists(`${dir}/${gone}`), false, gone);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const servers = Deno.env.get("FMAI_MYSQL_URL") && Deno.env.get("FMAI_MONGO_URL") &&
  Deno.env.get("FMAI_S3_ENDPOINT");
Deno.test({
  name: servers
    ? "store:copy embedded -> mysql, mongodb, s3 (real servers)"
    : "store:copy to real servers: skipped: run `deno task services:up` then `deno task test:integration`",
  ignore: !servers,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-copy-srv-" });
    const a = await seeded(`${dir}/a`);
    const srv = await openStores(await storeConfigFor(`${dir}/b`, ["mysql", "mongodb", "s3"]));
    try {
      await srv.tables.ensureTable(BARS);
      await srv.tables.delete("bars", { symbol: ["SYN00", "SYN01", "SYN02"] });
      await copyStores(a, srv);
      const want = await snapshot(a);
      const got = {
        firstBar:
          (await srv.tables.query("bars", { where: { symbol: "SYN00" }, orderBy: ["date"], limit: 1 }))[0],
        objects: (await srv.objects.list("charts/SYN00/")).map((o) => o.key),
      };
      equal(await srv.tables.count("bars", { symbol: ["SYN00", "SYN01", "SYN02"] }), want.bars);
      deepEqual(got.firstBar, want.firstBar);
      equal(got.objects.includes("charts/SYN00/2015-01-02.svg"), true);
    } finally {
      await srv.tables.delete("bars", { symbol: ["SYN00", "SYN01", "SYN02"] });
      await a.close();
      await srv.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
