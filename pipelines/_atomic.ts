/**
 * The one way the CLIs replace a file whole: written under a temporary name in the same folder, then renamed
 * over it, so a reader (or a run killed meanwhile) never sees half a file; the temporary file is removed when
 * the write or the rename fails.
 * @module
 */

/** Writes `data` to `path` through `<path>.tmp-<pid>` and a rename; `mode` sets the new file's permissions. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: { mode?: number } = {},
): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  const o = opts.mode === undefined ? {} : { mode: opts.mode };
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data, o);
    else await Deno.writeFile(tmp, data, o);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
