#!/usr/bin/env bash
# Builds the console, starts it on a fresh SQLite database, and runs the
# browser tests (node's test runner + playwright-core + /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tenantry/target}"
cargo leptos build

bin="$CARGO_TARGET_DIR/debug/tenantry"
[ -x "$bin" ] || { echo "no tenantry binary under $CARGO_TARGET_DIR" >&2; exit 1; }
port="${E2E_PORT:-3107}"
work="$(mktemp -d)"
export TENANTRY_DATABASE_URL="sqlite://$work/e2e.db"
export TENANTRY_ADMIN_PASSWORD="e2e-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export TENANTRY_LISTEN="127.0.0.1:$port"
# The live tests need the real local control plane (.ci/test starts it).
if [ -n "${TENANTRY_TEST_KUBECONFIG:-}" ]; then
  export TENANTRY_KUBECONFIG="$TENANTRY_TEST_KUBECONFIG"
  export TENANTRY_WAIT_DATABASE_SECS=20 TENANTRY_STEP_ATTEMPTS=2 TENANTRY_BASE_DOMAIN=e2e.test
fi
# Backups go to the test S3 API (.ci/test starts it; .ci/moto.sh by hand).
if [ -n "${TENANTRY_TEST_S3_URL:-}" ]; then
  export TENANTRY_BACKUP_ENDPOINT="$TENANTRY_TEST_S3_URL"
  export TENANTRY_BACKUP_ACCESS_KEY_ID=testing TENANTRY_BACKUP_SECRET_ACCESS_KEY=testing
fi
export LEPTOS_OUTPUT_NAME=tenantry LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg
"$bin" serve >"$work/server.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.5
done
status=0
(cd end2end && TENANTRY_BASE_URL="http://127.0.0.1:$port" node --test --test-concurrency=1 tests/) || status=$?
if [ "$status" != 0 ]; then echo "--- server log ---"; tail -n 80 "$work/server.log"; fi
exit "$status"
