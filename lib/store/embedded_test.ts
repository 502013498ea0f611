import { deepEqual, equal } from "node:assert/strict";
import { openEmbeddedStores } from "./embedded.ts";

/** The temporary folders a ":memory:" store may have made (nothing else in this repo uses the prefix). */
function objectDirs(): Set<string> {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  const out = new Set<string>();
  for (const e of Deno.readDirSync(tmp)) if (e.name.startsWith("fmai-objects-")) out.add(e.name);
  return out;
}

Deno.test("embedded stores in memory: objects work, and close() removes their temporary folder", async () => {
  const before = objectDirs();
  const s = openEmbeddedStores(":memory:");
  const made = [...objectDirs()].filter((d) => !before.has(d));
  equal(made.length, 1);
  await s.objects.put("charts/AAPL/2020-01-02.svg", "<svg/>", { contentType: "image/svg+xml" });
  deepEqual((await s.objects.list("charts/")).map((o) => o.key), ["charts/AAPL/2020-01-02.svg"]);
  await s.tables.ensureTable({ name: "t", columns: { k: "text" }, key: ["k"] });
  deepEqual(await s.tables.upsert("t", [{ k: "a" }]), { inserted: 1, updated: 0 });
  await s.close();
  equal(objectDirs().has(made[0]), false);
});
