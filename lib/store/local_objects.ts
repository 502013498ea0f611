/**
 * The embedded `ObjectStore`: a folder. An object `k` is the file `<root>/k`; its content type lives in
 * `<root>/.fmai-meta/k.json`. Writes go to `<root>/.fmai-tmp/` first and are renamed into place (atomic on one
 * file system); opening the store removes temporary files a killed writer left (older than an hour). Keys whose
 * first segment starts with `.fmai-` are reserved. A key cannot be both an object and a "folder" of other keys
 * (`a` and `a/b`), unlike S3. A conditional write (`putIf`) holds a lock on the key (a folder made in
 * `<root>/.fmai-tmp/`, which only one writer can make; a dead writer's is taken over after {@link LOCK_STALE_MS})
 * while it compares and writes; an object's tag is the SHA-256 of its bytes. A write kept waiting for a lock
 * (a killed writer's, until it is taken over) tells `onLockWait` once, so that a command can say why it waits.
 * @module
 */
import { createHash } from "node:crypto";
import { FmaiError, type Instant, StoreError } from "../core/mod.ts";
import type { ObjectInfo, ObjectStore } from "./types.ts";
import { checkObjectKey, checkObjectPrefix, defaultContentType } from "./keys.ts";

const META = ".fmai-meta";
const TMP = ".fmai-tmp";

/** What a conditional write tells when it is kept waiting for a key's lock (see {@link LocalObjectsOptions}). */
export interface LockWait {
  /** The object key the lock guards. */
  key: string;
  /** The lock folder's path. */
  lock: string;
  /** When the holder made the lock (its folder's modification time), or null when it cannot be read. */
  since: Instant | null;
  /** How old a lock must be to be taken over as a dead writer's ({@link LOCK_STALE_MS}). */
  staleAfterMs: number;
}

/** Options of {@link openLocalObjects}. */
export interface LocalObjectsOptions {
  /**
   * Called once per conditional write that waits for a lock another writer holds, as soon as the lock is
   * {@link LOCK_NOTICE_MS} old or the write has waited that long (a live writer holds it for milliseconds, so
   * brief contention says nothing). It changes nothing about the wait. No console output in `lib/`: the command
   * says it.
   */
  onLockWait?: (wait: LockWait) => void;
}

/**
 * Opens (creating when missing) a folder object store.
 * @example
 * ```ts
 * import { openLocalObjects } from "./local_objects.ts";
 * const dir = await Deno.makeTempDir();
 * const o = await openLocalObjects(dir);
 * await o.put("charts/AAPL/2024-01-02.svg", "<svg/>", { contentType: "image/svg+xml" });
 * (await o.head("charts/AAPL/2024-01-02.svg"))?.contentType; // "image/svg+xml"
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openLocalObjects(root: string, opts: LocalObjectsOptions = {}): Promise<ObjectStore> {
  if (typeof root !== "string" || root === "") {
    throw new TypeError("object store root must be a non-empty string");
  }
  try {
    await Deno.mkdir(`${root}/${TMP}`, { recursive: true });
    await Deno.mkdir(`${root}/${META}`, { recursive: true });
  } catch (e) {
    throw new StoreError(`cannot create object folder ${root}: ${(e as Error).message}`, {
      backend: "local",
      cause: e,
      userError: true,
    });
  }
  await sweepStaleTemps(`${root}/${TMP}`);
  return new LocalObjects(root, opts);
}

/** How old a temporary write must be to be a dead writer's (one killed between its write and its rename). */
export const STALE_TEMP_MS = 3_600_000;

/**
 * Removes temporary files older than {@link STALE_TEMP_MS} (a write killed before its rename left them; a live
 * writer renames its own within moments). Best effort: one that cannot be read or removed is left.
 */
async function sweepStaleTemps(dir: string): Promise<void> {
  const before = Date.now() - STALE_TEMP_MS;
  try {
    for await (const f of Deno.readDir(dir)) {
      if (!f.isFile) continue;
      const path = `${dir}/${f.name}`;
      const st = await Deno.stat(path).catch(() => null);
      if (st?.mtime && st.mtime.getTime() < before) await Deno.remove(path).catch(() => {});
    }
  } catch { /* an unreadable temp folder is the writes' problem, reported there */ }
}

