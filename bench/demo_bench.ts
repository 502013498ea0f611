/**
 * Benchmark of `deno task demo`: the whole pipeline on the synthetic market with fresh embedded stores, timed
 * per step, run in-process `--runs` times (a positive integer, default 3) plus one cold run as a subprocess
 * (what a user waits for, including Deno start-up and module loading). Writes bench/results/demo-<date>.json.
 */
import { fileURLToPath } from "node:url";
import { median } from "../scripts/_bench.ts";
import { intFlag, toolArgs, toolCheck } from "../scripts/_args.ts";
import { loadConfig } from "../pipelines/config.ts";
import { runPipeline } from "../pipelines/run.ts";

const args = toolArgs("bench:demo", { runs: { type: "string", default: "3" } });
const runs = toolCheck(() => intFlag("runs", args.values.runs));
const root = fileURLToPath(new URL("..", import.meta.url));

async function coldRun(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "fmai-bench-cold-" });
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "pipelines/cli.ts",
      "demo",
      "--quiet",
      "--store-dir",
      `${dir}/data`,
      "--report",
      `${dir}/demo.html`,
    ],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  await Deno.remove(dir, { recursive: true });
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  return ms;
}

const cold = await coldRun();
const perStep = new Map<string, number[]>();
const totals: number[] = [];
for (let r = 0; r < runs; r++) {
  const dir = await Deno.makeTempDir({ prefix: "fmai-bench-" });
  const cfg = await loadConfig({ overrides: { dataDir: `${dir}/data`, reportDir: `${dir}/reports` } });
  const t0 = performance.now();
  const s = await runPipeline(cfg, { run: "bench", quiet: true });
  totals.push(performance.now() - t0);
  for (const [k, v] of s.timings) perStep.set(k, [...(perStep.get(k) ?? []), v]);
  await Deno.remove(dir, { recursive: true });
}
console.log(`deno task demo, cold subprocess: ${(cold / 1000).toFixed(2)} s (goal < 60 s)`);
console.log(`in-process median of ${runs}: ${(median(totals) / 1000).toFixed(2)} s`);
for (const [k, v] of perStep) console.log(`  ${k.padEnd(36)} ${(median(v) / 1000).toFixed(3).padStart(8)} s`);
const date = new Date().toISOString().slice(0, 10);
await Deno.mkdir(`${root}bench/results`, { recursive: true });
await Deno.writeTextFile(
  `${root}bench/results/demo-${date}.json`,
  JSON.stringify(
    {
      date,
      machine: `${navigator.hardwareConcurrency} cores`,
      coldSeconds: cold / 1000,
      medianSeconds: median(totals) / 1000,
      runs,
      steps: Object.fromEntries([...perStep].map(([k, v]) => [k, median(v) / 1000])),
    },
    null,
    2,
  ) + "\n",
);
