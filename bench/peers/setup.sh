#!/usr/bin/env bash
# Creates bench/peers/.venv (gitignored) with the pinned Python peers used by `deno task bench:peers`:
# arch (GARCH), scikit-learn (logistic regression), lightgbm (GBDT), numpy, pandas. PyPI only.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-python3}"
if [ ! -x "$here/.venv/bin/python" ]; then
  "$py" -m venv "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$here/.venv/bin/python" -c "import arch, sklearn, lightgbm, numpy, pandas; print('peers ok: arch', arch.__version__, 'sklearn', sklearn.__version__, 'lightgbm', lightgbm.__version__)"