function key(k: unknown): string {
  const s = checkObjectKey(k);
  if (s.split("/")[0].startsWith(".fmai-")) {
    throw new RangeError(`object key ${JSON.stringify(s)} is reserved`);
  }
  return s;
}

/** How old a key's lock must be to be a dead writer's (a live one holds it for one read and one write). */
export const LOCK_STALE_MS = 30_000;
/** How long a conditional write waits for a key's lock before it fails. */
const LOCK_WAIT_MS = 60_000;
/** How old a lock, or how long a wait for it, before the wait is told (`onLockWait`). */
export const LOCK_NOTICE_MS = 1_000;

const tagOf = (body: Uint8Array) => createHash("sha256").update(body).digest("hex");

/** The folder `ObjectStore`; see {@link openLocalObjects}. */
export class LocalObjects implements ObjectStore {
  readonly backend = "local";
  readonly #root: string;
  readonly #onLockWait?: (wait: LockWait) => void;

  constructor(root: string, opts: LocalObjectsOptions = {}) {
    this.#root = root.replace(/\/+$/, "") || "/";
    this.#onLockWait = opts.onLockWait;
  }

  #wrap(what: string, e: unknown): unknown {
    if (e instanceof FmaiError || e instanceof TypeError || e instanceof RangeError) return e;
    return new StoreError(`local objects ${what}: ${(e as Error)?.message ?? String(e)}`, {
      backend: "local",
      cause: e,
    });
  }

  #dirOf(path: string): string {
    return path.slice(0, path.lastIndexOf("/"));
  }

  /** Writes atomically: temp file, then rename. */
  async put(k: string, body: Uint8Array | string, opts: { contentType?: string } = {}): Promise<void> {
    const kk = key(k);
    if (typeof body !== "string" && !(body instanceof Uint8Array)) {
      throw new TypeError("object body must be a Uint8Array or a string");
    }
    const contentType = opts.contentType ?? defaultContentType(body);
    if (typeof contentType !== "string" || contentType === "") {
      throw new TypeError("contentType must be a string");
    }
    try {
      const data = typeof body === "string" ? new TextEncoder().encode(body) : body;
      const id = crypto.randomUUID();
      const tmpData = `${this.#root}/${TMP}/${id}.data`;
      const tmpMeta = `${this.#root}/${TMP}/${id}.meta`;
      const dest = `${this.#root}/${kk}`;
      const meta = `${this.#root}/${META}/${kk}.json`;
      await Deno.writeFile(tmpData, data);
      await Deno.writeTextFile(tmpMeta, JSON.stringify({ contentType }));
      await Deno.mkdir(this.#dirOf(dest), { recursive: true });
      await Deno.mkdir(this.#dirOf(meta), { recursive: true });
      await Deno.rename(tmpMeta, meta);
      await Deno.rename(tmpData, dest);
    } catch (e) {
      throw this.#wrap(`put ${kk}`, e);
    }
  }

  /** The object's bytes, or `null`. */
  async get(k: string): Promise<Uint8Array | null> {
    const kk = key(k);
    try {
      return await Deno.readFile(`${this.#root}/${kk}`);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.IsADirectory) return null;
      if ((e as { code?: string }).code === "EISDIR" || (e as { code?: string }).code === "ENOTDIR") {
        return null;
      }
      throw this.#wrap(`get ${kk}`, e);
    }
  }

  async #info(kk: string, size?: number): Promise<ObjectInfo | null> {
    let sz = size;
    if (sz === undefined) {
      try {
        const st = await Deno.stat(`${this.#root}/${kk}`);
        if (!st.isFile) return null;
        sz = st.size;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound || (e as { code?: string }).code === "ENOTDIR") return null;
        throw e;
      }
    }
    let contentType = "application/octet-stream";
    try {
      const m = JSON.parse(await Deno.readTextFile(`${this.#root}/${META}/${kk}.json`));
      if (typeof m.contentType === "string") contentType = m.contentType;
    } catch { /* no sidecar: default */ }
    return { key: kk, size: sz, contentType };
  }

  /** Size and content type, or `null`. */
  async head(k: string): Promise<ObjectInfo | null> {
    const kk = key(k);
    try {
      return await this.#info(kk);
    } catch (e) {
      throw this.#wrap(`head ${kk}`, e);
    }
  }

  /** Objects whose key starts with `prefix`, sorted by key. */
  async list(prefix: string): Promise<ObjectInfo[]> {
    const p = checkObjectPrefix(prefix);
    const slash = p.lastIndexOf("/");
    const baseRel = slash >= 0 ? p.slice(0, slash) : "";
    const found: { key: string; size: number }[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries: Deno.DirEntry[];
      try {
        entries = await Array.fromAsync(Deno.readDir(rel ? `${this.#root}/${rel}` : this.#root));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound || (e as { code?: string }).code === "ENOTDIR") return;
        throw e;
      }
      for (const e of entries) {
        if (rel === "" && e.name.startsWith(".fmai-")) continue;
        const k = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory) {
          if (k.startsWith(p) || p.startsWith(`${k}/`)) await walk(k);
        } else if (e.isFile && k.startsWith(p)) {
          found.push({ key: k, size: (await Deno.stat(`${this.#root}/${k}`)).size });
        }
      }
    };
    try {
      await walk(baseRel);
      found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const out: ObjectInfo[] = [];
      for (const f of found) out.push((await this.#info(f.key, f.size))!);
      return out;
    } catch (e) {
      throw this.#wrap(`list ${p}`, e);
    }
  }

  /** Deletes an object (no-op when missing) and prunes empty folders. */
  async delete(k: string): Promise<void> {
    const kk = key(k);
    try {
      for (const path of [`${this.#root}/${kk}`, `${this.#root}/${META}/${kk}.json`]) {
        try {
          await Deno.remove(path);
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        }
      }
      for (const base of [this.#root, `${this.#root}/${META}`]) {
        const segs = kk.split("/").slice(0, -1);
        while (segs.length) {
          try {
            await Deno.remove(`${base}/${segs.join("/")}`);
          } catch {
            break;
          }
          segs.pop();
        }
      }
    } catch (e) {
      throw this.#wrap(`delete ${kk}`, e);
    }
  }

  /** The bytes and their SHA-256 (the tag), or `null`. */
  async getTagged(k: string): Promise<{ body: Uint8Array; tag: string } | null> {
    const body = await this.get(k);
    return body === null ? null : { body, tag: tagOf(body) };
  }

  /** Compares and writes under the key's lock (see the module doc). */
  async putIf(
    k: string,
    body: Uint8Array | string,
    expected: string | null,
    opts: { contentType?: string } = {},
  ): Promise<boolean> {
    const kk = key(k);
    const lock = `${this.#root}/${TMP}/lock-${createHash("sha256").update(kk).digest("hex").slice(0, 32)}`;
    await this.#acquire(lock, kk);
    try {
      const now = await this.get(kk);
      if ((now === null ? null : tagOf(now)) !== expected) return false;
      await this.put(kk, body, opts);
      return true;
    } finally {
      await Deno.remove(lock).catch(() => {});
    }
  }

  /** Makes the lock folder (only one writer can), waiting for a live holder and taking over a dead one's. */
  async #acquire(lock: string, kk: string): Promise<void> {
    const start = Date.now(), until = start + LOCK_WAIT_MS;
    let told = false;
    for (let wait = 5;; wait = Math.min(200, wait * 2)) {
      try {
        await Deno.mkdir(lock);
        return;
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw this.#wrap(`lock ${kk}`, e);
      }
      const st = await Deno.stat(lock).catch(() => null);
      if (st?.mtime && Date.now() - st.mtime.getTime() > LOCK_STALE_MS) {
        await Deno.remove(lock).catch(() => {});
        continue;
      }
      const since = st?.mtime?.getTime() ?? null;
      if (
        !told && this.#onLockWait &&
        (Date.now() - start >= LOCK_NOTICE_MS || (since !== null && Date.now() - since >= LOCK_NOTICE_MS))
      ) {
        told = true;
        this.#onLockWait({ key: kk, lock, since, staleAfterMs: LOCK_STALE_MS });
      }
      if (Date.now() > until) {
        throw new StoreError(`local objects lock ${kk}: held by another writer for over ${LOCK_WAIT_MS} ms`, {
          backend: "local",
        });
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
