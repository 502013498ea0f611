/**
 * Content hashes: SHA-256 (Web Crypto, in Deno and Node alike) and a canonical JSON text (sorted keys, non-finite
 * numbers as `null`) so equal values hash equal whatever their key order.
 * @module
 */

/** SHA-256 of bytes or UTF-8 text, as lower-case hex. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  let out = "";
  for (const b of d) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * JSON text with object keys sorted at every level, typed arrays as arrays and non-finite numbers as `null`.
 *
 * ```ts
 * import { canonicalJson } from "./hash.ts";
 * if (canonicalJson({ b: 1, a: [NaN, 2] }) !== '{"a":[null,2],"b":1}') throw new Error();
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (v === null || typeof v !== "object") return typeof v === "number" && !Number.isFinite(v) ? null : v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(sortKeys);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v as Record<string, unknown>).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = sortKeys(x);
  }
  return out;
}

/** SHA-256 hex of a value's canonical JSON. */
export function hashValue(value: unknown): Promise<string> {
  return sha256Hex(canonicalJson(value));
}
