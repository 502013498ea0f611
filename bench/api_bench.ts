/**
 * Load benchmark of the signal API (issue 11): `oha` (a Rust load generator, built once from crates.io with
 * `cargo install` and cached in `~/.cache/fmai/bin`) sends a fixed rate (`-q`, with latency correction, so a
 * slow response cannot hide the requests that would have queued behind it) for a fixed time over loopback to
 * `deno task serve` running as its own process, on the embedded stores and, when `FMAI_MYSQL_URL` is set, on
 * MySQL. The stores hold 505 symbols x 250 issued dates (126,250 signals with provenance) and two model
 * versions. Requests mix the latest signals of 1-3 symbols, a symbol's 3-month history and an as-of replay.
 *
 * Reported per backend: p50/p99/p99.9 latency, errors and non-200 answers, throughput, and the server's RSS
 * (start, after warm-up, end, max) to show whether memory is flat. Then a crash test: the server is killed
 * (SIGKILL) mid-load and restarted; clients must see only connection errors (no malformed or 5xx answers),
 * and the store must pass an integrity check and answer a replay with the same bytes as before the kill.
 *
 *   deno task bench:api                       # 1,000 requests/s for 60 s (embedded; MySQL too with FMAI_MYSQL_URL)
 *   deno task bench:api --rate 500 --seconds 10
 *   deno task bench:api --out bench/results/api-<date>-<label>.json
 * Writes `bench/results/api-<date>.json` (or `--out`).
 * @module
 */
import { fileURLToPath } from "node:url";
import { intFlag, outFileFlag, toolArgs, toolCheck } from "../scripts/_args.ts";
import { benchMysql } from "../scripts/_bench.ts";
import mysql from "mysql2/promise";
import {
  closeTime,
  ConfigError,
  type IsoDate,
  nextSession,
  prevSession,
  sha256Hex,
  type Signal,
} from "../lib/core/mod.ts";
import { type Lineage, promoteVersion, registerVersion } from "../lib/models/mod.ts";
import { ALL_SCHEMAS, openStores, signalToRow, type StoreConfig, type Stores } from "../lib/store/mod.ts";
import { createApiKey } from "../lib/serve/mod.ts";
import { storeConfigFor } from "../pipelines/stores.ts";

