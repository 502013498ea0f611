#!/usr/bin/env bash
# One-time setup of what the tests and services need on a fresh Debian machine (idempotent, quick when done).
set -euo pipefail
cd "$(dirname "$0")/.."
# npm packages of deno.json (cached in node_modules/ by Deno)
deno install >/dev/null
