#!/usr/bin/env bash
# One-time setup of what the tests and services need on a fresh Debian machine (idempotent, quick when done).
# Packages are installed with apt-get as root, or through `sudo -n` (never a password prompt) for a user with
# passwordless sudo, like GitHub-hosted runners; without either, a missing package is one line naming it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Root for apt-get: we are root, or sudo works without a password (`sudo -n` fails instead of prompting).
can_root() {
  [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; }
}

# apt-get as root: directly, else through non-interactive sudo.
apt_get() {
  local cmd=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@")
  if [ "$(id -u)" = 0 ]; then "${cmd[@]}"; else sudo -n "${cmd[@]}"; fi
}

# Installs Debian packages (quietly; refreshes the package lists once when the install fails).
apt_install() {
  if ! can_root; then
    echo "setup.sh: installing $* needs root: run it as root or with passwordless sudo" >&2
    return 1
  fi
  apt_get install -y --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt_get update >/dev/null && apt_get install -y --no-install-recommends "$@" >/dev/null; }
}

# npm packages of deno.json (cached in node_modules/ by Deno)
deno install >/dev/null

# Research notebooks (`deno task notebooks`, `deno task notebooks:check`): Debian's nbconvert + nbclient run the
# Deno kernel headlessly, chromium renders the exported reports. Skipped quickly when already installed.
nb_missing=()
command -v jupyter-nbconvert >/dev/null 2>&1 || nb_missing+=(jupyter-nbconvert)
python3 -c "import nbclient" >/dev/null 2>&1 || nb_missing+=(python3-nbclient)
command -v chromium >/dev/null 2>&1 || nb_missing+=(chromium)
if [ "${#nb_missing[@]}" -gt 0 ]; then
  apt_install "${nb_missing[@]}"
fi
[ -f "${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/deno/kernel.json" ] \
  || deno jupyter --install >/dev/null 2>&1

# WebGPU code path without a GPU (scripts/gpu_check_test.ts): Mesa's software Vulkan driver (lavapipe/llvmpipe)
# gives Deno's navigator.gpu a fallback adapter. Skipped quickly when installed.
if ! ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1; then
  apt_install mesa-vulkan-drivers
fi
