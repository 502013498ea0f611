/**
 * TensorFlow.js backend selection at run time: a native backend (`@tensorflow/tfjs-node-gpu`, then
 * `@tensorflow/tfjs-node`) when it is installed, i.e. pinned in the import map, else WebAssembly (SIMD on,
 * threads off), else the pure-JS cpu backend.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

/** The TensorFlow.js namespace every model in this folder uses (one engine instance). */
export { tf };

/** Which backend is active and what was tried on the way. */
export interface TfBackendInfo {
  backend: string;
  /** `name: reason` for each backend that was tried and failed. */
  tried: string[];
}

/** Options of {@link initTensorflow}. */
export interface TfInitOptions {
  /** Backends in order of preference. Default `["native-gpu", "native", "wasm", "cpu"]`. */
  prefer?: ("native-gpu" | "native" | "wasm" | "cpu")[];
}

const NATIVE: Record<string, string> = {
  "native-gpu": "@tensorflow/tfjs-node-gpu",
  "native": "@tensorflow/tfjs-node",
};

let pending: Promise<TfBackendInfo> | null = null;

function wasmDir(): string | null {
  try {
    const u = new URL(import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
    if (u.protocol !== "file:") return null;
    return decodeURIComponent(u.pathname.replace(/[^/]*$/, ""));
  } catch {
    return null;
  }
}

async function tryInit(prefer: NonNullable<TfInitOptions["prefer"]>): Promise<TfBackendInfo> {
  const tried: string[] = [];
  for (const b of prefer) {
    try {
      if (b in NATIVE) {
        // Non-literal specifier: resolved only when the package is in the import map (installed).
        const spec = NATIVE[b];
        await import(spec);
        if (!(await tf.setBackend("tensorflow"))) throw new Error("backend 'tensorflow' did not start");
      } else if (b === "wasm") {
        tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
        const dir = wasmDir();
        if (dir) setWasmPaths(dir);
        if (!(await tf.setBackend("wasm"))) throw new Error("backend 'wasm' did not start");
      } else {
        if (!(await tf.setBackend("cpu"))) throw new Error("backend 'cpu' did not start");
      }
      await tf.ready();
      return { backend: tf.getBackend(), tried };
    } catch (e) {
      tried.push(`${b}: ${String((e as Error)?.message ?? e).split("\n")[0].slice(0, 160)}`);
    }
  }
  throw new Error(`no TensorFlow.js backend started (${tried.join("; ")})`);
}

/**
 * Starts TensorFlow.js once per process (later calls return the first result) and reports the backend that
 * runs: `tensorflow` (native), `wasm` or `cpu`.
 */
export function initTensorflow(opts: TfInitOptions = {}): Promise<TfBackendInfo> {
  pending ??= tryInit(opts.prefer ?? ["native-gpu", "native", "wasm", "cpu"]).catch((e) => {
    pending = null;
    throw e;
  });
  return pending;
}
