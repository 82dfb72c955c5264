#!/usr/bin/env bash
# Create .venv/ in the project root (if missing) and install Clientmap into it.
# Usage: scripts/install.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      PYTHON="$candidate"; break
    fi
  done
fi
if [ -z "$PYTHON" ]; then
  echo "Clientmap needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
extras=""
if [ "${1:-}" = "--dev" ]; then extras="[dev]"; fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${extras}"
if [ "${1:-}" = "--dev" ]; then
  # axe-core for the accessibility gate (tests/browser/test_accessibility.py), pinned in
  # package-lock.json; installed only when the locked version is not already there.
  if command -v npm >/dev/null 2>&1; then
    want="$(node -p 'require("./package-lock.json").packages["node_modules/axe-core"].version')"
    have="$(node -p 'try { require("./node_modules/axe-core/package.json").version } catch (e) { "" }')"
    if [ "$want" != "$have" ]; then
      npm ci --no-audit --no-fund --loglevel=error || echo "npm ci failed: the accessibility gate will be skipped." >&2
    fi
  else
    echo "No npm: axe-core is not installed and the accessibility gate will be skipped." >&2
  fi
fi
echo "Clientmap is installed in .venv/ (run .venv/bin/clientmap help)."
