/**
 * Flags of the bench and maintenance scripts (`deno task bench:*`, `notebooks`, `gpu:prepare`): `--help` prints
 * a usage line built from the options and exits 0; an unknown or malformed flag is one line `error: ...` and
 * exit code 2, before any work (node's `parseArgs` alone throws an uncaught `TypeError` with a stack trace).
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

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
  const usage = toolUsage(task, options, positionals);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage);
    Deno.exit(0);
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: positionals });
  } catch (e) {
    console.error(`error: ${(e as Error).message.split("\n")[0]} (${usage})`);
    Deno.exit(2);
  }
}
