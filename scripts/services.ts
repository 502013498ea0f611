/**
 * Local servers for the store backends, on loopback with data under `.services/`:
 *
 * | service | server | port (env override) |
 * |---|---|---|
 * | mysql | MariaDB (Debian `mariadb-server`), database and user `fmai` | 3307 (`FMAI_MYSQL_PORT`) |
 * | mongodb | FerretDB v1 on SQLite (MongoDB wire protocol) | 27018 (`FMAI_MONGO_PORT`) |
 * | s3 | MinIO, bucket `fmai` | 9000 (`FMAI_S3_PORT`) |
 *
 * ```
 * deno task services:up       # install/build when missing (cached in ~/.cache/fmai), start, wait, write .services/env
 * deno task services:status
 * deno task services:down
 * ```
 *
 * `up` waits until each server answers a real protocol round trip and writes `.services/env` (sourceable:
 * `export FMAI_MYSQL_URL=...`) for `deno task test:integration`. A service that cannot start makes `up` exit
 * 1 with a one-line reason per failed service. Passwords and keys come from `FMAI_MYSQL_PASSWORD`,
 * `FMAI_S3_ACCESS_KEY_ID`, `FMAI_S3_SECRET_ACCESS_KEY` (local defaults otherwise). The env file always lists
 * every running service: `up` of some services adds theirs to the entries of those already running, `down` of
 * some removes only theirs, and the file goes when no service runs.
 * @module
 */
import {
  livePid,
  logTail,
  oneLine,
  parseEnvFile,
  portBusy,
  type Service,
  SERVICES_DIR,
  settings,
  shq,
  stopPid,
  waitFor,
} from "./_services_common.ts";
import { mariadbService } from "./_services_mariadb.ts";
import { ferretdbService } from "./_services_ferretdb.ts";
import { minioService } from "./_services_minio.ts";

/** Path of the env file written by `up`. */
export const ENV_FILE = `${SERVICES_DIR}/env`;

/** The services by name, as `up`/`down`/`status` take them. */
const SERVICE_NAMES = ["mysql", "mongodb", "s3"];

/** The services named (all when none; the names are checked at the CLI's edge). */
function services(only: string[]): Service[] {
  const s = settings();
  const all = [mariadbService(s), ferretdbService(s), minioService(s)];
  return only.length === 0 ? all : all.filter((x) => only.includes(x.name));
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd()).join("\n");
}

/** What became of a service, for {@linkcode mergeEnv}. */
export type EnvState = "started" | "running" | "stopped";

/**
 * The `.services/env` entries after an `up` or `down`: the file lists every service that is up. A service
 * started now writes its settings (`env`); one that was already running keeps what the file said (an
 * `up mysql` must not rewrite MongoDB's port from this shell's defaults), and only keys the file lacks come
 * from `env`; a stopped one loses its keys. Keys of no service are kept.
 */
export function mergeEnv(
  existing: Record<string, string>,
  services: { env: Record<string, string>; state: EnvState }[],
): Record<string, string> {
  const out = { ...existing };
  for (const { env, state } of services) {
    for (const [k, v] of Object.entries(env)) {
      if (state === "stopped") delete out[k];
      else if (state === "started" || !(k in out)) out[k] = v;
    }
  }
  return out;
}

/** The text of `.services/env` (sourceable). */
export function renderEnvFile(env: Record<string, string>): string {
  const lines = [
    "# Written by `deno task services:up`; source it or let `deno task test:integration` read it.",
  ];
  for (const [k, v] of Object.entries(env)) lines.push(`export ${k}=${shq(v)}`);
  return lines.join("\n") + "\n";
}

/**
 * Rewrites `.services/env` from the live services (`known`: states known by name, e.g. `started` for those
 * started now, whose settings win; the others by their pid file); removes it when no service runs.
 */
async function writeEnv(known: Record<string, EnvState>): Promise<void> {
  let existing: Record<string, string> = {};
  try {
    existing = parseEnvFile(await Deno.readTextFile(ENV_FILE));
  } catch { /* first start, or removed */ }
  const states: { env: Record<string, string>; state: EnvState }[] = [];
  for (const svc of services([])) {
    const state: EnvState = known[svc.name] ??
      (await livePid(svc.pidFile, svc.exe) !== null ? "running" : "stopped");
    states.push({ env: svc.env(), state });
  }
  if (states.every((s) => s.state === "stopped")) {
    try {
      await Deno.remove(ENV_FILE);
    } catch { /* gone */ }
    return;
  }
  // the file holds passwords: readable by its owner only, also when it existed before
  await Deno.writeTextFile(ENV_FILE, renderEnvFile(mergeEnv(existing, states)), { mode: 0o600 });
  await Deno.chmod(ENV_FILE, 0o600);
}

