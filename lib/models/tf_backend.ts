/**
 * TensorFlow.js backend selection at run time. Default order: WebGPU (`navigator.gpu` + tfjs-backend-webgpu)
 * when the runtime offers a hardware adapter, a native backend (`@tensorflow/tfjs-node-gpu`, then
 * `@tensorflow/tfjs-node`) when it is installed, i.e. pinned in the import map, else WebAssembly (SIMD on,
 * threads off), else the pure-JS cpu backend.
 *
 * A fallback (software) WebGPU adapter, such as Mesa's llvmpipe under Vulkan, runs the same kernels on the
 * CPU, slower than wasm: it is skipped unless `allowFallbackAdapter` is set (the GPU check and its CI test
 * set it to exercise the WebGPU code path without a GPU). On WebGPU in Deno, synchronous tensor reads
 * (`dataSync`, `arraySync`) throw: code in this folder reads tensors with `await data()`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ModelError } from "../core/mod.ts";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

/** The TensorFlow.js namespace every model in this folder uses (one engine instance). */
export { tf };

/** A backend {@link initTensorflow} can try. */
export type TfBackendChoice = "webgpu" | "native-gpu" | "native" | "wasm" | "cpu";

/** The backend names {@link initTensorflow} accepts, in default order. */
export const TF_BACKEND_CHOICES: readonly TfBackendChoice[] = [
  "webgpu",
  "native-gpu",
  "native",
  "wasm",
  "cpu",
];

/** Which backend is active and what was tried on the way. */
export interface TfBackendInfo {
  /** The tfjs backend name: `webgpu`, `tensorflow` (native), `wasm` or `cpu`. */
  backend: string;
  /** `name: reason` for each backend that was tried and skipped or failed. */
  tried: string[];
  /** The device that runs the kernels: the WebGPU adapter's description/vendor, or the CPU for wasm/cpu. */
  device: string;
  /** True when the WebGPU adapter in use is a fallback (software) adapter. */
  fallbackAdapter?: boolean;
}

/** Options of {@link initTensorflow}. */
export interface TfInitOptions {
  /** Backends in order of preference. Default {@link TF_BACKEND_CHOICES}. */
  prefer?: TfBackendChoice[];
  /** Use a fallback (software) WebGPU adapter too. Default false: it is skipped with a reason. */
  allowFallbackAdapter?: boolean;
  /** Folder of the tfjs-backend-wasm `.wasm` files (default: beside the installed package). */
  wasmDir?: string;
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

/** The WebGPU adapter's description, and whether it is a fallback (software) adapter. */
export interface WebGpuAdapterProbe {
  description: string;
  fallback: boolean;
}

/** Minimal view of the WebGPU adapter info this module reads (lib.dom types are not in scope here). */
interface AdapterInfoLike {
  description?: string;
  vendor?: string;
  architecture?: string;
  device?: string;
  isFallbackAdapter?: boolean;
}

/** Where {@link quietHeadlessWayland} points `WAYLAND_DISPLAY`: an absolute path that never exists. */
export const NO_WAYLAND_DISPLAY = "/nonexistent/fmai-no-wayland-display";

/**
 * On a headless Linux machine (neither `XDG_RUNTIME_DIR` nor `WAYLAND_DISPLAY` set), every WebGPU adapter request
 * makes the graphics stack look for a Wayland display, and libwayland prints "error: XDG_RUNTIME_DIR is invalid
 * or not set in the environment." twice on stderr: a false alarm in every run and test. With `WAYLAND_DISPLAY`
 * set to an absolute path that does not exist, the same lookup fails quietly. No display could be reached there
 * anyway, so nothing else changes; a machine with either variable set is left alone. The variable stays set for
 * the process, because the tfjs WebGPU backend requests its own adapter later. Without env permission: no-op.
 */
export function quietHeadlessWayland(): void {
  try {
    if (Deno.build.os !== "linux" || Deno.env.get("XDG_RUNTIME_DIR") || Deno.env.get("WAYLAND_DISPLAY")) {
      return;
    }
    Deno.env.set("WAYLAND_DISPLAY", NO_WAYLAND_DISPLAY);
  } catch {
    // no --allow-env: the warning may show, nothing else depends on it
  }
}

/**
 * Asks the runtime for a high-performance WebGPU adapter. `null` when the runtime has no `navigator.gpu` or no
 * adapter. Software adapters are recognized by `isFallbackAdapter` or by a known software renderer's name
 * (llvmpipe, lavapipe, SwiftShader), since some drivers do not set the flag.
 */
export async function probeWebGpu(): Promise<WebGpuAdapterProbe | null> {
  // deno-lint-ignore no-explicit-any
  const gpu = (globalThis.navigator as any)?.gpu;
  if (!gpu?.requestAdapter) return null;
  quietHeadlessWayland();
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) return null;
  const info: AdapterInfoLike = adapter.info ?? {};
  const description = [info.description, info.vendor && `vendor ${info.vendor}`, info.architecture]
    .filter(Boolean).join(", ") || "unnamed adapter";
  const software = /llvmpipe|lavapipe|swiftshader/i.test(description);
  return { description, fallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || software };
}

