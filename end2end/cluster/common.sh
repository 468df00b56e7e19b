# shellcheck shell=bash disable=SC2034
# Shared settings for the Tenantry local Kubernetes control plane scripts.
# Sourced by build.sh / start.sh / stop.sh; not meant to be run directly.

K8S_CACHE="${TENANTRY_K8S_CACHE:-$HOME/.cache/tenantry/k8s}"
K8S_BIN="$K8S_CACHE/bin"
K8S_SRC="$K8S_CACHE/src"
K8S_DEFAULT_STATE="$K8S_CACHE/run"

ETCD_CLIENT_PORT="${TENANTRY_ETCD_CLIENT_PORT:-12379}"
ETCD_PEER_PORT="${TENANTRY_ETCD_PEER_PORT:-12380}"
APISERVER_PORT="${TENANTRY_APISERVER_PORT:-16443}"
CONTROLLER_MANAGER_PORT="${TENANTRY_CONTROLLER_MANAGER_PORT:-16257}"
SCHEDULER_PORT="${TENANTRY_SCHEDULER_PORT:-16259}"

log() { printf '[tenantry-k8s] %s\n' "$*" >&2; }
die() { printf '[tenantry-k8s] ERROR: %s\n' "$*" >&2; exit 1; }

# Run as root directly, otherwise through sudo (if present).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# pid_alive FILE -> 0 if FILE holds the pid of a running (not zombie) process.
pid_alive() {
  local f="$1" pid state
  [ -s "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo '?')"
  [ "$state" != Z ]
}
