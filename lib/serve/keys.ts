/**
 * API keys. A key is `fmai_<id>_<secret>`: `id` (8 hex) is public and names the key, the secret is 32 random
 * bytes (base64url). Only the SHA-256 of the whole key is kept (`ApiKeyRecord.sha256`); a request's key is
 * hashed and compared in constant time. Records come from the edge (a secrets file outside the repository or an
 * environment variable); this module never reads either.
 * @module
 */
import { ConfigError, oneLine, sha256Hex } from "../core/mod.ts";

/** One key as stored: never the key itself. */
export interface ApiKeyRecord {
  /** Public id (8 lower-case hex digits), the middle part of the key. */
  id: string;
  /** Who holds it. */
  name: string;
  /** SHA-256 (hex) of the full key text. */
  sha256: string;
  /** Requests per second the key may sustain. */
  ratePerSec: number;
  /** Requests the key may send at once above the sustained rate. */
  burst: number;
  /** A revoked key is refused with 403. */
  revoked: boolean;
  createdAt: string;
}

/** The outcome of checking a request's key. */
export type KeyCheck =
  | { ok: true; key: ApiKeyRecord }
  | { ok: false; status: 401 | 403; error: string };

/** The form of a whole key: `fmai_<id: 8 hex>_<secret: 43 base64url characters>` (what `createApiKey` makes). */
export const API_KEY_PATTERN: RegExp = /^fmai_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;
const KEY = API_KEY_PATTERN;
const ID = /^[0-9a-f]{8}$/;
const HEX64 = /^[0-9a-f]{64}$/;

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Makes a new key and its record (the key is shown once; only the record is stored). */
export async function createApiKey(
  name: string,
  opts: { ratePerSec?: number; burst?: number; now?: Date } = {},
): Promise<{ key: string; record: ApiKeyRecord }> {
  const id = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const key = `fmai_${id}_${b64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const record = checkKeyRecord({
    id,
    name,
    sha256: await sha256Hex(key),
    ratePerSec: opts.ratePerSec ?? 50,
    burst: opts.burst ?? Math.max(10, 2 * (opts.ratePerSec ?? 50)),
    revoked: false,
    createdAt: (opts.now ?? new Date()).toISOString(),
  });
  return { key, record };
}

/** Checks a record's fields (a `RangeError` naming the bad one). */
export function checkKeyRecord(r: ApiKeyRecord): ApiKeyRecord {
  if (!r || typeof r !== "object") throw new RangeError("api key record must be an object");
  if (typeof r.id !== "string" || !ID.test(r.id)) {
    // not echoed: a whole key put where its id belongs would be a secret in the log
    const got = typeof r.id !== "string"
      ? typeof r.id
      : /^fmai_/.test(r.id)
      ? "a whole key (the secret is not shown; give its id and sha256)"
      : `${r.id.length} characters`;
    throw new RangeError(`api key: id must be 8 hex digits, got ${got}`);
  }
  const where = `api key ${r.id}`;
  if (typeof r.sha256 !== "string" || !HEX64.test(r.sha256)) {
    throw new RangeError(`${where}: sha256 must be 64 hex digits (the hash, never the key)`);
  }
  if (typeof r.name !== "string") throw new RangeError(`${where}: name must be a string`);
  for (const k of ["ratePerSec", "burst"] as const) {
    if (typeof r[k] !== "number" || !(r[k] > 0) || !Number.isFinite(r[k])) {
      throw new RangeError(`${where}: ${k} must be a positive number`);
    }
  }
  // a bucket of less than one token never lets a request through
  if (r.burst < 1) throw new RangeError(`${where}: burst must be at least 1`);
  if (typeof r.revoked !== "boolean") throw new RangeError(`${where}: revoked must be true or false`);
  return r;
}

function equalHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

/** The keys a server accepts, by id. */
export class KeyRing {
  readonly #byId = new Map<string, ApiKeyRecord>();

  constructor(records: readonly ApiKeyRecord[]) {
    for (const r of records) {
      checkKeyRecord(r);
      if (this.#byId.has(r.id)) throw new RangeError(`api key ${r.id} is listed twice`);
      this.#byId.set(r.id, r);
    }
  }

  /** How many keys (revoked included). */
  get size(): number {
    return this.#byId.size;
  }

  /** Checks the key text of a request (`null` when it sent none). */
  async check(key: string | null): Promise<KeyCheck> {
    if (key === null || key === "") return { ok: false, status: 401, error: "missing api key" };
    const m = KEY.exec(key);
    const rec = m ? this.#byId.get(m[1]) : undefined;
    // hash even when the id is unknown, so a wrong id and a wrong secret take the same time
    const h = await sha256Hex(key);
    if (!rec || !equalHex(h, rec.sha256)) return { ok: false, status: 401, error: "invalid api key" };
    if (rec.revoked) return { ok: false, status: 403, error: "api key revoked" };
    return { ok: true, key: rec };
  }
}

/**
 * Parses `id:sha256[:ratePerSec[:burst]]` entries separated by commas (the `FMAI_API_KEY_HASHES` form for
 * Lambda and Cloud Run, where the hashes come from a parameter store). A bad entry is a one-line
 * `ConfigError` naming `where` (the variable it came from).
 */
export function parseKeyHashes(text: string, where = "FMAI_API_KEY_HASHES"): ApiKeyRecord[] {
  try {
    return parseEntries(text);
  } catch (e) {
    throw new ConfigError(`${where}: ${oneLine(e)}`, { cause: e });
  }
}

function parseEntries(text: string): ApiKeyRecord[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean).map((e) => {
    const [id, sha256, rate, burst] = e.split(":");
    const ratePerSec = rate ? Number(rate) : 50;
    return checkKeyRecord({
      id,
      name: id,
      sha256: (sha256 ?? "").toLowerCase(),
      ratePerSec,
      burst: burst ? Number(burst) : Math.max(10, 2 * ratePerSec),
      revoked: false,
      createdAt: "",
    });
  });
}
