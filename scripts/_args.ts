/**
 * Flags of the bench and maintenance scripts (`deno task bench:*`, `notebooks`, `gpu:prepare`): `--help` prints
 * a usage line built from the options and exits 0; an unknown or malformed flag is one line `error: ...` and
 * exit code 2, before any work (node's `parseArgs` alone throws an uncaught `TypeError` with a stack trace).
 * A flag's value is checked the same way, before any work: {@linkcode toolCheck} around {@linkcode intFlag},
 * {@linkcode intListFlag}, {@linkcode outFileFlag} (or any check throwing a `ConfigError`).
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import { ConfigError, shown, wholeNumber, type WholeNumberRange } from "@lib/core/mod.ts";
import { checkReportPath, givenTwice, parseFlags, reportCliError } from "../pipelines/_cli_error.ts";

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

/**
 * Runs `check` (the checks of the flags' values): its error is reported as a bad flag is (one line, exit 2).
 * An asynchronous check returns its promise, whose rejection is reported the same way.
 */
export function toolCheck<T>(check: () => T): T {
  const fail = (e: unknown): never => Deno.exit(reportCliError(e));
  try {
    const out = check();
    return (out instanceof Promise ? out.catch(fail) : out) as T;
  } catch (e) {
    return fail(e);
  }
}

/** `value` of `--flag` as a whole number in `range` (default: a positive one): {@linkcode wholeNumber}. */
export function intFlag(flag: string, value: string, range: WholeNumberRange = {}): number {
  return wholeNumber(value, `--${flag}`, range);
}

/**
 * `value` of `--flag` as a comma-separated list of whole numbers, each as {@linkcode intFlag} checks it (at least
 * one, each once: a number given twice would run the same measurement twice).
 */
export function intListFlag(flag: string, value: string, range: WholeNumberRange = {}): number[] {
  let list: number[];
  try {
    list = value.split(",").map((v) => intFlag(flag, v, range));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(
      `${e.message.replace(/, got .*$/, "")} or a comma-separated list of them, got ${shown(value)}`,
    );
  }
  const twice = givenTwice(list.map(String), value);
  if (twice) throw new ConfigError(`--${flag}: ${twice}`);
  return list;
}

/**
 * `path` of `--flag` as a file the run can write at its end (checked before it starts): not empty, not a
 * folder, in a folder that exists and can be written ({@linkcode checkReportPath}, a missing folder refused).
 * A `ConfigError` naming the flag otherwise.
 */
export async function outFileFlag(flag: string, path: string): Promise<string> {
  await checkReportPath(path, `--${flag}`, { missingFolder: "refuse", what: "file", example: null });
  return path;
}

/**
 * Where a benchmark writes its results: `--json FILE` when given (checked by {@linkcode outFileFlag}, a bad one
 * is a one-line error and exit 2), else `bench/results/<name>-<today>.json`.
 */
export async function benchResultsFile(name: string, json: string | undefined): Promise<string> {
  if (json !== undefined) return await toolCheck(() => outFileFlag("json", json));
  return new URL(`../bench/results/${name}-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url)
    .pathname;
}
