/**
 * `deno task serve`: the signal API (`lib/serve`) over the stores, on `Deno.serve`; and `deno task serve keys
 * add|revoke|list` to manage API keys. It serves an existing store: a `--store-dir` without one is refused, not
 * created (`checkStoreExists`, as `models`, `export` and `store:copy` refuse it).
 *
 * Keys: only SHA-256 hashes are stored. They come from a secrets file outside the repository
 * (`FMAI_API_KEYS_FILE`, default `~/.config/fmai/api-keys.json`, written by `keys add`; re-read when it changes,
 * so a revocation takes effect within seconds), from `FMAI_API_KEY_HASHES` (`id:sha256[:rate[:burst]],...`, e.g.
 * from a parameter store), or from `FMAI_API_KEYS` (whole keys, hashed at start; for local use and tests).
 * CORS stays off unless `FMAI_API_CORS_ORIGINS` lists origins (checked before anything starts: `parseCorsOrigins`).
 * @module
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, FmaiError, oneLine, shown } from "@lib/core/mod.ts";
import {
  API_KEY_PATTERN,
  type ApiKeyRecord,
  checkKeyRecord,
  createApi,
  createApiKey,
  KeyRing,
  parseCorsOrigins,
  parseKeyHashes,
  SERVE_STORE_PARTS,
} from "@lib/serve/mod.ts";
import { sha256Hex } from "@lib/core/mod.ts";
import { openStores, type Stores } from "@lib/store/mod.ts";
import { textTable } from "@lib/report/mod.ts";
import { parseFlags, reportCliError, resolvedPath, runAsMain, STORE_FLAGS } from "./_cli_error.ts";
import { writeFileAtomic } from "./_atomic.ts";
import { ensureTables } from "./collect/mod.ts";
import { loadFlagsConfig } from "./config.ts";
import { checkStoreExists, chosenBackends, existingOnly, storeConfigFor } from "./stores.ts";

const USAGE = `usage: deno task serve [--port 8787] [--hostname 127.0.0.1] [--config FILE] [--store-dir DIR]
                        [--stores embedded | mysql,mongodb,s3]
       deno task serve keys add NAME [--rate N] [--burst N]    (prints the key once; stores its hash)
       deno task serve keys revoke ID
       deno task serve keys list
  address: --port or PORT (0..65535; 0: any free port), --hostname or FMAI_API_HOST
  keys: FMAI_API_KEYS_FILE (default ~/.config/fmai/api-keys.json), FMAI_API_KEY_HASHES, FMAI_API_KEYS
  rate limits are per key: --rate (requests/s) and --burst (at least 1) of \`keys add\`
  CORS: FMAI_API_CORS_ORIGINS=https://a.example,https://b.example (off when unset)`;

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/**
 * The key file path: `FMAI_API_KEYS_FILE` or `~/.config/fmai/api-keys.json`; never inside the repository. An
 * empty `FMAI_API_KEYS_FILE` is refused as empty (unset it for the default).
 */
export function keysFilePath(env: Record<string, string | undefined> = Deno.env.toObject()): string {
  if (env.FMAI_API_KEYS_FILE !== undefined && env.FMAI_API_KEYS_FILE.trim() === "") {
    throw new ConfigError("FMAI_API_KEYS_FILE is empty (unset it for ~/.config/fmai/api-keys.json)");
  }
  const home = env.HOME ?? env.USERPROFILE;
  const p = env.FMAI_API_KEYS_FILE ?? (home ? `${home}/.config/fmai/api-keys.json` : "");
  if (!p) throw new ConfigError("FMAI_API_KEYS_FILE is not set and there is no HOME");
  const abs = resolve(p);
  // also through a link: the real path of the deepest folder that exists, against the repository's real path
  const inRepo = (path: string, root: string) => `${path}/`.startsWith(`${root}/`);
  if (inRepo(abs, REPO_ROOT) || inRepo(resolvedPath(abs), resolvedPath(REPO_ROOT))) {
    throw new ConfigError(
      `api key file ${p} is inside the repository; keep secrets outside it (FMAI_API_KEYS_FILE)`,
    );
  }
  return abs;
}

/** Reads the key file (empty when missing). */
export async function readKeyFile(path: string): Promise<ApiKeyRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw new ConfigError(`cannot read api key file ${path}: ${oneLine(e)}`, { cause: e });
  }
  try {
    const doc = JSON.parse(text) as { keys?: ApiKeyRecord[] };
    return (doc.keys ?? []).map((r) => checkKeyRecord(r));
  } catch (e) {
    throw new ConfigError(`api key file ${path}: ${oneLine(e)}`, { cause: e });
  }
}

