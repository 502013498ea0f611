#!/usr/bin/env bash
# Creates the Python environment of the offline language-model step (deno task lm:fetch / lm:train) in
# "$1" (default ~/.cache/fmai/lm/venv, outside the repository): torch, transformers, onnx, onnxruntime from PyPI,
# pinned in requirements.txt. About 5.4 GB installed (torch from PyPI brings the CUDA runtime wheels); a
# second run only checks it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$HOME/.cache/fmai/lm/venv}"
py="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
stamp="$venv/.fmai-requirements"
if ! cmp -s "$here/requirements.txt" "$stamp"; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$stamp"
fi
"$venv/bin/python" -c "import torch, transformers, onnx, onnxruntime; print('lm venv ok: torch', torch.__version__, 'transformers', transformers.__version__, 'onnxruntime', onnxruntime.__version__)"
