#!/usr/bin/env bash
# Build (once) a real Kubernetes 1.20 control plane for local tests:
#   kube-apiserver, kube-controller-manager, kube-scheduler  (built from Debian's source package)
#   kubectl                                                  (extracted from Debian's kubernetes-client .deb)
#   etcd                                                     (Debian's etcd-server package, used from /usr/bin)
# Output: $HOME/.cache/tenantry/k8s/bin/  (override the cache root with TENANTRY_K8S_CACHE)
#
# Idempotent: exits at once if the binaries are already there and run.
# Env:
#   TENANTRY_K8S_KEEP_BUILD_CACHE=1  keep _output/ (Go build cache, ~2 GB) for cheap rebuilds
#   TENANTRY_K8S_FORCE_BUILD=1       rebuild even if the binaries exist
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

K8S_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler)

binaries_ok() {
  local b
  for b in "${K8S_COMPONENTS[@]}" kubectl; do
    [ -x "$K8S_BIN/$b" ] || return 1
  done
  for b in "${K8S_COMPONENTS[@]}"; do
    "$K8S_BIN/$b" --version >/dev/null 2>&1 || return 1
  done
  "$K8S_BIN/kubectl" version --client >/dev/null 2>&1 || return 1
  command -v etcd >/dev/null 2>&1 || return 1
}

if [ "${TENANTRY_K8S_FORCE_BUILD:-0}" != 1 ] && binaries_ok; then
  log "already built: $("$K8S_BIN/kube-apiserver" --version) in $K8S_BIN"
  exit 0
fi

START_TS=$(date +%s)

# ---------------------------------------------------------------- apt packages
APT_PKGS=(golang-go etcd-server rsync openssl dpkg-dev golang-github-modern-go-reflect2-dev build-essential curl)
export DEBIAN_FRONTEND=noninteractive

ensure_deb_src() {
  # Any enabled deb-src entry (one-line or deb822) is enough.
  if grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
     || grep -qsE '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources 2>/dev/null; then
    return 1 # nothing added
  fi
  local src=/etc/apt/sources.list.d/debian.sources
  local dst=/etc/apt/sources.list.d/tenantry-deb-src.sources
  if [ -f "$src" ]; then
    log "adding deb-src entries ($dst, copied from $src)"
    sed -E 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' "$src" | as_root tee "$dst" >/dev/null
  else
    log "adding deb-src entry for bookworm ($dst)"
    as_root tee "$dst" >/dev/null <<'EOS'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
  fi
  return 0
}

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
need_update=0
if ensure_deb_src; then need_update=1; fi
if [ "${#missing[@]}" -gt 0 ] || [ "$need_update" = 1 ] || [ -z "$(apt-cache showsrc kubernetes 2>/dev/null)" ]; then
  log "apt-get update"
  as_root nice -n 10 apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  as_root nice -n 10 apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v go >/dev/null || die "go not found after installing golang-go"
log "using $(go version)"

# ---------------------------------------------------------------- source
mkdir -p "$K8S_SRC" "$K8S_BIN"
TREE="$(find "$K8S_SRC" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | sort | tail -n1)"
if [ -z "$TREE" ] || [ ! -f "$TREE/cmd/kube-apiserver/apiserver.go" ] || [ ! -f "$TREE/.tenantry-src-ok" ]; then
  log "fetching Debian source package 'kubernetes' into $K8S_SRC"
  # start clean: a half-extracted tree is worse than none
  find "$K8S_SRC" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  (cd "$K8S_SRC" && nice -n 10 apt-get source -q kubernetes 2>&1 | { grep -vE '^(dpkg-source: info: applying|Get:)' || true; } >&2)
  TREE="$(find "$K8S_SRC" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | sort | tail -n1)"
  if [ -z "$TREE" ] || [ ! -f "$TREE/cmd/kube-apiserver/apiserver.go" ]; then
    die "apt-get source kubernetes gave no usable tree"
  fi
  [ -d "$TREE/vendor/github.com/modern-go/reflect2" ] || die "no vendored reflect2 in $TREE"

  # Vendored reflect2 v1.0.1 crashes under Go >= 1.18 (segfault on the first JSON-encoded map):
  # swap in Debian's 1.0.2, which has the go1.18 fix.
  REFLECT2_SYS=/usr/share/gocode/src/github.com/modern-go/reflect2
  [ -f "$REFLECT2_SYS/go_above_118.go" ] || die "$REFLECT2_SYS has no go_above_118.go (need reflect2 >= 1.0.2)"
  log "replacing vendor/github.com/modern-go/reflect2 (v1.0.1) with Debian's $(dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev)"
  rm -rf "$TREE/vendor/github.com/modern-go/reflect2"
  mkdir -p "$TREE/vendor/github.com/modern-go/reflect2"
  # -L: the Debian dir may contain symlinks; copy plain .go/.s files (no tests, no go.mod)
  find "$REFLECT2_SYS" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' -o -name 'LICENSE' \) ! -name '*_test.go' \
    -exec cp -L {} "$TREE/vendor/github.com/modern-go/reflect2/" \;
  rm -f "$TREE/vendor/github.com/modern-go/reflect2/go.mod"
  touch "$TREE/.tenantry-src-ok"
