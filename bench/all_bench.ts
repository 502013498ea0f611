/**
 * `deno task bench`: the everyday benchmarks in one go, each in its own process as its own task runs it (the
 * demo, the features, the dataset and the stores; the others are tasks of their own: `deno task bench:<name>`).
 * It takes no flags: `--help` prints the list, anything else is one line and exit 2 before any benchmark runs
 * (a chain of `&&` in deno.json gave every flag to the last program only, after the others had run). Stops at
 * the first benchmark that fails, with its exit code.
 * @module
 */
import { fileURLToPath } from "node:url";
import { toolArgs } from "../scripts/_args.ts";

/** The benchmarks `deno task bench` runs, in order (each also `deno task bench:<name>`). */
export const EVERYDAY_BENCHES = ["demo_bench.ts", "features_bench.ts", "dataset_bench.ts", "store_bench.ts"];

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(
      `usage: deno task bench (runs ${EVERYDAY_BENCHES.map((f) => `bench/${f}`).join(", ")} in turn)`,
    );
    Deno.exit(0);
  }
  toolArgs("bench", {}); // no flags: anything is one line, exit 2
  for (const file of EVERYDAY_BENCHES) {
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...(file === "features_bench.ts" ? ["--v8-flags=--expose-gc"] : []),
        `bench/${file}`,
      ],
      // the repository root, where `deno task` runs each of them
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) Deno.exit(code);
  }
}
