#!/bin/sh
# Backs up, restores or lists one tenant's PostgreSQL database in S3-compatible
# object storage: `sh /scripts/backup.sh backup|restore|list`, run by Tenantry's
# backup Jobs in an image with pg_dump, pg_restore, curl >= 7.87 (it signs the
# requests with --aws-sigv4) and coreutils. Progress goes to stdout; a failure
# exits non-zero with one `backup: ...` line, last on stderr, naming the step.
#
# Environment:
#   PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE  the database (libpq)
#   BACKUP_DESTINATION  s3://bucket[/prefix]; a tenant's dumps are <prefix>/<tenant>/*.dump
#   BACKUP_TENANT       (backup, list) the tenant's id
#   BACKUP_NAME         (backup, optional) the dump's name, its key <prefix>/<tenant>/<name>.dump;
#                       default <UTC time>-<random>: names sort by age, as retention relies on
#   BACKUP_SSE          (backup, optional) x-amz-server-side-encryption, e.g. AES256
#   BACKUP_RETAIN       (backup, optional) keep only the newest N dumps; empty or 0 keeps all
#   BACKUP_KEY          (restore) the dump's key in the bucket
#   BACKUP_SHA256       (restore, optional) its SHA-256, else its x-amz-meta-sha256 is checked
#   S3_ENDPOINT         default https://s3.$AWS_REGION.amazonaws.com; path-style requests
#   S3_LIST_MAX_KEYS    (optional) page size of listings, default 1000 (tests page with less)
#   AWS_REGION          default us-east-1
#   AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY  never printed, never in a command line
#   WORK_DIR            scratch space for the dump, default /tmp
#   TERMINATION_LOG     backup writes {"key":…,"size":…,"sha256":…} there, default
#                       /dev/termination-log, and prints it as stdout's last line
set -eu
umask 077

say() { printf 'backup: %s\n' "$*"; }
die() { printf 'backup: %s\n' "$*" >&2; exit 1; }

