#!/usr/bin/env bash
# Validates /api/v1's OpenAPI document (openapi-spec-validator) and fuzzes
# the API from it with schemathesis (both from PyPI),
# against the built console connected to the test control plane
# ($TENANTRY_TEST_KUBECONFIG), as a dedicated admin account "fuzz" with a
# token of its own. Checks: no 5xx, documented status codes, content types,
# headers and response schemas. Excluded: the endless live stream, and the
# operations that could revoke the fuzzer's token or disable or reset its
# account (staff changes, password resets, token revocation).
# Prints the figures (operations, cases) and fails on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TENANTRY_TEST_KUBECONFIG:?set it to the kubeconfig of the test control plane}"
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/debug/tenantry"
ST="$HOME/.cache/tenantry/venv/bin/schemathesis"
EXAMPLES="${TENANTRY_FUZZ_EXAMPLES:-10}"
SEED="${TENANTRY_FUZZ_SEED:-20261201}"
[ -x "$BIN" ] || { echo "api-fuzz: build the console first ($BIN)" >&2; exit 1; }
[ -x "$ST" ] || { echo "api-fuzz: schemathesis is missing (bash .ci/install)" >&2; exit 1; }

work="$(mktemp -d)"
export TENANTRY_DATABASE_URL="sqlite://$work/fuzz.db"
export TENANTRY_ADMIN_PASSWORD="api fuzz first admin password"
export RUST_LOG=warn
"$BIN" serve --listen 127.0.0.1:0 --kubeconfig "$TENANTRY_TEST_KUBECONFIG" \
  --namespace-prefix fz- >"$work/out.log" 2>"$work/err.log" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
base=""
for _ in $(seq 1 100); do
  base="$(sed -n 's/^Tenantry console: //p' "$work/out.log" | head -n1)"
  [ -n "$base" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$base" ] || { cat "$work/err.log" >&2; echo "api-fuzz: the console did not start" >&2; exit 1; }

# The fuzzing account: added on the console's host, its one-time password
# changed through the console, then exchanged for a token.
once="$("$BIN" admin staff add fuzz --role admin | sed -n 's/.*: //p' | tail -n1)"
jar="$work/cookies"
curl -fsS -c "$jar" -H "Origin: $base" --data-urlencode username=fuzz \
  --data-urlencode "password=$once" "$base/api/login" >/dev/null
curl -fsS -b "$jar" -H "Origin: $base" --data-urlencode "current_password=$once" \
  --data-urlencode "new_password=fuzzing account password 2026" \
  "$base/api/change_password" >/dev/null
token="$(curl -fsS -H 'Content-Type: application/json' \
  -d '{"username":"fuzz","password":"fuzzing account password 2026","name":"schemathesis","role":"admin","expires_in_days":1}' \
  "$base/api/v1/auth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')"

# The document itself is valid OpenAPI 3.1.
curl -fsS "$base/api/v1/openapi.json" > "$work/openapi.json"
"$HOME/.cache/tenantry/venv/bin/openapi-spec-validator" "$work/openapi.json"

status=0
"$ST" run "$base/api/v1/openapi.json" --url "$base" \
  -H "Authorization: Bearer $token" \
  -c not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --exclude-path /api/v1/live \
  --exclude-path '/api/v1/tokens/{id}' \
  --exclude-path '/api/v1/staff/{id}' \
  --exclude-path '/api/v1/staff/{id}/reset-password' \
  --phases examples,coverage,fuzzing -n "$EXAMPLES" --seed "$SEED" \
  --generation-database none -w 2 --request-timeout 30 --no-color \
  >"$work/st.log" 2>&1 || status=$?
if [ "$status" != 0 ]; then
  cat "$work/st.log"
  tail -n 40 "$work/err.log" >&2
fi
ops="$(sed -n 's/^ *Tested: *//p' "$work/st.log" | head -n1)"
cases="$(sed -n 's/^ *\([0-9]*\) generated.*/\1/p' "$work/st.log" | head -n1)"
echo "api-fuzz: ${ops:-?} operations, ${cases:-?} cases, seed $SEED, schemathesis exit $status"
# A token never reaches the console's log.
if grep -qF "$token" "$work/err.log" "$work/out.log"; then
  echo "api-fuzz: the token appeared in the console's log" >&2
  exit 1
fi
exit "$status"
