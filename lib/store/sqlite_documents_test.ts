import { deepEqual, equal } from "node:assert/strict";
import { documentContract } from "./contract_documents.ts";
import { openSqliteDocuments, SqliteDocuments } from "./sqlite_documents.ts";

documentContract("sqlite", () => openSqliteDocuments(":memory:"), { sanitize: true });

Deno.test("sqlite documents: FTS5 is used and documents survive a reopen of a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await openSqliteDocuments(`${dir}/d.sqlite`);
    equal((a as SqliteDocuments).fullText, true);
    await a.upsert("news", [{ id: "x", knownAt: 5, symbols: ["AAPL"], headline: "Apple rallies" }]);
    await a.close();
    const b = await openSqliteDocuments(`${dir}/d.sqlite`);
    deepEqual((await b.find("news", { symbol: "AAPL", text: "rallies" })).map((d) => d.id), ["x"]);
    await b.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
