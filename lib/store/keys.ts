/**
 * The object key layout, the same on every object backend (local folder, S3):
 *
 * | prefix | layout | content |
 * |---|---|---|
 * | `raw/` | `raw/<source>/<yyyy>/<mm>/<dd>/<name>` | raw responses as fetched (UTC date of the fetch) |
 * | `charts/` | `charts/<symbol>/<date>.<ext>` | chart images (`png`, `svg`, `html`) |
 * | `models/` | `models/<name>/<version>/<file>` | model artifacts (weights, metadata) |
 * | `reports/` | `reports/<run>/<file>` | HTML reports and summaries of a run |
 *
 * Keys are `/`-separated, non-empty segments, no `.` or `..` segment, no leading `/`, no backslash or control
 * characters, at most 1024 bytes.
 * @module
 */

/** True when `s` has a backslash or a control character. */
function hasBadChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

/**
 * Validates an object key; returns it. Throws `TypeError` for a non-string and `RangeError` for a bad shape.
 */
export function checkObjectKey(key: unknown): string {
  if (typeof key !== "string") throw new TypeError(`object key must be a string, got ${typeof key}`);
  if (key.length === 0) throw new RangeError("object key must not be empty");
  if (new TextEncoder().encode(key).length > 1024) {
    throw new RangeError("object key is longer than 1024 bytes");
  }
  if (key.startsWith("/")) throw new RangeError(`object key ${JSON.stringify(key)} must not start with /`);
  if (hasBadChar(key)) {
    throw new RangeError(`object key ${JSON.stringify(key)} has a backslash or control character`);
  }
  for (const seg of key.split("/")) {
    if (seg === "" || seg === "." || seg === "..") {
      throw new RangeError(`object key ${JSON.stringify(key)} has an empty, "." or ".." segment`);
    }
  }
  return key;
}

/**
 * Validates a listing prefix: `""` (everything) or a key prefix (it may end with `/`). Throws like
 * {@link checkObjectKey}.
 */
export function checkObjectPrefix(prefix: unknown): string {
  if (typeof prefix !== "string") throw new TypeError(`object prefix must be a string, got ${typeof prefix}`);
  if (prefix === "") return prefix;
  checkObjectKey(prefix.endsWith("/") ? prefix.slice(0, -1) || "x" : prefix);
  if (prefix.startsWith("/")) {
    throw new RangeError(`object prefix ${JSON.stringify(prefix)} must not start with /`);
  }
  return prefix;
}

function seg(s: string, what: string): string {
  if (typeof s !== "string" || s === "" || s.includes("/") || s === "." || s === "..") {
    throw new RangeError(`${what} ${JSON.stringify(s)} is not a valid key segment`);
  }
  return s;
}

/**
 * Key of a raw response: `raw/<source>/<yyyy>/<mm>/<dd>/<name>` with the UTC date of `instant` (epoch ms).
 * @example
 * ```ts
 * import { rawKey } from "./keys.ts";
 * rawKey("yahoo", Date.UTC(2024, 0, 5), "AAPL.json"); // "raw/yahoo/2024/01/05/AAPL.json"
 * ```
 */
export function rawKey(source: string, instant: number, name: string): string {
  if (!Number.isFinite(instant)) throw new RangeError(`rawKey: instant must be finite, got ${instant}`);
  const d = new Date(instant).toISOString();
  return `raw/${seg(source, "source")}/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${
    seg(name, "name")
  }`;
}

/** Key of a chart image: `charts/<symbol>/<date>.<ext>`. */
export function chartKey(symbol: string, date: string, ext = "png"): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    throw new RangeError(`chartKey: date ${JSON.stringify(date)} is not YYYY-MM-DD`);
  }
  if (!/^[a-z0-9]+$/i.test(ext)) throw new RangeError(`chartKey: bad extension ${JSON.stringify(ext)}`);
  return `charts/${seg(symbol, "symbol")}/${date}.${ext}`;
}

/** Key of a model artifact: `models/<name>/<version>/<file>` (`file` may contain `/`). */
export function modelKey(name: string, version: string, file: string): string {
  return checkObjectKey(`models/${seg(name, "model name")}/${seg(version, "version")}/${file}`);
}

/** Key of a report file: `reports/<run>/<file>` (`file` may contain `/`). */
export function reportKey(run: string, file: string): string {
  return checkObjectKey(`reports/${seg(run, "run")}/${file}`);
}

/** Default content type of a body: text for strings, octet-stream for bytes. */
export function defaultContentType(body: Uint8Array | string): string {
  return typeof body === "string" ? "text/plain; charset=utf-8" : "application/octet-stream";
}
