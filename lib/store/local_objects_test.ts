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
