/**
 * Flags of the bench and maintenance scripts (`deno task bench:*`, `notebooks`, `gpu:prepare`): `--help` prints
 * a usage line built from the options and exits 0; an unknown or malformed flag is one line `error: ...` and
 * exit code 2, before any work (node's `parseArgs` alone throws an uncaught `TypeError` with a stack trace).
 * A flag's value is checked the same way, before any work: {@linkcode toolCheck} around {@linkcode intFlag},
 * {@linkcode intListFlag}, {@linkcode outFileFlag} (or any check throwing a `ConfigError`).
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import { ConfigError } from "@lib/core/mod.ts";
import { parseFlags, reportCliError } from "../pipelines/_cli_error.ts";

/** The usage line of `task` with `options` (defaults shown). */
export function toolUsage(task: string, options: ParseArgsOptionsConfig, positionals = false): string {
  const flags = Object.entries(options).map(([name, o]) =>
    o.type === "boolean"
      ? `[--${name}]`
      : `[--${name} ${o.default !== undefined ? `VALUE (default ${o.default})` : "VALUE"}]`
  );
  return ["usage: deno task", task, ...flags, ...(positionals ? ["[ARGS...]"] : [])].join(" ");
}

/** Parses `args` (default `Deno.args`) strictly; handles `--help` and bad flags as the module says. */
export function toolArgs<const O extends ParseArgsOptionsConfig>(
  task: string,
  options: O,
  { args = Deno.args, positionals = false }: { args?: string[]; positionals?: boolean } = {},
) {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(toolUsage(task, options, positionals));
    Deno.exit(0);
  }
  try {
    return parseFlags(args, options, positionals); // the CLIs' parser: a bad flag is a ConfigError
  } catch (e) {
    Deno.exit(reportCliError(e)); // one line, exit 2
  }
}

/** Runs `check` (the checks of the flags' values): its error is reported as a bad flag is (one line, exit 2). */
export function toolCheck<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    Deno.exit(reportCliError(e));
  }
}

/**
 * `value` of `--flag` as an integer from `min` (default 1: a positive integer) to `max` (default none); a
 * `ConfigError` naming the flag otherwise (`abc`, `1.5`, `1e3`, `-1`, `0` when `min` is 1, an empty string).
 */
export function intFlag(
  flag: string,
  value: string,
  { min = 1, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  const want = max !== Number.MAX_SAFE_INTEGER
    ? `an integer from ${min} to ${max}`
    : min === 1
    ? "a positive integer"
    : `an integer >= ${min}`;
  throw new ConfigError(`--${flag}: expected ${want}, got ${JSON.stringify(value)}`);
}

/** `value` of `--flag` as a comma-separated list of integers, each as {@linkcode intFlag} checks it (at least one). */
export function intListFlag(
  flag: string,
  value: string,
  range: { min?: number; max?: number } = {},
): number[] {
  try {
    return value.split(",").map((v) => intFlag(flag, v, range));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(
      `${e.message.replace(/, got .*$/, "")} or a comma-separated list of them, got ${JSON.stringify(value)}`,
    );
  }
}

/**
 * `path` of `--flag` as a file the run can write at its end (checked before it starts): not empty, not a
 * folder, in a folder that exists. A `ConfigError` naming the flag otherwise.
 */
export function outFileFlag(flag: string, path: string): string {
  if (path.trim() === "") throw new ConfigError(`--${flag}: empty path (name the file to write)`);
  if (path.endsWith("/")) throw new ConfigError(`--${flag} ${path}: names a folder, not a file`);
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  const kind = (p: string) => {
    try {
      const st = Deno.statSync(p);
      return st.isDirectory ? "folder" : st.isFile ? "file" : "other";
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return "missing";
      throw new ConfigError(`--${flag} ${path}: cannot use it (${e instanceof Error ? e.message : e})`);
    }
  };
  const at = kind(path);
  if (at === "folder") throw new ConfigError(`--${flag} ${path}: is a folder, not a file`);
  if (at === "other") throw new ConfigError(`--${flag} ${path}: exists and is not a plain file`);
  if (kind(dir) !== "folder") throw new ConfigError(`--${flag} ${path}: folder ${dir} does not exist`);
  return path;
}
