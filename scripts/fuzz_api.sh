#!/usr/bin/env bash
# Fuzz the JSON API with Schemathesis against its own OpenAPI schema: a fresh SQLite database
# with the demo, a server on a free port, then one run with a staff token and one with a
# customer portal user's token. Fails on any server error or response that breaks the schema.
#   scripts/fuzz_api.sh [MAX_EXAMPLES_PER_OPERATION]   (default 6; CI uses the default, which keeps it within a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-${FUZZ_EXAMPLES:-6}}"
work="$(mktemp -d)"
port="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export CLIENTMAP_DATA_DIR="$work" DEBUG=0 ALLOWED_HOSTS=127.0.0.1,localhost
unset DATABASE_URL
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

.venv/bin/clientmap migrate -v 0
.venv/bin/clientmap demo >/dev/null
staff_token="$(.venv/bin/clientmap token create admin --name fuzz 2>/dev/null)"
portal_token="$(.venv/bin/clientmap token create portal --name fuzz 2>/dev/null)"
.venv/bin/clientmap runserver "127.0.0.1:$port" --noreload --insecure >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/api/openapi.json" -o /dev/null 2>/dev/null && break
  sleep 0.5
done

checks="not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"
status=0
for who in staff portal; do
  token="${who}_token"
  echo "== Schemathesis as the $who user (at most $examples cases per operation)"
  .venv/bin/st run "http://127.0.0.1:$port/api/openapi.json" \
    -H "Authorization: Bearer ${!token}" \
    --checks "$checks" --max-examples "$examples" --seed 20261203 \
    --phases examples,coverage,fuzzing --workers 1 --no-color \
    --generation-database none --request-timeout 30 \
    --report junit --report-dir "$work/report-$who" || status=1
done
if [ $status -ne 0 ]; then
  echo "== server log (tail)"; tail -n 60 "$work/server.log"
fi
exit $status
