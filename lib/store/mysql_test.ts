import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { InputError, StoreError } from "../core/mod.ts";
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
    const t = `ct_split_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
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

  for (
    const [phase, cutOn] of [
      ["starting", "XA START"],
      ["ending", "XA END"],
      ["preparing", "XA PREPARE"],
      ["committing", "XA COMMIT"],
    ]
  ) {
    Deno.test({
      name:
        `mysql tables: a split upsert whose connections are cut while ${phase} the branches completes exactly once`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const px = proxy(cfg, cutOn);
        try {
          await withTable(
            () => openMySqlTables({ ...cfg, port: px.port, poolSize: 3, retries: 3, retryDelayMs: 30 }),
            async (s, t) => {
              const rows = kvRows(30_000);
              deepEqual(await s.upsert(t, rows), { inserted: rows.length, updated: 0 });
              equal(px.state.cuts, 1, `the proxy saw "${cutOn}" and cut`);
              equal(await s.count(t), rows.length);
              deepEqual(await s.upsert(t, kvRows(30_000, 2)), { inserted: 0, updated: rows.length });
              equal(await s.count(t, { v: 2 }), rows.length);
            },
          );
        } finally {
          px.close();
        }
      },
    });
  }

  Deno.test({
    name:
      "mysql tables: a split upsert is all-or-nothing: a branch failing after the others are prepared writes nothing",
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await withTable(() => openMySqlTables({ ...cfg, poolSize: 3 }), async (s, t) => {
        const admin = await mysql.createConnection({ ...cfg });
        try {
          // the last key range's branch stalls on the last row, so the other branches are prepared, then fails
          await admin.query(
            `CREATE TRIGGER \`${t}_poison\` BEFORE INSERT ON \`${t}\` FOR EACH ROW IF NEW.k = 'zz-poison' THEN ` +
              "SET @fmai_slept = SLEEP(1); SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'poison row'; END IF",
          );
          const rows = [...kvRows(30_000), { k: "zz-poison", v: 0 }];
          await rejects(s.upsert(t, rows), (e) => e instanceof StoreError && /poison row/.test(e.message));
          equal(await s.count(t), 0);
          await admin.query(`DROP TRIGGER \`${t}_poison\``);
          // no branch is left prepared holding locks: the same rows go in at once
          const t0 = performance.now();
          deepEqual(await s.upsert(t, rows), { inserted: rows.length, updated: 0 });
          ok(performance.now() - t0 < 20_000);
        } finally {
          await admin.end();
        }
      });
    },
  });
  Deno.test({
    name:
      "mysql tables: branches a killed writer left prepared are committed or rolled back by its decision row",
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await withTable(() => openMySqlTables({ ...cfg, poolSize: 2 }), async (s, t) => {
        // a writer that died after committing branch 0 (with its decision row), and one that died after
        // preparing both branches (no decision committed): each leaves a detached prepared branch behind
        const writer = async (gtrid: string, commitFirst: boolean, keys: string[][]) => {
          const conns = await Promise.all(keys.map(() => mysql.createConnection({ ...cfg })));
          for (const [i, c] of conns.entries()) {
            c.on("error", () => {});
            await c.query(`XA START '${gtrid}','${i}'`);
            for (const k of keys[i]) await c.execute(`INSERT INTO \`${t}\` (k, v) VALUES (?, 1)`, [k]);
            if (i === 0) await c.execute("INSERT INTO fmai_xa_decisions VALUES (?, ?)", [gtrid, Date.now()]);
            await c.query(`XA END '${gtrid}','${i}'`);
            await c.query(`XA PREPARE '${gtrid}','${i}'`);
          }
          if (commitFirst) await conns[0].query(`XA COMMIT '${gtrid}','0'`);
          for (const c of conns) c.destroy();
        };
        const decided = `fmai-test-${crypto.randomUUID().slice(0, 8)}-c`;
        const undecided = `fmai-test-${crypto.randomUUID().slice(0, 8)}-r`;
        await writer(decided, true, [["c0", "c1"], ["c2", "c3"]]);
        await writer(undecided, false, [["r0"], ["r1"]]);
        // opening a store recovers; the server detaches a prepared branch once it notices the closed connection,
        // so look again until neither gtrid is listed
        const admin = await mysql.createConnection({ ...cfg });
        const listed = async () =>
          ((await admin.query("XA RECOVER"))[0] as { data: string }[]).filter((r) =>
            String(r.data).startsWith(decided) || String(r.data).startsWith(undecided)
          ).length;
        try {
          const s2 = await openMySqlTables({ ...cfg, poolSize: 1 });
          try {
            for (let i = 0; i < 50 && await listed() > 0; i++) {
              await new Promise((r) => setTimeout(r, 50));
              await (s2 as unknown as { recoverAbandoned(): Promise<number> }).recoverAbandoned();
            }
          } finally {
            await s2.close();
          }
          equal(await listed(), 0, "no branch of either writer is left prepared");
          const [rows] = await admin.execute("SELECT gtrid FROM fmai_xa_decisions WHERE gtrid IN (?, ?)", [
            decided,
            undecided,
          ]);
          deepEqual(rows, [], "the decision row of a recovered commit is removed");
        } finally {
          await admin.end();
        }
        deepEqual((await s.query(t, { orderBy: ["k"] })).map((r) => r.k), ["c0", "c1", "c2", "c3"]);
      });
    },
  });
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
