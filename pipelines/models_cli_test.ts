import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok } from "node:assert/strict";
import { nextSession } from "@lib/core/mod.ts";
import { aliasState, type Lineage, promoteVersion, registerVersion, setAlias } from "@lib/models/mod.ts";
import { openEmbeddedStores, type Stores } from "@lib/store/mod.ts";
import { SYSTEM_FORMAT_VERSION } from "@lib/workflow/mod.ts";
import { main } from "./models_cli.ts";
import { loadConfig } from "./config.ts";
import { ensureTables } from "./collect/mod.ts";

function lineage(seed: number, extra: Partial<Lineage> = {}): Lineage {
  return {
    artifactFormat: SYSTEM_FORMAT_VERSION,
    spec: {},
    specHash: "",
    configHash: "",
    featureSet: { id: "f@1", hash: "0" },
    windows: { train: ["2017-01-03", "2017-06-30"], calibration: ["2017-07-03", "2017-12-29"], test: null },
    data: { hash: "", snapshot: [] },
    metrics: { validation: { rankIcPooled: 0.01 * seed }, test: {} },
    git: { sha: "abc", dirty: false },
    tfBackend: "none",
    seed,
    asOf: "2018-01-02",
    createdAt: 1_600_000_000_000 + seed,
    ...extra,
  };
}

/** Registers a version of `system` whose one file and lineage differ by `seed`; returns the version. */
async function register(stores: Stores, seed: number, extra: Partial<Lineage> = {}): Promise<string> {
  return (await registerVersion(
    stores.objects,
    "system",
    { "w.bin": Uint8Array.of(seed) },
    lineage(seed, extra),
  ))
    .version;
}

/** A store at `dir` with one registered version of `system`; returns the version. */
async function storeWithOneVersion(dir: string): Promise<string> {
  const stores = openEmbeddedStores(dir);
  try {
    return await register(stores, 1);
  } finally {
    await stores.close();
  }
}

