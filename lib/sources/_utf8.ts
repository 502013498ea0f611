/**
 * The one check that a text file is UTF-8, for the CSV prices and news readers.
 * @module
 */
import { DataValidationError } from "../core/mod.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Throws a `DataValidationError` naming `file:line` at the first byte sequence that is not UTF-8. Files that
 * are pure ASCII (the usual case) cost one scan.
 */
export function checkUtf8(bytes: Uint8Array, file: string): void {
  let i = 0;
  while (i < bytes.length && bytes[i] < 0x80) i++;
  if (i === bytes.length) return;
  try {
    UTF8.decode(bytes);
    return;
  } catch { /* find the line */ }
  let line = 1, start = 0;
  for (let p = 0; p <= bytes.length; p++) {
    if (p === bytes.length || bytes[p] === 10) {
      try {
        UTF8.decode(bytes.subarray(start, p));
      } catch {
        throw new DataValidationError("invalid UTF-8 bytes (the file must be UTF-8 encoded)", {
          where: `${file}:${line}`,
        });
      }
      line++;
      start = p + 1;
    }
  }
}
