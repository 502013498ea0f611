/**
 * Flags of the bench and maintenance scripts (`deno task bench:*`, `notebooks`, `gpu:prepare`): `--help` prints
 * a usage line built from the options and exits 0; an unknown or malformed flag is one line `error: ...` and
 * exit code 2, before any work (node's `parseArgs` alone throws an uncaught `TypeError` with a stack trace).
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
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