/**
 * Runs a file-system step on the key file, its folder or its lock; a failure (a read-only file system, a folder
 * that is a file, no permission: any OS error) is a one-line `ConfigError` saying what could not be done.
 */
async function onKeyFile<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw new ConfigError(`${what} (FMAI_API_KEYS_FILE): ${oneLine(e)}`, { cause: e });
  }
}

/** Creates the key file's folder (mode 0700) when missing. */
async function makeKeyFileFolder(path: string): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await onKeyFile(
    `cannot create the folder ${dir} of api key file ${path}`,
    () => Deno.mkdir(dir, { recursive: true, mode: 0o700 }),
  );
}

/** Writes the key file whole (a temporary file renamed over it, mode 0600). */
export async function writeKeyFile(path: string, keys: ApiKeyRecord[]): Promise<void> {
  await makeKeyFileFolder(path);
  await onKeyFile(
    `cannot write api key file ${path}`,
    () => writeFileAtomic(path, JSON.stringify({ keys }, null, 2) + "\n", { mode: 0o600 }),
  );
}

/**
 * Runs `fn` holding an exclusive lock on the key file (an OS file lock on `<file>.lock`, released when the process
 * ends, killed too): `keys add` and `keys revoke` read, change and rewrite the file, and two at once lost one's
 * change (a key handed out that was never stored, a revocation undone). A folder or lock that cannot be made is a
 * one-line `ConfigError`, and `fn` does not run.
 */
export async function withKeyFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  await makeKeyFileFolder(path);
  const lock = await onKeyFile(
    `cannot create the lock ${path}.lock of api key file ${path}`,
    () => Deno.open(`${path}.lock`, { create: true, write: true, mode: 0o600 }),
  );
  try {
    await onKeyFile(`cannot lock api key file ${path} (through ${path}.lock)`, () => lock.lock(true));
    return await fn();
  } finally {
    lock.close(); // closing releases the lock
  }
}

