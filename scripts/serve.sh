#!/usr/bin/env bash
# One command on a laptop: install into .venv/, migrate, load the demo, and serve
# http://127.0.0.1:8000 with the production server (gunicorn + WhiteNoise) and a jobs worker.
# DEBUG=1 scripts/serve.sh serves with Django's development server instead (auto-reload).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
export DEBUG="${DEBUG:-0}"
ADDR="${CLIENTMAP_ADDR:-127.0.0.1:8000}"
.venv/bin/clientmap migrate --no-input
.venv/bin/clientmap demo
echo
echo "Clientmap is at http://${ADDR}/  (Ctrl+C to stop)"
case "$DEBUG" in
  1|true|yes|on)
    .venv/bin/clientmap worker &
    worker=$!
    trap 'kill "$worker" 2>/dev/null' EXIT
    .venv/bin/clientmap runserver "$ADDR"
    ;;
  *)
    exec .venv/bin/clientmap serve "$ADDR" --with-worker
    ;;
esac
