#!/bin/sh
# Backs up or restores one tenant's PostgreSQL database through a presigned
# URL of S3-compatible object storage: `sh /scripts/backup.sh backup|restore`,
# run by Tenantry's backup Jobs in an image with pg_dump, pg_restore, curl and
# coreutils. The Job holds no store credentials: Tenantry signs a URL for
# the one object, for the one method (PUT to back up, GET to restore), valid
# until the Job's deadline; it lists, checks and prunes the store itself.
# Progress goes to stdout; a failure exits non-zero with one `backup: ...`
# line, last on stderr, naming the step. The URL is never printed.
#
# Environment:
#   PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE  the database (libpq)
#   BACKUP_KEY          the object's key (named in messages and the report)
#   BACKUP_URL          the presigned URL: PUT (backup) or GET (restore)
#   BACKUP_SSE          (backup, optional) x-amz-server-side-encryption, e.g. AES256
#                       (signed into the URL: sent as it was signed)
#   BACKUP_SHA256       (restore) the dump's SHA-256, from Tenantry's catalogue
#   WORK_DIR            scratch space for the dump, default /tmp
#   TERMINATION_LOG     backup writes {"key":…,"size":…,"sha256":…} there, default
#                       /dev/termination-log, and prints it as stdout's last line
set -eu
umask 077

say() { printf 'backup: %s\n' "$*"; }
die() { printf 'backup: %s\n' "$*" >&2; exit 1; }

MODE=${1:-}
case $MODE in backup | restore) ;; *) die "usage: backup.sh backup|restore" ;; esac
need() { for v; do eval "[ -n \"\${$v:-}\" ]" || die "$v is not set"; done; }
need BACKUP_KEY BACKUP_URL PGDATABASE
# The key goes into the report as it is: a safe alphabet only.
case /$BACKUP_KEY/ in
  *[!A-Za-z0-9._/-]* | *//* | */./* | */../*) die "BACKUP_KEY '$BACKUP_KEY' is not a valid object key" ;;
esac

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

# request OUT [curl options...]: one request to the presigned URL, which
# reaches curl on stdin (a config file), never its command line; the body
# goes to OUT, the headers to $tmp/headers. On failure, returns curl's
# status with a one-line reason (the store's error code) in $s3_error.
request() {
  out=$1
  shift
  s3_error=
  rc=0
  printf 'url = "%s"\n' "$(printf '%s' "$BACKUP_URL" | sed 's/[\\"]/\\&/g')" |
    curl --silent --show-error --fail-with-body --config - --connect-timeout 20 --retry 3 \
      --speed-limit 1 --speed-time 300 \
      --dump-header "$tmp/headers" --output "$out" "$@" 2>"$tmp/curl.err" || rc=$?
  [ "$rc" -eq 0 ] && return 0
  # The store's answer to a refusal is short; a failed download may be a
  # large partial dump: only its start is read.
  code=$(head -c 65536 "$out" 2>/dev/null | sed -n 's:.*<Code>\([^<]*\)</Code>.*:\1:p' | head -n 1)
  msg=$(head -c 65536 "$out" 2>/dev/null | sed -n 's:.*<Message>\([^<]*\)</Message>.*:\1:p' | head -n 1)
  # curl's own words may quote the URL: only its exit status is kept.
  s3_error="curl exit $rc${code:+: $code}${msg:+ ($msg)}"
  return "$rc"
}

backup() {
  key=$BACKUP_KEY
  dump=$tmp/db.dump

  say "dumping database $PGDATABASE"
  run pg_dump pg_dump --format=custom --compress=6 --no-password --file="$dump"
  run "checking the dump" pg_restore --list "$dump"
  sha=$(sha256sum <"$dump") || die "sha256sum of the dump failed"
  sha=${sha%% *}
  size=$(stat -c %s "$dump") || die "reading the dump's size failed"
  # One PUT takes at most 5 GiB; larger dumps would need a multipart upload.
  [ "$size" -le 5368709120 ] || die "upload of $key failed: the dump has $size bytes, over S3's 5 GiB for one PUT"

  say "uploading $size bytes as $key"
  request "$tmp/put.out" --upload-file "$dump" \
    ${BACKUP_SSE:+-H "x-amz-server-side-encryption: $BACKUP_SSE"} ||
    die "upload of $key failed: $s3_error"

  json="{\"key\":\"$key\",\"size\":$size,\"sha256\":\"$sha\"}"
  { printf '%s\n' "$json" >"${TERMINATION_LOG:-/dev/termination-log}"; } 2>/dev/null || true
  printf '%s\n' "$json"
}

restore() {
  need BACKUP_SHA256
  dump=$tmp/db.dump
  say "downloading $BACKUP_KEY"
  request "$dump" || die "download of $BACKUP_KEY failed: $s3_error"
  got=$(sha256sum <"$dump") || die "sha256sum of the download failed"
  got=${got%% *}
  want=$(printf '%s' "$BACKUP_SHA256" | tr 'A-F' 'a-f')
  [ "$want" = "$got" ] ||
    die "checksum mismatch for $BACKUP_KEY: expected sha256 $want, downloaded $got; nothing restored"
  say "restoring database $PGDATABASE"
  run pg_restore pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
    --exit-on-error --no-password --dbname="$PGDATABASE" "$dump"
  say "restored $BACKUP_KEY ($got)"
}

case $MODE in
  backup) backup ;;
  restore) restore ;;
esac