/** Every key record the environment names (file, hashes, whole keys). */
export async function keyRecords(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<ApiKeyRecord[]> {
  const out = await envKeyRecords(env);
  if (usesKeyFile(env)) out.push(...await readKeyFile(keysFilePath(env)));
  return out;
}

/** The key records the environment's variables hold (hashes, whole keys), not the key file's. */
async function envKeyRecords(env: Record<string, string | undefined>): Promise<ApiKeyRecord[]> {
  const out: ApiKeyRecord[] = [];
  if (env.FMAI_API_KEY_HASHES) out.push(...parseKeyHashes(env.FMAI_API_KEY_HASHES));
  const keys = (env.FMAI_API_KEYS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  for (const [i, key] of keys.entries()) {
    // the whole form, as the key ring checks it: a key that could never be accepted is refused now
    const m = API_KEY_PATTERN.exec(key);
    if (!m) {
      throw new ConfigError(
        `FMAI_API_KEYS: key ${i + 1} of ${keys.length} is not of the form fmai_<id>_<secret> (id: 8 hex ` +
          "digits, secret: 43 base64url characters; make one with `deno task serve keys add NAME`)",
      );
    }
    out.push(
      checkKeyRecord({
        id: m[1],
        name: "env",
        sha256: await sha256Hex(key),
        ratePerSec: 50,
        burst: 100,
        revoked: false,
        createdAt: "",
      }),
    );
  }
  return out;
}

/**
 * True when the key file is read: `FMAI_API_KEYS_FILE` is set (an empty one too, so `keysFilePath` refuses it),
 * or neither env variable of keys is.
 */
function usesKeyFile(env: Record<string, string | undefined>): boolean {
  return env.FMAI_API_KEY_HASHES === undefined && env.FMAI_API_KEYS === undefined ||
    env.FMAI_API_KEYS_FILE !== undefined;
}

/** What tells a changed key file (`keys add`/`revoke` replace it by a rename: a new inode); null when absent. */
async function fileStamp(path: string): Promise<string | null> {
  try {
    const st = await Deno.stat(path);
    return `${st.mtime?.getTime() ?? 0}:${st.ino ?? 0}:${st.size}`;
  } catch {
    return null;
  }
}

/** The keys a server starts with: the records, the key file it re-reads (or null) and that file's stamp. */
export interface LoadedKeys {
  records: ApiKeyRecord[];
  /** The records of `records` the environment's variables hold: kept as they are when the key file is re-read. */
  envRecords: ApiKeyRecord[];
  keyFile: string | null;
  /** The key file's stamp taken before it was read: any later change reloads it (null: reload at once). */
  keyFileStamp: string | null;
}

/**
 * Loads the keys the environment names (see `keyRecords`), refusing (`ConfigError`) a set no ring can hold (an
 * id listed twice) or one without a usable key.
 */
export async function loadKeys(env: Record<string, string | undefined>): Promise<LoadedKeys> {
  const keyFile = usesKeyFile(env) ? keysFilePath(env) : null;
  // stamped before the read, so a change made after it (a revocation) is picked up by the first request
  const keyFileStamp = keyFile ? await fileStamp(keyFile) : null;
  const records = await keyRecords(env);
  try {
    new KeyRing(records);
  } catch (e) {
    throw new ConfigError(`api keys: ${oneLine(e)}`, { cause: e });
  }
  if (!records.some((r) => !r.revoked)) {
    throw new ConfigError(
      "no API keys: run `deno task serve keys add NAME` (or set FMAI_API_KEYS / FMAI_API_KEY_HASHES)",
    );
  }
  return { records, envRecords: await envKeyRecords(env), keyFile, keyFileStamp };
}

async function keysCommand(args: string[], v: { rate?: string; burst?: string }): Promise<number> {
  const [sub, arg, ...rest] = args;
  if (rest.length) throw new ConfigError(`unexpected argument ${rest[0]}`);
  const path = keysFilePath();
  if (sub === "add") {
    if (!arg || !/^[\w.@-]{1,64}$/.test(arg)) {
      throw new ConfigError("keys add needs a NAME (letters, digits, ._@-)");
    }
    const num = (s: string | undefined, what: string, min: number) => {
      if (s === undefined) return undefined;
      const n = Number(s);
      if (s.trim() === "" || !Number.isFinite(n) || !(n > 0) || n < min) {
        throw new ConfigError(
          `--${what}: expected a ${min > 0 ? `number of at least ${min}` : "positive number"}, got ${
            shown(s)
          }`,
        );
      }
      return n;
    };
    const { key, record } = await createApiKey(arg, {
      ratePerSec: num(v.rate, "rate", 0),
      // a bucket of less than one token never lets a request through
      burst: num(v.burst, "burst", 1),
    });
    // read, change and write under the file's lock: concurrent commands each keep the other's change
    await withKeyFileLock(path, async () => await writeKeyFile(path, [...await readKeyFile(path), record]));
    console.error(
      `key ${record.id} (${arg}, ${record.ratePerSec} requests/s) added to ${path}; it is shown only now:`,
    );
    console.log(key);
    return 0;
  }
  if (sub === "revoke") {
    if (!arg) {
      throw new ConfigError("keys revoke needs a key ID (the id column of `deno task serve keys list`)");
    }
    const missing = () => new ConfigError(`no key ${arg} in ${path}`);
    // nothing to revoke in a file that is not there: refused without creating its folder or lock
    if (!arg || !(await readKeyFile(path)).some((x) => x.id === arg)) throw missing();
    await withKeyFileLock(path, async () => {
      const keys = await readKeyFile(path);
      const k = keys.find((x) => x.id === arg);
      if (!k) throw missing();
      k.revoked = true;
      await writeKeyFile(path, keys);
    });
    console.log(`key ${arg} revoked`);
    return 0;
  }
  const keys = await readKeyFile(path);
  if (sub === "list") {
    console.log(textTable({
      columns: ["id", "name", "rate/s", "burst", "revoked", "created"],
      rows: keys.map((k) => [k.id, k.name, k.ratePerSec, k.burst, k.revoked ? "yes" : "no", k.createdAt]),
    }));
    return 0;
  }
  throw new ConfigError(
    sub === undefined
      ? "keys needs a command: add NAME, revoke ID or list"
      : `unknown keys command ${sub} (add, revoke, list)`,
  );
}

/**
 * A ring that re-reads the key file when it changes (checked at most every `everyMs`); the environment's keys
 * (`fixed`, see `LoadedKeys.envRecords`) stay beside the file's. `stamp` is the file's stamp when `records` were
 * read (null: unknown, the first check reloads). A file that cannot be read or parsed keeps the keys already
 * loaded, and says so once per change through `log`. Requests that arrive while the file is being re-read wait
 * for it: a revocation holds for every request after the check that saw it, not only the one that read it.
 */
export function reloadingRing(
  records: ApiKeyRecord[],
  file: string | null,
  opts: { stamp?: string | null; fixed?: ApiKeyRecord[]; everyMs?: number; log?: (message: string) => void } =
    {},
): Pick<KeyRing, "check"> {
  const everyMs = opts.everyMs ?? 2000;
  let ring = new KeyRing(records);
  let seen = opts.stamp ?? null, checked = -Infinity;
  let reloading: Promise<void> | null = null;
  const fixed = opts.fixed ?? [];
  const reload = async (path: string) => {
    const stamp = await fileStamp(path);
    // a missing file keeps the keys already loaded
    if (stamp !== null && stamp !== seen) {
      seen = stamp;
      try {
        ring = new KeyRing([...fixed, ...await readKeyFile(path)]);
      } catch (e) {
        opts.log?.(`api key file ${path} not reloaded, the keys loaded before stay: ${oneLine(e)}`);
      }
    }
  };
  return {
    async check(key: string | null) {
      if (file && !reloading && Date.now() - checked >= everyMs) {
        checked = Date.now();
        reloading = reload(file).finally(() => reloading = null);
      }
      if (reloading) await reloading;
      return await ring.check(key);
    },
  };
}

/** Where the listening address came from (a flag or an environment variable), for messages. */
export interface ListenAddress {
  port: number;
  hostname: string;
  /** `--port`, `PORT` or `default`. */
  portFrom: string;
  /** `--hostname`, `FMAI_API_HOST` or `default`. */
  hostnameFrom: string;
}

const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*\\.?$`);

/** True for a host name (RFC 1123 labels), an IPv4 address or an IPv6 address (without brackets). */
function isHostname(h: string): boolean {
  if (h.includes(":")) return /^[0-9A-Fa-f:.]+$/.test(h) && URL.canParse(`http://[${h}]/`);
  return HOST_NAME.test(h);
}

/**
 * The address to listen on: `--port` or `PORT` (default 8787; an integer 0..65535, 0 any free port) and
 * `--hostname` or `FMAI_API_HOST` (default 127.0.0.1). A bad value is a `ConfigError` naming its source.
 */
export function listenAddress(
  flags: { port?: string; hostname?: string },
  env: Record<string, string | undefined>,
): ListenAddress {
  const [portFrom, portText] = flags.port !== undefined
    ? ["--port", flags.port]
    : env.PORT !== undefined
    ? ["PORT", env.PORT]
    : ["default", "8787"];
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new ConfigError(`${portFrom}: ${shown(portText)} is not a port (an integer 0..65535)`);
  }
  const [hostnameFrom, hostname] = flags.hostname !== undefined
    ? ["--hostname", flags.hostname]
    : env.FMAI_API_HOST !== undefined
    ? ["FMAI_API_HOST", env.FMAI_API_HOST]
    : ["default", "127.0.0.1"];
  if (!isHostname(hostname)) {
    throw new ConfigError(
      `${hostnameFrom}: ${shown(hostname)} is not a host name or IP address to listen on (e.g. 127.0.0.1, ` +
        "0.0.0.0, ::1, localhost)",
    );
  }
  return { port: Number(portText), hostname, portFrom, hostnameFrom };
}

