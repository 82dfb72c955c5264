#!/usr/bin/env bash
# Start a temporary PostgreSQL primary and a hot standby (pg_basebackup) on free ports, serve
# Clientmap against both and check: pages read from the standby, a write visible after catch-up,
# reads still served with "writes unavailable" once the primary is stopped. Never touches the
# server at 127.0.0.1:5432. Skips (exit 0, with a message) without the PostgreSQL server binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTMAP_REPLICA_TEST=1 exec .venv/bin/pytest tests/ops/test_replica.py -q -rs -s "$@"
