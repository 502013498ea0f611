import { deepEqual, equal, rejects } from "node:assert/strict";
import { writeFileAtomic } from "./_atomic.ts";

Deno.test("writeFileAtomic: replaces a file whole; a failed rename leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-atomic-" });
  try {
    await writeFileAtomic(`${dir}/a.txt`, "one");
    await writeFileAtomic(`${dir}/a.txt`, new TextEncoder().encode("two"), { mode: 0o600 });
    equal(await Deno.readTextFile(`${dir}/a.txt`), "two");
    equal((await Deno.stat(`${dir}/a.txt`)).mode! & 0o777, 0o600, "the written file has the mode asked");
    await Deno.mkdir(`${dir}/b.html`);
    await rejects(() => writeFileAtomic(`${dir}/b.html`, "x"));
    deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), ["a.txt", "b.html"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
