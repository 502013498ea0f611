import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError, InputError, StoreError } from "../core/mod.ts";
import { tableContract } from "./contract_tables.ts";
import type { TableStore } from "./types.ts";
import mysql from "mysql2/promise";
import { insertedBy, isConnectionError, mySqlConfigFromUrl, openMySqlTables, uniqueByKey } from "./mysql.ts";

// The only place this backend reads the environment: the test edge. `deno task test:integration` sets it.
const url = Deno.env.get("FMAI_MYSQL_URL");

/**
 * A TCP proxy in front of the server, so a test can cut every connection of one store (and no one else's).
 * `cutOn` cuts all connections once, before forwarding the first client packet whose text contains it.
 */
function proxy(target: { host: string; port: number }, cutOn?: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const state = { accepting: true, cuts: 0, connections: 0 };
  let armed = cutOn !== undefined;
  const cut = () => {
    state.cuts++;
    for (const c of conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    conns.clear();
  };
  const latin1 = new TextDecoder("latin1");
  (async () => {
    for await (const c of listener) {
      if (!state.accepting) {
        c.close();
        continue;
      }
      state.connections++;
      const up = await Deno.connect({ hostname: target.host, port: target.port });
      conns.add(c);
      conns.add(up);
      up.readable.pipeTo(c.writable).catch(() => {});
      c.readable.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, ctl) {
            if (armed && latin1.decode(chunk).includes(cutOn!)) {
              armed = false;
              cut();
              ctl.terminate();
            } else ctl.enqueue(chunk);
          },
        }),
      ).pipeTo(up.writable).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    state,
    cut,
    close() {
      listener.close();
      cut();
    },
  };
}

/** `n` rows of a two-column table, in key order. */
const kvRows = (n: number, v = 1) =>
  Array.from({ length: n }, (_, i) => ({ k: `k${String(i).padStart(7, "0")}`, v }));

