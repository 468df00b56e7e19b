#!/usr/bin/env bash
# backup.sh (server/src/manifests/backup.sh, what Tenantry's backup Jobs run)
# outside any cluster, under dash, against a real PostgreSQL
# ($TENANTRY_TEST_POSTGRES_URL, a superuser; else one of .ci/postgres.sh) and
# a real S3 API: moto's server (PyPI), with its signature checks turned on.
# The dump runs as a role of its own whose password PostgreSQL checks: the
# test puts one scram-sha-256 line for that role first in pg_hba.conf (through
# SQL, as the superuser) and takes it out at the end.
# Checks: backup (termination JSON, the object, its size, SHA-256 and
# encryption), restore (rows, sequences, index), a wrong checksum, a wrong
# database password, a wrong store key, an unreachable store, a full disk,
# retention, and that no credential is ever printed.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRIPT="$PWD/server/src/manifests/backup.sh"
MOTO="$HOME/.cache/tenantry/venv/bin/moto_server"
SH="$(command -v dash || command -v sh)"
[ -x "$MOTO" ] || { echo "backup-script: moto_server is missing (bash .ci/install)" >&2; exit 1; }
SECONDS=0
checks=0

fail() { echo "backup-script: FAILED: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); }
expect() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; ok; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work="$(mktemp -d /tmp/tenantry-backup-test.XXXXXX)"
own_pg="" moto_pid="" role="" hba_line=""
cleanup() {
  set +e
  [ -z "$moto_pid" ] || { kill "$moto_pid"; wait "$moto_pid"; } 2>/dev/null
  if [ -n "$role" ]; then
    adm -c "DROP DATABASE IF EXISTS \"${role}_src\" WITH (FORCE)" \
      -c "DROP DATABASE IF EXISTS \"${role}_dst\" WITH (FORCE)" -c "DROP ROLE IF EXISTS \"$role\""
  fi
  [ -z "$hba_line" ] || hba_write "replace(pg_read_file(current_setting('hba_file')), :'line' || E'\n', '')"
  [ -z "$own_pg" ] || stop_test_postgres
  rm -rf "$work"
} >/dev/null 2>&1
trap cleanup EXIT

# --- PostgreSQL: a role with a password, a source and an empty target database.
if [ -z "${TENANTRY_TEST_POSTGRES_URL:-}" ]; then
  PG_PORT="$(free_port)" # read by .ci/postgres.sh
  export PG_PORT
  # shellcheck source=.ci/postgres.sh
  source .ci/postgres.sh
  start_test_postgres >/dev/null
  own_pg=1
fi
ADMIN="$TENANTRY_TEST_POSTGRES_URL"
adm() { psql "$ADMIN" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
url_db() { python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$ADMIN" "$1"; }
# Rewrites the server's pg_hba.conf to the SQL expression $1 (:'line' is
# $hba_line), byte for byte through a large object, and reloads it.
hba_write() {
  adm -v line="$hba_line" <<SQL
SELECT lo_from_bytea(0, convert_to($1, getdatabaseencoding())) AS lo \gset
SELECT lo_export(:lo, current_setting('hba_file'));
SELECT lo_unlink(:lo);
SELECT pg_reload_conf();
SQL
}
read -r PGHOST_ PGPORT_ < <(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.hostname or "", p.port or 5432)' "$ADMIN")
[ -n "$PGHOST_" ] || fail "TENANTRY_TEST_POSTGRES_URL must name a TCP host"
client="$(adm -c "SELECT host(inet_client_addr()) || CASE family(inet_client_addr()) WHEN 4 THEN '/32' ELSE '/128' END")"
role="tenantry_backup_test_$$_$RANDOM"
password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
SRC="${role}_src" DST="${role}_dst"
adm -v role="$role" -v pw="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'pw';
SQL
adm -c "CREATE DATABASE \"$SRC\" OWNER \"$role\"" -c "CREATE DATABASE \"$DST\" OWNER \"$role\""
# The test server may trust every connection: this line, first, makes
# PostgreSQL check the role's password (and concerns no one else).
hba_line="host all $role $client scram-sha-256"
hba_write ":'line' || E'\n' || pg_read_file(current_setting('hba_file'))" >/dev/null
as_role() { PGPASSWORD="$1" psql "host=$PGHOST_ port=$PGPORT_ user=$role dbname=$SRC" -X -q -A -t -c 'SELECT 1' 2>&1; }
refused() { [[ "$(as_role "not $password")" == *"password authentication failed"* ]]; }
for _ in $(seq 1 50); do refused && break; sleep 0.1; done
refused || fail "PostgreSQL does not check $role's password"
expect "$(as_role "$password")" 1 "connecting as $role with its password"

psql "$(url_db "$SRC")" -X -q -v ON_ERROR_STOP=1 -v role="$role" <<'SQL'
SET ROLE :"role";
CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL, note text,
  balance numeric(12, 2), created_at timestamptz NOT NULL, born date);
INSERT INTO accounts (name, note, balance, created_at, born)
SELECT 'account ' || g,
  CASE WHEN g % 10 = 0 THEN NULL ELSE E'tab\t, quote '' " \\ newline\n é ü ' || g END,
  (g * 37 % 100000) / 100.0, timestamptz '2024-01-01 00:00:00+00' + g * interval '17 min 3.25 s',
  date '1970-01-01' + g
FROM generate_series(1, 3000) g;
CREATE TABLE blobs (id int PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id),
  data bytea NOT NULL, taken_at timestamp);
INSERT INTO blobs SELECT g, 1 + g % 3000,
  CASE WHEN g = 1 THEN ''::bytea ELSE sha256(g::text::bytea) || sha512(g::text::bytea) || '\x00ff'::bytea END,
  timestamp '2000-02-29 12:34:56.789' + g * interval '1 hour'
FROM generate_series(1, 2500) g;
CREATE INDEX blobs_account ON blobs (account_id);
CREATE TABLE events (id int PRIMARY KEY, kind text, payload jsonb, happened timestamptz);
INSERT INTO events SELECT g, (ARRAY['created', 'updated', 'deleted'])[1 + g % 3],
  jsonb_build_object('n', g, 'tags', jsonb_build_array('a', g % 7)), now() - g * interval '1 min'
FROM generate_series(1, 4000) g;
CREATE SEQUENCE invoice_no START 1000;
SELECT setval('invoice_no', 4242) \g /dev/null
CREATE VIEW balances AS SELECT a.id, a.balance, count(b.id) AS blobs
  FROM accounts a LEFT JOIN blobs b ON b.account_id = a.id GROUP BY a.id;
SQL
# Every table's row count and content checksum, the sequences, the index and the view.
fingerprint() {
  psql "$(url_db "$1")" -X -q -A -t -v ON_ERROR_STOP=1 <<'SQL'
SELECT 'accounts ' || count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM accounts t;
SELECT 'blobs ' || count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM blobs t;
SELECT 'events ' || count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM events t;
SELECT 'invoice_no ' || last_value || ' ' || is_called FROM invoice_no;
SELECT 'accounts_id_seq ' || last_value || ' ' || is_called FROM accounts_id_seq;
SELECT 'index ' || indexdef FROM pg_indexes WHERE indexname = 'blobs_account';
SELECT 'view ' || count(*) || ' ' || sum(blobs) FROM balances;
SQL
}
source_print="$(fingerprint "$SRC")"
in_dst() { psql "$(url_db "$DST")" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# --- S3: moto's server; an IAM user with its key; then signatures are checked.
port="$(free_port)"
S3="http://127.0.0.1:$port"
"$MOTO" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 100); do curl -sf "$S3/moto-api/" >/dev/null && break; sleep 0.1; done
curl -sf "$S3/moto-api/" >/dev/null || { cat "$work/moto.log" >&2; fail "moto did not start"; }
iam() { curl -sS --fail-with-body --aws-sigv4 aws:amz:us-east-1:iam --user boot:strap "$S3/" --data "Action=$1&Version=2010-05-08&$2"; }
iam CreateUser "UserName=backup" >/dev/null
iam PutUserPolicy "UserName=backup&PolicyName=s3&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D" >/dev/null
key_xml="$(iam CreateAccessKey "UserName=backup")"
AK="$(sed -n 's:.*<AccessKeyId>\([^<]*\)</AccessKeyId>.*:\1:p' <<<"$key_xml")"
SK="$(sed -n 's:.*<SecretAccessKey>\([^<]*\)</SecretAccessKey>.*:\1:p' <<<"$key_xml")"
curl -sS --fail -X POST -H 'Content-Type: text/plain' --data 0 "$S3/moto-api/reset-auth" >/dev/null
EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3() { curl -sS --fail-with-body --aws-sigv4 aws:amz:us-east-1:s3 --user "$AK:$SK" -H "x-amz-content-sha256: $EMPTY" "$@"; }
BUCKET=tenantry-backups
s3 -X PUT "$S3/$BUCKET" >/dev/null
bucket_keys() {
  s3 "$S3/$BUCKET?list-type=2" | python3 -c '
import sys, xml.etree.ElementTree as E
print("\n".join(sorted(k.text for k in E.parse(sys.stdin).iter() if k.tag.endswith("}Key"))))'
}

# --- The script, with the environment its Jobs get (and nothing else).
TLOG="$work/termination-log"
mkdir "$work/scratch"
base_env=(PATH="$PATH" PGHOST="$PGHOST_" PGPORT="$PGPORT_" PGUSER="$role" PGPASSWORD="$password"
  PGDATABASE="$SRC" BACKUP_DESTINATION="s3://$BUCKET/some/prefix/" BACKUP_TENANT=t-acme
  S3_ENDPOINT="$S3" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK"
  WORK_DIR="$work/scratch" TERMINATION_LOG="$TLOG")
# run NAME MODE [VAR=VALUE...]: its status; its output in $work/NAME.out and .err.
run() {
  local name="$1" mode="$2" rc=0
  shift 2
  rm -f "$TLOG"
  env -i "${base_env[@]}" "$@" "$SH" "$SCRIPT" "$mode" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  [ -z "$(ls -A "$work/scratch")" ] || fail "$name left files in WORK_DIR: $(ls -A "$work/scratch")"
  return "$rc"
}
succeeds() {
  local rc=0
  run "$@" || rc=$?
  [ "$rc" = 0 ] || { cat "$work/$1.out" "$work/$1.err" >&2; fail "$1 exited $rc"; }
  ok
}
# fails NAME PATTERN MODE [VAR=VALUE...]: non-zero, the last line on stderr
# matches PATTERN, no termination message.
fails() {
  local name="$1" pattern="$2" rc=0
  shift 2
  run "$name" "$@" || rc=$?
  [ "$rc" != 0 ] || fail "$name succeeded"
  local last
  last="$(tail -n 1 "$work/$name.err")"
  [[ "$last" =~ $pattern ]] || { cat "$work/$name.err" >&2; fail "$name: the last line on stderr does not match '$pattern'"; }
  [ ! -e "$TLOG" ] || fail "$name wrote a termination message"
  ok
}
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# 1. Backup: the termination message, the object, its size, SHA-256, metadata, encryption.
succeeds backup backup BACKUP_NAME=20300101T000000Z-first BACKUP_SSE=AES256
report="$(cat "$TLOG")"
expect "$(wc -l <"$TLOG")" 1 "lines in the termination message"
expect "$(tail -n 1 "$work/backup.out")" "$report" "stdout's last line"
key="$(field "$report" key)"
expect "$key" some/prefix/t-acme/20300101T000000Z-first.dump "the reported key"
expect "$(bucket_keys)" "$key" "the bucket's objects"
s3 -o "$work/downloaded.dump" "$S3/$BUCKET/$key"
expect "$(stat -c %s "$work/downloaded.dump")" "$(field "$report" size)" "the object's size"
sha="$(sha256sum <"$work/downloaded.dump" | cut -d' ' -f1)"
expect "$sha" "$(field "$report" sha256)" "the object's SHA-256"
head="$(s3 -I "$S3/$BUCKET/$key" | tr -d '\r' | tr '[:upper:]' '[:lower:]')"
expect "$(sed -n 's/^x-amz-server-side-encryption: //p' <<<"$head")" aes256 "the object's encryption"
expect "$(sed -n 's/^x-amz-meta-sha256: //p' <<<"$head")" "$sha" "the object's x-amz-meta-sha256"
expect "$(pg_restore --list "$work/downloaded.dump" | grep -c 'TABLE DATA')" 3 "tables in the dump"

# 2. Restore into the empty database, checked by the SHA-256 given; then again
# over a changed copy, checked by the object's metadata.
succeeds restore restore PGDATABASE="$DST" BACKUP_KEY="$key" BACKUP_SHA256="$sha"
expect "$(fingerprint "$DST")" "$source_print" "the restored database"
in_dst "DELETE FROM blobs WHERE id > 2000; INSERT INTO events VALUES (-1, 'extra', NULL, NULL); SELECT setval('invoice_no', 5)" >/dev/null
succeeds restore-again restore PGDATABASE="$DST" BACKUP_KEY="$key"
expect "$(fingerprint "$DST")" "$source_print" "the database restored again"

# 3. A wrong checksum: refused, the database untouched.
in_dst "INSERT INTO events VALUES (-1, 'marker', NULL, NULL)"
fails wrong-sha '^backup: .*checksum' restore PGDATABASE="$DST" BACKUP_KEY="$key" BACKUP_SHA256="$(printf '0%.0s' {1..64})"
expect "$(in_dst "SELECT kind FROM events WHERE id = -1")" marker "the database after a refused restore"
fails missing-object '^backup: download of s3://.*/t-acme/nothing.dump failed: .*NoSuchKey' restore PGDATABASE="$DST" BACKUP_KEY=some/prefix/t-acme/nothing.dump
expect "$(in_dst "SELECT kind FROM events WHERE id = -1")" marker "the database after a missing dump"

# 4. A wrong database password: pg_dump's failure, nothing uploaded.
fails wrong-password '^backup: pg_dump failed \(exit 1\): .*password authentication failed' backup PGPASSWORD="not $password"
expect "$(bucket_keys)" "$key" "the bucket after a failed dump"

# 5. The store: unreachable, or refusing the key.
fails unreachable '^backup: upload to s3://tenantry-backups/some/prefix/t-acme/.*\.dump failed: curl: \(7\)' backup S3_ENDPOINT="http://127.0.0.1:$(free_port)"
fails wrong-key '^backup: upload to s3://.* failed: .*SignatureDoesNotMatch' backup AWS_SECRET_ACCESS_KEY="not-the-secret"
expect "$(bucket_keys)" "$key" "the bucket after failed uploads"

# 6. A full disk (a file size limit; SIGXFSZ ignored so that writes fail with EFBIG).
(ulimit -f 16 && trap '' XFSZ && fails full-disk '^backup: pg_dump failed \(exit 1\): .*(File too large|could not write)' backup)
ok
expect "$(bucket_keys)" "$key" "the bucket after a full disk"

# 7. Retention: three more dumps keeping two (the listing read one key a page).
for i in 1 2 3; do
  succeeds "retain-$i" backup BACKUP_NAME="20300101T00000${i}Z-retain" BACKUP_RETAIN=2 S3_LIST_MAX_KEYS=1
done
newest="some/prefix/t-acme/20300101T000002Z-retain.dump
some/prefix/t-acme/20300101T000003Z-retain.dump"
succeeds list list S3_LIST_MAX_KEYS=1
expect "$(cat "$work/list.out")" "$newest" "the listing after retention"
expect "$(bucket_keys)" "$newest" "the bucket after retention"
succeeds default-name backup
[[ "$(field "$(cat "$TLOG")" key)" =~ ^some/prefix/t-acme/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}\.dump$ ]] || fail "the default name: $(cat "$TLOG")"
ok
fails usage '^backup: usage' bogus

# 8. No credential anywhere in the script's output.
for secret in "$SK" "$password"; do
  ! grep -rlF -- "$secret" "$work"/*.out "$work"/*.err || fail "a credential was printed"
done
ok
echo "backup-script: $checks checks passed in ${SECONDS}s"
