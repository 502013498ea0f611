#!/usr/bin/env bash
# One-time setup of what the tests and services need on a fresh Debian machine (idempotent, quick when done).
set -euo pipefail
cd "$(dirname "$0")/.."
# npm packages of deno.json (cached in node_modules/ by Deno)
deno install >/dev/null

# Research notebooks (`deno task notebooks`, `deno task notebooks:check`): Debian's nbconvert + nbclient run the
# Deno kernel headlessly, chromium renders the exported reports. Skipped quickly when already installed.
nb_missing=()
command -v jupyter-nbconvert >/dev/null 2>&1 || nb_missing+=(jupyter-nbconvert)
python3 -c "import nbclient" >/dev/null 2>&1 || nb_missing+=(python3-nbclient)
command -v chromium >/dev/null 2>&1 || nb_missing+=(chromium)
if [ "${#nb_missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${nb_missing[@]}" >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${nb_missing[@]}" >/dev/null; }
fi
[ -f "${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/deno/kernel.json" ] \
  || deno jupyter --install >/dev/null 2>&1

# WebGPU code path without a GPU (scripts/gpu_check_test.ts): Mesa's software Vulkan driver (lavapipe/llvmpipe)
# gives Deno's navigator.gpu a fallback adapter. Skipped quickly when installed.
if ! ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends mesa-vulkan-drivers >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends mesa-vulkan-drivers >/dev/null; }
fi
