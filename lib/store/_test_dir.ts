/**
 * Folder-private test helper: a fresh temporary folder for one test, removed afterwards.
 * @module
 */

/** Runs `fn` with a new temporary folder and removes it afterwards, whatever happens. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fmai-store-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
