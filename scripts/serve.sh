#!/usr/bin/env bash
# One command on a laptop: install into .venv/, migrate, load the demo, serve http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
export DEBUG="${DEBUG:-1}"
.venv/bin/clientmap migrate --no-input
.venv/bin/clientmap demo
echo
echo "Clientmap is at http://${CLIENTMAP_ADDR:-127.0.0.1:8000}/  (Ctrl+C to stop)"
exec .venv/bin/clientmap runserver "${CLIENTMAP_ADDR:-127.0.0.1:8000}"
