/**
 * `deno task serve`: the signal API (`lib/serve`) over the stores, on `Deno.serve`; and `deno task serve keys
 * add|revoke|list` to manage API keys.
 *
 * Keys: only SHA-256 hashes are stored. They come from a secrets file outside the repository
 * (`FMAI_API_KEYS_FILE`, default `~/.config/fmai/api-keys.json`, written by `keys add`; re-read when it changes,
 * so a revocation takes effect within seconds), from `FMAI_API_KEY_HASHES` (`id:sha256[:rate[:burst]],...`, e.g.
 * from a parameter store), or from `FMAI_API_KEYS` (whole keys, hashed at start; for local use and tests).
 * CORS stays off unless `FMAI_API_CORS_ORIGINS` lists origins.
 * @module
 */
import { ConfigError, oneLine } from "@lib/core/mod.ts";
import {
  type ApiKeyRecord,
  checkKeyRecord,
  createApi,
  createApiKey,
  KeyRing,
  parseKeyHashes,
} from "@lib/serve/mod.ts";
import { sha256Hex } from "@lib/core/mod.ts";
import { openStores, type Stores } from "@lib/store/mod.ts";
import { textTable } from "@lib/report/mod.ts";
import { parseFlags, reportCliError, runAsMain, STORE_FLAGS } from "./_cli_error.ts";
import { ensureTables } from "./collect/mod.ts";
import { loadFlagsConfig } from "./config.ts";
import { parseBackends, storeConfigFor } from "./stores.ts";

const USAGE = `usage: deno task serve [--port 8787] [--hostname 127.0.0.1] [--config FILE] [--store-dir DIR]
                        [--stores embedded | mysql,mongodb,s3]
       deno task serve keys add NAME [--rate N] [--burst N]    (prints the key once; stores its hash)
       deno task serve keys revoke ID
       deno task serve keys list
  keys: FMAI_API_KEYS_FILE (default ~/.config/fmai/api-keys.json), FMAI_API_KEY_HASHES, FMAI_API_KEYS
  CORS: FMAI_API_CORS_ORIGINS=https://a.example,https://b.example (off when unset)`;

const REPO_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The key file path: `FMAI_API_KEYS_FILE` or `~/.config/fmai/api-keys.json`; never inside the repository. */
export function keysFilePath(env: Record<string, string | undefined> = Deno.env.toObject()): string {
  const home = env.HOME ?? env.USERPROFILE;
  const p = env.FMAI_API_KEYS_FILE ?? (home ? `${home}/.config/fmai/api-keys.json` : "");
  if (!p) throw new ConfigError("FMAI_API_KEYS_FILE is not set and there is no HOME");
  const abs = p.startsWith("/") ? p : `${Deno.cwd()}/${p}`;
  const norm = abs.split("/").reduce<string[]>(
    (a, s) => (s === ".." ? a.slice(0, -1) : s && s !== "." ? [...a, s] : a),
    [],
  )
    .join("/");
  if (`/${norm}/`.startsWith(`${REPO_ROOT}/`)) {
    throw new ConfigError(
      `api key file ${p} is inside the repository; keep secrets outside it (FMAI_API_KEYS_FILE)`,
    );
  }
  return `/${norm}`;
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

async function writeKeyFile(path: string, keys: ApiKeyRecord[]): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify({ keys }, null, 2) + "\n", { mode: 0o600 });
  await Deno.rename(tmp, path);
}

