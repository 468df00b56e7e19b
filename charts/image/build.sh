#!/usr/bin/env bash
# Builds Tenantry's console image with buildah (daemonless, FROM scratch: no
# registry), then checks it: its user, entrypoint and size, and the binary
# started from the image's own root filesystem (`--help`, then a console on
# SQLite answering /healthz). A release musl build takes ~20 minutes on two
# cores, so CI runs this only with TENANTRY_BUILD_IMAGE=1; by hand:
#
#   bash charts/image/build.sh            # → tenantry/console:<version>
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tenantry/target}"
TARGET=x86_64-unknown-linux-musl
VERSION="$(sed -n 's/^appVersion: *"\(.*\)"/\1/p' charts/tenantry/Chart.yaml)"
IMAGE="${TENANTRY_IMAGE:-tenantry/console:$VERSION}"
log() { printf '\n==> %s\n' "$*"; }

log "prerequisites (buildah, musl-tools, file, curl, the $TARGET target)"
need=()
for p in buildah musl-tools file curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
rustup target list --installed | grep -q "^$TARGET\$" || rustup target add "$TARGET"
bash .ci/install build
# A release site build runs wasm-opt: binaryen from npm (never Debian's 108,
# which breaks hydration), cached beside the other tools.
BINARYEN_VERSION=123.0.0
BINARYEN="$HOME/.cache/tenantry/binaryen-$BINARYEN_VERSION"
if [ ! -x "$BINARYEN/node_modules/.bin/wasm-opt" ]; then
  npm install --silent --no-audit --no-fund --prefix "$BINARYEN" "binaryen@$BINARYEN_VERSION"
fi
export PATH="$BINARYEN/node_modules/.bin:$PATH"

log "site files (release)"
cargo leptos build --release --frontend-only
log "static binary (release, $TARGET)"
cargo build --release --locked -p server --bin tenantry --target "$TARGET"

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$CARGO_TARGET_DIR/$TARGET/release/tenantry" "$ctx/tenantry"
strip "$ctx/tenantry" 2>/dev/null || true
cp -r "$CARGO_TARGET_DIR/site" "$ctx/site" 2>/dev/null || cp -r target/site "$ctx/site"
mkdir -p "$ctx/data"
file "$ctx/tenantry" | grep -q "statically linked\|static-pie" \
  || { echo "the binary is not static: $(file "$ctx/tenantry")" >&2; exit 1; }

# In a sandbox without user namespaces or overlayfs: vfs storage, chroot
# isolation.
B=(buildah --storage-driver vfs)
log "buildah build $IMAGE"
"${B[@]}" build --isolation chroot -f charts/image/Containerfile -t "$IMAGE" "$ctx"

log "checks"
user="$("${B[@]}" inspect --type image --format '{{.OCIv1.Config.User}}' "$IMAGE")"
entry="$("${B[@]}" inspect --type image --format '{{.OCIv1.Config.Entrypoint}}' "$IMAGE")"
[ "$user" = "65532:65532" ] || { echo "user is '$user'" >&2; exit 1; }
[ "$entry" = "[/tenantry]" ] || { echo "entrypoint is '$entry'" >&2; exit 1; }
size="$("${B[@]}" images --format '{{.Size}}' "$IMAGE" | head -n1)"
echo "user $user, entrypoint $entry, size $size"

ctr="$("${B[@]}" from "$IMAGE")"
root="$("${B[@]}" mount "$ctr")"
cleanup() { "${B[@]}" umount "$ctr" >/dev/null 2>&1 || true; "${B[@]}" rm "$ctr" >/dev/null 2>&1 || true; rm -rf "$ctx"; }
trap cleanup EXIT
[ ! -e "$root/bin/sh" ] || { echo "the image has a shell" >&2; exit 1; }
"$root/tenantry" --help >/dev/null
data="$(mktemp -d)"
LEPTOS_SITE_ROOT="$root/site" LEPTOS_OUTPUT_NAME=tenantry LEPTOS_SITE_PKG_DIR=pkg \
  TENANTRY_ADMIN_PASSWORD="image check admin password" \
  "$root/tenantry" serve --listen 127.0.0.1:38123 --database-url "sqlite://$data/t.db" >"$data/log" 2>&1 &
pid=$!
ok=""
for _ in $(seq 1 60); do
  if curl -fsS http://127.0.0.1:38123/healthz >/dev/null 2>&1 \
    && curl -fsS http://127.0.0.1:38123/pkg/tenantry.wasm -o /dev/null; then ok=1; break; fi
  sleep 0.5
done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
rm -rf "$data"
[ -n "$ok" ] || { echo "the image's binary did not serve /healthz and its site" >&2; exit 1; }
echo "image $IMAGE: ok ($size)"
