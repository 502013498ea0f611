import { deepEqual, equal, rejects } from "node:assert/strict";
import { withTempDir } from "./_test_dir.ts";
import { StoreError } from "../core/mod.ts";
import { tableContract } from "./contract_tables.ts";
import { openSqliteTables } from "./sqlite_tables.ts";

tableContract("sqlite", () => openSqliteTables(":memory:"), { sanitize: true });

Deno.test("sqlite tables: a file database keeps tables and schema across reopen; migrations add columns", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/t.sqlite`;
    const a = await openSqliteTables(path);
    await a.ensureTable({ name: "m", columns: { k: "text", v: "real" }, key: ["k"] });
    await a.upsert("m", [{ k: "x", v: 1 }]);
    await a.close();
    const b = await openSqliteTables(path);
    deepEqual(await b.query("m"), [{ k: "x", v: 1 }]);
    await b.ensureTable({
      name: "m",
      columns: { k: "text", v: "real", w: "int" },
      key: ["k"],
      indexes: [["w"]],
    });
    deepEqual(await b.query("m"), [{ k: "x", v: 1, w: null }]);
    await b.upsert("m", [{ k: "y", v: 2, w: 3 }]);
    equal(await b.count("m", { w: 3 }), 1);
    await rejects(
      b.ensureTable({ name: "m", columns: { k: "text", v: "text" }, key: ["k"] }),
      RangeError,
    );
    await rejects(b.query("never_created"), StoreError);
    await b.close();
  });
});

Deno.test("sqlite tables: a bulk load rebuilds secondary indexes inside its transaction", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/bulk.sqlite`;
    const s = await openSqliteTables(path);
    const schema = {
      name: "b",
      columns: { k: "int", d: "date", v: "real" },
      key: ["k"],
      indexes: [["d"]],
    } as const;
    await s.ensureTable({
      ...schema,
      columns: { ...schema.columns },
      key: [...schema.key],
      indexes: [["d"]],
    });
    const rows = Array.from(
      { length: 60_000 },
      (_, i) => ({ k: i, d: `2020-01-${String(1 + (i % 28)).padStart(2, "0")}`, v: i }),
    );
    deepEqual(await s.upsert("b", rows), { inserted: 60_000, updated: 0 });
    deepEqual(await s.upsert("b", rows), { inserted: 0, updated: 60_000 });
    // a rejected bulk batch leaves table and indexes as they were
    await rejects(
      s.upsert("b", [...rows.map((r) => ({ ...r, k: r.k + 60_000 })), { k: -1, d: "bad", v: 1 }]),
    );
    equal(await s.count("b", { d: "2020-01-05" }), rows.filter((r) => r.d === "2020-01-05").length);
    await s.close();
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(path);
    const idx = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'b'").all();
    deepEqual(idx.map((r) => r.name), ["ix_b_d"]);
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM b WHERE d = '2020-01-05'").all();
    equal(String(plan.map((r) => r.detail).join(" ")).includes("ix_b_d"), true);
    equal((db.prepare("SELECT count(*) AS n FROM b").get() as { n: number }).n, 60_000);
    db.close();
  });
});

Deno.test("sqlite tables: a replaceMany is all-or-nothing across tables (a failing delete in its second table)", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/many.sqlite`;
    const s = await openSqliteTables(path);
    const kv = (n: number, v: number) => Array.from({ length: n }, (_, i) => ({ k: `k${i}`, v }));
    for (const name of ["a", "b"]) {
      await s.ensureTable({ name, columns: { k: "text", v: "real" }, key: ["k"] });
      await s.upsert(name, kv(100, 1));
    }
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(path);
    db.exec(
      "CREATE TRIGGER b_fail BEFORE DELETE ON b WHEN OLD.k = 'k99' BEGIN SELECT RAISE(ABORT, 'kept row'); END",
    );
    const parts = ["a", "b"].map((table) => ({ table, where: {}, rows: kv(50, 2) }));
    await rejects(s.replaceMany(parts), (e) => e instanceof StoreError && /kept row/.test(e.message));
    deepEqual(
      [await s.count("a"), await s.count("a", { v: 2 }), await s.count("b"), await s.count("b", { v: 2 })],
      [100, 0, 100, 0],
    );
    db.exec("DROP TRIGGER b_fail");
    db.close();
    deepEqual(await s.replaceMany(parts), [
      { inserted: 0, updated: 50, deleted: 50 },
      { inserted: 0, updated: 50, deleted: 50 },
    ]);
    deepEqual([await s.count("a", { v: 2 }), await s.count("b", { v: 2 })], [50, 50]);
    await s.close();
  });
});

Deno.test("two processes creating a new store at once both succeed (busy timeout set before WAL and schema)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-sqlite-race-" });
  const script = `${dir}/open.ts`;
  const mod = new URL("./mod.ts", import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import { ALL_SCHEMAS, embeddedConfig, openStores } from "${mod}";
const s = await openStores(embeddedConfig(Deno.args[0]));
for (const sc of ALL_SCHEMAS) await s.tables.ensureTable(sc);
await s.documents.upsert("news", [{ id: Deno.args[1], knownAt: 1, symbols: ["A"], headline: "h" }]);
await s.close();`,
  );
  try {
    for (let round = 0; round < 3; round++) {
      const store = `${dir}/store${round}`;
      const runs = await Promise.all(
        ["a", "b", "c"].map((id) =>
          new Deno.Command(Deno.execPath(), { args: ["run", "-A", script, store, id], stderr: "piped" })
            .output()
        ),
      );
      for (const r of runs) equal(r.code, 0, new TextDecoder().decode(r.stderr));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
