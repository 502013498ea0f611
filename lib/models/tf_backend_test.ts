import { equal as assertEquals, ok as assert } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { NO_WAYLAND_DISPLAY } from "./tf_backend.ts";

const MODULE = fileURLToPath(new URL("./tf_backend.ts", import.meta.url));
const WARNING = "XDG_RUNTIME_DIR is invalid";

/** Runs `code` in a fresh Deno on a headless environment (no XDG_RUNTIME_DIR, no WAYLAND_DISPLAY). */
async function headless(code: string, extra: Record<string, string> = {}) {
  const env = Deno.env.toObject();
  delete env.XDG_RUNTIME_DIR;
  delete env.WAYLAND_DISPLAY;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code],
    env: { ...env, ...extra },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    ok: out.success,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("probeWebGpu: no libwayland XDG_RUNTIME_DIR false alarm on a headless machine; the adapter is the same", async () => {
  const raw = await headless(
    `const a = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
     console.log(JSON.stringify(a?.info?.description ?? null));`,
  );
  const probed = await headless(
    `import { probeWebGpu } from ${JSON.stringify(MODULE)};
     const p = await probeWebGpu();
     const again = await navigator.gpu?.requestAdapter(); // as tfjs-backend-webgpu does after the probe
     console.log(JSON.stringify({ d: p?.description ?? null, again: !!again, display: Deno.env.get("WAYLAND_DISPLAY") }));`,
  );
  assert(raw.ok && probed.ok, raw.stderr + probed.stderr);
  const plain: string | null = JSON.parse(raw.stdout);
  const got: { d: string | null; again: boolean; display?: string } = JSON.parse(probed.stdout);
  assertEquals(got.d === null, plain === null, "the probe finds an adapter where a plain request does");
  if (plain !== null) {
    assert(got.d!.startsWith(plain), `${got.d} vs ${plain}`);
    assert(got.again, "a later adapter request still works");
    assertEquals(got.display, NO_WAYLAND_DISPLAY);
  }
  // Where the plain request shows the warning (Mesa's Vulkan/EGL stack installed, as in CI), the probe is what
  // removes it; elsewhere there is nothing to remove and stderr must stay clean as well.
  assert(!probed.stderr.includes(WARNING), probed.stderr);
});

Deno.test("quietHeadlessWayland: leaves a machine with a Wayland session or runtime dir alone", async () => {
  const code = `import { quietHeadlessWayland } from ${JSON.stringify(MODULE)};
    quietHeadlessWayland(); console.log(Deno.env.get("WAYLAND_DISPLAY") ?? "unset");`;
  assertEquals((await headless(code, { XDG_RUNTIME_DIR: "/run/user/1000" })).stdout.trim(), "unset");
  assertEquals((await headless(code, { WAYLAND_DISPLAY: "wayland-1" })).stdout.trim(), "wayland-1");
  assertEquals((await headless(code)).stdout.trim(), NO_WAYLAND_DISPLAY);
});
