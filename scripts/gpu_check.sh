#!/usr/bin/env bash
# The GPU check on a bare machine (no Deno, no network), e.g. the H200 box: run from the repository root after
# `deno task gpu:prepare` here and carrying `.gpu` and `.gl` there. Also works on a developer machine with Deno
# installed (then `.gpu/` is optional and scripts/gpu_check.ts runs from source).
#
#   bash scripts/gpu_check.sh [gpu_check flags: --backends webgpu,wasm --seq lstm --epochs 3 --allow-fallback ...]
#
# Steps: (1) Deno: the one on PATH, else `.gpu/deno.xz` unpacked to /tmp; (2) Vulkan loader: when
# `ldconfig -p` lists no libvulkan.so.1, the carried Debian loader packages in `.gl/` are unpacked into /
# (root only); without a loader Deno's WebGPU can still use OpenGL through libEGL.so.1 (Mesa's llvmpipe, a
# software adapter, on a machine without a GPU), and the line printed says which; (3) NVIDIA's Vulkan driver
# file of the container toolkit (/usr/local/nvidia/share/...) is named in VK_DRIVER_FILES when present, since
# the loader alone did not find it on such machines; (4) the check: WebGPU first, wasm second, in one run; it
# prints backend, device and wall times and the ratios.
set -uo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

if command -v deno >/dev/null 2>&1; then
  DENO=$(command -v deno)
elif [ -f .gpu/deno.xz ]; then
  DENO=/tmp/fmai-gpu-deno
  [ -x "$DENO" ] || { xz -dc .gpu/deno.xz >"$DENO.part" && chmod +x "$DENO.part" && mv "$DENO.part" "$DENO"; } \
    || { echo "gpu_check: cannot unpack .gpu/deno.xz"; exit 2; }
else
  echo "gpu_check: no deno on PATH and no .gpu/deno.xz (run 'deno task gpu:prepare' and carry .gpu)"
  exit 2
fi
echo "deno: $DENO ($("$DENO" --version | head -1))"

# (grep without -q: an early exit would SIGPIPE ldconfig and fail the pipeline under pipefail)
if ! ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1' >/dev/null; then
  if ls .gl/*.deb >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v dpkg >/dev/null 2>&1; then
    ok=1
    for f in .gl/*.deb; do dpkg -x "$f" / || ok=0; done
    ldconfig
    [ "$ok" = 1 ] && echo "vulkan loader: unpacked $(ls .gl/*.deb | wc -l) carried packages from .gl/ into /" \
      || echo "vulkan loader: unpacking .gl/*.deb failed"
  elif ldconfig -p 2>/dev/null | grep 'libEGL\.so\.1' >/dev/null; then
    # without a Vulkan loader Deno's WebGPU falls back to OpenGL ES through EGL: Mesa's llvmpipe on a GPU-less box
    echo "vulkan loader: none installed and none unpacked (needs .gl/*.deb, root and dpkg); WebGPU can use" \
      "only OpenGL through libEGL.so.1 (Mesa's software llvmpipe unless a GPU's EGL driver is installed)"
  else
    echo "vulkan loader: none installed and none unpacked (needs .gl/*.deb, root and dpkg), and no libEGL.so.1" \
      "for OpenGL: WebGPU will find no adapter"
  fi
fi
NV=/usr/local/nvidia/share
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$NV/vulkan/icd.d/nvidia_icd.json" ]; then
  export VK_DRIVER_FILES="$NV/vulkan/icd.d/nvidia_icd.json"
  [ -f "$NV/glvnd/egl_vendor.d/10_nvidia.json" ] \
    && export __EGL_VENDOR_LIBRARY_FILENAMES="$NV/glvnd/egl_vendor.d/10_nvidia.json"
fi
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-<loader default search>}"
if command -v nvidia-smi >/dev/null 2>&1; then
  echo "nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
fi

if [ -f .gpu/gpu_check.js ] && [ ! -d node_modules/@tensorflow ]; then
  exec "$DENO" run -A .gpu/gpu_check.js --wasm-dir "$PWD/.gpu/wasm" "$@"
fi
exec "$DENO" run -A scripts/gpu_check.ts "$@"
