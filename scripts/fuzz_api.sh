#!/usr/bin/env bash
# Schema fuzzing of the API (schemathesis) as every role, bounded: demo data in a temporary
# instance (SQLite, or DATABASE_URL when set: an empty database of its own, the demo data is
# loaded into it), gunicorn on a free local port, then `schemathesis run` against
# /api/v1/openapi.json with each role's token, checking that no answer is a server error, every
# answer matches the document, and every request the document calls invalid is refused
# (negative_data_rejection). The other request-side check, positive_data_acceptance, stays off:
# the server also refuses what JSON Schema cannot say (an end after its start, dates within
# 1900-2999, a reason that is not blank, a claim period within one year), answering 422.
# Exits non-zero on any failure.
# Usage: [DATABASE_URL=...] scripts/fuzz_api.sh [MAX_EXAMPLES] (default 5 per operation and phase)
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES="${1:-5}"
PY="$PWD/.venv/bin"
WORK=$(mktemp -d)
export EQUIPMENT_SHARE_INSTANCE="$WORK/instance" FLASK_RATELIMIT_ENABLED=false
PORT=$($PY/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

$PY/flask --app equipment_share demo-data >/dev/null
$PY/gunicorn --workers 2 --bind "127.0.0.1:$PORT" 'equipment_share:create_app()' >"$WORK/gunicorn.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 60); do
  $PY/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/healthz', timeout=2)" 2>/dev/null && break
  sleep 0.5
done

status=0
for login in sme1 coal finance admin; do
  token=$($PY/flask --app equipment_share create-token "$login@lvliang.example" | tail -1)
  echo "== schemathesis as $login"
  # from the temporary folder, where schemathesis leaves its cache
  (cd "$WORK" && $PY/schemathesis run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
    -H "Authorization: Bearer $token" --checks not_a_server_error,response_schema_conformance,negative_data_rejection \
    --max-examples "$MAX_EXAMPLES" --seed 20261206 --workers 1 --no-color | tail -25) || status=1
done
if grep -q "unhandled error" "$WORK/gunicorn.log"; then
  echo "server errors in the log:"; grep -A20 "unhandled error" "$WORK/gunicorn.log" | head -60
  status=1
fi
exit $status
