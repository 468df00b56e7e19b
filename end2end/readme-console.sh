#!/usr/bin/env bash
# Proves the README's console command: `bash .ci/console` serves the console
# at http://127.0.0.1:3000 on SQLite under ./data/, and a first start prints
# the admin's one-time password. Run from a clean checkout (no ./data yet).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -e data ]; then
  echo "readme-console: ./data already exists; run this from a clean checkout" >&2
  exit 1
fi
log="$(mktemp)"
setsid bash .ci/console >"$log" 2>&1 &
pgid=$!
cleanup() { kill -- "-$pgid" 2>/dev/null || true; wait "$pgid" 2>/dev/null || true; rm -rf data "$log"; }
trap cleanup EXIT
ready=""
for _ in $(seq 1 300); do
  if curl -fsS http://127.0.0.1:3000/readyz >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$pgid" 2>/dev/null || break
  sleep 1
done
fail() { echo "readme-console: $*" >&2; tail -n 40 "$log" >&2; echo "readme-console: 0 passed, 1 failed"; exit 1; }
[ -n "$ready" ] || fail "the console did not answer on 127.0.0.1:3000"
[ -f data/tenantry.db ] || fail "no SQLite database under ./data/"
grep -q 'with one-time password' "$log" || fail "no one-time admin password was printed"
[ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:3000/login)" = 200 ] || fail "/login did not render"
[ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:3000/tenants)" = 303 ] || fail "/tenants did not ask for sign-in"
echo "readme-console: 1 passed, 0 failed"
