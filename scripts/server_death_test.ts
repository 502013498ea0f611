/**
 * Server death (run by `deno task test:integration`): the MySQL server is killed in the middle of a
 * `deno task collect` into it. The collect must fail in under 15 s with one line naming the server (its
 * circuit breaker stops it instead of retrying every remaining symbol); after a restart a re-run completes, and
 * the stored bars equal a clean run's (count and SHA-256 of every row).
 */
import { fileURLToPath } from "node:url";
import { programStderr } from "./_test_process.ts";
import { deepEqual, equal, ok } from "node:assert/strict";
import mysql from "mysql2/promise";
import { mySqlConfigFromUrl } from "@lib/store/mod.ts";
import { livePid, ROOT, SERVICES_DIR, sleep } from "./_services_common.ts";

const URL_ = Deno.env.get("FMAI_MYSQL_URL");
const SP500 = fileURLToPath(new URL("../../shared/data/sp500-5yr-ohlcv", import.meta.url));
const PID_FILE = `${SERVICES_DIR}/mysql/server.pid`;

function urlFor(db: string): string {
  return URL_!.replace(/\/[^/?]+$/, `/${db}`);
}

async function admin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ ...mySqlConfigFromUrl(URL_!), multipleStatements: false });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function collect(db: string, symbols: string[], storeDir: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "pipelines/collect_cli.ts",
      "--source",
      "csv",
      "--data-dir",
      SP500,
      "--symbols",
      symbols.join(","),
      "--from",
      "2013-02-08",
      "--to",
      "2018-02-07",
      "--kinds",
      "prices",
      "--stores",
      "mysql",
      "--store-dir",
      storeDir,
      "--concurrency",
      "2",
      "--quiet",
    ],
    cwd: ROOT,
    env: { FMAI_MYSQL_URL: urlFor(db), FMAI_MYSQL_DATABASE: db }, // the inherited one names the shared database
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function output(p: Deno.ChildProcess): Promise<{ code: number; out: string; err: string }> {
  const r = await p.output();
  return { code: r.code, out: new TextDecoder().decode(r.stdout), err: programStderr(r.stderr) };
}

async function fingerprint(db: string): Promise<{ count: number; sha256: string }> {
  return await admin(async (c) => {
    const [rows] = await c.query(
      `SELECT symbol, date, open, high, low, close, adj_close, volume, known_at FROM \`${db}\`.bars ORDER BY symbol, date`,
    );
    const text = (rows as Record<string, unknown>[]).map((r) => Object.values(r).join(",")).join("\n");
    const h = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return {
      count: (rows as unknown[]).length,
      sha256: [...new Uint8Array(h)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    };
  });
}

async function barCount(db: string): Promise<number> {
  try {
    return await admin(async (c) => {
      const [rows] = await c.query(`SELECT COUNT(*) AS n FROM \`${db}\`.bars`);
      return Number((rows as { n: number }[])[0].n);
    });
  } catch {
    return 0;
  }
}

async function restartMysql(): Promise<void> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/services.ts", "up", "mysql"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(r.code, 0, new TextDecoder().decode(r.stderr));
}

Deno.test({
  name:
    "server death: MySQL killed mid-collect -> one line in < 15 s; after a restart a re-run equals a clean run",
  ignore: !URL_,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const id = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
    const clean = `fmai_death_clean_${id}`, killed = `fmai_death_killed_${id}`;
    const dir = await Deno.makeTempDir({ prefix: "fmai-death-" });
    const symbols = (await Deno.readTextFile(`${ROOT}/scripts/testdata/death_symbols.txt`)).trim().split(",");
    await admin(async (c) => {
      for (const db of [clean, killed]) await c.query(`CREATE DATABASE \`${db}\``);
    });
    try {
      const c0 = await output(collect(clean, symbols, `${dir}/a`));
      equal(c0.code, 0, c0.err);
      const want = await fingerprint(clean);
      ok(want.count > 50_000, `clean run: ${want.count} bars`);

      const p = collect(killed, symbols, `${dir}/b`);
      const t0 = Date.now();
      while ((await barCount(killed)) === 0 && Date.now() - t0 < 60_000) await sleep(50);
      const pid = await livePid(PID_FILE, "mariadbd");
      ok(pid !== null, "mariadbd is running");
      Deno.kill(pid!, "SIGKILL");
      const tKill = Date.now();
      const r = await output(p);
      const seconds = (Date.now() - tKill) / 1000;
      console.log(`collect ended ${seconds.toFixed(1)} s after the kill: ${r.err.trim()}`);
      equal(r.code, 1, r.err);
      const lines = r.err.trim().split("\n");
      equal(lines.length, 1, `one line: ${r.err}`);
      ok(
        /^error: .*mysql server 127\.0\.0\.1:\d+ is unreachable .*collect prices stopped: \d+ of \d+ done/
          .test(lines[0]),
        lines[0],
      );
      ok(seconds < 15, `failed after ${seconds} s`);

      await restartMysql();
      const partial = await fingerprint(killed);
      ok(partial.count < want.count, `partial ${partial.count}`);
      const again = await output(collect(killed, symbols, `${dir}/b`));
      equal(again.code, 0, again.err);
      deepEqual(await fingerprint(killed), want, "count and checksum equal the clean run");
    } finally {
      if ((await livePid(PID_FILE, "mariadbd")) === null) await restartMysql();
      await admin(async (c) => {
        for (const db of [clean, killed]) await c.query(`DROP DATABASE IF EXISTS \`${db}\``);
      });
      await Deno.remove(dir, { recursive: true });
    }
  },
});
