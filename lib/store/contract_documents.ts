/**
 * The contract every `DocumentStore` backend passes. A backend's test calls
 * `documentContract("sqlite", () => openSqliteDocuments(":memory:"))`. Each case uses a collection with a unique
 * name and drops it afterwards (when the backend has `dropCollection`), so it can run against a shared server.
 *
 * Semantics pinned here: `find` orders by `knownAt` (ties by `id`), `from`/`to` are inclusive, `text` matches
 * documents whose text fields (headline, summary, title) contain every word (case-insensitive), and a document
 * comes back deep-equal to what was written.
 * @module
 */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { DataValidationError } from "../core/mod.ts";
import type { Doc, DocumentStore } from "./types.ts";

/** Options of the document contract. */
export interface DocumentContractOptions {
  /** Skip the full-text cases (a backend without text search). */
  skipText?: boolean;
  /** Skip every case (a server is not configured); they show up as ignored. */
  ignore?: boolean;
  /** Deno test sanitizers (default off). */
  sanitize?: boolean;
  /** Documents of the bulk case (default 2,000). */
  bulkDocs?: number;
}

let seq = 0;
function uniqueName(prefix: string): string {
  seq++;
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 0xffffff).toString(36)}_${seq}`;
}

const T0 = Date.UTC(2024, 0, 2, 14, 30);
const H = 3_600_000;

function news(): Doc[] {
  return [
    { id: "n1", knownAt: T0, symbols: ["AAPL"], headline: "Apple unveils new iPhone", source: "wire" },
    {
      id: "n2",
      knownAt: T0 + H,
      symbols: ["AAPL", "MSFT"],
      headline: "Apple and Microsoft earnings beat estimates",
      summary: "Both companies reported strong quarterly results",
      source: "wire",
      sentiment: 0.6,
    },
    { id: "n3", knownAt: T0 + 2 * H, symbols: ["MSFT"], headline: "Microsoft earnings miss", source: "blog" },
    {
      id: "n4",
      knownAt: T0 + 3 * H,
      symbols: [],
      headline: "Markets rally on rate cut hopes",
      source: "wire",
    },
    {
      id: "n5",
      knownAt: T0 + 4 * H,
      symbols: ["NESN"],
      headline: "Nestlé präsentiert Zahlen für 2023",
      summary: "Umsatz über Erwartungen; 日本 市場 🚀",
      source: "ch",
      nested: { a: [1, 2, { b: "c" }], flag: true, none: null },
    },
    {
      id: "r1",
      knownAt: T0 + 5 * H,
      symbols: ["AAPL"],
      title: "Apple annual report",
      kind: "annual",
      fields: { totalRevenue: 383_285_000_000, eps: 6.13, missing: null },
    },
  ];
}

/** Registers the `DocumentStore` contract cases as `Deno.test`s named `<name> documents: ...`. */
export function documentContract(
  name: string,
  open: () => Promise<DocumentStore>,
  opts: DocumentContractOptions = {},
): void {
  const sanitize = opts.sanitize ?? false;
  function test(
    title: string,
    fn: (store: DocumentStore, coll: string) => Promise<void>,
    ignore = false,
  ): void {
    Deno.test({
      name: `${name} documents: ${title}`,
      ignore: (opts.ignore ?? false) || ignore,
      sanitizeOps: sanitize,
      sanitizeResources: sanitize,
      fn: async () => {
        const store = await open();
        const coll = uniqueName("cd");
        try {
          await fn(store, coll);
        } finally {
          try {
            if (store.dropCollection) await store.dropCollection(coll);
          } finally {
            await store.close();
          }
        }
      },
    });
  }

  test("upsert is idempotent by id; get returns the document as written", async (s, c) => {
    const docs = news();
    deepEqual(await s.upsert(c, docs), { inserted: docs.length, updated: 0 });
    deepEqual(await s.upsert(c, docs), { inserted: 0, updated: docs.length });
    equal(await s.count(c), docs.length);
    for (const d of docs) deepEqual(await s.get(c, d.id), d);
    equal(await s.get(c, "nope"), null);
    deepEqual(await s.upsert(c, []), { inserted: 0, updated: 0 });
  });

  test("upsert replaces a document with the same id", async (s, c) => {
    await s.upsert(c, news());
    const changed = {
      id: "n3",
      knownAt: T0 + 2 * H,
      symbols: ["MSFT", "GOOG"],
      headline: "Microsoft earnings revised",
    };
    deepEqual(
      await s.upsert(c, [changed, { id: "n9", knownAt: T0 + 9 * H, symbols: ["GOOG"], headline: "x" }]),
      {
        inserted: 1,
        updated: 1,
      },
    );
    deepEqual(await s.get(c, "n3"), changed);
    deepEqual((await s.find(c, { symbol: "GOOG" })).map((d) => d.id), ["n3", "n9"]);
    deepEqual((await s.find(c, { symbol: "MSFT" })).map((d) => d.id), ["n2", "n3"]);
    equal(await s.count(c), 7);
  });

  test("find by symbol and time range, ordered, limited", async (s, c) => {
    await s.upsert(c, news());
    deepEqual((await s.find(c)).map((d) => d.id), ["n1", "n2", "n3", "n4", "n5", "r1"]);
    deepEqual((await s.find(c, { symbol: "AAPL" })).map((d) => d.id), ["n1", "n2", "r1"]);
    deepEqual((await s.find(c, { symbol: "AAPL", order: "desc" })).map((d) => d.id), ["r1", "n2", "n1"]);
    deepEqual((await s.find(c, { symbol: "AAPL", limit: 2 })).map((d) => d.id), ["n1", "n2"]);
    deepEqual((await s.find(c, { from: T0 + H, to: T0 + 3 * H })).map((d) => d.id), ["n2", "n3", "n4"]);
    deepEqual((await s.find(c, { symbol: "MSFT", to: T0 + H })).map((d) => d.id), ["n2"]);
    deepEqual((await s.find(c, { from: T0 + 4 * H, order: "desc", limit: 1 })).map((d) => d.id), ["r1"]);
    deepEqual(await s.find(c, { symbol: "ZZZZ" }), []);
    equal(await s.count(c, { symbol: "AAPL" }), 3);
    equal(await s.count(c, { from: T0 + 2 * H }), 4);
    equal(await s.count(c, { symbol: "MSFT", from: T0 + 2 * H, to: T0 + 2 * H }), 1);
    const full = await s.find(c, { symbol: "NESN" });
    deepEqual(full, [news()[4]]);
  });

  test("find by text needs every word, case-insensitive, combined with symbol and time", async (s, c) => {
    await s.upsert(c, news());
    deepEqual((await s.find(c, { text: "earnings" })).map((d) => d.id), ["n2", "n3"]);
    deepEqual((await s.find(c, { text: "APPLE earnings" })).map((d) => d.id), ["n2"]);
    deepEqual((await s.find(c, { text: "apple" })).map((d) => d.id), ["n1", "n2", "r1"]);
    deepEqual((await s.find(c, { text: "quarterly" })).map((d) => d.id), ["n2"]);
    deepEqual((await s.find(c, { text: "annual report" })).map((d) => d.id), ["r1"]);
    deepEqual(
      (await s.find(c, { text: "apple", symbol: "AAPL", from: T0 + H, to: T0 + 2 * H })).map((d) => d.id),
      [
        "n2",
      ],
    );
    deepEqual((await s.find(c, { text: "Nestlé" })).map((d) => d.id), ["n5"]);
    deepEqual(await s.find(c, { text: "bankruptcy" }), []);
    equal(await s.count(c, { text: "earnings" }), 2);
  }, opts.skipText ?? false);

  test("a batch with one invalid document is rejected whole", async (s, c) => {
    await s.upsert(c, news().slice(0, 2));
    const cyclic: Record<string, unknown> = { id: "b", knownAt: T0 };
    cyclic.self = { up: cyclic };
    const bads: unknown[] = [
      { knownAt: T0, headline: "no id" },
      { id: "", knownAt: T0 },
      { id: "b", knownAt: NaN },
      { id: "b", knownAt: "yesterday" },
      { id: "b", knownAt: T0, symbols: "AAPL" },
      { id: "b", knownAt: T0, meta: { "Form 10-K.A": 1 } },
      { id: "b", knownAt: T0, "a.b": 1 },
      { id: "b", knownAt: T0, $set: { x: 1 } },
      { id: "b", knownAt: T0, list: [1, { nested: [{ $gt: 1 }] }] },
      { id: "b", knownAt: T0, meta: { "k\u0000": 1 } },
      { id: "b", knownAt: T0, _id: "x" },
      { id: "b", knownAt: T0, _fmai_words: ["a"] },
      cyclic,
    ];
    for (const bad of bads) {
      const batch = [{ id: "g1", knownAt: T0 }, { id: "g2", knownAt: T0 }, bad as Doc];
      await rejects(s.upsert(c, batch), (e) => e instanceof DataValidationError && /\b2\b/.test(e.message));
      equal(await s.count(c), 2);
      equal(await s.get(c, "g1"), null);
    }
  });

  test("field names with /, -, spaces and an inner $ roundtrip", async (s, c) => {
    const d: Doc = {
      id: "f1",
      knownAt: T0,
      fields: { "10-K/A": 1, "Form 10-K": 2, a$b: 3 },
      meta: { list: [{ "x-y": null }] },
    };
    deepEqual(await s.upsert(c, [d]), { inserted: 1, updated: 0 });
    deepEqual(await s.get(c, "f1"), d);
  });

  const bulk = opts.bulkDocs ?? 2000;
  test(`bulk upsert of ${bulk} documents and queries`, async (s, c) => {
    const syms = ["AAA", "BBB", "CCC", "DDD"];
    const docs: Doc[] = [];
    for (let i = 0; i < bulk; i++) {
      docs.push({
        id: `d${String(i).padStart(6, "0")}`,
        knownAt: T0 + i * 60_000,
        symbols: [syms[i % 4]],
        headline: `headline number ${i} ${i % 10 === 0 ? "merger" : "update"}`,
      });
    }
    deepEqual(await s.upsert(c, docs), { inserted: bulk, updated: 0 });
    equal(await s.count(c), bulk);
    equal(await s.count(c, { symbol: "BBB" }), docs.filter((d) => d.symbols![0] === "BBB").length);
    const win = await s.find(c, { symbol: "CCC", from: T0 + 100 * 60_000, to: T0 + 199 * 60_000 });
    deepEqual(
      win.map((d) => d.id),
      docs.slice(100, 200).filter((d) => d.symbols![0] === "CCC").map((d) => d.id),
    );
    const last = await s.find(c, { order: "desc", limit: 3 });
    deepEqual(last.map((d) => d.id), docs.slice(-3).reverse().map((d) => d.id));
    ok((await s.count(c, { symbol: "AAA", to: T0 })) === 1);
  });
}