if (url) {
  const cfg = mySqlConfigFromUrl(url);
  tableContract("mysql", () => openMySqlTables({ ...cfg, poolSize: 2 }));

  /** Runs `fn` with a store on a fresh `k`/`v` table; drops it afterwards through a direct connection. */
  const withTable = async (
    open: () => Promise<TableStore>,
    fn: (s: TableStore, t: string) => Promise<void>,
  ) => {
    const t = `ct_stage_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    const s = await open();
    try {
      await s.ensureTable({ name: t, columns: { k: "text", v: "real" }, key: ["k"] });
      await fn(s, t);
    } finally {
      await s.close();
      const c = await openMySqlTables(cfg);
      await c.dropTable!(t);
      await c.close();
    }
  };

  Deno.test("mysql tables: existing opens only a database that holds a store; an empty one is refused and left empty", async () => {
    const db = `fmai_none_${Date.now().toString(36)}`;
    const admin = await mysql.createConnection({ ...cfg, database: cfg.database });
    try {
      await admin.query(`CREATE DATABASE ${db}`);
      await rejects(
        () => openMySqlTables({ ...cfg, database: db, existing: true }),
        (e: Error) =>
          e instanceof ConfigError &&
          e.message ===
            `mysql database ${db} holds no store (no schema_migrations table: nothing was ever written there; ` +
              "a mistyped database?)",
      );
      const [rows] = await admin.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
        [db],
      );
      deepEqual(rows, [], "nothing created");
      // a database some writer opened is a store
      await (await openMySqlTables(cfg)).close();
      await (await openMySqlTables({ ...cfg, existing: true })).close();
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${db}`);
      await admin.end();
    }
  });

  Deno.test({
    name: "mysql tables: dropped connections are retried; a server gone for good gives StoreError",
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const px = proxy(cfg);
      try {
        await withTable(
          () => openMySqlTables({ ...cfg, port: px.port, poolSize: 1, retries: 3, retryDelayMs: 30 }),
          async (s, t) => {
            px.cut();
            deepEqual(await s.upsert(t, [{ k: "a", v: 1 }, { k: "b", v: 2 }]), { inserted: 2, updated: 0 });
            px.cut();
            equal(await s.count(t), 2);
            px.state.accepting = false;
            px.cut();
            await rejects(s.count(t), (e) => e instanceof StoreError && /after 3 attempts/.test(e.message));
          },
        );
      } finally {
        px.close();
      }
    },
  });

  /** A test on a fresh table of a store with a pool of 2 (timers and sockets outlive a test here). */
  const tableTest = (name: string, fn: (s: TableStore, t: string) => Promise<void>) =>
    Deno.test({
      name: `mysql tables: ${name}`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: () => withTable(() => openMySqlTables({ ...cfg, poolSize: 2 }), fn),
    });

  /** A test on a fresh table of a store whose connections go through a proxy that cuts at `cutOn` once. */
  const cutTest = (name: string, cutOn: string, fn: (s: TableStore, t: string) => Promise<void>) =>
    Deno.test({
      name: `mysql tables: ${name}`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const px = proxy(cfg, cutOn);
        try {
          await withTable(
            () => openMySqlTables({ ...cfg, port: px.port, poolSize: 3, retries: 3, retryDelayMs: 30 }),
            async (s, t) => {
              await fn(s, t);
              equal(px.state.cuts, 1, `the proxy saw "${cutOn}" and cut`);
            },
          );
        } finally {
          px.close();
        }
      },
    });

  /**
   * A test on a fresh table with a trigger that fails (SQLSTATE 45000, `message`) before each `event` on a row
   * where `cond` holds (`NEW.`/`OLD.` columns); `drop()` removes the trigger.
   */
  const failingTriggerTest = (
    name: string,
    [event, cond, message]: ["INSERT" | "DELETE", string, string],
    fn: (s: TableStore, t: string, drop: () => Promise<void>) => Promise<void>,
  ) =>
    tableTest(name, async (s, t) => {
      const admin = await mysql.createConnection({ ...cfg });
      try {
        await admin.query(
          `CREATE TRIGGER \`${t}_fail\` BEFORE ${event} ON \`${t}\` FOR EACH ROW IF ${cond} THEN ` +
            `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${message}'; END IF`,
        );
        await fn(s, t, async () => void await admin.query(`DROP TRIGGER \`${t}_fail\``));
      } finally {
        await admin.end();
      }
    });

  for (
    const [phase, cutOn] of [
      ["creating the staging table", "CREATE TEMPORARY TABLE"],
      ["loading the staging table", "LOAD DATA LOCAL"],
      ["applying the staged rows", "SELECT `k`, `v` FROM `fmai_stage`"],
      ["committing", "COMMIT"],
    ]
  ) {
    cutTest(
      `a staged upsert whose connection is cut while ${phase} completes exactly once`,
      cutOn,
      async (s, t) => {
        const rows = kvRows(30_000);
        deepEqual(await s.upsert(t, rows), { inserted: rows.length, updated: 0 });
        equal(await s.count(t), rows.length);
        deepEqual(await s.upsert(t, kvRows(30_000, 2)), { inserted: 0, updated: rows.length });
        equal(await s.count(t, { v: 2 }), rows.length);
      },
    );
  }

  failingTriggerTest(
    "a staged upsert is all-or-nothing: a row failing in the apply writes nothing, locks nothing",
    ["INSERT", "NEW.k = 'zz-poison'", "poison row"],
    async (s, t, drop) => {
      // the last row of the batch fails inside the INSERT ... SELECT
      const rows = [...kvRows(30_000), { k: "zz-poison", v: 0 }];
      await rejects(s.upsert(t, rows), (e) => e instanceof StoreError && /poison row/.test(e.message));
      equal(await s.count(t), 0);
      await drop();
      // nothing was left holding locks: the same rows go in at once
      const t0 = performance.now();
      deepEqual(await s.upsert(t, rows), { inserted: rows.length, updated: 0 });
      ok(performance.now() - t0 < 20_000);
    },
  );

  cutTest(
    "a replace whose connection is cut while deleting completes exactly once",
    "NOT EXISTS",
    async (s, t) => {
      await s.upsert(t, kvRows(1_000));
      deepEqual(await s.replace(t, {}, kvRows(600, 2)), { inserted: 0, updated: 600, deleted: 400 });
      equal(await s.count(t), 600);
      equal(await s.count(t, { v: 2 }), 600);
    },
  );

  failingTriggerTest(
    "a replace is all-or-nothing: a failing delete leaves the old rows, unchanged",
    ["DELETE", "OLD.k = 'k0000099'", "kept row"],
    async (s, t, drop) => {
      await s.upsert(t, kvRows(100));
      const next = [...kvRows(50, 2), { k: "new", v: 2 }];
      await rejects(s.replace(t, {}, next), (e) => e instanceof StoreError && /kept row/.test(e.message));
      equal(await s.count(t), 100);
      equal(await s.count(t, { v: 2 }), 0);
      await drop();
      deepEqual(await s.replace(t, {}, next), { inserted: 1, updated: 50, deleted: 50 });
    },
  );

  /** `fn` with a second `k`/`v` table beside `t` (dropped afterwards). */
  const withSecondTable = async (s: TableStore, t: string, fn: (other: string) => Promise<void>) => {
    const other = `${t}_a`;
    await s.ensureTable({ name: other, columns: { k: "text", v: "real" }, key: ["k"] });
    try {
      await fn(other);
    } finally {
      await s.dropTable!(other);
    }
  };

  failingTriggerTest(
    "a replaceMany is all-or-nothing across tables: a failing delete in its second table leaves the first unchanged",
    ["DELETE", "OLD.k = 'k0000099'", "kept row"],
    (s, t, drop) =>
      withSecondTable(s, t, async (other) => {
        for (const table of [other, t]) await s.upsert(table, kvRows(100));
        const parts = [other, t].map((table) => ({ table, where: {}, rows: kvRows(50, 2) }));
        await rejects(s.replaceMany(parts), (e) => e instanceof StoreError && /kept row/.test(e.message));
        deepEqual(
          [
            await s.count(other),
            await s.count(other, { v: 2 }),
            await s.count(t),
            await s.count(t, { v: 2 }),
          ],
          [100, 0, 100, 0],
        );
        await drop();
        deepEqual(await s.replaceMany(parts), [
          { inserted: 0, updated: 50, deleted: 50 },
          { inserted: 0, updated: 50, deleted: 50 },
        ]);
      }),
  );

  cutTest(
    "a replaceMany whose connection is cut while staging its second table completes exactly once",
    "CREATE TEMPORARY TABLE `fmai_stage_1`",
    (s, t) =>
      withSecondTable(s, t, async (other) => {
        for (const table of [other, t]) await s.upsert(table, kvRows(1_000));
        const parts = [other, t].map((table) => ({ table, where: {}, rows: kvRows(600, 2) }));
        deepEqual(await s.replaceMany(parts), [
          { inserted: 0, updated: 600, deleted: 400 },
          { inserted: 0, updated: 600, deleted: 400 },
        ]);
        deepEqual([await s.count(other), await s.count(t), await s.count(t, { v: 2 })], [600, 600, 600]);
      }),
  );

  tableTest(
    "two concurrent upserts of the same rows both finish, without a lock-wait stall",
    async (s, t) => {
      const other = await openMySqlTables({ ...cfg, poolSize: 2 });
      try {
        const rows = kvRows(40_000);
        let t0 = performance.now();
        await s.upsert(t, kvRows(40_000, 3));
        const alone = performance.now() - t0;
        t0 = performance.now();
        const [a, b] = await Promise.all([s.upsert(t, rows), other.upsert(t, rows)]);
        const both = performance.now() - t0;
        equal(a.inserted + b.inserted, 0);
        equal(await s.count(t, { v: 1 }), rows.length);
        // serialised at worst (about twice one upsert), far from InnoDB's 50 s lock-wait timeout
        ok(
          both < Math.max(15_000, 4 * alone),
          `both ${both.toFixed(0)} ms, one alone ${alone.toFixed(0)} ms`,
        );
      } finally {
        await other.close();
      }
    },
  );

  tableTest(
    "a writer killed (SIGKILL) mid-upsert leaves no lock and no staging table behind",
    async (s, t) => {
      const script = await Deno.makeTempFile({ suffix: ".ts" });
      const mod = new URL("./mysql.ts", import.meta.url).href;
      await Deno.writeTextFile(
        script,
        `import { mySqlConfigFromUrl, openMySqlTables } from "${mod}";
const s = await openMySqlTables(mySqlConfigFromUrl(Deno.env.get("FMAI_MYSQL_URL")!));
const rows = Array.from({ length: 400_000 }, (_, i) => ({ k: "w" + String(i).padStart(7, "0"), v: 9 }));
console.log("go");
await s.upsert(${JSON.stringify(t)}, rows);`,
      );
      const p = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--config", fileURLToPath(new URL("../../deno.json", import.meta.url)), script],
        env: { FMAI_MYSQL_URL: url },
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = p.stdout.pipeThrough(new TextDecoderStream()).getReader();
      while (!(await reader.read()).value?.includes("go"));
      // kill it while the server runs its apply (the statement that holds the row locks)
      const admin = await mysql.createConnection({ ...cfg });
      let seen = false;
      try {
        for (let i = 0; i < 600 && !seen; i++) {
          const [rows] = await admin.query(
            "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ?",
            [`INSERT INTO \`${t}\`%FROM \`fmai_stage\`%`],
          );
          seen = Number((rows as { n: number }[])[0].n) > 0;
          if (!seen) await new Promise((r) => setTimeout(r, 25));
        }
      } finally {
        await admin.end();
      }
      ok(seen, "the writer reached its apply");
      p.kill("SIGKILL");
      await p.status;
      reader.releaseLock();
      await p.stdout.cancel().catch(() => {});
      await Deno.remove(script);
      // the rows it may have touched are free at once (no 50 s lock wait), and none of them landed
      const t0 = performance.now();
      deepEqual(await s.upsert(t, kvRows(1000)), { inserted: 1000, updated: 0 });
      ok(performance.now() - t0 < 10_000);
      equal(await s.count(t, { v: 9 }) % 400_000, 0, "all of the killed writer's rows or none");
    },
  );
} else {
  Deno.test({
    name: "mysql tables: skipped: set FMAI_MYSQL_URL or run `deno task test:integration`",
    ignore: true,
    fn: () => {},
  });
}

