/**
 * The contract every `TableStore` backend passes. A backend's test file calls
 * `tableContract("sqlite", () => openSqliteTables(":memory:"))`; each case opens its own store, works on a table
 * with a unique name (so the suite can run against a shared server) and drops or empties it afterwards.
 * @module
 */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { DataValidationError, StoreError } from "../core/mod.ts";
import type { Row, TableSchema, TableStore } from "./types.ts";

/** Options of the table contract. */
export interface TableContractOptions {
  /** Rows of the large-batch case (default 20,000). */
  largeRows?: number;
  /** Skip every case (e.g. a server is not configured); the cases still show up as ignored. */
  ignore?: boolean;
  /** Deno test sanitizers (default off: pooled drivers keep sockets and timers). */
  sanitize?: boolean;
}

let seq = 0;
/** A table name unique to this run. */
function uniqueName(prefix: string): string {
  seq++;
  const r = Math.floor(Math.random() * 0xffffff).toString(36);
  return `${prefix}_${Date.now().toString(36)}_${r}_${seq}`;
}

function schemaFor(name: string): TableSchema {
  return {
    name,
    columns: { sym: "text", d: "date", px: "real", n: "int", note: "text" },
    key: ["sym", "d"],
    indexes: [["d"], ["sym", "n"]],
  };
}

const SYMS = ["A", "B", "C"];
const DATES = [
  "2020-01-02",
  "2020-01-03",
  "2020-01-06",
  "2020-01-07",
  "2020-01-08",
  "2020-02-28",
  "2020-02-29",
  "2020-03-02",
  "2020-03-09",
  "2020-11-02",
];

function sampleRows(): Row[] {
  const rows: Row[] = [];
  SYMS.forEach((sym, i) =>
    DATES.forEach((d, j) => {
      rows.push({
        sym,
        d,
        px: 100 + i * 10 + j + 0.25,
        n: i * 100 + j,
        note: j % 3 === 0 ? null : `${sym}-${j}`,
      });
    })
  );
  return rows;
}

function byKey(a: Row, b: Row): number {
  return String(a.sym).localeCompare(String(b.sym)) || String(a.d).localeCompare(String(b.d));
}