fi
log "source tree: $TREE"

# ---------------------------------------------------------------- build
# Kubernetes 1.20 builds in GOPATH mode: the tree must sit at $GOPATH/src/k8s.io/kubernetes.
# hack/lib/golang.sh makes its own GOPATH (_output/local/go) with that symlink; we also
# provide .go/ like debian/rules does. Module mode (-mod=vendor) fails with Go 1.19.
mkdir -p "$TREE/.go/src/k8s.io"
[ -L "$TREE/.go/src/k8s.io/kubernetes" ] || ln -s ../../.. "$TREE/.go/src/k8s.io/kubernetes"
export GOPATH="$TREE/.go"
export GO111MODULE=off
export CGO_ENABLED=0
export GOFLAGS=
# hack/lib/version.sh reads the version from the 'git archive' markers in the tarball
# (v1.20.2); nothing to set here.

BUILD_LOG="$K8S_CACHE/build.log"
WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler"
log "building $WHAT (GOPATH mode, CGO_ENABLED=0; ~10 CPU-min, ~1.4 GB RAM, ~2 GB disk); log: $BUILD_LOG"
log "step 1: make generated_files (deepcopy/defaulter/conversion/openapi generators)"
if ! (cd "$TREE" && nice -n 10 make generated_files) >"$BUILD_LOG" 2>&1; then
  tail -n 40 "$BUILD_LOG" >&2
  die "make generated_files failed (full log: $BUILD_LOG)"
fi
log "step 2: make WHAT=\"$WHAT\""
if ! (cd "$TREE" && nice -n 10 make WHAT="$WHAT") >>"$BUILD_LOG" 2>&1; then
  tail -n 40 "$BUILD_LOG" >&2
  die "build failed (full log: $BUILD_LOG)"
fi

for b in "${K8S_COMPONENTS[@]}"; do
  f="$(find "$TREE/_output" -type f -path '*/bin/*' -name "$b" | head -n1)"
  [ -n "$f" ] || die "built binary $b not found under $TREE/_output"
  install -m 0755 "$f" "$K8S_BIN/$b"
done

# ---------------------------------------------------------------- kubectl (version-matched)
# Debian's kubernetes-client is the same 1.20.2 source. It is not installed system-wide
# (it would clash with any other /usr/bin/kubectl); its binary is extracted into our bin/.
if ! "$K8S_BIN/kubectl" version --client >/dev/null 2>&1; then
  log "extracting kubectl from Debian's kubernetes-client package"
  tmp="$(mktemp -d)"
  (cd "$tmp" && apt-get download -q kubernetes-client >/dev/null 2>&1) || die "apt-get download kubernetes-client failed"
  dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$tmp/x"
  install -m 0755 "$tmp/x/usr/bin/kubectl" "$K8S_BIN/kubectl"
  rm -rf "$tmp"
fi

# ---------------------------------------------------------------- tidy up
if [ "${TENANTRY_K8S_KEEP_BUILD_CACHE:-0}" != 1 ]; then
  log "removing build output and Go cache ($TREE/_output, $(du -sh "$TREE/_output" | cut -f1)); the patched source tree is kept"
  rm -rf "$TREE/_output"
fi
rm -f "$K8S_SRC"/*.orig.tar.gz "$K8S_SRC"/*.debian.tar.xz

binaries_ok || die "binaries do not run after build"
for b in "${K8S_COMPONENTS[@]}"; do log "$b: $("$K8S_BIN/$b" --version)"; done
log "kubectl: $("$K8S_BIN/kubectl" version --client --short 2>/dev/null || true)"
log "etcd: $(etcd --version | head -n1) ($(command -v etcd))"
log "done in $(( $(date +%s) - START_TS ))s; binaries in $K8S_BIN"
