/**
 * Folder-private: how the pipeline CLIs end on an error.
 * @module
 */
import { FmaiError, oneLine } from "@lib/core/mod.ts";

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