/** Registers the `TableStore` contract cases as `Deno.test`s named `<name> tables: ...`. */
export function tableContract(
  name: string,
  open: () => Promise<TableStore>,
  opts: TableContractOptions = {},
): void {
  const sanitize = opts.sanitize ?? false;
  function test(title: string, fn: (store: TableStore, table: string) => Promise<void>): void {
    Deno.test({
      name: `${name} tables: ${title}`,
      ignore: opts.ignore ?? false,
      sanitizeOps: sanitize,
      sanitizeResources: sanitize,
      fn: async () => {
        const store = await open();
        const table = uniqueName("ct");
        try {
          await fn(store, table);
        } finally {
          try {
            if (store.dropTable) await store.dropTable(table);
            else await store.delete(table, {}).catch(() => 0);
          } finally {
            await store.close();
          }
        }
      },
    });
  }

  test(
    "hasTable: false before ensureTable (and creates nothing), true after, false after dropTable",
    async (s, t) => {
      equal(await s.hasTable(t), false);
      equal(await s.hasTable(t), false, "asking created nothing");
      await s.ensureTable(schemaFor(t));
      equal(await s.hasTable(t), true);
      if (s.dropTable) {
        await s.dropTable(t);
        equal(await s.hasTable(t), false);
      }
      await rejects(s.hasTable("x; DROP TABLE y"), (e) => e instanceof RangeError || e instanceof TypeError);
    },
  );

  test("ensureTable is idempotent and keeps rows", async (s, t) => {
    await s.ensureTable(schemaFor(t));
    await s.ensureTable(schemaFor(t));
    equal(await s.count(t), 0);
    await s.upsert(t, sampleRows().slice(0, 4));
    await s.ensureTable(schemaFor(t));
    equal(await s.count(t), 4);
  });

  test("ensureTable rejects a bad identifier", async (s) => {
    await rejects(
      s.ensureTable({ name: "x; DROP TABLE y", columns: { a: "text" }, key: ["a"] }),
      (e) => e instanceof RangeError || e instanceof TypeError,
    );
    await rejects(
      s.ensureTable({ name: uniqueName("ct"), columns: { "a b": "text" }, key: ["a b"] }),
      (e) => e instanceof RangeError || e instanceof TypeError,
    );
  });

  test("upsert inserts, then the same upsert inserts 0 and updates all", async (s, t) => {
    await s.ensureTable(schemaFor(t));
    const rows = sampleRows();
    deepEqual(await s.upsert(t, rows), { inserted: rows.length, updated: 0 });
    deepEqual(await s.upsert(t, rows), { inserted: 0, updated: rows.length });
    equal(await s.count(t), rows.length);
    deepEqual(await s.upsert(t, []), { inserted: 0, updated: 0 });
  });

  test("upsert replaces values and splits inserted/updated", async (s, t) => {
    await s.ensureTable(schemaFor(t));
    const rows = sampleRows();
    await s.upsert(t, rows.slice(0, 10));
    const changed = rows.slice(5, 15).map((r) => ({ ...r, px: (r.px as number) * 2, note: "changed" }));
    deepEqual(await s.upsert(t, changed), { inserted: 5, updated: 5 });
    equal(await s.count(t), 15);
    const got = await s.query(t, { where: { note: "changed" }, orderBy: ["sym", "d"] });
    deepEqual(got, changed.slice().sort(byKey));
    const first = await s.query(t, { where: { sym: "A", d: DATES[0] } });
    deepEqual(first, [rows[0]]);
  });

  test("a key repeated in one batch: the last row wins and counts once as new", async (s, t) => {
    await s.ensureTable(schemaFor(t));
    const [a, b] = sampleRows();
    const batch = [a, b, { ...a, px: 1.5, note: "second" }, { ...a, px: 2.5, note: "third" }];
    deepEqual(await s.upsert(t, batch), { inserted: 2, updated: 2 });
    equal(await s.count(t), 2);
    deepEqual(await s.query(t, { where: { sym: a.sym as string, d: a.d as string } }), [batch[3]]);
    deepEqual(await s.upsert(t, [{ ...b, note: "lone" }]), { inserted: 0, updated: 1 });
    deepEqual(await s.upsert(t, [{ ...b, sym: "Z" }]), { inserted: 1, updated: 0 });
  });

  test("query by equality, IN, ranges, order and limit", async (s, t) => {
    await s.ensureTable(schemaFor(t));
    const rows = sampleRows();
    await s.upsert(t, rows);
    deepEqual(await s.query(t, { orderBy: ["sym", "d"] }), rows.slice().sort(byKey));
    deepEqual(await s.query(t, { where: { sym: "B" }, orderBy: ["d"] }), rows.filter((r) => r.sym === "B"));
    deepEqual(
      await s.query(t, { where: { sym: ["A", "C"] }, orderBy: ["sym", "d"] }),
      rows.filter((r) => r.sym !== "B"),
    );
    deepEqual(await s.query(t, { where: { sym: [] } }), []);
    deepEqual(
      await s.query(t, { where: { sym: "C", d: { gte: "2020-02-28", lte: "2020-03-02" } }, orderBy: ["d"] }),
      rows.filter((r) => r.sym === "C" && r.d! >= "2020-02-28" && r.d! <= "2020-03-02"),
    );
    deepEqual(
      await s.query(t, { where: { d: { gt: "2020-02-28", lt: "2020-03-09" } }, orderBy: ["sym", "d"] }),
      rows.filter((r) => r.d! > "2020-02-28" && r.d! < "2020-03-09").sort(byKey),
    );
    deepEqual(
      await s.query(t, { where: { px: { gte: 110, lt: 112 } }, orderBy: ["px"] }),
      rows.filter((r) => (r.px as number) >= 110 && (r.px as number) < 112).sort((a, b) =>
        (a.px as number) - (b.px as number)
      ),
    );
    const desc = await s.query(t, { where: { sym: "A" }, orderBy: ["-d"], limit: 3 });
    deepEqual(desc.map((r) => r.d), DATES.slice().reverse().slice(0, 3));
    const mixed = await s.query(t, { orderBy: ["-sym", "d"], limit: 12 });
    deepEqual(mixed.map((r) => `${r.sym}${r.d}`), [
      ...DATES.map((d) => `C${d}`),
      `B${DATES[0]}`,
      `B${DATES[1]}`,
    ]);
    equal((await s.query(t, { limit: 0 })).length, 0);
    const oneDay = await s.query(t, { where: { d: "2020-02-29" }, orderBy: ["sym"] });
    deepEqual(oneDay.map((r) => r.sym), SYMS);
    await rejects(
      s.query(t, { where: { nope: 1 } }),
      (e) => e instanceof RangeError || e instanceof TypeError,
    );
    await rejects(
      s.query(t, { orderBy: ["nope"] }),
      (e) => e instanceof RangeError || e instanceof TypeError,
    );
    await rejects(s.query(t, { limit: -1 }), (e) => e instanceof RangeError || e instanceof TypeError);
  });

  test("count and delete", async (s, t) => {
    await s.ensureTable(schemaFor(t));
    const rows = sampleRows();
    await s.upsert(t, rows);
    equal(await s.count(t), 30);
    equal(await s.count(t, { sym: "A" }), 10);
    equal(await s.count(t, { sym: ["A", "B"], d: { gte: "2020-03-01" } }), 6);
    equal(await s.delete(t, { sym: "A", d: { lte: "2020-01-06" } }), 3);
    equal(await s.count(t), 27);
    equal(await s.count(t, { sym: "A" }), 7);
    equal(await s.delete(t, { sym: "nobody" }), 0);
    equal(await s.delete(t, { sym: "B" }), 10);
    deepEqual(
      (await s.query(t, { orderBy: ["sym", "d"] })).map((r) => r.sym),
      [...Array(7).fill("A"), ...Array(10).fill("C")],
    );
  });

  test("replace upserts its rows and deletes the rest of its scope, in one go", async (s, t) => {
    await s.ensureTable(schemaFor(t));
    await s.upsert(t, sampleRows()); // A, B, C x 10 dates
    // B's run now covers only its first 4 dates (2 changed) and one new date; A and C are outside the scope
    const next: Row[] = sampleRows().filter((r) => r.sym === "B").slice(0, 4);
    next[1] = { ...next[1], px: -1, note: "changed" };
    next[2] = { ...next[2], px: -2, note: "changed" };
    next.push({ sym: "B", d: "2021-01-04", px: 1, n: 1, note: "new" });
    deepEqual(await s.replace(t, { sym: ["B", "D"] }, next), { inserted: 1, updated: 4, deleted: 6 });
    deepEqual(await s.query(t, { where: { sym: "B" }, orderBy: ["d"] }), next.slice().sort(byKey));
    equal(await s.count(t, { sym: ["A", "C"] }), 20);
    // the same replace again changes nothing
    deepEqual(await s.replace(t, { sym: ["B", "D"] }, next), { inserted: 0, updated: 5, deleted: 0 });
    // a narrower scope (a range) deletes only inside it; no rows deletes the whole scope
    deepEqual(
      await s.replace(t, { sym: "A", d: { gte: "2020-03-01" } }, []),
      { inserted: 0, updated: 0, deleted: 3 },
    );
    equal(await s.count(t, { sym: "A" }), 7);
    deepEqual(await s.replace(t, {}, next.slice(0, 2)), { inserted: 0, updated: 2, deleted: 20 });
    deepEqual((await s.query(t, { orderBy: ["sym", "d"] })).map((r) => r.d), [DATES[0], DATES[1]]);
  });

  test(
    "replace with an invalid row, a row outside its scope or a bad scope changes nothing",
    async (s, t) => {
      await s.ensureTable(schemaFor(t));
      await s.upsert(t, sampleRows());
      const bad: Row[] = [{ sym: "A", d: "2021-01-04", px: 1, n: 1, note: "x" }, {
        sym: "A",
        d: "2021-13-01",
      }];
      await rejects(
        s.replace(t, { sym: "A" }, bad),
        (e) => e instanceof DataValidationError && /\brow 1\b/.test(e.message),
      );
      await rejects(
        s.replace(t, { nope: "A" }, []),
        (e) => e instanceof RangeError || e instanceof TypeError,
      );
      // the rows a replace writes lie in its scope
      const outside: Row[] = [
        { sym: "A", d: "2021-01-04", px: 1, n: 1, note: "x" },
        { sym: "A", d: "2019-12-31", px: 1, n: 1, note: "x" },
      ];
      await rejects(
        s.replace(t, { sym: ["A", "B"], d: { gte: "2020-01-01" } }, outside),
        (e) => e instanceof DataValidationError && /\brow 1\b/.test(e.message) && /outside/.test(e.message),
      );
      await rejects(s.replace(t, { n: 1 }, [outside[0], { ...outside[1], n: null }]), DataValidationError);
      equal(await s.count(t), 30);
      await rejects(s.replace(uniqueName("missing"), {}, []), (e) => e instanceof StoreError);
    },
  );

  test(
    "replaceMany replaces several tables together; a bad part or a table named twice changes none",
    async (s, t) => {
      const t2 = `${t}_b`;
      await s.ensureTable(schemaFor(t));
      await s.ensureTable(schemaFor(t2));
      try {
        await s.upsert(t, sampleRows());
        await s.upsert(t2, sampleRows());
        const b4 = sampleRows().filter((r) => r.sym === "B").slice(0, 4);
        const before = async () => [await s.count(t), await s.count(t2), await s.count(t, { sym: "B" })];
        // an invalid row in the second part, a row outside its scope, or one table twice: nothing written
        await rejects(
          s.replaceMany([{ table: t, where: { sym: "B" }, rows: b4 }, {
            table: t2,
            where: { sym: "A" },
            rows: [{ sym: "A", d: "2021-13-01" }],
          }]),
          (e) => e instanceof DataValidationError && /\brow 0\b/.test(e.message),
        );
        await rejects(
          s.replaceMany([{ table: t, where: { sym: "B" }, rows: b4 }, {
            table: t2,
            where: { sym: "A" },
            rows: b4,
          }]),
          (e) => e instanceof DataValidationError && /outside/.test(e.message),
        );
        await rejects(
          s.replaceMany([{ table: t, where: { sym: "B" }, rows: b4 }, {
            table: t,
            where: { sym: "C" },
            rows: [],
          }]),
          (e) => e instanceof RangeError && /named twice/.test(e.message),
        );
        deepEqual(await before(), [30, 30, 10]);
        // t keeps B's first 4 dates; t2 loses A and B; C is outside both scopes
        const parts = [
          { table: t, where: { sym: "B" }, rows: b4 },
          { table: t2, where: { sym: ["A", "B"] }, rows: [] },
        ];
        deepEqual(await s.replaceMany(parts), [
          { inserted: 0, updated: 4, deleted: 6 },
          { inserted: 0, updated: 0, deleted: 20 },
        ]);
        deepEqual(await s.query(t, { where: { sym: "B" }, orderBy: ["d"] }), b4);
        deepEqual([await s.count(t), await s.count(t2), await s.count(t2, { sym: "C" })], [24, 10, 10]);
        // again: nothing changes; no parts: nothing to do
        deepEqual(await s.replaceMany(parts), [
          { inserted: 0, updated: 4, deleted: 0 },
          { inserted: 0, updated: 0, deleted: 0 },
        ]);
        deepEqual(await s.replaceMany([]), []);
      } finally {
        if (s.dropTable) await s.dropTable(t2);
        else await s.delete(t2, {}).catch(() => 0);
      }
    },
  );

  test("null values roundtrip; text is passed as data, not SQL", async (s, t) => {
    await s.ensureTable(schemaFor(t));
    const rows: Row[] = [
      { sym: "Q'uote", d: "2021-06-01", px: null, n: null, note: "O'Reilly\"; DROP TABLE x; -- ü 日本 🚀" },
      { sym: "Z", d: "2021-06-01", px: -0.5, n: -42, note: "" },
      { sym: "Y", d: "2021-06-02", note: "missing columns are null" },
    ];
    await s.upsert(t, rows);
    deepEqual(await s.query(t, { where: { sym: "Q'uote" } }), [rows[0]]);
    deepEqual(await s.query(t, { where: { sym: "Z" } }), [rows[1]]);
    deepEqual(await s.query(t, { where: { sym: "Y" } }), [{ ...rows[2], px: null, n: null }]);
    equal(await s.count(t, { note: "O'Reilly\"; DROP TABLE x; -- ü 日本 🚀" }), 1);
  });

  test("dates come back exactly as written", async (s, t) => {
    await s.ensureTable(schemaFor(t));
    const dates = [
      "1970-01-01",
      "1999-12-31",
      "2000-02-29",
      "2024-03-10",
      "2024-11-03",
      "2038-01-19",
      "2100-12-31",
    ];
    await s.upsert(t, dates.map((d, i) => ({ sym: "D", d, px: i, n: i, note: d })));
    const got = await s.query(t, { where: { sym: "D" }, orderBy: ["d"] });
    deepEqual(got.map((r) => r.d), dates);
    deepEqual(got.map((r) => r.note), dates);
    for (const d of dates) equal((await s.query(t, { where: { d } }))[0]?.d, d);
  });

  const invalid: [string, Row][] = [
    ["NaN in a real column", { sym: "A", d: "2020-05-01", px: NaN, n: 1, note: "x" }],
    ["Infinity in a real column", { sym: "A", d: "2020-05-01", px: Infinity, n: 1, note: "x" }],
    ["null key column", { sym: null, d: "2020-05-01", px: 1, n: 1, note: "x" }],
    ["missing key column", { d: "2020-05-01", px: 1, n: 1, note: "x" }],
    ["string in a real column", { sym: "A", d: "2020-05-01", px: "1.5", n: 1, note: "x" }],
    ["fraction in an int column", { sym: "A", d: "2020-05-01", px: 1, n: 1.5, note: "x" }],
    ["number in a text column", { sym: "A", d: "2020-05-01", px: 1, n: 1, note: 7 }],
    ["impossible date", { sym: "A", d: "2020-02-30", px: 1, n: 1, note: "x" }],
    ["date with time", { sym: "A", d: "2020-05-01T00:00:00Z", px: 1, n: 1, note: "x" }],
    ["unknown column", { sym: "A", d: "2020-05-01", px: 1, n: 1, note: "x", extra: 1 }],
    ["NUL in a text column", { sym: "A", d: "2020-05-01", px: 1, n: 1, note: "abc\u0000def" }],
    ["NUL in a text key column", { sym: "A\u0000x", d: "2020-05-01", px: 1, n: 1, note: "x" }],
  ];
  for (const [what, bad] of invalid) {
    test(`a batch with one invalid row (${what}) is rejected whole`, async (s, t) => {
      await s.ensureTable(schemaFor(t));
      await s.upsert(t, sampleRows().slice(0, 5));
      const batch: Row[] = [
        { sym: "NEW", d: "2020-05-01", px: 1, n: 1, note: "good" },
        { sym: "NEW", d: "2020-05-02", px: 2, n: 2, note: "good" },
        bad,
        { sym: "NEW", d: "2020-05-03", px: 3, n: 3, note: "good" },
      ];
      await rejects(
        s.upsert(t, batch),
        (e) => e instanceof DataValidationError && /\brow 2\b/.test(e.message),
      );
      equal(await s.count(t), 5);
      equal(await s.count(t, { sym: "NEW" }), 0);
    });
  }

  test(
    "a migration extends the key by a column with a default: old rows keep their key, new values add rows",
    async (s, t) => {
      const v1 = schemaFor(t);
      await s.ensureTable(v1);
      const rows = sampleRows();
      await s.upsert(t, rows);
      const v2: TableSchema = {
        ...v1,
        columns: { ...v1.columns, ver: "text", extra: "real" },
        key: [...v1.key, "ver"],
        indexes: [...v1.indexes!, ["ver", "d"]],
        defaults: { ver: "" },
      };
      await s.ensureTable(v2);
      await s.ensureTable(v2); // idempotent
      equal(await s.count(t), rows.length);
      const old = await s.query(t, { where: { sym: "A", d: DATES[0] } });
      deepEqual(old, [{ ...rows[0], ver: "", extra: null }]);
      // a new version of the same (sym, d) adds a row; re-writing the old one replaces only it
      deepEqual(await s.upsert(t, [{ ...rows[0], ver: "v2", px: 1 }]), { inserted: 1, updated: 0 });
      deepEqual(await s.upsert(t, [{ ...rows[0], ver: "" }]), { inserted: 0, updated: 1 });
      const both = await s.query(t, { where: { sym: "A", d: DATES[0] }, orderBy: ["ver"] });
      deepEqual(both.map((r) => [r.ver, r.px]), [["", rows[0].px], ["v2", 1]]);
      await rejects(
        s.ensureTable({ ...v2, key: ["sym", "ver"] }),
        (e) => e instanceof RangeError || e instanceof StoreError,
      );
      await rejects(
        s.ensureTable({ ...v2, columns: { ...v2.columns, z: "text" }, key: [...v2.key, "z"] }),
        (e) => e instanceof RangeError || e instanceof StoreError,
      );
    },
  );

  test("an unknown table is a StoreError", async (s, t) => {
    await rejects(s.upsert(t + "_missing", [{ a: 1 }]), StoreError);
    await rejects(s.query(t + "_missing"), StoreError);
  });

  const large = opts.largeRows ?? 20_000;
  test(`large batch of ${large} rows roundtrips`, async (s, t) => {
    await s.ensureTable(schemaFor(t));
    const rows: Row[] = [];
    for (let i = 0; i < large; i++) {
      const day = new Date(Date.UTC(2000, 0, 1) + (i % 4000) * 86_400_000).toISOString().slice(0, 10);
      rows.push({ sym: `S${Math.floor(i / 4000)}`, d: day, px: i / 7, n: i, note: i % 2 ? `r${i}` : null });
    }
    deepEqual(await s.upsert(t, rows), { inserted: large, updated: 0 });
    equal(await s.count(t), large);
    deepEqual(await s.upsert(t, rows), { inserted: 0, updated: large });
    equal(await s.count(t), large);
    const s1 = await s.query(t, { where: { sym: "S1" }, orderBy: ["d"] });
    deepEqual(s1, rows.filter((r) => r.sym === "S1"));
    const all = await s.query(t, { orderBy: ["n"] });
    equal(all.length, large);
    ok(all.every((r, i) => r.n === i && r.px === i / 7));
  });

  test(
    `a large batch out of key order with repeated keys (${large} rows): the last row of each key wins`,
    async (
      s,
      t,
    ) => {
      await s.ensureTable(schemaFor(t));
      const keys = large / 2;
      const rows: Row[] = [];
      // each key twice, the copies far apart and in no key order: keys descend, then come again shuffled
      const day = (k: number) =>
        new Date(Date.UTC(2001, 0, 1) + (k % 3000) * 86_400_000).toISOString().slice(0, 10);
      const row = (k: number, pass: number): Row => ({
        sym: `K${Math.floor(k / 3000)}`,
        d: day(k),
        px: k + pass / 10,
        n: pass * keys + k,
        note: `pass ${pass}`,
      });
      for (let k = keys - 1; k >= 0; k--) rows.push(row(k, 0));
      const again = Array.from({ length: keys }, (_, k) => k);
      let x = 7;
      for (let i = again.length - 1; i > 0; i--) {
        x = (x * 1103515245 + 12345) % 2147483648;
        const j = x % (i + 1);
        [again[i], again[j]] = [again[j], again[i]];
      }
      for (const k of again) rows.push(row(k, 1));
      deepEqual(await s.upsert(t, rows), { inserted: keys, updated: keys });
      equal(await s.count(t), keys);
      const all = await s.query(t, { orderBy: ["n"] });
      equal(all.length, keys);
      ok(all.every((r, k) => r.n === keys + k && r.px === k + 0.1 && r.note === "pass 1"));
      deepEqual(await s.upsert(t, rows), { inserted: 0, updated: rows.length });
    },
  );
}
