#!/usr/bin/env bash
# Stop the local control plane started by start.sh.
#
# Usage: stop.sh [--purge] [STATE_DIR]     (default STATE_DIR: $HOME/.cache/tenantry/k8s/run)
#   Stops by PID file (TERM, then KILL after TENANTRY_K8S_STOP_GRACE seconds, default 5):
#   the kube-* components first (in parallel), etcd last; removes the pid files.
#   --purge also deletes STATE_DIR (certs, etcd data, logs, kubeconfigs).
# Idempotent: nothing running is not an error.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

PURGE=0
STATE=""
for a in "$@"; do
  case "$a" in
    --purge) PURGE=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) die "unknown option $a" ;;
    *) [ -z "$STATE" ] || die "only one STATE_DIR allowed"; STATE="$a" ;;
  esac
done
STATE="${STATE:-$K8S_DEFAULT_STATE}"
GRACE="${TENANTRY_K8S_STOP_GRACE:-5}"

if [ ! -d "$STATE" ]; then
  log "no state dir $STATE: nothing to stop"
  exit 0
fi
STATE="$(cd "$STATE" && pwd)"

# stop_one NAME: TERM, wait up to GRACE seconds, then KILL; removes NAME.pid.
stop_one() {
  local name="$1" f="$STATE/$1.pid" pid i
  [ -f "$f" ] || return 0
  pid="$(cat "$f" 2>/dev/null || true)"
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$f"
    return 0
  fi
  # Guard against pid reuse: only signal a process whose command line names the component.
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$name"; then
    log "pid $pid in $f is not $name any more; leaving it alone"
    rm -f "$f"
    return 0
  fi
  local t0
  t0=$(date +%s%3N)
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < GRACE * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) still alive after ${GRACE}s: KILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  log "stopped $name (pid $pid) in $(( $(date +%s%3N) - t0 ))ms"
  rm -f "$f"
}

# The kube-* components in parallel (each takes 1.5-3 s to shut down gracefully), then etcd.
for c in kube-scheduler kube-controller-manager kube-apiserver; do
  stop_one "$c" &
done
wait
stop_one etcd
log "all stopped (state: $STATE)"

if [ "$PURGE" = 1 ]; then
  case "$STATE" in
    /|"$HOME"|"$HOME/"|/root|/tmp) die "refusing to purge $STATE" ;;
  esac
  if [ ! -e "$STATE/ports.env" ] && [ ! -d "$STATE/pki" ] && [ -n "$(ls -A "$STATE")" ]; then
    die "refusing to purge $STATE: it does not look like a start.sh state dir"
  fi
  rm -rf "$STATE"
  log "purged $STATE"
fi
