import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { objectContract } from "./contract_objects.ts";
import { createHash } from "node:crypto";
import { LOCK_STALE_MS, type LockWait, openLocalObjects } from "./local_objects.ts";

const root = await Deno.makeTempDir({ prefix: "fmai-objects-" });
objectContract("local", () => openLocalObjects(root), { sanitize: true });

Deno.test("local objects: files live under the root by key, no temp files are left, reserved keys refused", async () => {
  const o = await openLocalObjects(root);
  await o.put("models/mlp/v1/weights.bin", new Uint8Array([1, 2, 3]));
  deepEqual(await Deno.readFile(`${root}/models/mlp/v1/weights.bin`), new Uint8Array([1, 2, 3]));
  equal((await o.head("models/mlp/v1/weights.bin"))?.contentType, "application/octet-stream");
  deepEqual(await Array.fromAsync(Deno.readDir(`${root}/.fmai-tmp`)), []);
  await rejects(o.put(".fmai-meta/x", "y"), RangeError);
  deepEqual((await o.list("")).map((x) => x.key), ["models/mlp/v1/weights.bin"]);
  await o.delete("models/mlp/v1/weights.bin");
  deepEqual(await o.list(""), []);
});

Deno.test({
  name: "local objects: clean up the temp root",
  fn: async () => {
    await Deno.remove(root, { recursive: true });
  },
});

Deno.test("local objects: opening the store removes temporary files a killed writer left, not a live writer's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-objects-tmp-" });
  try {
    await openLocalObjects(dir);
    const stale = `${dir}/.fmai-tmp/dead.data`, live = `${dir}/.fmai-tmp/live.data`;
    await Deno.writeTextFile(stale, "half");
    await Deno.writeTextFile(live, "in progress");
    const old = new Date(Date.now() - 2 * 3_600_000);
    await Deno.utime(stale, old, old);
    await openLocalObjects(dir);
    deepEqual((await Array.fromAsync(Deno.readDir(`${dir}/.fmai-tmp`))).map((f) => f.name), ["live.data"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local objects: a write kept waiting for a key's lock tells onLockWait once; brief contention tells nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-objects-lock-" });
  try {
    const waits: LockWait[] = [];
    const o = await openLocalObjects(dir, { onLockWait: (w) => void waits.push(w) });
    const k = "models/system/aliases.json";
    const lock = `${dir}/.fmai-tmp/lock-${createHash("sha256").update(k).digest("hex").slice(0, 32)}`;
    // a live writer's lock, released at once: the write waits milliseconds and says nothing
    await Deno.mkdir(lock);
    setTimeout(() => Deno.removeSync(lock), 50);
    equal(await o.putIf(k, "{}", null), true);
    equal(waits.length, 0);
    // a killed writer's lock, made almost LOCK_STALE_MS ago: told at once (it is older than a live writer's),
    // once, and taken over when it is stale, as before
    await Deno.mkdir(lock);
    const made = new Date(Date.now() - LOCK_STALE_MS + 600);
    await Deno.utime(lock, made, made);
    const tag = (await o.getTagged(k))!.tag;
    equal(await o.putIf(k, '{"a":1}', tag), true);
    equal(waits.length, 1);
    const [w] = waits;
    deepEqual([w.key, w.lock, w.staleAfterMs], [k, lock, LOCK_STALE_MS]);
    ok(w.since !== null && Math.abs(w.since - made.getTime()) < 1000, `held since ${w.since}`);
    equal(new TextDecoder().decode((await o.get(k))!), '{"a":1}');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
