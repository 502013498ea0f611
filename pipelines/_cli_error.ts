/**
 * Folder-private: how the pipeline CLIs parse flags, end on an error, and stay tied to their parent process.
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs, type ParseArgsConfig, type ParseArgsOptionsConfig } from "node:util";
import { ConfigError, FmaiError, oneLine, redact } from "@lib/core/mod.ts";
import { secretsOf } from "@lib/store/mod.ts";

/** Runs a flag parser (e.g. `node:util` `parseArgs`), turning its failure into a one-line `ConfigError`. */
export function asConfigError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    // a value that starts with a dash (a negative number) is taken for a flag: say how to give it
    const dash = /^Option '(--[\w-]+)' argument is ambiguous/.exec((e as Error)?.message ?? "");
    if (dash) {
      throw new ConfigError(
        `${dash[1]}: a value that starts with "-" is written ${dash[1]}=VALUE (e.g. ${dash[1]}=-5)`,
        { cause: e },
      );
    }
    throw new ConfigError(oneLine(e).replace(/\. To specify a positional argument.*$/, ""), { cause: e });
  }
}

/**
 * `node:util` `parseArgs`, and a flag that takes one value given twice is a `ConfigError` (`parseArgs` keeps
 * the last one silently: `--symbols A --symbols B` would run on `B` alone). Flags with `multiple: true` and
 * booleans may repeat. The result holds `tokens` whether or not `config` asks for them.
 */
export function parseArgsOnce<const T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const r = parseArgs({ ...config, tokens: true });
  const seen = new Set<string>();
  for (const t of r.tokens ?? []) {
    if (t.kind !== "option") continue;
    const o = config.options?.[t.name];
    if (!o || o.type !== "string" || o.multiple) continue;
    if (seen.has(t.name)) throw new ConfigError(`${t.rawName} is given twice: give it once`);
    seen.add(t.name);
  }
  return r as ReturnType<typeof parseArgs<T>>;
}

/**
 * The refusal of a comma-separated list (`list`, as given; `names`, its items) that names an item twice:
 * `s3 is given twice (in "s3,s3")`, or null when none is. Lists of distinct items (`--stores`, `--kinds`,
 * `--what`) are refused, not collapsed without a word.
 */
export function givenTwice(names: readonly string[], list: string): string | null {
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  return twice === undefined ? null : `${twice} is given twice (in ${JSON.stringify(list)})`;
}

/**
 * Parses `argv` strictly against `options` with {@link parseArgsOnce} (positionals allowed where `positionals`
 * is true, the default), an unknown, malformed or repeated flag a one-line `ConfigError`.
 */
export function parseFlags<const O extends ParseArgsOptionsConfig>(
  argv: string[],
  options: O,
  positionals = true,
) {
  return asConfigError(() =>
    parseArgsOnce({ args: argv, allowPositionals: positionals, strict: true, options })
  );
}

/** Deno's file-system errors a user's path causes (a flag or config value naming a bad place). */
const PATH_ERRORS = new Set([
  "NotFound",
  "PermissionDenied",
  "AlreadyExists",
  "NotADirectory",
  "IsADirectory",
  "NotCapable",
  "FilesystemLoop",
]);

/**
 * Prints `e` and returns the exit code, with every secret of the environment redacted (found by parsing, see
 * `secretsOf`):
 * - a user mistake (`FmaiError` with `userError`, or a file-system error on a path the user named): one line
 *   `error: ...`, code 2;
 * - an operational failure (any other `FmaiError`: a server down, a source failing): one line, code 1;
 * - anything else is an internal invariant broken (a bug, e.g. a `RangeError` deep in `lib/`): one line
 *   `internal error: ...` plus its stack (the stack is for whoever fixes it), code 1.
 */
export function reportCliError(e: unknown, env: Record<string, string | undefined> = envOf()): number {
  const secrets = secretsOf(env);
  const line = redact(oneLine(e), secrets);
  if (e instanceof FmaiError) {
    console.error(`error: ${line}`);
    return e.userError ? 2 : 1;
  }
  if (e instanceof Error && PATH_ERRORS.has(e.name)) {
    console.error(`error: ${line}`);
    return 2;
  }
  const stack = e instanceof Error && e.stack ? e.stack.split("\n").slice(1).join("\n") : "";
  console.error(`internal error (a bug): ${line}${stack ? `\n${redact(stack, secrets)}` : ""}`);
  return 1;
}

