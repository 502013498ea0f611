/**
 * The TensorFlow.js backend of a CLI run, from the environment (read here, at the edge; lib/ never reads it):
 * `FMAI_TF_BACKEND` is a comma-separated preference list (`webgpu,native-gpu,native,wasm,cpu`, default all
 * in that order) and `FMAI_TF_ALLOW_FALLBACK=1` lets WebGPU run on a fallback (software) adapter. A bad value
 * is a `ConfigError` before any work starts.
 * @module
 */
import { ConfigError, ModelError } from "@lib/core/mod.ts";
import { initTensorflow, parseTfBackends, type TfInitOptions } from "@lib/models/mod.ts";

/** Options for `initTensorflow` from an environment map; `ConfigError` naming the variable on a bad value. */
export function tfOptionsFromEnv(env: { get(k: string): string | undefined }): TfInitOptions {
  const b = env.get("FMAI_TF_BACKEND"), f = env.get("FMAI_TF_ALLOW_FALLBACK");
  const out: TfInitOptions = {};
  if (b !== undefined && b !== "") {
    try {
      out.prefer = parseTfBackends(b);
    } catch (e) {
      throw new ConfigError(`FMAI_TF_BACKEND: ${(e as Error).message}`);
    }
  }
  if (f !== undefined && f !== "") {
    if (!["0", "1", "true", "false"].includes(f)) {
      throw new ConfigError(`FMAI_TF_ALLOW_FALLBACK must be 0, 1, true or false, got ${f}`);
    }
    out.allowFallbackAdapter = f === "1" || f === "true";
  }
  return out;
}

/**
 * Validates the environment now and returns a starter to call before the first model (the backend starts
 * once per process; models started later get the same one).
 */
export function tfStarterFromEnv(
  env: { get(k: string): string | undefined } = Deno.env,
): () => Promise<void> {
  const opts = tfOptionsFromEnv(env);
  return async () => {
    if (!opts.prefer && !opts.allowFallbackAdapter) return;
    try {
      await initTensorflow(opts);
    } catch (e) {
      // none of the backends the user named can start on this machine (webgpu without a GPU adapter, say): the
      // environment's choice, refused in one line, not an internal error
      if (!(e instanceof ModelError)) throw e;
      const named = env.get("FMAI_TF_BACKEND") ?? "";
      const fallback = opts.prefer?.includes("webgpu") && !opts.allowFallbackAdapter
        ? "; FMAI_TF_ALLOW_FALLBACK=1 lets webgpu run on a software adapter"
        : "";
      throw new ConfigError(
        `FMAI_TF_BACKEND=${named}: ${e.message}${fallback} (unset it for the fastest backend here)`,
        { cause: e },
      );
    }
  };
}
