/**
 * Folder-private: how the pipeline CLIs parse flags and end on an error.
 * @module
 */
import { ConfigError, FmaiError, oneLine } from "@lib/core/mod.ts";

/** Runs a flag parser (e.g. `node:util` `parseArgs`), turning its failure into a one-line `ConfigError`. */
export function asConfigError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new ConfigError(oneLine(e).replace(/\. To specify a positional argument.*$/, ""), { cause: e });
  }
}

/**
 * Prints `e` and returns the exit code: a user error (`FmaiError` with `userError`, or a `RangeError`) as one
 * line `error: ...` and code 2; anything else with its stack and code 1.
 */
export function reportCliError(e: unknown): number {
  if ((e instanceof FmaiError && e.userError) || e instanceof RangeError) {
    console.error(`error: ${oneLine(e)}`);
    return 2;
  }
  console.error(e);
  return 1;
}

/** Flags of every CLI that reads the stores: `--config FILE`, `--store-dir DIR`, `--stores LIST`, `--help`. */
export const STORE_FLAGS = {
  config: { type: "string" },
  "store-dir": { type: "string" },
  stores: { type: "string" },
  help: { type: "boolean" },
} as const;
