/**
 * The GPU check: trains the MLP and one sequence model (LSTM by default) on a fixed synthetic market through
 * the real dataset builder, once per TensorFlow.js backend, each in its own process, and prints backend,
 * device, wall times and the ratio to the wasm run of the same invocation.
 *
 * `deno run -A scripts/gpu_check.ts [--backends webgpu,wasm] [--allow-fallback] [--seq lstm] [--symbols 120]
 *  [--sessions 500] [--epochs 3] [--batch 512] [--wasm-dir DIR] [--json FILE] [--require-gpu]`
 *
 * - `--allow-fallback`: also train on a fallback (software) WebGPU adapter such as Mesa's llvmpipe (CI uses it
 *   to run the WebGPU code path without a GPU; it is slower than wasm).
 * - `--require-gpu`: exit 1 unless the first backend ran on a hardware adapter.
 * - Exit 2 with one line on a bad flag. `scripts/gpu_check.sh` runs the bundled copy of this file on a bare
 *   machine (see `deno task gpu:prepare`).
 * @module
 */
import { parseArgs } from "node:util";
import { buildDataset, rowsOf, Segment, segmentsFor } from "@lib/dataset/mod.ts";
import { seriesFromSource } from "@lib/evaluate/mod.ts";
import { syntheticMarketContext } from "@lib/dataset/mod.ts";
import {
  initTensorflow,
  MlpModel,
  parseTfBackends,
  probeWebGpu,
  type SequenceArch,
  SequenceModel,
  type TfBackendChoice,
  trendMetrics,
  type TrendModel,
} from "@lib/models/mod.ts";
import { createSyntheticMarket } from "@lib/sources/mod.ts";

const USAGE =
  "usage: gpu_check [--backends webgpu,wasm] [--allow-fallback] [--seq lstm|gru|tcn|transformer] " +
  "[--symbols N] [--sessions N] [--epochs N] [--batch N] [--wasm-dir DIR] [--json FILE] [--require-gpu]";

/** Options of a check run. */
export interface GpuCheckOptions {
  backends: TfBackendChoice[];
  allowFallback: boolean;
  seq: SequenceArch;
  symbols: number;
  sessions: number;
  epochs: number;
  batch: number;
  wasmDir?: string;
  json?: string;
  requireGpu: boolean;
}

/** One model's timings on one backend. */
export interface ModelTiming {
  model: string;
  trainRows: number;
  epochs: number;
  fitMs: number;
  predictMs: number;
  predictRows: number;
  /** Training rows processed per second (rows x epochs / fit time). */
  trainRowsPerS: number;
  /** Early-stopping loss of the last fit (same data and seed on every backend). */
  validLoss: number;
  /** Mean P(up) - P(down) over the predicted rows: equal across backends up to float error. */
  meanScore: number;
  testAccuracy: number;
}

/** What one backend's child process reports. */
export interface BackendReport {
  requested: TfBackendChoice;
  backend?: string;
  device?: string;
  fallbackAdapter?: boolean;
  tried?: string[];
  error?: string;
  datasetMs?: number;
  rows?: { train: number; valid: number; test: number };
  models?: ModelTiming[];
}

class UsageError extends Error {}

