import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { StoreError } from "../core/mod.ts";
import { tableContract } from "./contract_tables.ts";
import { isConnectionError, mySqlConfigFromUrl, openMySqlTables } from "./mysql.ts";

// The only place this backend reads the environment: the test edge. `deno task test:integration` sets it.
const url = Deno.env.get("FMAI_MYSQL_URL");

if (url) {
  const cfg = mySqlConfigFromUrl(url);
  tableContract("mysql", () => openMySqlTables({ ...cfg, poolSize: 2 }));

  Deno.test({
    name: "mysql tables: dropped connections are retried; a server gone for good gives StoreError",
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      // a TCP proxy in front of the server lets the test cut every connection of this store (and no one else's)
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const conns = new Set<Deno.Conn>();
      let accepting = true;
      (async () => {
        for await (const c of listener) {
          if (!accepting) {
            c.close();
            continue;
          }
          const up = await Deno.connect({ hostname: cfg.host, port: cfg.port });
          conns.add(c);
          conns.add(up);
          c.readable.pipeTo(up.writable).catch(() => {});
          up.readable.pipeTo(c.writable).catch(() => {});
        }
      })().catch(() => {});
      const cut = () => {
        for (const c of conns) {
          try {
            c.close();
          } catch { /* already closed */ }
        }
        conns.clear();
      };
      const port = (listener.addr as Deno.NetAddr).port;
      const s = await openMySqlTables({ ...cfg, port, poolSize: 1, retries: 3, retryDelayMs: 30 });
      const t = `ct_cut_${Date.now().toString(36)}`;
      try {
        await s.ensureTable({ name: t, columns: { k: "text", v: "real" }, key: ["k"] });
        cut();
        deepEqual(await s.upsert(t, [{ k: "a", v: 1 }, { k: "b", v: 2 }]), { inserted: 2, updated: 0 });
        cut();
        equal(await s.count(t), 2);
        accepting = false;
        cut();
        await rejects(s.count(t), (e) => e instanceof StoreError && /after 3 attempts/.test(e.message));
      } finally {
        const c = await openMySqlTables(cfg);
        await c.dropTable!(t);
        await c.close();
        await s.close();
        listener.close();
        cut();
      }
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
  throws(() => mySqlConfigFromUrl("postgres://a@b/c"), RangeError);
  throws(() => mySqlConfigFromUrl("mysql://a@b:1/"), RangeError);
  ok(isConnectionError({ code: "PROTOCOL_CONNECTION_LOST" }));
  ok(isConnectionError({ code: "ECONNREFUSED" }));
  ok(!isConnectionError({ code: "ER_DUP_ENTRY" }));
});
