#!/usr/bin/env bash
# Install (with test tools) into .venv/ and run the whole test suite:
# on SQLite always, and again on PostgreSQL when one is reachable (PG_URL, default
# postgres://postgres@127.0.0.1:5432/clientmap). Extra arguments go to pytest. With
# COVERAGE_FLOOR=N the SQLite run also measures branch coverage and fails below N %.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --dev || exit 1

status=0
# The suite runs on every core (pytest-xdist; CLIENTMAP_TEST_WORKERS=0 runs it in one process).
par=(-n "${CLIENTMAP_TEST_WORKERS:-auto}")
[ "${CLIENTMAP_TEST_WORKERS:-auto}" = "0" ] && par=()
# COVERAGE_FLOOR=N: measure branch coverage of clientmap/ on the SQLite run and fail below N %.
cov=()
if [ -n "${COVERAGE_FLOOR:-}" ]; then
  cov=(--cov=clientmap --cov-report=term --cov-fail-under="$COVERAGE_FLOOR")
fi
echo "== Test suite on SQLite"
env -u DATABASE_URL .venv/bin/pytest "${par[@]}" "${cov[@]}" "$@" || status=1

PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/clientmap}"
if .venv/bin/python - "$PG_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1].rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {exc}".strip())
    sys.exit(1)
PY
then
  echo "== Test suite on PostgreSQL ($PG_URL)"
  DATABASE_URL="$PG_URL" .venv/bin/pytest "${par[@]}" "$@" || status=1
else
  echo "== Skipping the PostgreSQL run: no PostgreSQL reachable (set PG_URL to point at one)."
fi
exit $status