/** A failure to listen as one line: the port in use is operational (exit 1); an address not of this host, 2. */
function listenError(e: unknown, a: ListenAddress): FmaiError {
  const where = `cannot listen on ${a.hostname}:${a.port}`;
  const port = a.portFrom === "default" ? "the default port 8787" : `${a.portFrom} ${a.port}`;
  const host = a.hostnameFrom === "default" ? "the default host" : `${a.hostnameFrom} ${shown(a.hostname)}`;
  if (e instanceof Deno.errors.AddrInUse) {
    return new FmaiError(`${where}: the port is already in use (${port})`, { cause: e, userError: false });
  }
  if (e instanceof Deno.errors.AddrNotAvailable) {
    return new ConfigError(`${where}: not an address of this machine (${host})`, { cause: e });
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new ConfigError(`${where}: permission denied (${port}; ports below 1024 need privileges)`, {
      cause: e,
    });
  }
  if (e instanceof URIError || /lookup address|Name or service not known/i.test(oneLine(e))) {
    return new ConfigError(`${where}: cannot resolve the host (${host}): ${oneLine(e)}`, { cause: e });
  }
  return new FmaiError(`${where}: ${oneLine(e)}`, { cause: e, userError: false });
}

/** Starts the API; resolves when the server has shut down (SIGINT/SIGTERM). */
export async function serve(opts: {
  port: number;
  hostname: string;
  /** Where port and hostname came from, for messages (default `--port`, `--hostname`). */
  portFrom?: string;
  hostnameFrom?: string;
  stores: Stores;
  modelName: string;
  records: ApiKeyRecord[];
  /** The records the environment's variables hold (kept when the key file is re-read); default none. */
  envRecords?: ApiKeyRecord[];
  keyFile: string | null;
  /** The key file's stamp when `records` were read (see `loadKeys`); absent: the first request reloads it. */
  keyFileStamp?: string | null;
  corsOrigins: string[];
  signal?: AbortSignal;
  onListen?: (addr: Deno.NetAddr) => void;
}): Promise<void> {
  await ensureTables(opts.stores);
  const log = (m: string, e?: unknown) =>
    console.error(`${new Date().toISOString()} ${m}`, e instanceof Error ? e.stack : e ?? "");
  const api = createApi({
    stores: opts.stores,
    keys: reloadingRing(opts.records, opts.keyFile, {
      stamp: opts.keyFileStamp,
      fixed: opts.envRecords,
      log,
    }),
    modelName: opts.modelName,
    corsOrigins: opts.corsOrigins,
    log,
  });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      port: opts.port,
      hostname: opts.hostname,
      signal: opts.signal,
      onListen: opts.onListen ??
        ((a) =>
          console.error(
            `fmai API on http://${a.hostname}:${a.port} (${opts.records.length} key${
              opts.records.length === 1 ? "" : "s"
            })`,
          )),
    }, api.fetch);
  } catch (e) {
    throw listenError(e, {
      port: opts.port,
      hostname: opts.hostname,
      portFrom: opts.portFrom ?? "--port",
      hostnameFrom: opts.hostnameFrom ?? "--hostname",
    });
  }
  await server.finished;
}

