/**
 * Folder-private path helper.
 * @module
 */
import { fileURLToPath } from "node:url";

/** A file path from a path string, a `file:` URL string or a `URL`. */
export function fromFileUrl(p: string | URL): string {
  if (p instanceof URL) return fileURLToPath(p);
  if (typeof p !== "string" || p === "") throw new TypeError(`bad path ${JSON.stringify(p)}`);
  return p.startsWith("file:") ? fileURLToPath(p) : p;
}