/** Every key record the environment names (file, hashes, whole keys). */
export async function keyRecords(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<ApiKeyRecord[]> {
  const out: ApiKeyRecord[] = [];
  if (env.FMAI_API_KEY_HASHES) out.push(...parseKeyHashes(env.FMAI_API_KEY_HASHES));
  for (const key of (env.FMAI_API_KEYS ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^fmai_([0-9a-f]{8})_/.exec(key);
    if (!m) {
      throw new ConfigError(
        "FMAI_API_KEYS: a key is not of the form fmai_<id>_<secret> (make one with `deno task serve keys add`)",
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
  if (env.FMAI_API_KEY_HASHES === undefined && env.FMAI_API_KEYS === undefined || env.FMAI_API_KEYS_FILE) {
    out.push(...await readKeyFile(keysFilePath(env)));
  }
  return out;
}

async function keysCommand(args: string[], v: { rate?: string; burst?: string }): Promise<number> {
  const [sub, arg, ...rest] = args;
  if (rest.length) throw new ConfigError(`unexpected argument ${rest[0]}`);
  const path = keysFilePath();
  const keys = await readKeyFile(path);
  if (sub === "add") {
    if (!arg || !/^[\w.@-]{1,64}$/.test(arg)) {
      throw new ConfigError("keys add needs a NAME (letters, digits, ._@-)");
    }
    const num = (s: string | undefined, what: string) => {
      if (s === undefined) return undefined;
      const n = Number(s);
      if (!(n > 0) || !Number.isFinite(n)) {
        throw new ConfigError(`--${what}: expected a positive number, got ${s}`);
      }
      return n;
    };
    const { key, record } = await createApiKey(arg, {
      ratePerSec: num(v.rate, "rate"),
      burst: num(v.burst, "burst"),
    });
    await writeKeyFile(path, [...keys, record]);
    console.error(
      `key ${record.id} (${arg}, ${record.ratePerSec} requests/s) added to ${path}; it is shown only now:`,
    );
    console.log(key);
    return 0;
  }
  if (sub === "revoke") {
    const k = keys.find((x) => x.id === arg);
    if (!k) throw new ConfigError(`no key ${arg} in ${path}`);
    k.revoked = true;
    await writeKeyFile(path, keys);
    console.log(`key ${arg} revoked`);
    return 0;
  }
  if (sub === "list") {
    console.log(textTable({
      columns: ["id", "name", "rate/s", "burst", "revoked", "created"],
      rows: keys.map((k) => [k.id, k.name, k.ratePerSec, k.burst, k.revoked ? "yes" : "no", k.createdAt]),
    }));
    return 0;
  }
  throw new ConfigError(`unknown keys command ${sub ?? ""} (add, revoke, list)`);
}

/** A ring that re-reads the key file when it changes (checked at most every `everyMs`). */
function reloadingRing(records: ApiKeyRecord[], file: string | null, everyMs = 2000) {
  let ring = new KeyRing(records);
  let mtime = 0, checked = 0;
  const fixed = records.filter((r) => r.name === "env" || r.createdAt === "");
  return {
    async check(key: string | null) {
      const t = Date.now();
      if (file && t - checked > everyMs) {
        checked = t;
        try {
          const st = await Deno.stat(file);
          const m = st.mtime?.getTime() ?? 0;
          if (m !== mtime) {
            if (mtime !== 0) ring = new KeyRing([...fixed, ...await readKeyFile(file)]);
            mtime = m;
          }
        } catch {
          // a missing or unreadable file keeps the keys already loaded
        }
      }
      return await ring.check(key);
    },
  };
}

/** Starts the API; resolves when the server has shut down (SIGINT/SIGTERM). */
export async function serve(opts: {
  port: number;
  hostname: string;
  stores: Stores;
  modelName: string;
  records: ApiKeyRecord[];
  keyFile: string | null;
  corsOrigins: string[];
  signal?: AbortSignal;
  onListen?: (addr: Deno.NetAddr) => void;
}): Promise<void> {
  await ensureTables(opts.stores);
  const api = createApi({
    stores: opts.stores,
    keys: reloadingRing(opts.records, opts.keyFile),
    modelName: opts.modelName,
    corsOrigins: opts.corsOrigins,
    log: (m, e) => console.error(`${new Date().toISOString()} ${m}`, e instanceof Error ? e.stack : e ?? ""),
  });
  const server = Deno.serve({
    port: opts.port,
    hostname: opts.hostname,
    signal: opts.signal,
    onListen: opts.onListen ??
      ((a) => console.error(`fmai API on http://${a.hostname}:${a.port} (${opts.records.length} keys)`)),
  }, api.fetch);
  await server.finished;
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
    if (positionals[0] === "keys") return await keysCommand(positionals.slice(1), v);
    if (positionals.length) throw new ConfigError(`unexpected argument ${positionals[0]}`);
    const port = Number(v.port ?? Deno.env.get("PORT") ?? 8787);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError(`--port: bad port ${v.port}`);
    }
    const cfg = await loadFlagsConfig(v);
    const env = Deno.env.toObject();
    const records = await keyRecords(env);
    if (!records.some((r) => !r.revoked)) {
      throw new ConfigError(
        "no API keys: run `deno task serve keys add NAME` (or set FMAI_API_KEYS / FMAI_API_KEY_HASHES)",
      );
    }
    const keyFile =
      env.FMAI_API_KEY_HASHES === undefined && env.FMAI_API_KEYS === undefined || env.FMAI_API_KEYS_FILE
        ? keysFilePath(env)
        : null;
    const stores = await openStores(
      await storeConfigFor(cfg.dataDir, parseBackends(v.stores ?? env.FMAI_STORES)),
    );
    const ac = new AbortController();
    const stop = () => ac.abort();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    try {
      await serve({
        port,
        hostname: v.hostname ?? env.FMAI_API_HOST ?? "127.0.0.1",
        stores,
        modelName: cfg.production.model,
        records,
        keyFile,
        corsOrigins: (env.FMAI_API_CORS_ORIGINS ?? "").split(",").map((s) => s.trim()).filter(Boolean),
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
