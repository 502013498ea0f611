import { deepEqual, equal, rejects } from "node:assert/strict";
import { objectContract } from "./contract_objects.ts";
import { openLocalObjects } from "./local_objects.ts";

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
