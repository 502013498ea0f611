/**
 * The few `Deno` APIs the embedded stores (`lib/store/local_objects.ts`, `embedded.ts`, `config.ts`) and the
 * daily run's path checks use, on `node:fs`, installed as `globalThis.Deno` only when there is no Deno (the
 * Node bundles of the lambdas).
 * Import it FIRST in every handler. Under Deno it does nothing.
 * @module
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";

class NotFound extends Error {}
class AlreadyExists extends Error {}
class IsADirectory extends Error {}
class NotADirectory extends Error {}

// deno-lint-ignore no-explicit-any
function mapErr(e: any): Error {
  const code = e?.code;
  const E = code === "ENOENT"
    ? NotFound
    : code === "EEXIST"
    ? AlreadyExists
    : code === "EISDIR"
    ? IsADirectory
    : code === "ENOTDIR"
    ? NotADirectory
    : null;
  if (!E) return e;
  const err = new E(e.message);
  (err as { code?: string }).code = code;
  return err;
}
const wrap = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
  try {
    return await f(...a);
  } catch (e) {
    throw mapErr(e);
  }
};
const wrapSync = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
  try {
    return f(...a);
  } catch (e) {
    throw mapErr(e);
  }
};
const statOf = (s: fs.Stats) => ({
  isFile: s.isFile(),
  isDirectory: s.isDirectory(),
  isSymlink: s.isSymbolicLink(),
  size: s.size,
  mtime: s.mtime,
});

const shim = {
  errors: { NotFound, AlreadyExists, IsADirectory, NotADirectory },
  mkdir: wrap((p: string, o?: { recursive?: boolean }) => fsp.mkdir(p, o).then(() => {})),
  mkdirSync: wrapSync((p: string, o?: { recursive?: boolean }) => void fs.mkdirSync(p, o)),
  makeTempDirSync: wrapSync((o?: { prefix?: string }) =>
    fs.mkdtempSync(path.join(os.tmpdir(), o?.prefix ?? "tmp-"))
  ),
  makeTempDir: wrap((o?: { prefix?: string }) => fsp.mkdtemp(path.join(os.tmpdir(), o?.prefix ?? "tmp-"))),
  // the daily run's checks of where it writes (pipelines/_cli_error.ts): a new empty file in `dir`, and a file
  // opened for writing without truncating it (closed at once)
  makeTempFile: wrap(async (o?: { dir?: string; prefix?: string }) => {
    for (;;) {
      const p = path.join(o?.dir ?? os.tmpdir(), `${o?.prefix ?? "tmp-"}${crypto.randomUUID().slice(0, 12)}`);
      try {
        await fsp.writeFile(p, "", { flag: "wx" });
        return p;
      } catch (e) {
        if ((e as { code?: string }).code !== "EEXIST") throw e;
      }
    }
  }),
  open: wrap(async (p: string, o?: { write?: boolean; create?: boolean }) => {
    const h = await fsp.open(p, o?.create ? "a" : o?.write ? "r+" : "r");
    return { close: () => void h.close() };
  }),
  remove: wrap((p: string, o?: { recursive?: boolean }) => fsp.rm(p, { recursive: o?.recursive ?? false })),
  rename: wrap((a: string, b: string) => fsp.rename(a, b)),
  stat: wrap(async (p: string) => statOf(await fsp.stat(p))),
  readFile: wrap(async (p: string) => new Uint8Array(await fsp.readFile(p))),
  readTextFile: wrap((p: string) => fsp.readFile(p, "utf8")),
  writeFile: wrap((p: string, d: Uint8Array) => fsp.writeFile(p, d)),
  writeTextFile: wrap((p: string, d: string) => fsp.writeFile(p, d, "utf8")),
  readDir: (p: string) => ({
    async *[Symbol.asyncIterator]() {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(p, { withFileTypes: true });
      } catch (e) {
        throw mapErr(e);
      }
      for (const d of entries) {
        yield {
          name: d.name,
          isFile: d.isFile(),
          isDirectory: d.isDirectory(),
          isSymlink: d.isSymbolicLink(),
        };
      }
    },
  }),
  stderr: { isTerminal: () => false, writeSync: (b: Uint8Array) => (process.stderr.write(b), b.length) },
  pid: process.pid,
  env: {
    get: (k: string) => process.env[k],
    toObject: () => ({ ...process.env }) as Record<string, string>,
  },
};

const g = globalThis as { Deno?: unknown };
if (typeof g.Deno === "undefined") g.Deno = shim;
