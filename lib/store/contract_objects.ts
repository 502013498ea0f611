/**
 * The contract every `ObjectStore` backend passes. A backend's test calls
 * `objectContract("local", () => openLocalObjects(dir))`. Each case writes under a unique prefix and deletes
 * what it wrote, so it can run against a shared bucket.
 * @module
 */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import type { ObjectStore } from "./types.ts";

/** Options of the object contract. */
export interface ObjectContractOptions {
  /** Size in bytes of the large object case (default 6 MiB, above the 5 MiB multipart part size). */
  largeBytes?: number;
  /** Skip every case (a server is not configured); they show up as ignored. */
  ignore?: boolean;
  /** Deno test sanitizers (default off). */
  sanitize?: boolean;
}

let seq = 0;
function uniquePrefix(): string {
  seq++;
  return `contract-${Date.now().toString(36)}-${Math.floor(Math.random() * 0xffffff).toString(36)}-${seq}/`;
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const isArgError = (e: unknown) => e instanceof TypeError || e instanceof RangeError;

/** Registers the `ObjectStore` contract cases as `Deno.test`s named `<name> objects: ...`. */
export function objectContract(
  name: string,
  open: () => Promise<ObjectStore>,
  opts: ObjectContractOptions = {},
): void {
  const sanitize = opts.sanitize ?? false;
  function test(title: string, fn: (store: ObjectStore, prefix: string) => Promise<void>): void {
    Deno.test({
      name: `${name} objects: ${title}`,
      ignore: opts.ignore ?? false,
      sanitizeOps: sanitize,
      sanitizeResources: sanitize,
      fn: async () => {
        const store = await open();
        const prefix = uniquePrefix();
        try {
          await fn(store, prefix);
        } finally {
          try {
            for (const o of await store.list(prefix)) await store.delete(o.key);
          } finally {
            await store.close();
          }
        }
      },
    });
  }

  test("put/get bytes and strings, head with size and content type", async (s, p) => {
    const b = bytes(1000, 7);
    await s.put(`${p}a.bin`, b, { contentType: "application/octet-stream" });
    deepEqual(await s.get(`${p}a.bin`), b);
    await s.put(`${p}charts/AAPL/2024-01-02.png`, b.subarray(0, 10), { contentType: "image/png" });
    deepEqual(await s.head(`${p}charts/AAPL/2024-01-02.png`), {
      key: `${p}charts/AAPL/2024-01-02.png`,
      size: 10,
      contentType: "image/png",
    });
    const text = '{"ü":"日本 🚀"}';
    await s.put(`${p}doc.json`, text, { contentType: "application/json" });
    const got = await s.get(`${p}doc.json`);
    ok(got instanceof Uint8Array);
    equal(new TextDecoder().decode(got), text);
    const h = await s.head(`${p}doc.json`);
    equal(h?.size, new TextEncoder().encode(text).length);
    equal(h?.contentType, "application/json");
    await s.put(`${p}plain`, "x");
    ok(typeof (await s.head(`${p}plain`))?.contentType === "string");
    await s.put(`${p}empty`, new Uint8Array(0));
    deepEqual(await s.get(`${p}empty`), new Uint8Array(0));
    equal((await s.head(`${p}empty`))?.size, 0);
  });

  test("missing objects: get and head give null, delete is a no-op", async (s, p) => {
    equal(await s.get(`${p}missing`), null);
    equal(await s.head(`${p}missing`), null);
    await s.delete(`${p}missing`);
    deepEqual(await s.list(`${p}`), []);
  });

  test("overwrite replaces body and content type", async (s, p) => {
    await s.put(`${p}k`, "first", { contentType: "text/plain" });
    await s.put(`${p}k`, bytes(5, 3), { contentType: "application/x-test" });
    deepEqual(await s.get(`${p}k`), bytes(5, 3));
    deepEqual(await s.head(`${p}k`), { key: `${p}k`, size: 5, contentType: "application/x-test" });
    equal((await s.list(p)).length, 1);
  });

  test("list by prefix, sorted by key; delete", async (s, p) => {
    const keys = [
      `${p}raw/yahoo/2024/01/05/b.json`,
      `${p}raw/yahoo/2024/01/05/a.json`,
      `${p}raw/yahoo/2024/01/06/a.json`,
      `${p}raw/nasdaq/2024/01/05/x.json`,
      `${p}models/mlp/v1/weights.bin`,
      `${p}rawish.txt`,
    ];
    for (const [i, k] of keys.entries()) await s.put(k, `body ${i}`, { contentType: "text/plain" });
    const all = await s.list(p);
    deepEqual(all.map((o) => o.key), keys.slice().sort());
    ok(all.every((o) => o.size === 6));
    deepEqual((await s.list(`${p}raw/yahoo/`)).map((o) => o.key), keys.slice(0, 3).sort());
    deepEqual((await s.list(`${p}raw/yahoo/2024/01/05/`)).map((o) => o.key), keys.slice(0, 2).sort());
    deepEqual((await s.list(`${p}raw`)).map((o) => o.key), [...keys.slice(0, 4), keys[5]].sort());
    deepEqual(await s.list(`${p}nothing/`), []);
    await s.delete(keys[0]);
    equal(await s.get(keys[0]), null);
    deepEqual((await s.list(`${p}raw/yahoo/`)).map((o) => o.key), keys.slice(1, 3).sort());
  });

  const large = opts.largeBytes ?? 6 * 1024 * 1024;
  test(`a ${(large / 1048576).toFixed(1)} MiB object roundtrips`, async (s, p) => {
    const b = bytes(large, 11);
    await s.put(`${p}big.bin`, b, { contentType: "application/octet-stream" });
    equal((await s.head(`${p}big.bin`))?.size, large);
    const got = await s.get(`${p}big.bin`);
    equal(got?.length, large);
    ok(got !== null && got.every((v, i) => v === b[i]));
  });

  test(
    "a conditional write lands only on the version it read: no concurrent change is lost",
    async (s, p) => {
      const k = `${p}models/sys/aliases.json`;
      equal(await s.getTagged(k), null);
      equal(await s.putIf(k, "a", null, { contentType: "application/json" }), true, "absent: written");
      equal(await s.putIf(k, "b", null), false, "it exists now");
      const t1 = (await s.getTagged(k))!;
      equal(new TextDecoder().decode(t1.body), "a");
      equal(await s.putIf(k, "b", t1.tag, { contentType: "application/json" }), true);
      equal(await s.putIf(k, "c", t1.tag), false, "a stale tag writes nothing");
      const t2 = (await s.getTagged(k))!;
      equal(new TextDecoder().decode(t2.body), "b");
      ok(t2.tag !== t1.tag, "a write changes the tag");
      equal((await s.head(k))?.contentType, "application/json");
      // writers racing on one object, each reading, changing and writing until its write lands: every change kept
      const counter = `${p}counter.json`;
      await s.put(counter, "[]");
      await Promise.all(Array.from({ length: 6 }, async (_, i) => {
        for (;;) {
          const cur = (await s.getTagged(counter))!;
          const list = JSON.parse(new TextDecoder().decode(cur.body)) as number[];
          if (await s.putIf(counter, JSON.stringify([...list, i]), cur.tag)) return;
        }
      }));
      deepEqual((JSON.parse(new TextDecoder().decode((await s.get(counter))!)) as number[]).sort(), [
        0,
        1,
        2,
        3,
        4,
        5,
      ]);
      await s.delete(k);
      equal(await s.putIf(k, "d", t2.tag), false, "deleted in between");
      await rejects(s.putIf("", "x", null), isArgError);
    },
  );

  test("invalid keys are rejected with TypeError/RangeError", async (s, p) => {
    for (
      const k of ["", "/abs", `${p}../escape`, `${p}a/../../b`, `${p}a//b`, `${p}./a`, `${p}back\\slash`]
    ) {
      await rejects(s.put(k, "x"), isArgError, `put ${JSON.stringify(k)}`);
      await rejects(s.get(k), isArgError, `get ${JSON.stringify(k)}`);
    }
    await rejects(s.put(42 as unknown as string, "x"), isArgError);
    await rejects(s.list("/abs"), isArgError);
    await rejects(s.list("../"), isArgError);
    deepEqual(await s.list(p), []);
  });
}
