import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok } from "node:assert/strict";
import { probeWebGpu } from "@lib/models/mod.ts";
import { type BackendReport, formatReports, parseGpuCheckArgs } from "./gpu_check.ts";

const probe = await probeWebGpu().catch(() => null);

Deno.test({
  name: "gpu check: WebGPU (fallback adapter allowed) trains the MLP and an LSTM with wasm's losses",
  ignore: !probe,
  async fn() {
    const json = await Deno.makeTempFile({ suffix: ".json" });
    const args = ["--backends", "webgpu,wasm", "--allow-fallback", "--seq", "lstm", "--symbols", "8"];
    args.push("--sessions", "200", "--epochs", "1", "--batch", "256", "--json", json);
    const p = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fileURLToPath(new URL("./gpu_check.ts", import.meta.url)), ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(p.stdout);
    console.log(out.trim());
    equal(p.code, 0, new TextDecoder().decode(p.stderr).slice(-500));
    const { reports } = JSON.parse(await Deno.readTextFile(json)) as { reports: BackendReport[] };
    await Deno.remove(json);
    const [gpu, wasm] = reports;
    equal(gpu.backend, "webgpu", gpu.error);
    equal(wasm.backend, "wasm", wasm.error);
    deepEqual(gpu.models!.map((m) => m.model), ["mlp-tfjs", "lstm"]);
    for (let k = 0; k < 2; k++) {
      const a = gpu.models![k], b = wasm.models![k];
      ok(Math.abs(a.validLoss - b.validLoss) < 1e-4, `${a.model}: loss ${a.validLoss} vs ${b.validLoss}`);
      ok(
        Math.abs(a.meanScore - b.meanScore) < 1e-3,
        `${a.model}: mean score ${a.meanScore} vs ${b.meanScore}`,
      );
    }
    ok(/ratio webgpu vs wasm, lstm: fit/.test(out));
  },
});

Deno.test("gpu check: flags are checked before any work", () => {
  const o = parseGpuCheckArgs(["--backends", "wasm", "--epochs", "2"]);
  deepEqual([o.backends, o.epochs, o.seq, o.allowFallback], [["wasm"], 2, "lstm", false]);
  for (const bad of [["--backends", "cuda"], ["--epochs", "0"], ["--seq", "rnn"], ["--nope"]]) {
    let threw = false;
    try {
      parseGpuCheckArgs(bad);
    } catch {
      threw = true;
    }
    ok(threw, bad.join(" "));
  }
  const lines = formatReports([{ requested: "webgpu", error: "no WebGPU adapter" }]);
  deepEqual(lines, ["webgpu: NOT RUN: no WebGPU adapter"]);
});

Deno.test("gpu_check.sh: without a Vulkan loader its line says whether WebGPU still has OpenGL (EGL), not 'no adapter'", async () => {
  // the script alone in a scratch checkout (no .gl/ to unpack), with stand-ins for deno and ldconfig on PATH
  const dir = await Deno.makeTempDir({ prefix: "fmai-gpu-sh-" });
  try {
    await Deno.mkdir(`${dir}/scripts`);
    await Deno.mkdir(`${dir}/bin`);
    await Deno.copyFile(
      fileURLToPath(new URL("./gpu_check.sh", import.meta.url)),
      `${dir}/scripts/gpu_check.sh`,
    );
    await Deno.writeTextFile(`${dir}/bin/deno`, "#!/bin/sh\necho deno stub\n");
    await Deno.chmod(`${dir}/bin/deno`, 0o755);
    const loaderLine = async (libs: string[]) => {
      const cache = libs.map((l) => `\t${l} (libc6,x86-64) => /lib/x86_64-linux-gnu/${l}`).join("\n");
      await Deno.writeTextFile(`${dir}/bin/ldconfig`, `#!/bin/sh\nprintf '%s\\n' '${cache}'\n`);
      await Deno.chmod(`${dir}/bin/ldconfig`, 0o755);
      const p = await new Deno.Command("bash", {
        args: [`${dir}/scripts/gpu_check.sh`, "--help"],
        env: { PATH: `${dir}/bin:/usr/bin:/bin`, VK_DRIVER_FILES: "x" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return new TextDecoder().decode(p.stdout).split("\n").find((l) => l.startsWith("vulkan loader:")) ??
        null;
    };
    // Deno's WebGPU then falls back to OpenGL through EGL (Mesa's llvmpipe on a machine without a GPU): the line
    // said "WebGPU will find no adapter" and the check went on to print the llvmpipe adapter
    const egl = await loaderLine(["libEGL.so.1", "libGL.so.1"]);
    ok(
      egl !== null &&
        /^vulkan loader: none installed .*; WebGPU can use only OpenGL through libEGL\.so\.1/.test(egl),
      `${egl}`,
    );
    ok(!/no adapter/.test(egl!), egl!);
    const none = await loaderLine(["libz.so.1"]);
    ok(
      none !== null && /and no libEGL\.so\.1 for OpenGL: WebGPU will find no adapter$/.test(none),
      `${none}`,
    );
    equal(await loaderLine(["libvulkan.so.1", "libEGL.so.1"]), null, "a loader is there: nothing to say");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
