#!/usr/bin/env bash
# backup.sh (server/src/manifests/backup.sh, what Tenantry's backup Jobs run)
# outside any cluster, under dash, against a real PostgreSQL
# ($TENANTRY_TEST_POSTGRES_URL, a superuser; else one of .ci/postgres.sh) and
# moto's S3 server (PyPI) with its signature checks on, through URLs that boto3
# presigns as Tenantry does (SigV4, path-style): one object, one method each.
# moto (5.2) checks no presigned URL (with its checks on, a request without an
# Authorization header is a 500; off, any URL passes): so the script talks to
# a front (s3.py below) that checks each URL as S3 does (signature, expiry,
# unsigned x-amz-* headers), refuses with S3's error XML (which, as S3's, holds
# the signature provided) and hands what passes to moto, signed with the key.
# The dump runs as a role whose password PostgreSQL checks: one scram-sha-256
# line for it goes first in pg_hba.conf (through SQL) and out at the end.
# Checks: backup with and without SSE (termination JSON; the object's size and
# encryption by head_object, its SHA-256), restore (rows, sequences, index,
# twice), a wrong or missing checksum, a missing object, a wrong database
# password, an unreachable store, refused URLs (signature changed, another
# key's path, expired, the other method, SSE header missing or unsigned) that
# change nothing, a full disk, bad usage, and that no secret (store key, any
# URL's signature, database password) is ever printed or on curl's command line.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRIPT="$PWD/server/src/manifests/backup.sh"
MOTO="$HOME/.cache/tenantry/venv/bin/moto_server"
PY="$HOME/.cache/tenantry/venv/bin/python"
SH="$(command -v dash || command -v sh)"
[ -x "$MOTO" ] && [ -x "$PY" ] || { echo "backup-script: moto_server is missing (bash .ci/install)" >&2; exit 1; }
SECONDS=0
checks=0

fail() { echo "backup-script: FAILED: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); }
expect() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; ok; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work="$(mktemp -d /tmp/tenantry-backup-test.XXXXXX)"
own_pg="" moto_pid="" front_pid="" role="" hba_line=""
cleanup() {
  set +e
  [ -z "$front_pid" ] || { kill "$front_pid"; wait "$front_pid"; } 2>/dev/null
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
s3() { curl -sS --aws-sigv4 aws:amz:us-east-1:s3 -H "x-amz-content-sha256: $EMPTY" "$@"; }
BUCKET=tenantry-backups
s3 --fail-with-body --user "$AK:$SK" -X PUT "$S3/$BUCKET" >/dev/null
expect "$(s3 -o /dev/null -w '%{http_code}' --user "$AK:not-the-secret" "$S3/$BUCKET")" 403 "moto with a wrong secret key"

# The front: presigned URLs checked as S3 does, then handed to moto.
cat >"$work/s3.py" <<'PY'
import datetime, hashlib, hmac, http.server, os, sys, time, urllib.parse as up, xml.sax.saxutils as sax
import boto3, botocore.auth, botocore.awsrequest, botocore.config, botocore.credentials, botocore.httpsession
AK, SK, S3, FRONT, BUCKET = (os.environ[v] for v in ("AK", "SK", "S3", "FRONT", "BUCKET"))
q = lambda s: up.quote(s, safe="-_.~")
hm = lambda k, s: hmac.new(k, s.encode(), hashlib.sha256)
client = lambda url: boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=AK,
    aws_secret_access_key=SK, config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}))
