import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok } from "node:assert/strict";
import type { TableStore } from "./types.ts";
import { openSqliteTables } from "./sqlite_tables.ts";

const CSV = fileURLToPath(
  new URL("../../../shared/data/sp500-5yr-ohlcv/all_stocks_5yr.csv.gz", import.meta.url),
);
const SCRIPT = fileURLToPath(new URL("../../scripts/ingest_bars.ts", import.meta.url));
const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));
const LIMIT = 100_000;
const CHUNK = 20_000;
// The test edge reads the environment; `deno task test:integration` sets it.
const MYSQL_URL = Deno.env.get("FMAI_MYSQL_URL");

/** Where one run writes: SQLite file (`db`) or MySQL (`FMAI_MYSQL_URL`), and the table name. */
interface Target {
  db?: string;
  table: string;
}

function ingest(t: Target): Deno.ChildProcess {
  const env: Record<string, string> = {};
  if (!t.db && MYSQL_URL) env.FMAI_MYSQL_URL = MYSQL_URL;
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      CONFIG,
      SCRIPT,
      "--file",
      CSV,
      ...(t.db ? ["--db", t.db] : []),
      "--table",
      t.table,
      "--limit",
      String(LIMIT),
      "--chunk",
      String(CHUNK),
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(p: Deno.ChildProcess): Promise<string> {
  const out = await p.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  equal(out.code, 0, text);
  return text;
}

async function open(t: Target): Promise<TableStore> {
  if (t.db) return await openSqliteTables(t.db);
  const { mySqlConfigFromUrl, openMySqlTables } = await import("./mysql.ts");
  return await openMySqlTables(mySqlConfigFromUrl(MYSQL_URL!));
}

/** Row count and a SHA-256 over every row in key order. */
async function fingerprint(t: Target): Promise<{ count: number; sha256: string }> {
  const s = await open(t);
  try {
    const rows = await s.query(t.table, { orderBy: ["symbol", "date"] });
    const text = rows.map((r) =>
      [r.symbol, r.date, r.open, r.high, r.low, r.close, r.adj_close, r.volume, r.known_at].join(",")
    ).join("\n");
    const h = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return {
      count: rows.length,
      sha256: [...new Uint8Array(h)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    };
  } finally {
    await s.close();
  }
}

async function killAfterFirstChunk(t: Target): Promise<void> {
  const p = ingest(t);
  const reader = p.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("chunk 1/")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  await new Promise((r) => setTimeout(r, 30)); // the next chunk's transaction is under way
  p.kill("SIGKILL");
  const st = await p.status;
  equal(st.signal, "SIGKILL", `the ingest ended before the kill: ${seen}`);
  reader.releaseLock();
  await p.stdout.cancel().catch(() => {});
  await p.stderr.cancel().catch(() => {});
}

function durabilityTest(backend: string, targets: (dir: string) => { clean: Target; killed: Target }): void {
  Deno.test({
    name:
      `durability (${backend}): an ingest SIGKILLed half-way and run again equals a clean run (count + checksum)`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const dir = await Deno.makeTempDir();
      const { clean, killed } = targets(dir);
      try {
        ok((await finish(ingest(clean))).includes(`done ${LIMIT} inserted 0 updated`));
        const want = await fingerprint(clean);
        equal(want.count, LIMIT);

        await killAfterFirstChunk(killed);
        const partial = await fingerprint(killed);
        ok(partial.count > 0 && partial.count < LIMIT, `partial count ${partial.count}`);
        equal(partial.count % CHUNK, 0, "only whole chunks are committed");

        await finish(ingest(killed));
        deepEqual(await fingerprint(killed), want);
        ok(
          (await finish(ingest(killed))).includes(`done 0 inserted ${LIMIT} updated`),
          "a re-run adds nothing",
        );
        deepEqual(await fingerprint(killed), want);
      } finally {
        if (!clean.db) {
          const s = await open(clean);
          for (const t of [clean, killed]) await s.dropTable!(t.table);
          await s.close();
        }
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

durabilityTest("sqlite", (dir) => ({
  clean: { db: `${dir}/clean.sqlite`, table: "bars" },
  killed: { db: `${dir}/killed.sqlite`, table: "bars" },
}));

if (MYSQL_URL) {
  const id = `${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
  durabilityTest("mysql", () => ({
    clean: { table: `dur_clean_${id}` },
    killed: { table: `dur_killed_${id}` },
  }));
} else {
  Deno.test({
    name: "durability (mysql): skipped: set FMAI_MYSQL_URL or run `deno task test:integration`",
    ignore: true,
    fn: () => {},
  });
}