/** `--rate`/`--burst` set one key's limits at `keys add`; anywhere else they are refused. */
function refuseRateFlags(v: { rate?: string; burst?: string }, where: string): void {
  const flag = v.rate !== undefined ? "--rate" : v.burst !== undefined ? "--burst" : null;
  if (flag) {
    throw new ConfigError(
      `${flag} does not apply to ${where}: rate limits are per key, set when the key is made ` +
        "(`deno task serve keys add NAME --rate N --burst N`)",
    );
  }
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const { values: v, positionals } = parseFlags(argv, {
      port: { type: "string" },
      hostname: { type: "string" },
      rate: { type: "string" },
      burst: { type: "string" },
      ...STORE_FLAGS,
    });
    if (v.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals[0] === "keys") {
      // flags that do not apply to the command are refused, never ignored
      const stray = (["port", "hostname", "config", "store-dir", "stores"] as const).find((f) =>
        v[f] !== undefined
      );
      if (stray) {
        throw new ConfigError(
          `--${stray} does not apply to \`serve keys\` (keys live in FMAI_API_KEYS_FILE, default ` +
            "~/.config/fmai/api-keys.json)",
        );
      }
      if (positionals[1] !== "add") refuseRateFlags(v, `\`keys ${positionals[1] ?? ""}\``);
      return await keysCommand(positionals.slice(1), v);
    }
    if (positionals.length) throw new ConfigError(`unexpected argument ${positionals[0]}`);
    refuseRateFlags(v, "the server");
    const env = Deno.env.toObject();
    const address = listenAddress(v, env);
    const corsOrigins = parseCorsOrigins(env.FMAI_API_CORS_ORIGINS);
    const cfg = await loadFlagsConfig(v);
    const keys = await loadKeys(env);
    const storeCfg = await storeConfigFor(cfg.dataDir, chosenBackends(v.stores, env.FMAI_STORES));
    // the API reads the signals (tables) and the registry (objects): a mistyped --store-dir is refused, not
    // created (an empty new store would answer nothing while /healthz said ok)
    await checkStoreExists(storeCfg, SERVE_STORE_PARTS);
    // only what the API reads: a document server that is down or slow cannot delay or fail it
    const stores = await openStores(existingOnly(storeCfg), { parts: SERVE_STORE_PARTS });
    const ac = new AbortController();
    const stop = () => ac.abort();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    try {
      await serve({
        ...address,
        stores,
        modelName: cfg.production.model,
        ...keys,
        corsOrigins,
        signal: ac.signal,
      });
    } finally {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      await stores.close();
    }
    return 0;
  } catch (e) {
    return reportCliError(e);
  }
}

if (import.meta.main) await runAsMain(main);