class Front(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, status, body, headers=(("Content-Type", "application/xml"),)):
        self.send_response(status)
        for k, v in list(headers) + [("Content-Length", str(len(body)))]: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(b"" if self.command == "HEAD" else body)
    def deny(self, code, message, *more):  # S3's error document
        more = "".join(f"<{k}>{sax.escape(v)}</{k}>" for k, v in more)
        self.reply(403, f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{more}</Error>'.encode())
    def serve(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        params = sorted((up.unquote(k), up.unquote(v)) for k, _, v in (x.partition("=") for x in query.split("&") if x))
        p = dict(params)
        cred, signed = p.get("X-Amz-Credential", "").split("/"), p.get("X-Amz-SignedHeaders", "").split(";")
        if p.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or len(cred) != 5 or cred[0] != AK:
            return self.deny("AccessDenied", "Access Denied")
        creq = "\n".join([self.command, q(up.unquote(path)).replace("%2F", "/"),
                          "&".join(f"{q(k)}={q(v)}" for k, v in params if k != "X-Amz-Signature"),
                          "".join(f"{h}:{' '.join(self.headers.get(h, '').split())}\n" for h in signed),
                          ";".join(signed), "UNSIGNED-PAYLOAD"])
        sts = "\n".join(["AWS4-HMAC-SHA256", p.get("X-Amz-Date", ""), "/".join(cred[1:]), hashlib.sha256(creq.encode()).hexdigest()])
        key = ("AWS4" + SK).encode()
        for part in cred[1:]: key = hm(key, part).digest()
        if not hmac.compare_digest(hm(key, sts).hexdigest(), given := p.get("X-Amz-Signature", "")):
            return self.deny("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.",
                             ("StringToSign", sts), ("SignatureProvided", given), ("CanonicalRequest", creq))
        date = datetime.datetime.strptime(p["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        if time.time() > date.timestamp() + int(p["X-Amz-Expires"]):
            return self.deny("AccessDenied", "Request has expired", ("X-Amz-Expires", p["X-Amz-Expires"]))
        if unsigned := [h.lower() for h in self.headers if h.lower().startswith("x-amz-") and h.lower() not in signed]:
            return self.deny("AccessDenied", "There were headers present in the request which were not signed",
                             ("HeadersNotSigned", ", ".join(unsigned)))
        fwd = {k: v for k, v in self.headers.items() if k.lower().startswith("x-amz-") or k.lower() == "content-type"}
        req = botocore.awsrequest.AWSRequest(method=self.command, url=S3 + path, data=body, headers=fwd)
        botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(AK, SK), "s3", "us-east-1").add_auth(req)
        r = botocore.httpsession.URLLib3Session().send(req.prepare())
        self.reply(r.status_code, r.content, [(k, v) for k, v in r.headers.items()
                   if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server")])
    do_GET = do_PUT = do_HEAD = serve
cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "front":  # PORT
    http.server.ThreadingHTTPServer(("127.0.0.1", int(args[0])), Front).serve_forever()
elif cmd == "sign":  # NAME:put|get:KEY:EXPIRES:SSE...: one "NAME URL" line each
    for name, method, key, expires, sse in (a.split(":") for a in args):
        params = {"Bucket": BUCKET, "Key": key, **({"ServerSideEncryption": sse} if sse else {})}
        print(name, client(FRONT).generate_presigned_url(f"{method}_object", Params=params, ExpiresIn=int(expires)))
elif cmd == "stat":  # KEY [FILE]: size and encryption by head_object, SHA-256 (the object in FILE)
    head, body = (getattr(client(S3), f"{m}_object")(Bucket=BUCKET, Key=args[0]) for m in ("head", "get"))
    data = body["Body"].read()
    if args[1:]: open(args[1], "wb").write(data)
    print(head["ContentLength"], head.get("ServerSideEncryption", "-"), hashlib.sha256(data).hexdigest())
elif cmd == "keys":
    print("\n".join(sorted(o["Key"] for o in client(S3).list_objects_v2(Bucket=BUCKET).get("Contents", []))))
PY
FRONT="http://127.0.0.1:$(free_port)"
export AK SK S3 FRONT BUCKET
"$PY" "$work/s3.py" front "${FRONT##*:}" >"$work/front.log" 2>&1 &
front_pid=$!
for _ in $(seq 1 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$FRONT/")" = 403 ] && break; sleep 0.1; done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$FRONT/")" = 403 ] || { cat "$work/front.log" >&2; fail "the front did not start"; }
store() { "$PY" "$work/s3.py" "$@"; }

# --- The script, with the environment its Jobs get (and nothing else).
P=tenants/t-acme
K1=$P/20300101T000000Z-sse.dump K2=$P/20300101T000001Z-plain.dump
declare -A url
while read -r name u; do url[$name]="$u"; done < <(store sign put1:put:$K1:900:AES256 put2:put:$K2:900: \
  get1:get:$K1:900: none:get:$P/nothing.dump:900: expired:put:$P/late.dump:1:)
signed_at=$SECONDS
expect "${#url[@]}" 5 "presigned URLs"
TLOG="$work/termination-log"
mkdir "$work/scratch" "$work/bin"
# curl, through a shim that keeps its command lines in curl-argv.out (read in 7).
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\nexec %s "$@"\n' "$work/curl-argv.out" "$(command -v curl)" >"$work/bin/curl"
chmod +x "$work/bin/curl"
base_env=(PATH="$work/bin:$PATH" PGHOST="$PGHOST_" PGPORT="$PGPORT_" PGUSER="$role" PGPASSWORD="$password"
  PGDATABASE="$SRC" WORK_DIR="$work/scratch" TERMINATION_LOG="$TLOG")
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

# 1. Backup: the termination message, the object, its size, SHA-256, encryption.
succeeds backup backup BACKUP_KEY="$K1" BACKUP_URL="${url[put1]}" BACKUP_SSE=AES256
report="$(cat "$TLOG")"
expect "$(wc -l <"$TLOG")" 1 "lines in the termination message"
expect "$(tail -n 1 "$work/backup.out")" "$report" "stdout's last line"
expect "$(store keys)" "$K1" "the bucket's objects"
read -r size sse sha < <(store stat "$K1" "$work/downloaded.dump")
expect "$report" "{\"key\":\"$K1\",\"size\":$size,\"sha256\":\"$sha\"}" "the report (key, size, SHA-256)"
expect "$sse" AES256 "the object's encryption"
expect "$(pg_restore --list "$work/downloaded.dump" | grep -c 'TABLE DATA')" 3 "tables in the dump"
succeeds plain backup BACKUP_KEY="$K2" BACKUP_URL="${url[put2]}"
read -r size2 sse2 sha2 < <(store stat "$K2")
expect "$(cat "$TLOG")" "{\"key\":\"$K2\",\"size\":$size2,\"sha256\":\"$sha2\"}" "the report without SSE"
expect "$sse2" - "the object's encryption without SSE"

# 2. Restore into the empty database; then again over a changed copy (the
# checksum in capitals).
succeeds restore restore PGDATABASE="$DST" BACKUP_KEY="$K1" BACKUP_URL="${url[get1]}" BACKUP_SHA256="$sha"
expect "$(fingerprint "$DST")" "$source_print" "the restored database"
in_dst "DELETE FROM blobs WHERE id > 2000; INSERT INTO events VALUES (-1, 'extra', NULL, NULL); SELECT setval('invoice_no', 5)" >/dev/null
succeeds restore-again restore PGDATABASE="$DST" BACKUP_KEY="$K1" BACKUP_URL="${url[get1]}" BACKUP_SHA256="${sha^^}"
expect "$(fingerprint "$DST")" "$source_print" "the database restored again"

# 3. Refused restores: the database untouched.
in_dst "INSERT INTO events VALUES (-1, 'marker', NULL, NULL)"
get1=(PGDATABASE="$DST" BACKUP_KEY="$K1" BACKUP_URL="${url[get1]}")
fails wrong-sha "^backup: checksum mismatch for $K1: expected sha256 0{64}, downloaded $sha; nothing restored$" \
  restore "${get1[@]}" BACKUP_SHA256="$(printf '0%.0s' {1..64})"
fails no-sha '^backup: BACKUP_SHA256 is not set$' restore "${get1[@]}"
fails missing-object "^backup: download of $P/nothing.dump failed: curl exit 22: NoSuchKey" \
  restore PGDATABASE="$DST" BACKUP_KEY=$P/nothing.dump BACKUP_URL="${url[none]}" BACKUP_SHA256="$sha"
fails restore-with-put "^backup: download of $K1 failed: curl exit 22: SignatureDoesNotMatch" \
  restore PGDATABASE="$DST" BACKUP_KEY="$K1" BACKUP_URL="${url[put1]}" BACKUP_SHA256="$sha"
expect "$(in_dst "SELECT kind FROM events WHERE id = -1")" marker "the database after refused restores"

# 4. A wrong database password: pg_dump's failure, nothing uploaded.
fails wrong-password '^backup: pg_dump failed \(exit 1\): .*password authentication failed' \
  backup PGPASSWORD="not $password" BACKUP_KEY="$K2" BACKUP_URL="${url[put2]}"

# 5. The store: unreachable, or refusing the URL (named by the key given).
fails unreachable "^backup: upload of $K2 failed: curl exit 7$" \
  backup BACKUP_KEY="$K2" BACKUP_URL="${url[put2]/$FRONT/http://127.0.0.1:$(free_port)}"
sig="${url[put2]##*X-Amz-Signature=}"
bad_sig="$([ "${sig:0:1}" = 0 ] && echo 1 || echo 0)${sig:1}"
tampered="${url[put2]%"$sig"}$bad_sig"
refused() { fails "$1" "^backup: upload of $2 failed: curl exit 22: $3" backup BACKUP_KEY="$2" BACKUP_URL="$4" "${@:5}"; }
refused tampered "$K2" SignatureDoesNotMatch "$tampered"
refused other-key "$P/other.dump" SignatureDoesNotMatch "${url[put2]/"/$K2?"//$P/other.dump?}"
refused get-url "$K1" SignatureDoesNotMatch "${url[get1]}"
refused sse-missing "$K1" SignatureDoesNotMatch "${url[put1]}"
refused sse-unsigned "$K2" 'AccessDenied \(There were headers present in the request which were not signed\)' "${url[put2]}" BACKUP_SSE=AES256
sleep $((SECONDS - signed_at < 3 ? 2 : 0))
refused expired "$P/late.dump" 'AccessDenied \(Request has expired\)$' "${url[expired]}"
expect "$(store keys)" "$K1
$K2" "the bucket after refused uploads"
expect "$(store stat "$K1")" "$size $sse $sha" "the first dump after refused uploads"

# 6. A full disk (a file size limit; SIGXFSZ ignored so that writes fail with EFBIG).
(ulimit -f 16 && trap '' XFSZ && fails full-disk '^backup: pg_dump failed \(exit 1\): .*(File too large|could not write)' \
  backup BACKUP_KEY="$K2" BACKUP_URL="${url[put2]}")
ok
fails usage '^backup: usage' bogus
fails bad-key "^backup: BACKUP_KEY '$P/../x.dump' is not a valid object key$" backup BACKUP_KEY="$P/../x.dump" BACKUP_URL="${url[put2]}"
fails no-url '^backup: BACKUP_URL is not set$' backup BACKUP_KEY="$K2"
expect "$(store stat "$K2")" "$size2 $sse2 $sha2" "the second dump after failed runs"

# 7. No secret anywhere in the script's output nor on curl's command lines:
# the store's key, any URL's signature (the changed one too), the password.
[ -s "$work/curl-argv.out" ] || fail "curl's command lines were not recorded"
secrets=("$SK" "$password" "$bad_sig" "X-Amz-Signature")
for u in "${url[@]}"; do secrets+=("${u##*X-Amz-Signature=}"); done
for secret in "${secrets[@]}"; do
  [ "${#secret}" -ge 15 ] && ! grep -rlF -- "$secret" "$work"/*.out "$work"/*.err || fail "a secret was printed (or is too short)"
done
ok
echo "backup-script: $checks checks passed in ${SECONDS}s"
