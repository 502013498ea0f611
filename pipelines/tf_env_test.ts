import { deepEqual, rejects, throws } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { probeWebGpu } from "@lib/models/mod.ts";
import { tfOptionsFromEnv, tfStarterFromEnv } from "./tf_env.ts";

const env = (o: Record<string, string>) => ({ get: (k: string) => o[k] });

Deno.test("tf backend from the environment: a preference list and the fallback switch; typos are ConfigErrors", () => {
  deepEqual(tfOptionsFromEnv(env({})), {});
  deepEqual(tfOptionsFromEnv(env({ FMAI_TF_BACKEND: "webgpu, wasm", FMAI_TF_ALLOW_FALLBACK: "1" })), {
    prefer: ["webgpu", "wasm"],
    allowFallbackAdapter: true,
  });
  throws(
    () => tfOptionsFromEnv(env({ FMAI_TF_BACKEND: "cuda" })),
    (e: unknown) =>
      e instanceof ConfigError && /FMAI_TF_BACKEND: unknown tfjs backend cuda/.test((e as Error).message),
  );
  throws(() => tfOptionsFromEnv(env({ FMAI_TF_ALLOW_FALLBACK: "yes" })), ConfigError);
});

const adapter = await probeWebGpu().catch(() => null);

Deno.test({
  name:
    "tf backend from the environment: a named backend that cannot start here is a ConfigError, not an internal error",
  // where a real GPU adapter exists, webgpu starts: nothing to refuse
  ignore: adapter !== null && !adapter.fallback,
  async fn() {
    await rejects(
      () => tfStarterFromEnv(env({ FMAI_TF_BACKEND: "webgpu" }))(),
      (e: unknown) =>
        e instanceof ConfigError &&
        /^FMAI_TF_BACKEND=webgpu: no TensorFlow\.js backend started \(webgpu: .*\(unset it for the fastest backend here\)$/
          .test((e as Error).message),
    );
  },
});
