/**
 * Test helper for the tests that run a CLI as a subprocess and read its stderr.
 * @module
 */

/** The line Deno prints while another process (a parallel test's deno) holds the node_modules lock. */
// deno-lint-ignore no-control-regex -- the notice may come with ANSI colour codes (ESC [ ... m)
const LOCK_NOTICE = /^\s*(\x1b\[[0-9;]*m)*Blocking\S*\s+waiting for file lock/;

/**
 * A subprocess's stderr as the program wrote it: decoded, without Deno's own "Blocking waiting for file lock on
 * node_modules directory" lines (printed when parallel tests' processes start at once), trimmed.
 */
export function programStderr(stderr: Uint8Array): string {
  return new TextDecoder().decode(stderr).split("\n").filter((l) => !LOCK_NOTICE.test(l)).join("\n").trim();
}
