/**
 * `deno task gpu:prepare`: what `scripts/gpu_check.sh` needs on a bare GPU machine (no Deno, no network), in
 * two git-ignored folders to carry there (64 MiB at most together):
 *
 * - `.gpu/gpu_check.js`: `scripts/gpu_check.ts` bundled with every npm dependency (`deno bundle`), plus
 *   `.gpu/wasm/*.wasm` (tfjs-backend-wasm's binaries, loaded from a path given on the command line).
 * - `.gpu/deno.xz`: this Deno binary, xz-compressed (about 30 MB).
 * - `.gl/*.deb`: Debian's Vulkan/EGL/GL loader packages (`libvulkan1 libegl1 libglvnd0 libopengl0 libgl1
 *   libglx0 libgles2`, amd64), which the check unpacks when the machine has no Vulkan loader.
 *
 * Options: `--skip-deno` (keep or omit deno.xz), `--skip-debs`. Re-running replaces the bundle and keeps an
 * existing deno.xz of the same Deno version.
 * @module
 */
import { toolArgs } from "./_args.ts";
import { LANGUAGE_MODEL_PACKAGES } from "./_bundle_externals.ts";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const GPU_DIR = `${ROOT}.gpu`, GL = `${ROOT}.gl`;
/** The loader packages the device README names. */
export const LOADER_DEBS = [
  "libvulkan1",
  "libegl1",
  "libglvnd0",
  "libopengl0",
  "libgl1",
  "libglx0",
  "libgles2",
];
/** The most the device machine accepts for the working tree and carried folders. */
export const CARRY_LIMIT = 64 * 1024 * 1024;

async function run(cmd: string, args: string[], opts: { cwd?: string; stdout?: string } = {}): Promise<void> {
  const p = await new Deno.Command(cmd, { args, cwd: opts.cwd, stdout: "piped", stderr: "piped" }).output();
  if (!p.success) {
    // the tool's colours left out of the one line
    // deno-lint-ignore no-control-regex
    const err = new TextDecoder().decode(p.stderr).replace(/\x1b\[[0-9;]*m/g, "").trim().slice(-400);
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err}`);
  }
  if (opts.stdout) await Deno.writeFile(opts.stdout, p.stdout);
}

async function size(path: string): Promise<number> {
  let s = 0;
  try {
    const st = await Deno.stat(path);
    if (st.isFile) return st.size;
    for await (const e of Deno.readDir(path)) s += await size(`${path}/${e.name}`);
  } catch {
    // missing: 0
  }
  return s;
}

/** Builds `.gpu/` and `.gl/` (or the bundle alone in `opts.gpuDir`, a test's); returns the bytes of each. */
export async function gpuPrepare(
  opts: { skipDeno?: boolean; skipDebs?: boolean; gpuDir?: string } = {},
): Promise<Record<string, number>> {
  const GPU = opts.gpuDir ?? GPU_DIR;
  await Deno.mkdir(`${GPU}/wasm`, { recursive: true });
  // bundle: npm packages resolved from node_modules (deno install), the @lib/ alias from deno.json
  await run(Deno.execPath(), ["install", "--quiet"], { cwd: ROOT });
  // the language model's packages stay out: the check never loads them (lib/models imports them lazily), and
  // onnxruntime-node's native binding has no loader in a bundle
  await run(Deno.execPath(), [
    "bundle",
    "--quiet",
    "--platform",
    "deno",
    ...LANGUAGE_MODEL_PACKAGES.flatMap((p) => ["--external", p]),
    "-o",
    `${GPU}/gpu_check.js`,
    "scripts/gpu_check.ts",
  ], {
    cwd: ROOT,
  });
  // tfjs-backend-wasm's Emscripten loader reads __dirname in Node mode; a bundle is an ES module without it
  const js = await Deno.readTextFile(`${GPU}/gpu_check.js`);
  await Deno.writeTextFile(
    `${GPU}/gpu_check.js`,
    `globalThis.__dirname ??= new URL(".", import.meta.url).pathname;\n` +
      `globalThis.__filename ??= new URL(import.meta.url).pathname;\n${js}`,
  );
  const wasmDir = new URL(".", import.meta.resolve("@tensorflow/tfjs-backend-wasm")).pathname;
  for await (const e of Deno.readDir(wasmDir)) {
    if (e.name.endsWith(".wasm")) await Deno.copyFile(`${wasmDir}${e.name}`, `${GPU}/wasm/${e.name}`);
  }
  if (!opts.skipDeno) {
    const stamp = `${GPU}/deno.version`;
    const have = await Deno.readTextFile(stamp).catch(() => "");
    if (have.trim() !== Deno.version.deno || (await size(`${GPU}/deno.xz`)) === 0) {
      await run("xz", ["-9", "-T2", "-c", Deno.execPath()], { stdout: `${GPU}/deno.xz` });
      await Deno.writeTextFile(stamp, `${Deno.version.deno}\n`);
    }
  }
  if (!opts.skipDebs) {
    await Deno.mkdir(GL, { recursive: true });
    // apt's package lists in a folder of this run's own (not a fixed path other users of the machine share)
    const lists = await Deno.makeTempDir({ prefix: "fmai-apt-lists-" });
    try {
      await Deno.mkdir(`${lists}/partial`, { recursive: true });
      const o = ["-oAPT::Architecture=amd64", "-oAPT::Architectures=amd64", `-oDir::State::Lists=${lists}`];
      await run("apt-get", [...o, "update"]);
      for await (const e of Deno.readDir(GL)) {
        if (e.name.endsWith(".deb")) await Deno.remove(`${GL}/${e.name}`);
      }
      await run("apt-get", [...o, "download", ...LOADER_DEBS], { cwd: GL });
    } finally {
      await Deno.remove(lists, { recursive: true });
    }
  }
  return { ".gpu": await size(GPU), ".gl": await size(GL) };
}

if (import.meta.main) {
  const { values } = toolArgs("gpu:prepare", {
    "skip-deno": { type: "boolean" },
    "skip-debs": { type: "boolean" },
  });
  try {
    const sizes = await gpuPrepare({ skipDeno: values["skip-deno"], skipDebs: values["skip-debs"] });
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    for (const [k, v] of Object.entries(sizes)) console.log(`${k}: ${(v / 2 ** 20).toFixed(1)} MiB`);
    console.log(
      `total ${(total / 2 ** 20).toFixed(1)} MiB of ${
        CARRY_LIMIT / 2 ** 20
      } MiB; carry .gpu and .gl, then run:`,
    );
    console.log("  bash scripts/gpu_check.sh");
    if (total > CARRY_LIMIT) {
      console.error(`over the carry limit by ${((total - CARRY_LIMIT) / 2 ** 20).toFixed(1)} MiB`);
      Deno.exit(1);
    }
  } catch (e) {
    console.error(`gpu:prepare: ${(e as Error).message.split("\n")[0]}`);
    Deno.exit(1);
  }
}
