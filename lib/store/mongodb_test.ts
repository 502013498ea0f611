import { equal, ok, rejects } from "node:assert/strict";
import { DataValidationError, StoreError } from "../core/mod.ts";
import { documentContract } from "./contract_documents.ts";
import { MongoBulkWriteError, MongoNetworkError } from "mongodb";
import { isConnectionError, openMongoDocuments } from "./mongodb.ts";

const uri = Deno.env.get("FMAI_MONGO_URL");
const database = Deno.env.get("FMAI_MONGO_DATABASE") || "fmai";
const SKIP = "skipped: run `deno task services:up` then `deno task test:integration`";

/** Runs `fn` with a store of `cfg` and a fresh collection named after `prefix`, dropped afterwards. */
async function withCollection(
  cfg: Parameters<typeof openMongoDocuments>[0],
  prefix: string,
  fn: (store: Awaited<ReturnType<typeof openMongoDocuments>>, coll: string) => Promise<void>,
): Promise<void> {
  const store = await openMongoDocuments(cfg);
  const coll = `${prefix}_${Date.now().toString(36)}`;
  try {
    await fn(store, coll);
  } finally {
    await store.dropCollection!(coll);
    await store.close();
  }
}

if (uri) {
  documentContract("mongodb", () => openMongoDocuments({ uri, database }));

  Deno.test("mongodb documents: a lost connection is retried with backoff, then a StoreError", async () => {
    // A TCP relay to the server that we can cut: the store connects through it, then the relay goes away.
    const target = new URL(uri.replace(/^mongodb:/, "http:"));
    const relay = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const conns: Deno.Conn[] = [];
    let open = true;
    (async () => {
      for await (const c of relay) {
        if (!open) {
          c.close();
          continue;
        }
        const up = await Deno.connect({ hostname: target.hostname, port: Number(target.port || 27017) });
        conns.push(c, up);
        c.readable.pipeTo(up.writable).catch(() => {});
        up.readable.pipeTo(c.writable).catch(() => {});
      }
    })().catch(() => {});
    const store = await openMongoDocuments({
      uri: `mongodb://127.0.0.1:${relay.addr.port}`,
      database,
      retries: 3,
      retryDelayMs: 20,
      timeoutMs: 400,
    });
    const coll = `lost_${Date.now().toString(36)}`;
    try {
      equal((await store.upsert(coll, [{ id: "a", knownAt: 1 }])).inserted, 1);
      open = false;
      relay.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      const t0 = Date.now();
      await rejects(
        store.find(coll),
        (e) => e instanceof StoreError && e.backend === "mongodb" && /attempts/.test(e.message),
      );
      ok(Date.now() - t0 >= 20 + 40, "backed off between attempts");
    } finally {
      await store.close();
      const direct = await openMongoDocuments({ uri, database });
      await direct.dropCollection!(coll);
      await direct.close();
    }
  });

  Deno.test("mongodb documents: re-upserting 150 changed and 150 unchanged documents", async () => {
    // More changed documents than FerretDB v1's 100 pooled connections: one big update command would hang it.
    await withCollection({ uri, database }, "chg", async (store, coll) => {
      const docs = Array.from({ length: 300 }, (_, i) => ({ id: `d${i}`, knownAt: i, symbols: ["X"], v: 0 }));
      equal((await store.upsert(coll, docs)).inserted, 300);
      const next = docs.map((d, i) => i % 2 === 0 ? { ...d, v: 1 } : d);
      next.push({ id: "new", knownAt: 999, symbols: ["X"], v: 2 });
      const r = await store.upsert(coll, next);
      equal(r.inserted, 1);
      equal(r.updated, 300);
      equal(await store.count(coll), 301);
      const got = await store.find(coll, { symbol: "X", to: 3 });
      equal(got.map((d) => d.v).join(","), "1,0,1,0");
    });
  });

  Deno.test("mongodb documents: the last version of an id wins across batches", async () => {
    await withCollection({ uri, database, batchSize: 2 }, "last", async (store, coll) => {
      await store.upsert(coll, [{ id: "x", knownAt: 1, v: 0 }]);
      const r = await store.upsert(coll, [
        { id: "x", knownAt: 1, v: 1 },
        { id: "y", knownAt: 2, v: 1 },
        { id: "x", knownAt: 1, v: 0 },
        { id: "y", knownAt: 2, v: 2 },
      ]);
      equal(r.inserted, 1);
      equal(r.updated, 3);
      equal((await store.get(coll, "x"))?.v, 0);
      equal((await store.get(coll, "y"))?.v, 2);
    });
  });

  Deno.test("mongodb documents: an invalid document names its index and writes nothing", async () => {
    await withCollection({ uri, database }, "bad", async (store, coll) => {
      const docs = Array.from({ length: 1500 }, (_, i) => ({ id: `d${i}`, knownAt: i }));
      docs[1200] = { id: "d1200", knownAt: Infinity };
      await rejects(
        store.upsert(coll, docs),
        (e) => e instanceof DataValidationError && /doc 1200\b/.test(e.message),
      );
      equal(await store.count(coll), 0);
      for (
        const bad of [{ _id: "x" }, { _fmai_words: ["a"] }, { meta: { "a.b": 1 } }, { list: [{ $set: 1 }] }]
      ) {
        const batch = [{ id: "ok", knownAt: 1 }, { id: "b", knownAt: 2, ...bad }];
        await rejects(
          store.upsert(coll, batch),
          (e) => e instanceof DataValidationError && /doc 1\b/.test(e.message),
        );
      }
      equal(await store.count(coll), 0);
    });
  });
} else {
  Deno.test({ name: `mongodb documents: ${SKIP}`, ignore: true, fn() {} });
}