/** Flags of every CLI that reads the stores: `--config FILE`, `--store-dir DIR`, `--stores LIST`, `--help`. */
export const STORE_FLAGS = {
  config: { type: "string" },
  "store-dir": { type: "string" },
  stores: { type: "string" },
  help: { type: "boolean" },
} as const;
function envOf(): Record<string, string | undefined> {
  try {
    return Deno.env.toObject();
  } catch {
    return {};
  }
}

/**
 * Ends this process when the process that started it goes away (checked every `everyMs`): `deno task`
 * forwards SIGINT/SIGTERM/SIGHUP to its child, but when it is killed with SIGKILL the child would keep
 * running (and writing) on its own. The check runs in a Worker (`_parent_watch.ts`), so a main thread busy with
 * long synchronous work (training) is stopped all the same; the process ends with SIGTERM (exit 143). Linux
 * only (reads `/proc/self/stat`); a no-op elsewhere. The CLIs end with `Deno.exit`, so the Worker never keeps
 * them alive.
 */
export function exitWithParent(everyMs = 500): void {
  let ppid: number;
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return;
  }
  if (!Number.isInteger(ppid) || ppid <= 1) return;
  const w = new Worker(new URL("./_parent_watch.ts", import.meta.url), { type: "module" });
  w.postMessage({ ppid, everyMs });
}

/** Runs a CLI's `main` on this process's arguments, tied to its parent (`exitWithParent`), and exits with its code. */
export async function runAsMain(main: (argv: string[]) => Promise<number>): Promise<never> {
  exitWithParent();
  Deno.exit(await main(Deno.args));
}

/**
 * Refuses an empty (or blank) path a flag names: it names no place, and is never read as "none" or as the
 * current folder. A one-line `ConfigError`: `--store-dir: empty path (name a folder)`; `what` is what to name.
 */
export function refuseEmptyPath(path: string, flag: string, what = "a folder"): void {
  if (path.trim() === "") throw new ConfigError(`${flag}: empty path (name ${what})`);
}

/**
 * Refuses, before any work starts, a folder the run could not write (`--store-dir`, the report's
 * folder): the nearest existing ancestor must be a directory in which a file can be created (tried with a
 * temporary file, removed at once; as root, permission bits alone would say yes). Creates nothing else.
 * A `ConfigError` naming `flag` and the reason.
 */
export async function checkWritableDir(dir: string, flag: string): Promise<void> {
  refuseEmptyPath(dir, flag); // "" would probe the root folder ("/" without its trailing slashes)
  let probe = dir.replace(/\/+$/, "") || "/";
  for (;;) {
    try {
      const st = await Deno.stat(probe);
      if (!st.isDirectory) throw new ConfigError(`${flag} ${dir}: ${probe} is not a folder`);
      break;
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      if (!(e instanceof Deno.errors.NotFound) && !(e instanceof Deno.errors.NotADirectory)) {
        throw new ConfigError(`${flag} ${dir}: cannot use ${probe} (${oneLine(e)})`, { cause: e });
      }
      const up = probe.includes("/") ? probe.slice(0, probe.lastIndexOf("/")) || "/" : ".";
      if (up === probe) break;
      probe = up;
    }
  }
  try {
    const f = await Deno.makeTempFile({ dir: probe, prefix: ".fmai-write-check-" });
    await Deno.remove(f);
  } catch (e) {
    throw new ConfigError(`${flag} ${dir}: cannot write in ${probe} (${oneLine(e)})`, { cause: e });
  }
}

/**
 * The real path of `path`, which need not exist: its nearest existing ancestor's, symbolic links resolved, with
 * the rest of `path` after it.
 */
export function resolvedPath(path: string): string {
  const rest: string[] = [];
  let p = resolve(path);
  for (;;) {
    try {
      return join(Deno.realPathSync(p), ...rest.reverse());
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) && !(e instanceof Deno.errors.NotADirectory)) throw e;
      const up = dirname(p);
      if (up === p) return resolve(path);
      rest.push(basename(p));
      p = up;
    }
  }
}