function int(v: string | undefined, name: string, def: number, min: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got ${v}`);
  }
  return n;
}

/** Parses argv (`UsageError` on a bad flag); `--child` is internal. */
export function parseGpuCheckArgs(argv: string[]): GpuCheckOptions & { child: boolean } {
  let v;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      options: {
        backends: { type: "string" },
        "allow-fallback": { type: "boolean" },
        seq: { type: "string" },
        symbols: { type: "string" },
        sessions: { type: "string" },
        epochs: { type: "string" },
        batch: { type: "string" },
        "wasm-dir": { type: "string" },
        json: { type: "string" },
        "require-gpu": { type: "boolean" },
        child: { type: "boolean" },
        help: { type: "boolean" },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (v.help) throw new UsageError(USAGE);
  let backends: TfBackendChoice[];
  try {
    backends = parseTfBackends(v.backends ?? "webgpu,wasm");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const seq = (v.seq ?? "lstm") as SequenceArch;
  if (!["lstm", "gru", "tcn", "transformer"].includes(seq)) throw new UsageError(`unknown --seq ${seq}`);
  return {
    backends,
    allowFallback: Boolean(v["allow-fallback"]),
    seq,
    symbols: int(v.symbols, "symbols", 120, 5),
    sessions: int(v.sessions, "sessions", 500, 200),
    epochs: int(v.epochs, "epochs", 3, 1),
    batch: int(v.batch, "batch", 512, 8),
    wasmDir: v["wasm-dir"],
    json: v.json,
    requireGpu: Boolean(v["require-gpu"]),
    child: Boolean(v.child),
  };
}

/** Runs the fixed workload on one backend in this process. */
export async function runOnBackend(o: GpuCheckOptions, requested: TfBackendChoice): Promise<BackendReport> {
  let info;
  try {
    info = await initTensorflow({
      prefer: [requested],
      allowFallbackAdapter: o.allowFallback,
      wasmDir: o.wasmDir,
    });
  } catch (e) {
    return { requested, error: String((e as Error).message ?? e) };
  }
  const t0 = performance.now();
  const mk = createSyntheticMarket({ seed: 7, symbols: o.symbols, sessions: o.sessions });
  const series = await seriesFromSource(mk, mk.dates[0], mk.dates[mk.dates.length - 1]);
  const ds = buildDataset({
    series,
    market: syntheticMarketContext(series),
    segments: segmentsFor(mk.dates),
    windowLength: 60,
  });
  const rows = {
    train: rowsOf(ds, Segment.TRAIN),
    valid: rowsOf(ds, Segment.VALID),
    test: rowsOf(ds, Segment.TEST),
  };
  const datasetMs = performance.now() - t0;
  const E = o.epochs;
  const models: ModelTiming[] = [];
  // [name, model, () => [epochs run, early-stopping loss, training rows]]
  const runs: [string, TrendModel, () => [number, number, number]][] = [];
  const mlp = new MlpModel({ maxEpochs: E, patience: E, batchSize: o.batch, seed: 11 });
  runs.push(["mlp-tfjs", mlp, () => [mlp.info!.epochs, mlp.info!.bestValidLoss, rows.train.length]]);
  const seq = new SequenceModel({
    arch: o.seq,
    maxEpochs: E,
    patience: E,
    batchSize: o.batch,
    maxTrainRows: 1e9,
    maxValidRows: 1e9,
    seed: 11,
  });
  runs.push([seq.name, seq, () => [seq.info!.epochs, seq.info!.bestObjective, seq.info!.trainRows]]);
  for (const [name, m, stats] of runs) {
    const a = performance.now();
    await m.fit(ds, rows.train, rows.valid);
    const fitMs = performance.now() - a;
    const b = performance.now();
    const p = await m.predict(ds, rows.test);
    const predictMs = performance.now() - b;
    const [epochs, validLoss, trainRows] = stats();
    let s = 0;
    for (let i = 0; i < rows.test.length; i++) s += p[3 * i + 2] - p[3 * i];
    const tm = trendMetrics(
      p,
      Array.from(rows.test, (i) => ds.labels.trend[i]),
      Array.from(rows.test, (i) => ds.labels.fwdReturn[i]),
      Array.from(rows.test, (i) => ds.date[i]),
    );
    models.push({
      model: name,
      trainRows,
      epochs,
      fitMs,
      predictMs,
      predictRows: rows.test.length,
      trainRowsPerS: (trainRows * epochs) / (fitMs / 1000),
      validLoss,
      meanScore: s / rows.test.length,
      testAccuracy: tm.accuracy,
    });
  }
  return {
    requested,
    backend: info.backend,
    device: info.device,
    fallbackAdapter: info.fallbackAdapter,
    tried: info.tried,
    datasetMs,
    rows: { train: rows.train.length, valid: rows.valid.length, test: rows.test.length },
    models,
  };
}

function childArgs(o: GpuCheckOptions, backend: TfBackendChoice): string[] {
  const a = ["--child", "--backends", backend, "--seq", o.seq, "--symbols", String(o.symbols)];
  a.push("--sessions", String(o.sessions), "--epochs", String(o.epochs), "--batch", String(o.batch));
  if (o.allowFallback) a.push("--allow-fallback");
  if (o.wasmDir) a.push("--wasm-dir", o.wasmDir);
  return a;
}

/** Runs each backend in a child process of this module and collects the reports. */
export async function runGpuCheck(o: GpuCheckOptions, log = console.log): Promise<BackendReport[]> {
  const self = new URL(import.meta.url);
  const out: BackendReport[] = [];
  for (const b of o.backends) {
    log(`--- ${b}: training mlp-tfjs and ${o.seq} (${o.epochs} epochs, batch ${o.batch}) ...`);
    const p = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", self.protocol === "file:" ? self.pathname : self.href, ...childArgs(o, b)],
      stdout: "piped",
      stderr: "piped", // (libwayland's XDG_RUNTIME_DIR false alarm is silenced by probeWebGpu itself)
    }).output();
    const text = new TextDecoder().decode(p.stdout).trim().split("\n").filter((l) => l.startsWith("{")).pop();
    if (!p.success || !text) {
      const err = new TextDecoder().decode(p.stderr).split("\n").filter(Boolean);
      out.push({ requested: b, error: `child exited ${p.code}: ${err.slice(-3).join(" | ").slice(0, 400)}` });
    } else out.push(JSON.parse(text));
  }
  return out;
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? "-" : (ms / 1000).toFixed(2);
}

/** The report as text lines: one block per backend, then the ratios to wasm. */
export function formatReports(reports: BackendReport[]): string[] {
  const lines: string[] = [];
  for (const r of reports) {
    if (r.error) {
      lines.push(`${r.requested}: NOT RUN: ${r.error}`);
      continue;
    }
    lines.push(
      `${r.requested}: backend ${r.backend}, device ${r.device}${
        r.fallbackAdapter ? " (fallback/software adapter)" : ""
      }` +
        `, dataset ${fmt(r.datasetMs)} s, rows train/valid/test ${r.rows!.train}/${r.rows!.valid}/${
          r.rows!.test
        }`,
    );
    for (const m of r.models!) {
      lines.push(
        `  ${m.model.padEnd(10)} fit ${fmt(m.fitMs).padStart(8)} s (${m.epochs} epochs, ${
          m.trainRowsPerS.toFixed(0)
        } rows/s)` +
          `  predict ${fmt(m.predictMs).padStart(7)} s (${m.predictRows} rows)  valid loss ${
            m.validLoss.toFixed(5)
          }` +
          `  mean score ${m.meanScore.toFixed(5)}  test acc ${m.testAccuracy.toFixed(4)}`,
      );
    }
  }
  const wasm = reports.find((r) => r.backend === "wasm" && r.models);
  for (const r of reports) {
    if (!r.models || !wasm || r === wasm) continue;
    for (const m of r.models) {
      const w = wasm.models!.find((x) => x.model === m.model);
      if (!w) continue;
      lines.push(
        `ratio ${r.backend} vs wasm, ${m.model}: fit ${(w.fitMs / m.fitMs).toFixed(2)}x, predict ` +
          `${(w.predictMs / m.predictMs).toFixed(2)}x faster (>1 = ${r.backend} faster); |valid loss diff| ` +
          `${Math.abs(w.validLoss - m.validLoss).toExponential(2)}`,
      );
    }
  }
  return lines;
}

if (import.meta.main) {
  // the usage is an answer (stdout, exit 0), not a usage error
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  let o;
  try {
    o = parseGpuCheckArgs(Deno.args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message.split("\n")[0]);
      Deno.exit(2);
    }
    throw e;
  }
  if (o.child) {
    console.log(JSON.stringify(await runOnBackend(o, o.backends[0])));
    Deno.exit(0);
  }
  const probe = await probeWebGpu().catch((e) => ({ description: `probe failed: ${e}`, fallback: true }));
  console.log(
    `deno ${Deno.version.deno}, ${Deno.build.os}/${Deno.build.arch}; WebGPU adapter: ${
      probe ? `${probe.description}${probe.fallback ? " (fallback/software)" : " (hardware)"}` : "none"
    }`,
  );
  const reports = await runGpuCheck(o);
  for (const l of formatReports(reports)) console.log(l);
  if (o.json) await Deno.writeTextFile(o.json, JSON.stringify({ probe, options: o, reports }, null, 2));
  const first = reports[0];
  if (o.requireGpu && (first.error || first.fallbackAdapter || first.backend !== "webgpu")) {
    console.log(`no GPU run: ${first.error ?? `backend ${first.backend} on ${first.device}`}`);
    Deno.exit(1);
  }
  Deno.exit(reports.some((r) => r.error && r.requested === "wasm") ? 1 : 0);
}