async function up(list: Service[]): Promise<number> {
  await Deno.mkdir(SERVICES_DIR, { recursive: true });
  // others may pass through (the database runs as its own user inside) but not list or read
  await Deno.chmod(SERVICES_DIR, 0o711);
  const failures: string[] = [];
  const t0 = Date.now();
  // Installs and builds run one after another (2 cores), starts and waits in parallel.
  const ready: Service[] = [];
  for (const svc of list) {
    try {
      await svc.ensureInstalled();
      ready.push(svc);
    } catch (err) {
      failures.push(`${svc.name}: install/build failed: ${oneLine(err)}`);
    }
  }
  await Promise.all(ready.map(async (svc) => {
    try {
      const pid = await livePid(svc.pidFile, svc.exe);
      if (pid === null) {
        if (await portBusy(svc.port)) {
          throw new Error(`port 127.0.0.1:${svc.port} is taken by another process (set FMAI_*_PORT)`);
        }
        await svc.start();
      }
      await waitFor(() => svc.ping(), 90_000, async () => await livePid(svc.pidFile, svc.exe) !== null);
    } catch (err) {
      const tail = await logTail(svc.logFile, 3);
      failures.push(`${svc.name}: ${oneLine(err)}${tail ? ` (log: ${tail})` : ""}`);
    }
  }));
  const ok = list.filter((s) => !failures.some((f) => f.startsWith(`${s.name}:`)));
  // The env file lists every service that is up (see mergeEnv).
  await writeEnv(Object.fromEntries(ok.map((s) => [s.name, "started" as const])));
  const rows = [["service", "server", "url", "state"]];
  for (const svc of list) {
    rows.push([svc.name, svc.impl, svc.url(), ok.includes(svc) ? "up" : "FAILED"]);
  }
  console.log(table(rows));
  console.log(`env: ${ENV_FILE} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  for (const f of failures) console.error(`services up: ${f}`);
  return failures.length ? 1 : 0;
}

async function down(list: Service[]): Promise<number> {
  let bad = 0;
  // the services of `list` by their state now (stopped, or stuck running); the others writeEnv checks itself
  const known: Record<string, EnvState> = {};
  await Promise.all(list.map(async (svc) => {
    const pid = await livePid(svc.pidFile, svc.exe);
    known[svc.name] = "stopped";
    if (pid === null) {
      console.log(`${svc.name}: not running`);
    } else if (await stopPid(pid, svc.pidFile, svc.exe)) {
      console.log(`${svc.name}: stopped (pid ${pid})`);
    } else {
      console.error(`${svc.name}: pid ${pid} did not stop`);
      known[svc.name] = "running";
      bad++;
    }
    try {
      await Deno.remove(svc.pidFile);
    } catch { /* gone */ }
  }));
  // only the stopped services leave the env file; it goes when nothing runs any more
  await writeEnv(known);
  return bad ? 1 : 0;
}

async function status(list: Service[]): Promise<number> {
  const rows = [["service", "server", "url", "pid", "ping"]];
  let down = 0;
  for (const svc of list) {
    const pid = await livePid(svc.pidFile, svc.exe);
    let ping = "-";
    if (pid !== null) {
      try {
        await svc.ping();
        ping = "ok";
      } catch (err) {
        ping = `error: ${oneLine(err).slice(0, 60)}`;
      }
    }
    if (ping !== "ok") down++;
    rows.push([svc.name, svc.impl, svc.url(), pid === null ? "down" : String(pid), ping]);
  }
  console.log(table(rows));
  return down ? 3 : 0;
}

/** `deno task services:up|down|status --help`, and the error of a call it does not know. */
export const SERVICES_USAGE = `usage: deno task services:up|services:down|services:status [${
  SERVICE_NAMES.join("|")
} ...] (the servers on loopback)`;

if (import.meta.main) {
  const [cmd, ...rest] = Deno.args;
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(SERVICES_USAGE);
    Deno.exit(0);
  }
  // a flag or a service it does not know is a user's mistake: one line, exit 2, before any server is touched
  const bad = rest.find((n) => !SERVICE_NAMES.includes(n));
  if (bad !== undefined) {
    console.error(
      `error: services ${cmd}: unknown ${
        bad.startsWith("-") ? "flag" : "service"
      } ${bad} (${SERVICES_USAGE})`,
    );
    Deno.exit(2);
  }
  let code = 2;
  try {
    const list = services(rest);
    if (cmd === "up") code = await up(list);
    else if (cmd === "down") code = await down(list);
    else if (cmd === "status") code = await status(list);
    else console.error(`error: ${SERVICES_USAGE}`);
  } catch (err) {
    console.error(`services ${cmd}: ${oneLine(err)}`);
    code = 1;
  }
  Deno.exit(code);
}
