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
