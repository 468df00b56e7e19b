# Sourced by .ci/test: a throw-away PostgreSQL on 127.0.0.1 for the storage
# tests, owned by the `postgres` system user (initdb refuses root).
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
PG_PORT="${PG_PORT:-55432}"

start_test_postgres() {
  PG_DIR="$(mktemp -d /tmp/tenantry-pg.XXXXXX)"
  chown postgres:postgres "$PG_DIR"
  local as_pg=(runuser -u postgres --)
  [ "$(id -u)" = 0 ] || as_pg=()
  "${as_pg[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" --auth=trust -U postgres >/dev/null
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  export TENANTRY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "test PostgreSQL on 127.0.0.1:$PG_PORT"
}

stop_test_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  local as_pg=(runuser -u postgres --)
  [ "$(id -u)" = 0 ] || as_pg=()
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