MODE=${1:-}
case $MODE in backup | restore | list) ;; *) die "usage: backup.sh backup|restore|list" ;; esac
need() { for v; do eval "[ -n \"\${$v:-}\" ]" || die "$v is not set"; done; }
need BACKUP_DESTINATION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
AWS_REGION=${AWS_REGION:-us-east-1}
S3_ENDPOINT=${S3_ENDPOINT:-https://s3.$AWS_REGION.amazonaws.com}
S3_ENDPOINT=${S3_ENDPOINT%/}
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# Keys go into URLs and the termination JSON as they are: a safe alphabet only.
check_key() {
  case /$2/ in
    *[!A-Za-z0-9._/-]* | *//* | */./* | */../*) die "$1 '$2' is not a valid object key" ;;
  esac
}
# s3://bucket/some/prefix -> BUCKET=bucket, TENANT_DIR=some/prefix/<tenant>/
dest=${BACKUP_DESTINATION#s3://}
BUCKET=${dest%%/*}
PREFIX=${dest#"$BUCKET"}
PREFIX=${PREFIX#/}
while [ "${PREFIX%/}" != "$PREFIX" ]; do PREFIX=${PREFIX%/}; done
[ "$dest" != "$BACKUP_DESTINATION" ] || die "BACKUP_DESTINATION must be s3://bucket[/prefix]"
check_key bucket "$BUCKET"
[ -z "$PREFIX" ] || check_key "BACKUP_DESTINATION prefix" "$PREFIX"
if [ "$MODE" != restore ]; then
  need BACKUP_TENANT
  case $BACKUP_TENANT in */*) die "BACKUP_TENANT '$BACKUP_TENANT' is not a valid object key" ;; esac
  check_key BACKUP_TENANT "$BACKUP_TENANT"
  TENANT_DIR=${PREFIX:+$PREFIX/}$BACKUP_TENANT/
fi

# Before 7.87 curl signed uploads as if their payload were empty: S3 refuses them.
curl --version 2>/dev/null | awk 'NR == 1 { split($2, v, "."); ok = v[1] > 7 || (v[1] == 7 && v[2] >= 87) }
  END { exit !ok }' || die "curl 7.87 or later is needed (for --aws-sigv4 uploads)"

tmp=$(mktemp -d "${WORK_DIR:-/tmp}/backup.XXXXXX") || die "cannot create a scratch directory in ${WORK_DIR:-/tmp}"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run STEP COMMAND...: COMMAND's diagnostics go to stderr; if it fails, the
# script ends naming STEP, its exit status and its first error line.
run() {
  step=$1
  shift
  rc=0
  out=$("$@" 2>&1 >/dev/null) || rc=$?
  why=
  [ "$rc" -eq 0 ] || why=$(printf '%s\n' "$out" | awk 'tolower($0) ~ /error|fatal/ { print; exit }
    NF { last = $0 } END { if (NR) print last }' | head -n 1)
  [ -z "$out" ] || [ "$out" = "$why" ] || printf '%s\n' "$out" >&2
  [ "$rc" -eq 0 ] || die "$step failed (exit $rc)${why:+: $why}"
}

# The keys reach curl on stdin, as a config file, not on its command line.
creds() {
  printf 'user = "%s:%s"\n' "$(printf '%s' "$AWS_ACCESS_KEY_ID" | sed 's/[\\"]/\\&/g')" \
    "$(printf '%s' "$AWS_SECRET_ACCESS_KEY" | sed 's/[\\"]/\\&/g')"
}
# s3 PATH PAYLOAD_SHA256 OUT [curl options...]: one signed request to the
# bucket's PATH ("/key" or "?query"), the body to OUT, the headers to
# $tmp/headers. On failure, returns curl's status with a one-line reason in
# $s3_error. x-amz-content-sha256 is required by S3 and signed by curl.
s3() {
  path=$1 payload=$2 out=$3
  shift 3
  s3_error=
  rc=0
  creds | curl --silent --show-error --fail-with-body --config - --connect-timeout 20 --retry 3 \
    --aws-sigv4 "aws:amz:$AWS_REGION:s3" -H "x-amz-content-sha256: $payload" \
    --dump-header "$tmp/headers" --output "$out" "$@" "$S3_ENDPOINT/$BUCKET$path" 2>"$tmp/curl.err" || rc=$?
  [ "$rc" -eq 0 ] && return 0
  code=$(sed -n 's:.*<Code>\([^<]*\)</Code>.*:\1:p' "$out" 2>/dev/null | head -n 1)
  msg=$(sed -n 's:.*<Message>\([^<]*\)</Message>.*:\1:p' "$out" 2>/dev/null | head -n 1)
  s3_error="$(tail -n 1 "$tmp/curl.err")${code:+: $code}${msg:+ ($msg)}"
  return "$rc"
}
# The last value of response header $1 of the last request.
header() { tr -d '\r' <"$tmp/headers" | awk -v h="$1" 'tolower($1) == tolower(h) ":" { v = $2 } END { print v }'; }
# Percent-encoding for query values, as SigV4's canonical form has them.
urlencode() {
  printf '%s' "$1" | LC_ALL=C awk 'BEGIN { for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i }
    { for (i = 1; i <= length($0); i++) { c = substr($0, i, 1)
        if (c ~ /[A-Za-z0-9._~-]/) printf "%s", c; else printf "%%%02X", ord[c] } }'
}

# The keys of the tenant's dumps, oldest first (ListObjectsV2, every page).
list_dumps() {
  : >"$tmp/keys"
  token=
  while :; do
    # The parameters in canonical (sorted) order: curl signs the query as it is.
    q="list-type=2&max-keys=${S3_LIST_MAX_KEYS:-1000}&prefix=$(urlencode "$TENANT_DIR")"
    [ -z "$token" ] || q="continuation-token=$(urlencode "$token")&$q"
    s3 "?$q" "$EMPTY_SHA256" "$tmp/list.xml" || die "listing s3://$BUCKET/$TENANT_DIR failed: $s3_error"
    tr '<' '\n' <"$tmp/list.xml" | sed -n 's/^Key>//p' >>"$tmp/keys"
    token=$(tr '<' '\n' <"$tmp/list.xml" | sed -n 's/^NextContinuationToken>//p')
    grep -q '<IsTruncated>true</IsTruncated>' "$tmp/list.xml" && [ -n "$token" ] || break
  done
  grep -x '[A-Za-z0-9._/-]*\.dump' "$tmp/keys" | LC_ALL=C sort || true
}

backup() {
  need PGDATABASE
  name=${BACKUP_NAME:-$(date -u +%Y%m%dT%H%M%SZ)-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}
  case $name in */*) die "BACKUP_NAME '$name' is not a valid object key" ;; esac
  check_key BACKUP_NAME "$name"
  retain=${BACKUP_RETAIN:-0}
  case $retain in *[!0-9]*) die "BACKUP_RETAIN '$retain' is not a number" ;; esac
  key=$TENANT_DIR$name.dump
  dump=$tmp/db.dump

  say "dumping database $PGDATABASE"
  run pg_dump pg_dump --format=custom --compress=6 --no-password --file="$dump"
  run "checking the dump" pg_restore --list "$dump"
  sha=$(sha256sum <"$dump") || die "sha256sum of the dump failed"
  sha=${sha%% *}
  size=$(stat -c %s "$dump") || die "reading the dump's size failed"
  # One PUT takes at most 5 GiB; larger dumps would need a multipart upload.
  [ "$size" -le 5368709120 ] || die "upload to s3://$BUCKET/$key failed: the dump has $size bytes, over S3's 5 GiB for one PUT"

  say "uploading $size bytes to s3://$BUCKET/$key"
  s3 "/$key" "$sha" "$tmp/put.out" --upload-file "$dump" -H "x-amz-meta-sha256: $sha" \
    ${BACKUP_SSE:+-H "x-amz-server-side-encryption: $BACKUP_SSE"} ||
    die "upload to s3://$BUCKET/$key failed: $s3_error"
  s3 "/$key" "$EMPTY_SHA256" "$tmp/head.out" --head || die "checking s3://$BUCKET/$key failed: $s3_error"
  stored=$(header content-length)
  [ "$stored" = "$size" ] || die "checking s3://$BUCKET/$key failed: it has ${stored:-no} bytes, the dump $size"

  if [ "$retain" -gt 0 ]; then
    # The new dump stays whatever its name; the newest retain-1 others with it.
    list_dumps >"$tmp/dumps"
    grep -vxF "$key" "$tmp/dumps" >"$tmp/others" || true
    extra=$(($(wc -l <"$tmp/others") - retain + 1))
    if [ "$extra" -gt 0 ]; then
      head -n "$extra" "$tmp/others" >"$tmp/prune"
      while read -r old; do
        say "deleting s3://$BUCKET/$old (retaining $retain)"
        s3 "/$old" "$EMPTY_SHA256" "$tmp/delete.out" --request DELETE ||
          die "deleting s3://$BUCKET/$old (retention) failed: $s3_error"
      done <"$tmp/prune"
    fi
  fi

  json="{\"key\":\"$key\",\"size\":$size,\"sha256\":\"$sha\"}"
  { printf '%s\n' "$json" >"${TERMINATION_LOG:-/dev/termination-log}"; } 2>/dev/null || true
  printf '%s\n' "$json"
}

restore() {
  need BACKUP_KEY PGDATABASE
  check_key BACKUP_KEY "$BACKUP_KEY"
  dump=$tmp/db.dump
  say "downloading s3://$BUCKET/$BACKUP_KEY"
  s3 "/$BACKUP_KEY" "$EMPTY_SHA256" "$dump" || die "download of s3://$BUCKET/$BACKUP_KEY failed: $s3_error"
  got=$(sha256sum <"$dump") || die "sha256sum of the download failed"
  got=${got%% *}
  want=$(printf '%s' "${BACKUP_SHA256:-$(header x-amz-meta-sha256)}" | tr 'A-F' 'a-f')
  if [ -z "$want" ]; then
    say "no checksum to verify s3://$BUCKET/$BACKUP_KEY against (no BACKUP_SHA256 nor x-amz-meta-sha256)"
  elif [ "$want" != "$got" ]; then
    die "checksum mismatch for s3://$BUCKET/$BACKUP_KEY: expected sha256 $want, downloaded $got; nothing restored"
  fi
  say "restoring database $PGDATABASE"
  run pg_restore pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
    --exit-on-error --no-password --dbname="$PGDATABASE" "$dump"
  say "restored s3://$BUCKET/$BACKUP_KEY ($got)"
}

case $MODE in
  backup) backup ;;
  restore) restore ;;
  list)
    list_dumps >"$tmp/dumps"
    cat "$tmp/dumps"
    ;;
esac
