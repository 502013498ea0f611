/**
 * Shared helpers of `scripts/services.ts`: paths, settings from the environment, running commands, detached
 * servers with pid files, waiting.
 * @module
 */
import { fileURLToPath } from "node:url";

/** Repository root (the parent of `scripts/`). */
export const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
/** Data, logs, pid files and the `env` file of the local servers (gitignored). */
export const SERVICES_DIR = Deno.env.get("FMAI_SERVICES_DIR") ?? `${ROOT}/.services`;
/** Build cache: binaries and sources built once per machine. */
export const CACHE_DIR = Deno.env.get("FMAI_CACHE_DIR") ??
  `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache`}/fmai`;

/** Settings of the local servers; every one can be overridden by an environment variable of the same name. */
export interface ServiceSettings {
  mysqlPort: number;
  mysqlPassword: string;
  mongoPort: number;
  s3Port: number;
  s3AccessKey: string;
  s3SecretKey: string;
  s3Bucket: string;
  s3Region: string;
}

function port(name: string, dflt: number): number {
  const v = Deno.env.get(name);
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name}=${v} is not a port number`);
  return n;
}

/** Reads the settings (defaults are local-only development credentials). */
export function settings(): ServiceSettings {
  return {
    mysqlPort: port("FMAI_MYSQL_PORT", 3307),
    mysqlPassword: Deno.env.get("FMAI_MYSQL_PASSWORD") || "fmai",
    mongoPort: port("FMAI_MONGO_PORT", 27018),
    s3Port: port("FMAI_S3_PORT", 9000),
    s3AccessKey: Deno.env.get("FMAI_S3_ACCESS_KEY_ID") || "fmai",
    s3SecretKey: Deno.env.get("FMAI_S3_SECRET_ACCESS_KEY") || "fmai-local-secret",
    s3Bucket: Deno.env.get("FMAI_S3_BUCKET") || "fmai",
    s3Region: Deno.env.get("FMAI_S3_REGION") || "us-east-1",
  };
}

/** One local server. */
export interface Service {
  name: string;
  /** What runs it (binary and version), for the status table. */
  impl: string;
  port: number;
  /** Builds or installs the server when missing; returns quickly when cached. */
  ensureInstalled(): Promise<void>;
  /** Starts the server in the background (writes its pid file). */
  start(): Promise<void>;
  /** A real protocol round trip (and one-time setup like users and buckets); throws when not ready. */
  ping(): Promise<void>;
  /** The URL shown to users (no secrets). */
  url(): string;
  /** Variables for `.services/env`. */
  env(): Record<string, string>;
  /** Pid file of the running server. */
  pidFile: string;
  /** Executable name expected in `/proc/<pid>/cmdline` (guards against recycled pids). */
  exe: string;
  logFile: string;
}

/**
 * What every server run from a binary built into the cache shares: its folder `dir` (data under `dir/data`, pid
 * file `dir/server.pid`, log `dir/<log>`), `build` when installing, and `bin args` started detached (with
 * `env()` as its environment when given).
 */
export function cachedBinaryService(o: {
  name: string;
  impl: string;
  port: number;
  dir: string;
  bin: string;
  log: string;
  build: () => Promise<string>;
  args: string[];
  env?: () => Record<string, string>;
}): Pick<Service, "name" | "impl" | "port" | "pidFile" | "exe" | "logFile" | "ensureInstalled" | "start"> {
  const pidFile = `${o.dir}/server.pid`;
  const logFile = `${o.dir}/${o.log}`;
  return {
    name: o.name,
    impl: o.impl,
    port: o.port,
    pidFile,
    exe: o.bin.slice(o.bin.lastIndexOf("/") + 1),
    logFile,
    async ensureInstalled() {
      await o.build();
    },
    async start() {
      await Deno.mkdir(`${o.dir}/data`, { recursive: true });
      await spawnDetached(o.bin, o.args, { log: logFile, pidFile, env: o.env?.() });
    },
  };
}

/** Runs a command to completion; throws with its output's last lines when it fails. */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; stdin?: string; quiet?: boolean } = {},
): Promise<string> {
  let child;
  try {
    child = new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      env: opts.env,
      stdin: opts.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    throw new Error(`cannot run ${cmd}: ${err instanceof Error ? err.message : err}`);
  }
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) {
    const tail = text.trim().split("\n").slice(-6).join(" | ");
    throw new Error(`${cmd} ${args.slice(0, 3).join(" ")} ... exited with ${out.code}: ${tail}`);
  }
  return text;
}

/** True when `cmd` is on the PATH (or is an executable path). */
export async function which(cmd: string): Promise<string | null> {
  if (cmd.includes("/")) return await exists(cmd) ? cmd : null;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && await exists(`${dir}/${cmd}`)) return `${dir}/${cmd}`;
  }
  return null;
}

/** True when a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `cmd args` detached from this process (own session, stdio to `log`), so it outlives the script.
 * Writes the pid to `pidFile` and returns it.
 */
export async function spawnDetached(
  cmd: string,
  args: string[],
  opts: { log: string; pidFile: string; env?: Record<string, string>; cwd?: string },
): Promise<number> {
  // setsid (without fork) + exec keep the pid: it is the server's own.
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", 'log="$1"; shift; exec "$@" >>"$log" 2>&1 </dev/null', "sh", opts.log, cmd, ...args],
    env: opts.env,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  await Deno.writeTextFile(opts.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** The pid in a pid file when that process is alive and runs `exe`; else null. */
export async function livePid(pidFile: string, exe: string): Promise<number | null> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(pidFile)).trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1) return null;
  try {
    const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`);
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    if (/\) Z /.test(stat)) return null; // zombie
    return cmdline.split("\0").some((a) => a.endsWith(exe)) ? pid : null;
  } catch {
    return null;
  }
}

/** Sends SIGTERM, waits up to `ms`, then SIGKILL. Returns true when the process is gone. */
export async function stopPid(pid: number, pidFile: string, exe: string, ms = 30_000): Promise<boolean> {
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return true;
  }
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await livePid(pidFile, exe) === null) return true;
    await sleep(200);
  }
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    return true;
  }
  await sleep(500);
  return await livePid(pidFile, exe) === null;
}

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it resolves; rejects with the last error after `ms`. */
export async function waitFor(
  fn: () => Promise<void>,
  ms: number,
  alive?: () => Promise<boolean>,
): Promise<void> {
  const end = Date.now() + ms;
  let last: unknown = new Error("timed out");
  while (Date.now() < end) {
    try {
      await fn();
      return;
    } catch (err) {
      last = err;
    }
    if (alive && !(await alive())) throw new Error(`process exited (${oneLine(last)})`);
    await sleep(300);
  }
  throw new Error(`not ready after ${ms / 1000}s: ${oneLine(last)}`);
}

/** An error's message on one line. */
export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ").trim();
}

/** Last `n` lines of a log file ("" when missing). */
export async function logTail(path: string, n = 5): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trim().split("\n").slice(-n).join(" | ");
  } catch {
    return "";
  }
}

/** True when something already listens on 127.0.0.1:`port`. */
export async function portBusy(port: number): Promise<boolean> {
  try {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    c.close();
    return true;
  } catch {
    return false;
  }
}

/** Single-quotes a value for a POSIX shell. */
export function shq(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** Parses a `.services/env` file (`export KEY='value'` lines). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2];
    if (v.startsWith("'")) {
      // 'a'\''b' -> a'b
      v = v.slice(1, -1).split("'\\''").join("'");
    } else if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    out[m[1]] = v;
  }
  return out;
}