const OHA_VERSION = "1.16.0";
const CACHE = `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`}/fmai`;
const OHA = `${CACHE}/bin/oha-${OHA_VERSION}`;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The ports of the servers measured (the embedded store's, the MySQL store's). */
const EMBEDDED_PORT = 18911, MYSQL_PORT = 18912;
const SYMBOLS = Array.from({ length: 505 }, (_, i) => `S${String(i).padStart(3, "0")}`);
const LAST: IsoDate = "2018-02-07";

/** Builds oha once (`cargo install`, a few minutes) into the cache. */
async function ensureOha(): Promise<string> {
  try {
    await Deno.stat(OHA);
    return OHA;
  } catch { /* build */ }
  const root = await Deno.makeTempDir({ prefix: "fmai-oha-" });
  console.error(`building oha ${OHA_VERSION} with cargo install (once; cached in ${OHA})`);
  const p = await new Deno.Command("cargo", {
    args: ["install", "oha", "--version", OHA_VERSION, "--locked", "--root", root],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!p.success) throw new Error("cargo install oha failed");
  await Deno.mkdir(`${CACHE}/bin`, { recursive: true });
  await Deno.rename(`${root}/bin/oha`, OHA);
  return OHA;
}

function dates(n: number): IsoDate[] {
  const out: IsoDate[] = [LAST];
  while (out.length < n) out.unshift(prevSession(out[0]));
  return out;
}

function lineage(seed: number, asOf: IsoDate): Lineage {
  return {
    spec: { bench: true },
    specHash: "0".repeat(64),
    configHash: "0".repeat(64),
    featureSet: { id: "fmai-alpha@1", hash: "0".repeat(16) },
    windows: { train: ["2013-02-08", "2016-06-30"], calibration: ["2016-07-01", "2016-12-30"], test: null },
    data: { hash: "0".repeat(64), snapshot: [] },
    metrics: { validation: { rankIcPooled: 0.02 }, test: {} },
    git: { sha: "bench", dirty: false },
    tfBackend: "wasm",
    seed,
    asOf,
    createdAt: Date.UTC(2017, 0, 1) + seed,
  };
}

/** Fills the stores with 505 symbols x 250 issued dates (and a second version re-issuing the last 20). */
async function fill(stores: Stores): Promise<{ versions: string[]; days: IsoDate[] }> {
  for (const s of ALL_SCHEMAS) await stores.tables.ensureTable(s);
  const v1 =
    (await registerVersion(stores.objects, "system", { "system.json": "{}" }, lineage(1, "2016-12-30")))
      .version;
  const v2 =
    (await registerVersion(stores.objects, "system", { "system.json": "{ }" }, lineage(2, "2017-12-29")))
      .version;
  await promoteVersion(stores.objects, "system", v1, { now: 1 });
  await promoteVersion(stores.objects, "system", v2, { now: 2 });
  const days = dates(250);
  let rnd = 12345;
  const r = () => ((rnd = (rnd * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const [version, ds] of [[v1, days], [v2, days.slice(-20)]] as const) {
    for (const d of ds) {
      const issuedAt = closeTime(d) + (version === v1 ? 1_800_000 : 3_600_000);
      const rows = SYMBOLS.map((symbol) => {
        const score = 2 * r() - 1;
        const sig: Signal = {
          symbol,
          date: d,
          action: score > 0.25 ? "buy" : score < -0.25 ? "sell" : "hold",
          size: Math.abs(score) > 0.25 ? score * 0.6 : 0,
          confidence: Math.min(1, Math.abs(score) / 0.5),
          contributions: [
            { expert: "trend", weight: 0.7, score, calibrated: [0.3, 0.3, 0.4] },
            { expert: "level", weight: 0.3, score: score / 2, calibrated: [score / 2] },
          ],
          source: "moe",
          knownAt: closeTime(d),
          provenance: {
            modelVersion: version,
            asOf: closeTime(d),
            featureHash: "ab".repeat(32),
            issuedAt,
            sizing: {
              rawScore: score / 3,
              score,
              forecastVol: 0.25,
              rule: { method: "topk-dropout", topK: 50, maxWeight: 0.25 },
            },
          },
        };
        return signalToRow(sig);
      });
      await stores.tables.upsert("signals", rows);
      await stores.tables.upsert("signal_runs", [{
        model_version: version,
        as_of: d,
        source: "moe",
        for_date: nextSession(d),
        symbols: SYMBOLS.length,
        status: "ok",
        payload: "{}",
        issued_at: issuedAt,
        known_at: closeTime(d),
      }]);
    }
  }
  return { versions: [v1, v2], days };
}

interface Server {
  child: Deno.ChildProcess;
  pid: number;
}

async function startServer(port: number, env: Record<string, string>, args: string[]): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}pipelines/serve.ts`, "--port", String(port), ...args],
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // its own listening line first (another process answering on the port is not the server measured: a port in
  // use ends this one with an error line), then its /healthz
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    while (!new RegExp(`^fmai API on http://[^\\s]+:${port} `, "m").test(text)) {
      const { value, done } = await reader.read();
      if (done) {
        throw new Error(
          `the API on port ${port} did not start: ${text.trim().split("\n").pop() ?? "no output"}`,
        );
      }
      text += value;
    }
  } finally {
    clearTimeout(timer);
  }
  // the rest of its log is read and dropped, so a full pipe never blocks it
  (async () => {
    while (!(await reader.read()).done) { /* drop */ }
  })().catch(() => {});
  const r = await fetch(`http://127.0.0.1:${port}/healthz`);
  await r.body?.cancel();
  if (!r.ok) throw new Error(`the API on port ${port} answered /healthz ${r.status}`);
  return { child, pid: child.pid };
}