/**
 * Refuses, before anything is written, a destination folder (`--out`, `--to parquet:DIR`, `--to embedded:DIR`)
 * that is the folder of the embedded store a run reads (`storeDir`; `storeNamed` says where it was named, e.g.
 * `--store-dir DIR`) or inside it (real paths, links resolved): its files would become the store's (a copy into
 * `<store>/objects` made them store objects). A one-line `ConfigError` starting with `named` (the flag and
 * folder as given). Creates nothing.
 */
export function checkOutsideStore(
  dest: string,
  named: string,
  storeDir: string,
  storeNamed: string,
): void {
  const [d, s] = [resolvedPath(dest), resolvedPath(storeDir)];
  if (d === s || d.startsWith(s.endsWith("/") ? s : `${s}/`)) {
    throw new ConfigError(
      `${named}: ${
        d === s ? "is" : "is inside"
      } the folder of the store it reads (${storeNamed}): its files would become the store's; ` +
        `name a folder outside it`,
    );
  }
}

/** How {@linkcode checkReportPath} treats the file's folder and names the file. */
export interface OutFileOptions {
  /**
   * A parent folder that does not exist: `"create"` (the default: the run creates it, so the nearest existing
   * ancestor must be a folder that can be written) or `"refuse"` (the folder must exist and be writable).
   */
  missingFolder?: "create" | "refuse";
  /** What the file is, in the message refusing an empty path (default `HTML file`). */
  what?: string;
  /** A file name suggested when the path is a folder (default `report.html`; `null`: no suggestion). */
  example?: string | null;
}

/**
 * Refuses, before any work starts, a path the run could not write its output file to (`--report FILE` or the
 * configured report folder's file, `--junit FILE`, a bench's `--json FILE`): an empty path, a path ending in
 * `/`, an existing folder (or anything else that is not a plain file: a plain file is replaced), a missing
 * parent folder (or a file where it should be) when `missingFolder` is `"refuse"`, or a folder that cannot be
 * written (see {@linkcode checkWritableDir}). Creates nothing. A one-line `ConfigError` naming `flag`.
 */
export async function checkReportPath(
  path: string,
  flag: string,
  { missingFolder = "create", what = "HTML file", example = "report.html" }: OutFileOptions = {},
): Promise<void> {
  refuseEmptyPath(path, flag, `the ${what} to write`);
  if (path.endsWith("/")) throw new ConfigError(`${flag} ${path}: names a folder, not a file`);
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  const kind = async (p: string) => {
    try {
      const st = await Deno.stat(p);
      return st.isDirectory ? "folder" : st.isFile ? "file" : "other";
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return "missing";
      throw new ConfigError(`${flag} ${path}: cannot use it (${oneLine(e)})`, { cause: e });
    }
  };
  const at = await kind(path);
  if (at === "folder") {
    throw new ConfigError(
      `${flag} ${path}: is a folder, not a file${example === null ? "" : ` (e.g. ${path}/${example})`}`,
    );
  }
  if (at === "other") throw new ConfigError(`${flag} ${path}: exists and is not a plain file`);
  if (at === "file") {
    // a file the run would replace at its end: one it may not write (read-only, immutable, another user's) is
    // refused now, not after the work (opened without truncating, so it is left as it is)
    try {
      (await Deno.open(path, { write: true })).close();
    } catch (e) {
      throw new ConfigError(`${flag} ${path}: cannot be replaced (${oneLine(e)})`, { cause: e });
    }
  }
  if (missingFolder === "refuse") {
    // the nearest existing place on the way up says why: a missing folder, or a file where a folder should be
    let up = dir;
    let k = await kind(up);
    while (k === "missing" && dirname(up) !== up) k = await kind(up = dirname(up));
    if (k !== "folder") throw new ConfigError(`${flag} ${path}: ${up} is not a folder`);
    if (up !== dir) throw new ConfigError(`${flag} ${path}: folder ${dir} does not exist`);
  }
  await checkWritableDir(dir, flag);
}