Deno.test({
  name: "mysql tables: an unreachable server is retried with backoff, then a StoreError",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const t0 = performance.now();
    await rejects(
      openMySqlTables({
        host: "127.0.0.1",
        port: 9, // discard port: nothing listens here
        user: "x",
        password: "x",
        database: "x",
        retries: 3,
        retryDelayMs: 50,
        connectTimeoutMs: 1000,
      }),
      (e) => e instanceof StoreError && /after 3 attempts/.test(e.message) && e.backend === "mysql",
    );
    ok(performance.now() - t0 >= 150, "backoff waits 50 + 100 ms");
  },
});

Deno.test("mysql tables: URL parsing and connection error classification", () => {
  deepEqual(mySqlConfigFromUrl("mysql://fmai:p%40ss@127.0.0.1:3307/fmai"), {
    host: "127.0.0.1",
    port: 3307,
    user: "fmai",
    password: "p@ss",
    database: "fmai",
  });
  throws(() => mySqlConfigFromUrl("postgres://a@b/c"), InputError);
  throws(() => mySqlConfigFromUrl("mysql://a@b:1/"), InputError);
  ok(isConnectionError({ code: "PROTOCOL_CONNECTION_LOST" }));
  ok(isConnectionError({ code: "ECONNREFUSED" }));
  ok(!isConnectionError({ code: "ER_DUP_ENTRY" }));
});

