/**
 * `deno task actionlint`: checks `.github/workflows/*.yml` with actionlint, built once with the Go toolchain
 * through the Go module proxy and cached in `~/.cache/fmai/bin/actionlint-<version>` (like the service binaries
 * of `scripts/services.ts`). Exit 0 clean, 1 findings or a failed build.
 * @module
 */
import { fileURLToPath } from "node:url";
import { CACHE_DIR, exists, run } from "./_services_common.ts";
import { toolArgs } from "./_args.ts";

/** The pinned actionlint version. */
export const ACTIONLINT_VERSION = "v1.7.7";
const BIN = `${CACHE_DIR}/bin/actionlint-${ACTIONLINT_VERSION}`;

/** Builds the pinned actionlint into the cache (no-op when built); returns its path. */
export async function buildActionlint(): Promise<string> {
  if (await exists(BIN)) return BIN;
  const gobin = await Deno.makeTempDir({ prefix: "fmai-actionlint-" });
  try {
    console.error(`building actionlint ${ACTIONLINT_VERSION} with go install (once; cached in ${BIN})`);
    await run("go", [
      "install",
      "-trimpath",
      `github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}`,
    ], {
      env: { ...Deno.env.toObject(), GOTOOLCHAIN: "local", GOBIN: gobin },
    });
    await Deno.mkdir(`${CACHE_DIR}/bin`, { recursive: true });
    await Deno.rename(`${gobin}/actionlint`, BIN);
  } finally {
    await Deno.remove(gobin, { recursive: true }).catch(() => {});
  }
  return BIN;
}

if (import.meta.main) {
  toolArgs("actionlint", {}); // no flags: --help prints the usage, anything else is one line, exit 2
  try {
    const bin = await buildActionlint();
    const root = fileURLToPath(new URL("..", import.meta.url));
    const files: string[] = [];
    for await (const e of Deno.readDir(`${root}.github/workflows`)) {
      if (e.isFile && /\.ya?ml$/.test(e.name)) files.push(`.github/workflows/${e.name}`);
    }
    files.sort();
    const out = await new Deno.Command(bin, {
      args: ["-no-color", ...files],
      cwd: root,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (out.success) {
      console.log(`actionlint ${ACTIONLINT_VERSION}: ${files.length} workflows clean (${files.join(", ")})`);
    }
    Deno.exit(out.success ? 0 : 1);
  } catch (e) {
    console.error(`actionlint: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
