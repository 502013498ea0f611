import { equal, ok } from "node:assert/strict";
import { gpuPrepare } from "./gpu_prepare.ts";

Deno.test("gpu:prepare bundles the GPU check, which then runs without node_modules (its --help)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // it failed on a fresh clone: the bundler followed lib/models' lazy import of onnxruntime-node's binding
    const sizes = await gpuPrepare({ skipDeno: true, skipDebs: true, gpuDir: `${dir}/.gpu` });
    ok(sizes[".gpu"] > 1e6, `bundle and wasm: ${sizes[".gpu"]} bytes`);
    ok((await Array.fromAsync(Deno.readDir(`${dir}/.gpu/wasm`))).some((e) => e.name.endsWith(".wasm")));
    // run from a folder with no node_modules, as on the bare GPU machine
    const p = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${dir}/.gpu/gpu_check.js`, "--help"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(p.code, 0, new TextDecoder().decode(p.stderr).slice(-400));
    ok(new TextDecoder().decode(p.stdout).startsWith("usage: gpu_check "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