async function stopServer(s: Server, signal: Deno.Signal = "SIGTERM"): Promise<void> {
  try {
    s.child.kill(signal);
  } catch { /* gone */ }
  await s.child.status;
  await s.child.stderr.cancel().catch(() => {});
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** The request mix as oha's `--rand-regex-url` (`[.]` and `[?]`: oha does not honour backslash escapes there). */
function urlRegex(port: number, days: IsoDate[]): string {
  const sym = "S[0-4][0-9][0-9]";
  // up to three symbols, each from its own range so none is asked twice (the API refuses that with a 400, which
  // the bench counted as a failed answer)
  const list = "S[0-1][0-9][0-9](,S[2-3][0-9][0-9](,S4[0-9][0-9])?)?";
  const d = days.slice(-30).filter((_, i) => i % 10 === 0).join("|");
  return `http://127[.]0[.]0[.]1:${port}/v1/signals([?]symbols=${list}|/${sym}[?]from=2017-11-01&to=${LAST}` +
    `|[?]date=(${d})&symbols=${sym}&asOf=2018-03-01T00:00:00Z)`;
}

// deno-lint-ignore no-explicit-any
type OhaJson = any;

async function oha(args: string[]): Promise<OhaJson> {
  const out = await new Deno.Command(OHA, {
    args: ["--no-tui", "--output-format", "json", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`oha failed: ${new TextDecoder().decode(out.stderr).slice(-500)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function summary(j: OhaJson) {
  const codes: Record<string, number> = j.statusCodeDistribution ?? {};
  const ok = codes["200"] ?? 0;
  const answered = Object.values(codes).reduce((a: number, b) => a + (b as number), 0);
  const errors: Record<string, number> = j.errorDistribution ?? {};
  const errorCount = Object.values(errors).reduce((a: number, b) => a + (b as number), 0);
  const lp = j.latencyPercentiles ?? {};
  return {
    requests: answered + errorCount,
    ok,
    non200: answered - ok,
    statusCodes: codes,
    errors: errorCount,
    errorKinds: errors,
    rps: j.summary?.requestsPerSec,
    p50Ms: lp.p50 * 1000,
    p90Ms: lp.p90 * 1000,
    p99Ms: lp.p99 * 1000,
    p999Ms: lp["p99.9"] * 1000,
    maxMs: j.summary?.slowest * 1000,
  };
}

/** The API server a test runs (port, environment, CLI arguments), the key it uses and the days it asks for. */
interface Target {
  port: number;
  env: Record<string, string>;
  args: string[];
  key: string;
  days: IsoDate[];
}

async function loadTest(
  label: string,
  { port, env, args, key, days }: Target,
  rate: number,
  seconds: number,
) {
  const server = await startServer(port, env, args);
  const rss: number[] = [rssKb(server.pid)];
  const timer = setInterval(() => rss.push(rssKb(server.pid)), 1000);
  const common = [
    "-w",
    "-q",
    String(rate),
    "--latency-correction",
    "-c",
    "64",
    "-H",
    `X-API-Key: ${key}`,
    "--rand-regex-url",
  ];
  try {
    // warm-up: 5 s (JIT, statement caches), not counted
    await oha(["-z", "5s", ...common, urlRegex(port, days)]);
    const warm = rssKb(server.pid);
    const cpu0 = cpuSeconds(server.pid);
    const j = await oha(["-z", `${seconds}s`, ...common, urlRegex(port, days)]);
    clearInterval(timer);
    const end = rssKb(server.pid);
    const cpu = cpuSeconds(server.pid) - cpu0;
    const s = summary(j);
    return {
      label,
      rate,
      seconds,
      ...s,
      serverCpuSeconds: cpu,
      serverCpuMsPerRequest: (cpu * 1000) / s.requests,
      rssStartMb: rss[0] / 1024,
      rssAfterWarmupMb: warm / 1024,
      rssEndMb: end / 1024,
      rssMaxMb: Math.max(...rss.filter(Number.isFinite)) / 1024,
    };
  } finally {
    clearInterval(timer);
    await stopServer(server);
  }
}

/** Kills the server mid-load and restarts it; the clients' view and the store's state afterwards. */
async function crashTest(
  { port, env, args, key, days }: Target,
  rate: number,
  replayPath: string,
  integrity: () => Promise<string>,
) {
  let server = await startServer(port, env, args);
  const get = async () => {
    const r = await fetch(`http://127.0.0.1:${port}${replayPath}`, { headers: { "X-API-Key": key } });
    return new Uint8Array(await r.arrayBuffer());
  };
  const before = await sha256Hex(await get());
  const load = oha([
    "-z",
    "12s",
    "-q",
    String(rate),
    "-c",
    "64",
    "-H",
    `X-API-Key: ${key}`,
    "--rand-regex-url",
    urlRegex(port, days),
  ]);
  await new Promise((res) => setTimeout(res, 4000));
  await stopServer(server, "SIGKILL");
  const down = Date.now();
  await new Promise((res) => setTimeout(res, 1000));
  server = await startServer(port, env, args);
  const restartMs = Date.now() - down;
  const s = summary(await load);
  const after = await sha256Hex(await get());
  await stopServer(server);
  return {
    rate,
    ...s,
    restartMs,
    replaySameBytes: before === after,
    integrity: await integrity(),
    clean: s.non200 === 0 &&
      Object.keys(s.errorKinds).every((k) =>
        // connection-level failures only ("operation was canceled": hyper dropped a request whose connection died)
        /connect|refused|reset|closed|broken pipe|aborted|incomplete|deadline|canceled/i.test(k)
      ),
  };
}

if (import.meta.main) {
  const { values: v } = toolArgs("bench:api", {
    rate: { type: "string" },
    seconds: { type: "string" },
    "skip-mysql": { type: "boolean" },
    out: { type: "string" },
  });
  // the values are checked before any work (building oha takes minutes)
  const rate = toolCheck(() => v.rate === undefined ? 1000 : intFlag("rate", v.rate));
  const seconds = toolCheck(() => v.seconds === undefined ? 60 : intFlag("seconds", v.seconds));
  if (v.out !== undefined) await toolCheck(() => outFileFlag("out", v.out!));
  // FMAI_MYSQL_URL parsed and its server reached before any work (an error after the embedded run lost it)
  const mysqlUrl = v["skip-mysql"] ? undefined : Deno.env.get("FMAI_MYSQL_URL");
  await benchMysql(mysqlUrl);
  // the servers' ports are free (another process answering there would be measured instead)
  for (const port of mysqlUrl ? [EMBEDDED_PORT, MYSQL_PORT] : [EMBEDDED_PORT]) {
    toolCheck(() => {
      try {
        Deno.listen({ hostname: "127.0.0.1", port }).close();
      } catch (e) {
        if (!(e instanceof Deno.errors.AddrInUse)) throw e;
        throw new ConfigError(
          `port ${port} is in use: bench:api runs its servers on ${EMBEDDED_PORT} and ${MYSQL_PORT}`,
        );
      }
    });
  }
  await ensureOha();
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  console.error(`machine load before: ${load} (${navigator.hardwareConcurrency} cores)`);
  const { key, record } = await createApiKey("bench", { ratePerSec: 100_000, burst: 100_000 });
  const env = {
    ...Deno.env.toObject(),
    FMAI_API_KEY_HASHES: `${record.id}:${record.sha256}:100000:100000`,
  };
  delete (env as Record<string, string | undefined>).FMAI_API_KEYS_FILE;
  const results = [];
  const crashes = [];
  // embedded
  const dir = await Deno.makeTempDir({ prefix: "fmai-api-bench-" });
  let tag = "";
  try {
    const cfgE = await storeConfigFor(dir, []);
    let stores = await openStores(cfgE);
    let t0 = performance.now();
    const { days } = await fill(stores);
    await stores.close();
    console.error(`embedded: filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const replay = `/v1/signals?date=${days[days.length - 5]}&asOf=2018-03-01T00:00:00Z`;
    const embedded: Target = { port: EMBEDDED_PORT, env, args: ["--store-dir", dir], key, days };
    results.push(await loadTest("embedded (SQLite)", embedded, rate, seconds));
    crashes.push({
      backend: "embedded",
      ...await crashTest(
        embedded,
        Math.min(rate, 500),
        replay,
        async () => {
          const { DatabaseSync } = await import("node:sqlite");
          const db = new DatabaseSync(`${dir}/fmai.sqlite`);
          const r = db.prepare("PRAGMA integrity_check").get() as { integrity_check: string };
          db.close();
          return r.integrity_check;
        },
      ),
    });
    // MySQL tables (documents and objects stay embedded: the API reads signals from tables)
    const url = mysqlUrl;
    if (url) {
      tag = `fmai_bench_${Date.now().toString(36)}`;
      const admin = await mysql.createConnection(url);
      await admin.query(`CREATE DATABASE \`${tag}\``);
      await admin.end();
      const u = new URL(url);
      u.pathname = `/${tag}`;
      const envM = { ...env, FMAI_MYSQL_URL: u.href };
      const cfgM: StoreConfig = await storeConfigFor(`${dir}/m`, ["mysql"], envM);
      stores = await openStores(cfgM);
      t0 = performance.now();
      await fill(stores);
      await stores.close();
      console.error(`mysql: filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const args = ["--store-dir", `${dir}/m`, "--stores", "mysql"];
      const mysqlTarget: Target = { port: MYSQL_PORT, env: envM, args, key, days };
      results.push(await loadTest("MySQL (MariaDB)", mysqlTarget, rate, seconds));
      crashes.push({
        backend: "mysql",
        ...await crashTest(mysqlTarget, Math.min(rate, 500), replay, async () => {
          const c = await mysql.createConnection(u.href);
          const [rows] = await c.query("CHECK TABLE signals, signal_runs");
          await c.end();
          return (rows as { Msg_text: string }[]).map((r) => r.Msg_text).join(",");
        }),
      });
    }
  } finally {
    if (tag) {
      const admin = await mysql.createConnection(Deno.env.get("FMAI_MYSQL_URL")!);
      await admin.query(`DROP DATABASE \`${tag}\``);
      await admin.end();
    }
    await Deno.remove(dir, { recursive: true });
  }
  const loadAfter = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  const f = (x: number, d = 2) => Number.isFinite(x) ? x.toFixed(d) : "-";
  console.log(
    `\nAPI load: ${rate} requests/s for ${seconds} s over loopback (oha ${OHA_VERSION}, latency-corrected)`,
  );
  console.log(
    "backend              requests   ok   non-200  errors   p50 ms   p99 ms  p99.9 ms  rps  CPU ms/req  RSS start/warm/end/max MB",
  );
  for (const r of results) {
    console.log(
      `${r.label.padEnd(20)} ${String(r.requests).padStart(8)} ${String(r.ok).padStart(6)} ${
        String(r.non200).padStart(7)
      } ${String(r.errors).padStart(7)} ${f(r.p50Ms).padStart(8)} ${f(r.p99Ms).padStart(8)} ${
        f(r.p999Ms).padStart(9)
      } ${f(r.rps, 0).padStart(4)} ${f(r.serverCpuMsPerRequest, 3).padStart(11)}  ${f(r.rssStartMb, 0)}/${
        f(r.rssAfterWarmupMb, 0)
      }/${f(r.rssEndMb, 0)}/${f(r.rssMaxMb, 0)}`,
    );
  }
  console.log("\nkill -9 mid-load, restart:");
  for (const c of crashes) {
    console.log(
      `${
        c.backend.padEnd(9)
      } ${c.requests} requests, ${c.ok} ok, ${c.non200} non-200, ${c.errors} client errors (${
        Object.entries(c.errorKinds).map(([k, n]) => `${n} ${k}`).join("; ").slice(0, 160)
      }), restart ${c.restartMs} ms, replay same bytes ${c.replaySameBytes}, integrity ${c.integrity}, clean ${c.clean}`,
    );
  }
  console.log(`machine load (1/5/15 min): before ${load}, after ${loadAfter}`);
  const out = {
    date: new Date().toISOString(),
    rate,
    seconds,
    loadBefore: load,
    loadAfter,
    oha: OHA_VERSION,
    results,
    crashes,
  };
  await Deno.mkdir(`${ROOT}bench/results`, { recursive: true });
  const file = v.out ?? `${ROOT}bench/results/api-${out.date.slice(0, 10)}.json`;
  await Deno.writeTextFile(file, JSON.stringify(out, null, 2) + "\n");
  console.log(`results: ${file}`);
}