Deno.test("mongodb documents: an unreachable server fails with a StoreError after retries", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close(); // nothing listens there now
  const t0 = Date.now();
  await rejects(
    openMongoDocuments({
      uri: `mongodb://127.0.0.1:${port}`,
      database: "x",
      retries: 2,
      retryDelayMs: 10,
      timeoutMs: 300,
    }),
    (e) => e instanceof StoreError && e.backend === "mongodb" && /after 2 attempts/.test(e.message),
  );
  ok(Date.now() - t0 < 5000);
});

Deno.test("mongodb documents: a refused connection fails in seconds, not retries x server selection timeout", async () => {
  // Before, each of the 4 attempts waited the driver's 5 s server selection although nothing listened (~21 s).
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  const t0 = Date.now();
  await rejects(
    openMongoDocuments({ uri: `mongodb://127.0.0.1:${port}`, database: "x" }), // default retries and timeout
    (e) =>
      e instanceof StoreError && e.backend === "mongodb" && e.unavailable &&
      /mongodb server mongodb:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED after 4 attempts\)/.test(
        e.message,
      ),
  );
  const ms = Date.now() - t0;
  ok(ms >= 200 + 400 + 800, `backed off between attempts (${ms} ms)`);
  ok(ms < 4000, `failed in ${ms} ms`);
});

Deno.test("mongodb documents: a server that accepts connections but does not answer keeps the driver's timeout", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const c of l) held.push(c); // accepted, never answered
  })().catch(() => {});
  const t0 = Date.now();
  try {
    await rejects(
      openMongoDocuments({
        uri: `mongodb://127.0.0.1:${l.addr.port}`,
        database: "x",
        retries: 2,
        retryDelayMs: 10,
        timeoutMs: 300,
      }),
      (e) =>
        e instanceof StoreError &&
        /is unreachable \(MongoServerSelectionError after 2 attempts\)/.test(e.message),
    );
    ok(Date.now() - t0 >= 2 * 300, "each attempt waited the server selection timeout");
  } finally {
    l.close();
    for (const c of held) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }
});

Deno.test("mongodb documents: a bulk write cut by a lost connection is a connection error", () => {
  // The server killed under an insertMany: the driver wraps the network error in a MongoBulkWriteError. Before,
  // that failed the symbol at once as a plain error, the breaker stayed closed and collect went on.
  const lost = new MongoNetworkError("connection 2 to 127.0.0.1:27028 closed");
  const result = { insertedCount: 0, upsertedIds: {}, insertedIds: {} };
  ok(isConnectionError(lost));
  ok(isConnectionError(new MongoBulkWriteError(lost, result as never)));
  const dup = new MongoBulkWriteError({ message: "E11000 duplicate key", code: 11000 }, result as never);
  ok(!isConnectionError(dup));
});

Deno.test("mongodb documents: bad config is a TypeError", async () => {
  await rejects(openMongoDocuments({ uri: "http://x", database: "fmai" }), TypeError);
  await rejects(openMongoDocuments({ uri: "mongodb://127.0.0.1:1", database: "a b" }), TypeError);
});

Deno.test("mongodb documents: a batchSize below 1 or not whole is a RangeError before any connection", async () => {
  // without the check, batchSize 0 made the first upsert loop forever (`i += 0`); nothing listens on port 1
  for (const batchSize of [0, -5, 1.5, Number.NaN]) {
    await rejects(
      openMongoDocuments({
        uri: "mongodb://127.0.0.1:1",
        database: "fmai",
        batchSize,
        retries: 1,
        timeoutMs: 200,
      }),
      (e) => e instanceof RangeError && /batchSize must be a whole number >= 1/.test(e.message),
      String(batchSize),
    );
  }
});