Deno.test("models CLI: list, promote, require-better refuses without a scored window, rollback", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const stores = openEmbeddedStores(dir);
    const [v1, v2] = [await register(stores, 1), await register(stores, 2)];
    await stores.close();
    const lines: string[] = [];
    const run = (...a: string[]) => main([...a, "--store-dir", dir], (s) => lines.push(s));
    equal(await run("promote", v1), 0);
    equal(await run("promote", v2, "--require-better"), 2, "no scorecard: refused");
    equal(await run("promote", v2), 0);
    equal(await run("list"), 0);
    ok(lines.at(-1)!.includes(v2) && /champion/.test(lines.at(-1)!));
    equal(await run("rollback"), 0);
    ok(lines.at(-1)!.includes(`champion: ${v1}`));
    equal(await run("rollback"), 2, "nothing earlier");
    equal(await run("show", "champion"), 0);
    equal(JSON.parse(lines.at(-1)!).version, v1);
    equal(await run("show", "2099-01-01.0000000000"), 2);
    equal(await run("frobnicate"), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("models CLI: promote refuses a version the daily run could not serve beside the champion, unless --force", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const stores = openEmbeddedStores(dir);
    const gspc = { market: "^GSPC,^VIX" };
    const [v1, v2, v3, v4] = [
      await register(stores, 1, gspc),
      await register(stores, 2, gspc),
      await register(stores, 3), // the universe's own index: another market context
      await register(stores, 4, { ...gspc, artifactFormat: 2 }),
    ];
    await stores.close();
    const lines: string[] = [];
    const run = (...a: string[]) => main([...a, "--store-dir", dir], (s) => lines.push(s));
    const err = console.error;
    const errors: string[] = [];
    console.error = (s: string) => void errors.push(s);
    try {
      equal(await run("promote", v1), 0);
      equal(await run("promote", v3), 2);
      equal(
        errors.at(-1),
        `error: not promoted: ${v3} was fitted on market context universe, the champion's is ^GSPC,^VIX, so a ` +
          "daily run that serves the champion would refuse to serve it (refit with deno task signal --refit; " +
          "--force when your config was changed to match it)",
      );
      equal(await run("promote", v4), 2);
      ok(/was saved in system format 2, this build loads format/.test(errors.at(-1)!), errors.at(-1));
      equal(await run("promote", v2), 0, "the same context");
      ok(lines.at(-1)!.startsWith(`champion: ${v2}`));
      equal(await run("promote", v3, "--force"), 0);
      ok(lines.at(-1)!.startsWith(`champion: ${v3}`));
      // a rollback to a version of another context than the champion's is refused the same way
      equal(await run("rollback"), 2);
      ok(
        errors.at(-1)!.startsWith(
          `error: not rolled back: ${v2} was fitted on market context ^GSPC,^VIX, the `,
        ),
      );
      equal(await run("rollback", "--force"), 0);
      ok(lines.at(-1)!.startsWith(`champion: ${v2}`));
      equal(await run("list", "--force"), 2, "--force is promote's and rollback's only");
    } finally {
      console.error = err;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("models CLI: a malformed version is a one-line user error (exit 2), not a crash", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const stores = openEmbeddedStores(dir);
    await registerVersion(stores.objects, "system", { "w.bin": Uint8Array.of(1) }, lineage(1));
    await stores.close();
    const lines: string[] = [];
    const errors: string[] = [];
    const error = console.error;
    console.error = (s: string) => errors.push(s);
    try {
      for (const a of [["show", "v 1"], ["show", "../../etc"], ["promote", "v1/2"]]) {
        equal(await main([...a, "--store-dir", dir], (s) => lines.push(s)), 2, a.join(" "));
        ok(
          /^error: bad artifact version /.test(errors.at(-1)!) && !errors.at(-1)!.includes("\n"),
          errors.at(-1),
        );
      }
    } finally {
      console.error = error;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("models CLI: a name every object inherits (constructor, toString, __proto__) is no alias", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const errors: string[] = [];
  const error = console.error;
  console.error = (s: string) => errors.push(s);
  try {
    const v1 = await storeWithOneVersion(dir);
    const run = (...a: string[]) => main([...a, "--store-dir", dir], (s) => lines.push(s));
    equal(await run("promote", v1), 0);
    for (
      const [name, want] of [
        ["constructor", /^error: model system@constructor not found in the registry$/],
        ["toString", /^error: model system@toString not found in the registry$/],
        ["hasOwnProperty", /^error: model system@hasOwnProperty not found in the registry$/],
        ["__proto__", /^error: bad artifact version "__proto__" /],
      ] as const
    ) {
      for (const cmd of ["show", "promote"]) {
        equal(await run(cmd, name), 2, `${cmd} ${name}`);
        ok(want.test(errors.at(-1)!) && !errors.at(-1)!.includes("\n"), errors.at(-1));
      }
    }
    equal(lines.length, 1, `only the first promote printed: ${lines.join(" | ")}`);
    equal(await run("show", "champion"), 0);
    equal(JSON.parse(lines.at(-1)!).version, v1);
  } finally {
    console.error = error;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("models CLI: a --store-dir that holds no store is refused (exit 2) and not created", async () => {
  const dir = await Deno.makeTempDir();
  const errors: string[] = [];
  const error = console.error;
  console.error = (s: string) => errors.push(s);
  try {
    for (const cmd of ["list", "rollback"]) {
      equal(await main([cmd, "--store-dir", `${dir}/typo`], () => {}), 2, cmd);
      ok(errors.at(-1)!.startsWith(`error: --store-dir ${dir}/typo: no store there`), errors.at(-1));
      equal(await Deno.stat(`${dir}/typo`).then(() => true, () => false), false, "nothing created");
    }
  } finally {
    console.error = error;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("models CLI: --min-sessions without --require-better, and either flag off promote, are refused before the store opens", async () => {
  const dir = await Deno.makeTempDir();
  const errors: string[] = [];
  const error = console.error;
  console.error = (s: string) => errors.push(s);
  try {
    const v1 = await storeWithOneVersion(dir);
    const lines: string[] = [];
    const cases: [string[], RegExp][] = [
      [
        ["promote", v1, "--min-sessions", "500"],
        /^error: --min-sessions applies only with --require-better /,
      ],
      [["list", "--require-better"], /^error: --require-better applies only to promote, not to list$/],
      [
        ["list", "--require-better", "--min-sessions", "5"],
        /^error: --require-better applies only to promote/,
      ],
      [["show", v1, "--min-sessions", "5"], /^error: --min-sessions applies only to promote, not to show$/],
      [
        ["rollback", "--require-better"],
        /^error: --require-better applies only to promote, not to rollback$/,
      ],
    ];
    for (const [a, want] of cases) {
      for (const storeDir of [dir, `${dir}/typo`]) {
        equal(await main([...a, "--store-dir", storeDir], (s) => lines.push(s)), 2, a.join(" "));
        ok(want.test(errors.at(-1)!) && !errors.at(-1)!.includes("\n"), errors.at(-1));
      }
    }
    equal(await Deno.stat(`${dir}/typo`).then(() => true, () => false), false, "nothing created");
    equal(lines.length, 0, "nothing printed");
    // the refused promote left no champion
    equal(await main(["list", "--store-dir", dir], (s) => lines.push(s)), 0);
    ok(lines.at(-1)!.includes(v1) && !lines.at(-1)!.includes("champion"), lines.at(-1));
  } finally {
    console.error = error;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("models CLI: show prints only JSON on stdout; a config's notes (a symbol upper-cased) go to stderr", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const v1 = await storeWithOneVersion(`${dir}/s`);
    await Deno.writeTextFile(`${dir}/c.yaml`, "source:\n  symbols: [spy, QQQ]\n");
    const cli = fileURLToPath(new URL("./models_cli.ts", import.meta.url));
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli, "show", v1, "--config", `${dir}/c.yaml`, "--store-dir", `${dir}/s`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(r.code, 0);
    equal(JSON.parse(new TextDecoder().decode(r.stdout)).version, v1);
    ok(new TextDecoder().decode(r.stderr).includes("spy is SPY"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("models CLI: list shows a validation metric stored as null (NaN) as – instead of crashing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const stores = openEmbeddedStores(dir);
    // a gate that abstains on every row has no rank IC: NaN, written as null in the manifest's JSON
    const nan = {
      ...lineage(1),
      metrics: { validation: { rankIcPooled: NaN, accuracy: 0.51234 }, test: {} },
    };
    const v1 = (await registerVersion(stores.objects, "system", { "w.bin": Uint8Array.of(1) }, nan)).version;
    // a manifest without a valid creation time (the other number the list prints) shows – too
    const noTime = { ...lineage(2), createdAt: NaN };
    const v2 =
      (await registerVersion(stores.objects, "system", { "w.bin": Uint8Array.of(2) }, noTime)).version;
    await stores.close();
    const lines: string[] = [];
    equal(await main(["list", "--store-dir", dir], (s) => lines.push(s)), 0);
    const rows = lines.at(-1)!.split("\n");
    const row1 = rows.find((r) => r.includes(v1))!, row2 = rows.find((r) => r.includes(v2))!;
    ok(/rankIcPooled – accuracy 0\.5123\b/.test(row1), row1);
    ok(/rankIcPooled 0\.02\b/.test(row2) && / – /.test(row2), row2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("models CLI: list gives each version's paper book, issued and in the shadow, a date under both once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const stores = openEmbeddedStores(dir);
    const [v1, v2, v3] = [await register(stores, 1), await register(stores, 2), await register(stores, 3)];
    await ensureTables(stores);
    const row = (model_version: string, source: string, date: string, book: number | null, ic = 0.1) => ({
      model_version,
      source,
      date,
      n: 4,
      traded: 2,
      hits: 1,
      pnl: 0,
      ic,
      book_pnl: book,
      turnover: book === null ? null : 0.1,
      benchmark: book === null ? null : 0.001,
      known_at: 0,
    });
    await stores.tables.upsert("scorecard", [
      // v1: two shadow days, then issued; 2018-01-04 was scored under both and counts once, as issued
      row(v1, "moe-shadow", "2018-01-02", 0.01),
      row(v1, "moe-shadow", "2018-01-03", -0.005),
      row(v1, "moe-shadow", "2018-01-04", 0.5),
      row(v1, "moe", "2018-01-04", 0.002),
      // v2: only rows scored before the book was recorded
      row(v2, "moe", "2018-01-02", null, 0.2),
      row(v2, "moe", "2018-01-03", null, 0.4),
    ]);
    await stores.close();
    const lines: string[] = [];
    equal(await main(["list", "--store-dir", dir], (s) => lines.push(s)), 0);
    const table = lines.at(-1)!.split("\n");
    ok(table[0].includes("paper book"), table[0]);
    const cell = (v: string) => table.find((l) => l.startsWith(v))!;
    const book = 1.01 * 0.995 * 1.002 - 1;
    ok(cell(v1).includes(`+${(100 * book).toFixed(2)}% (ew +0.30%) over 3`), cell(v1));
    ok(cell(v2).includes("IC 0.300 over 2"), cell(v2));
    ok(/ - +abc/.test(cell(v3)), cell(v3));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs the models CLI on the store at `dir`, collecting what it prints on stdout and stderr. */
async function withCli(
  dir: string,
  fn: (run: (...a: string[]) => Promise<number>, lines: string[], errors: string[]) => Promise<void>,
) {
  const lines: string[] = [];
  const errors: string[] = [];
  const error = console.error;
  console.error = (s: string) => errors.push(s);
  try {
    await fn((...a: string[]) => main([...a, "--store-dir", dir], (s) => lines.push(s)), lines, errors);
  } finally {
    console.error = error;
  }
}

/** The aliases file of `system` in the store at `dir`. */
async function aliasesIn(dir: string) {
  const stores = openEmbeddedStores(dir);
  try {
    return await aliasState(stores.objects, "system");
  } finally {
    await stores.close();
  }
}

Deno.test("models CLI: a champion the registry no longer holds: promote of a registered version works, rollback to a missing one is refused naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let stores = openEmbeddedStores(dir);
    const v = [await register(stores, 1), await register(stores, 2), await register(stores, 3)];
    await stores.close();
    await withCli(dir, async (run, lines, errors) => {
      for (const x of v) equal(await run("promote", x), 0);
      // the champion's folder loses its manifest (a cleanup, a lifecycle rule, a partial copy)
      stores = openEmbeddedStores(dir);
      await stores.objects.delete(`models/system/${v[2]}/manifest.json`);
      await stores.close();
      // list says so (the table shows no champion)
      equal(await run("list"), 0);
      equal(
        lines.at(-1),
        `champion: ${
          v[2]
        }, which the registry does not hold (deleted or not copied): deno task models promote ` +
          "VERSION (the daily run stops until then)",
      );
      equal(await run("promote", v[0]), 0);
      equal(
        lines.at(-1),
        `champion: ${v[0]} (manual; the champion alias pointed at ${
          v[2]
        }, which the registry does not hold: ` +
          "no serving context to compare with)",
      );
      // the missing version goes on no rollback stack: a rollback to it could only be refused
      deepEqual((await aliasesIn(dir)).previousChampions, [v[0], v[1]]);
      equal(await run("rollback"), 0);
      ok(lines.at(-1)!.startsWith(`champion: ${v[1]} (rolled back`), lines.at(-1));
      // now the previous champion is the one missing: rollback, forced or not, is refused naming it
      stores = openEmbeddedStores(dir);
      await stores.objects.delete(`models/system/${v[0]}/manifest.json`);
      await stores.close();
      const before = await aliasesIn(dir);
      for (const force of [[], ["--force"]]) {
        equal(await run("rollback", ...force), 2);
        equal(errors.at(-1), `error: not rolled back: model system@${v[0]} not found in the registry`);
      }
      deepEqual(await aliasesIn(dir), before, "nothing changed");
      // the previous champion promoted again over a missing one is on top of the stack: a rollback goes past it
      stores = openEmbeddedStores(dir);
      const v4 = await register(stores, 4);
      await stores.close();
      equal(await run("promote", v4), 0);
      stores = openEmbeddedStores(dir);
      await stores.objects.delete(`models/system/${v4}/manifest.json`);
      await stores.close();
      equal(await run("promote", v[1]), 0);
      deepEqual((await aliasesIn(dir)).previousChampions, [v[0], v[1]]);
      equal(await run("rollback"), 2);
      equal(errors.at(-1), `error: not rolled back: model system@${v[0]} not found in the registry`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("models CLI: promote and rollback refuse a version whose bytes do not match its digests, before moving an alias", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let stores = openEmbeddedStores(dir);
    const [v1, v2] = [await register(stores, 1), await register(stores, 2)];
    await stores.close();
    /** Flips one bit of `version`'s weights; returns a function that puts them back. */
    const corrupt = async (version: string) => {
      stores = openEmbeddedStores(dir);
      const key = `models/system/${version}/w.bin`;
      const good = (await stores.objects.get(key))!;
      await stores.objects.put(key, Uint8Array.from(good, (b, i) => i === 0 ? b ^ 1 : b));
      await stores.close();
      return async () => {
        stores = openEmbeddedStores(dir);
        await stores.objects.put(key, good);
        await stores.close();
      };
    };
    await withCli(dir, async (run, lines, errors) => {
      equal(await run("promote", v1), 0);
      let restore = await corrupt(v2);
      for (const force of [[], ["--force"]]) {
        equal(await run("promote", v2, ...force), 2);
        equal(
          errors.at(-1),
          `error: not promoted: model system@${v2}: w.bin does not match its digest (corrupted or altered)`,
        );
      }
      equal((await aliasesIn(dir)).aliases.champion, v1);
      await restore();
      equal(await run("promote", v2), 0);
      restore = await corrupt(v1);
      const before = await aliasesIn(dir);
      equal(await run("rollback"), 2);
      equal(
        errors.at(-1),
        `error: not rolled back: model system@${v1}: w.bin does not match its digest (corrupted or altered)`,
      );
      deepEqual(await aliasesIn(dir), before, "no alias moved");
      await restore();
      equal(await run("rollback"), 0);
      ok(lines.at(-1)!.startsWith(`champion: ${v1} (rolled back`), lines.at(-1));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("models CLI: promote of the champion (by version or alias) says it already is, and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const v1 = await storeWithOneVersion(dir);
    await withCli(dir, async (run, lines) => {
      equal(await run("promote", v1), 0);
      const before = await aliasesIn(dir);
      for (const arg of [v1, "champion"]) {
        equal(await run("promote", arg), 0);
        equal(lines.at(-1), `champion: ${v1} (already the champion: nothing changed)`);
      }
      deepEqual(await aliasesIn(dir), before, "no history entry");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The default config's `production.retrain.every` (the CLI runs here on the default config). */
const DEFAULT_EVERY = (await loadConfig()).production.retrain.every;

Deno.test("models CLI: a rollback retires the champion it moves off and says when the schedule refits", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let stores = openEmbeddedStores(dir);
    const [v1, v2, v3] = [
      await register(stores, 1),
      await register(stores, 2),
      await register(stores, 3, { asOf: "2018-01-05" }),
    ];
    await promoteVersion(stores.objects, "system", v1);
    await setAlias(stores.objects, "system", "challenger", v2);
    await stores.close();
    await withCli(dir, async (run, lines) => {
      // the challenger promoted by hand, then rolled back: it is retired (under if-better, put back as the
      // challenger it would be promoted again by the next daily run), and the output says what follows
      equal(await run("promote", "challenger"), 0);
      equal(await run("rollback"), 0);
      // counted as the daily run counts: from the newest fit that has been champion or challenger (v3, registered
      // and never either, as a run stopped before its alias leaves its refit, is not)
      let due = "2018-01-02";
      for (let i = 0; i < DEFAULT_EVERY; i++) due = nextSession(due);
      equal(
        lines.at(-1),
        `champion: ${v1} (rolled back; ${v2} retired (not the challenger: it runs in no shadow); the next refit ` +
          `is due on the run of ${due}, production.retrain.every ${DEFAULT_EVERY} sessions after the newest fit's ` +
          "cut-off 2018-01-02 (deno task signal --refit for one now))",
      );
      deepEqual((await aliasesIn(dir)).aliases, { champion: v1 });
      // with a newer challenger set, that one stays
      equal(await run("promote", v2), 0);
      stores = openEmbeddedStores(dir);
      await setAlias(stores.objects, "system", "challenger", v3);
      await stores.close();
      equal(await run("rollback"), 0);
      equal(lines.at(-1), `champion: ${v1} (rolled back; ${v2} retired; ${v3} stays the challenger)`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("models CLI: a promote kept waiting on a killed run's registry lock says so on stderr, then promotes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const v1 = await storeWithOneVersion(dir);
    // the lock a run killed while writing the aliases left, made almost 30 s ago (taken over once 30 s old)
    const key = "models/system/aliases.json";
    const lock = `${dir}/objects/.fmai-tmp/lock-${
      createHash("sha256").update(key).digest("hex").slice(0, 32)
    }`;
    await Deno.mkdir(lock);
    const made = new Date(Date.now() - 29_400);
    await Deno.utime(lock, made, made);
    const lines: string[] = [], errors: string[] = [];
    const error = console.error;
    console.error = (s: string) => void errors.push(s);
    try {
      equal(await main(["promote", v1, "--store-dir", dir], (s) => lines.push(s)), 0);
    } finally {
      console.error = error;
    }
    const waits = errors.filter((e) => e.startsWith("waiting for the registry lock"));
    equal(waits.length, 1, errors.join("\n"));
    ok(waits[0].startsWith(`waiting for the registry lock ${lock} (${key}, held since `), waits[0]);
    ok(waits[0].endsWith("a killed run's lock is taken over once it is 30 s old"), waits[0]);
    ok(lines.at(-1)!.startsWith(`champion: ${v1}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
