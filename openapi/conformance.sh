#!/usr/bin/env bash
# Runs Schemathesis over openapi/openapi.json against a real server: every answer's status must
# be documented for its operation (status_code_conformance) and every body must match the
# documented schema (response_schema_conformance). The server is the debug binary with a
# private PostgreSQL in a temporary directory, as `cargo run` serves with no configuration.
#
#   pip install schemathesis      # once
#   openapi/conformance.sh [max examples per operation, default 30]
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-30}"
cargo build --quiet --bin switchboard
dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
SWITCHBOARD_DATA_DIR="$dir" PORT="$port" SWITCHBOARD_ADMIN_PASSWORD="conformance-1" target/debug/switchboard serve >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 600); do
  grep -q "access token:" "$dir/server.log" 2>/dev/null && break
  sleep 0.1
done
token="$(sed -n 's/.*access token: *//p' "$dir/server.log" | head -1)"
[ -n "$token" ] || { echo "the server printed no administrator token:"; cat "$dir/server.log"; exit 1; }
base="http://127.0.0.1:$port"
# Something to find: an API inbox, a contact and a conversation in account 1.
curl -sf -H "api_access_token: $token" -H 'content-type: application/json' \
  -d '{"name":"API","channel":{"type":"api"}}' "$base/api/v1/accounts/1/inboxes" >/dev/null
curl -sf -H "api_access_token: $token" -H 'content-type: application/json' \
  -d '{"name":"Ana","inbox_id":1,"source_id":"ana-1"}' "$base/api/v1/accounts/1/contacts" >/dev/null
curl -sf -H "api_access_token: $token" -H 'content-type: application/json' \
  -d '{"inbox_id":1,"source_id":"ana-1","message":{"content":"hola"}}' "$base/api/v1/accounts/1/conversations" >/dev/null
st run openapi/openapi.json --url "$base" -H "api_access_token: $token" \
  --checks status_code_conformance,response_schema_conformance \
  --max-examples "$examples" --continue-on-failure --seed 1 --workers 2