Deno.test("mysql tables: split upserts order rows by key and keep the last row of each key", () => {
  const sorted = [["a", 1], ["a", 2], ["b", 1]];
  equal(
    uniqueByKey(sorted, [0, 1]),
    sorted,
    "rows already in key order with unique keys are used as they are",
  );
  deepEqual(uniqueByKey([["b", 1, "x"], ["a", 2, "y"], ["b", 1, "z"], ["a", 1, "w"]], [0, 1]), [
    ["a", 1, "w"],
    ["a", 2, "y"],
    ["b", 1, "z"],
  ]);
  deepEqual(uniqueByKey([["a", 1], ["a", 2], ["a", 3]], [0]), [["a", 3]]);
  deepEqual(uniqueByKey([[10, "x"], [9, "y"], [10, "z"]], [0]), [[9, "y"], [10, "z"]]);
});

Deno.test("mysql tables: new rows are read from the server's Records/Duplicates reply", () => {
  // 1,880 new (1 each), 120 changed (2 each), the rest unchanged (0)
  equal(insertedBy({ affectedRows: 2120, info: "Records: 2000  Duplicates: 120  Warnings: 0" }), 1880);
  equal(insertedBy({ affectedRows: 0, info: "Records: 2  Duplicates: 0  Warnings: 0" }), 0);
  equal(insertedBy({ affectedRows: 1, info: "Records: 2  Duplicates: 0  Warnings: 0" }), 1);
  throws(() => insertedBy({ info: "" }), StoreError);
});

Deno.test("mysql tables: poolSize or connectTimeoutMs below 1 is a RangeError before any connection", async () => {
  // mysql2 reads 0 as "no limit" (unlimited connections, a connect that never times out); port 1: no server
  const cfg = { host: "127.0.0.1", port: 1, user: "u", password: "p", database: "d", retries: 1 };
  for (const bad of [{ poolSize: 0 }, { poolSize: -1 }, { poolSize: 2.5 }, { connectTimeoutMs: 0 }]) {
    await rejects(
      openMySqlTables({ ...cfg, ...bad }),
      (e) => e instanceof RangeError && /must be a whole number >= 1/.test(e.message),
      JSON.stringify(bad),
    );
  }
});
