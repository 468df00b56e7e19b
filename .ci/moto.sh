# Sourced by .ci/test (and by hand for the real-cluster tests): a throw-away
# S3 API (moto's server, from the venv .ci/install makes) on 127.0.0.1, with
# the bucket the console's default destination names. The tests' consoles
# sign their backup Jobs' URLs for it; the fake kubelets PUT to them.
MOTO_BIN="$HOME/.cache/tenantry/venv/bin/moto_server"

start_test_moto() {
  local port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  MOTO_LOG="$(mktemp /tmp/tenantry-moto.XXXXXX)"
  "$MOTO_BIN" -H 127.0.0.1 -p "$port" >"$MOTO_LOG" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS -X PUT "http://127.0.0.1:$port/tenantry-backups" >/dev/null
  export TENANTRY_TEST_S3_URL="http://127.0.0.1:$port"
  echo "test S3 (moto) on 127.0.0.1:$port"
}

stop_test_moto() {
  [ -n "${MOTO_PID:-}" ] || return 0
  kill "$MOTO_PID" 2>/dev/null || true
  wait "$MOTO_PID" 2>/dev/null || true
  rm -f "$MOTO_LOG"
}