function cpuDevice(): string {
  const os = (globalThis as { Deno?: { build?: { arch?: string } } }).Deno?.build?.arch ?? "cpu";
  return `CPU (${os})`;
}

async function tryInit(opts: TfInitOptions): Promise<TfBackendInfo> {
  const tried: string[] = [];
  for (const b of opts.prefer ?? TF_BACKEND_CHOICES) {
    try {
      let device = cpuDevice(), fallbackAdapter: boolean | undefined;
      if (b === "webgpu") {
        const probe = await probeWebGpu();
        if (!probe) throw new Error("no WebGPU adapter (navigator.gpu missing or no driver)");
        if (probe.fallback && !opts.allowFallbackAdapter) {
          throw new Error(`skipped fallback adapter ${probe.description} (allowFallbackAdapter is off)`);
        }
        await import("@tensorflow/tfjs-backend-webgpu");
        if (!(await tf.setBackend("webgpu"))) throw new Error("backend 'webgpu' did not start");
        device = probe.description;
        fallbackAdapter = probe.fallback;
      } else if (b in NATIVE) {
        // Non-literal specifier: resolved only when the package is in the import map (installed).
        const spec = NATIVE[b];
        await import(spec);
        if (!(await tf.setBackend("tensorflow"))) throw new Error("backend 'tensorflow' did not start");
        device = b === "native-gpu" ? "CUDA (tfjs-node-gpu)" : device;
      } else if (b === "wasm") {
        tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
        const dir = opts.wasmDir ?? wasmDir();
        if (dir) setWasmPaths(dir.endsWith("/") ? dir : `${dir}/`);
        if (!(await tf.setBackend("wasm"))) throw new Error("backend 'wasm' did not start");
      } else if (b === "cpu") {
        if (!(await tf.setBackend("cpu"))) throw new Error("backend 'cpu' did not start");
      } else {
        throw new Error("unknown backend");
      }
      await tf.ready();
      return {
        backend: tf.getBackend(),
        tried,
        device,
        ...(fallbackAdapter === undefined ? {} : { fallbackAdapter }),
      };
    } catch (e) {
      tried.push(`${b}: ${String((e as Error)?.message ?? e).split("\n")[0].slice(0, 160)}`);
    }
  }
  throw new ModelError(`no TensorFlow.js backend started (${tried.join("; ")})`);
}

/**
 * Parses a comma-separated backend list (e.g. from a CLI flag or `FMAI_TF_BACKEND`, read at the edge):
 * `RangeError` naming an unknown entry.
 */
export function parseTfBackends(s: string): TfBackendChoice[] {
  const out = s.split(",").map((x) => x.trim()).filter(Boolean);
  for (const b of out) {
    if (!(TF_BACKEND_CHOICES as readonly string[]).includes(b)) {
      throw new RangeError(`unknown tfjs backend ${b} (known: ${TF_BACKEND_CHOICES.join(", ")})`);
    }
  }
  if (out.length === 0) throw new RangeError("empty tfjs backend list");
  return out as TfBackendChoice[];
}

/**
 * Starts TensorFlow.js once per process (later calls return the first result, whatever their options) and
 * reports the backend that runs: `webgpu`, `tensorflow` (native), `wasm` or `cpu`.
 */
export function initTensorflow(opts: TfInitOptions = {}): Promise<TfBackendInfo> {
  pending ??= tryInit(opts).catch((e) => {
    pending = null;
    throw e;
  });
  return pending;
}
