#!/usr/bin/env bash
# Start a local Kubernetes 1.20 control plane on 127.0.0.1 (no kubelet, no nodes):
#   etcd -> kube-apiserver -> kube-controller-manager [-> kube-scheduler if TENANTRY_K8S_SCHEDULER=1]
#
# Usage: start.sh [STATE_DIR]        (default: $HOME/.cache/tenantry/k8s/run)
#
# STATE_DIR gets: pki/ (certs + keys), etcd/ (data), *.kubeconfig, kubeconfig (admin),
# *.pid, *.log, ports.env.  Runs build.sh first (a no-op once the binaries exist).
# Idempotent: if everything is already running and ready, says so and exits 0.
#
# Env (defaults in brackets):
#   TENANTRY_ETCD_CLIENT_PORT [12379]   TENANTRY_ETCD_PEER_PORT [12380]
#   TENANTRY_APISERVER_PORT [16443]     TENANTRY_CONTROLLER_MANAGER_PORT [16257]
#   TENANTRY_SCHEDULER_PORT [16259]     TENANTRY_K8S_SCHEDULER [0]  (1: also run kube-scheduler)
#   TENANTRY_K8S_READY_TIMEOUT [90]     seconds to wait for each component
#   TENANTRY_K8S_CACHE [$HOME/.cache/tenantry/k8s]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

STATE="${1:-$K8S_DEFAULT_STATE}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"
PKI="$STATE/pki"
READY_TIMEOUT="${TENANTRY_K8S_READY_TIMEOUT:-90}"
WANT_SCHEDULER="${TENANTRY_K8S_SCHEDULER:-0}"

COMPONENTS=(etcd kube-apiserver kube-controller-manager)
[ "$WANT_SCHEDULER" = 1 ] && COMPONENTS+=(kube-scheduler)

admin_curl() {
  # admin_curl PORT PATH  -> body on stdout; fails on HTTP errors
  curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$1$2"
}

print_env() {
  log "control plane ready: https://127.0.0.1:$APISERVER_PORT (state: $STATE)"
  echo "export KUBECONFIG=$STATE/kubeconfig"
}

# ------------------------------------------------------------ already running?
if [ -f "$STATE/ports.env" ]; then
  running=0 total=0
  for c in "${COMPONENTS[@]}"; do
    total=$((total + 1))
    pid_alive "$STATE/$c.pid" && running=$((running + 1))
  done
  if [ "$running" -gt 0 ]; then
    # use the ports this state dir was started with
    # shellcheck disable=SC1091
    . "$STATE/ports.env"
    if [ "$running" = "$total" ] && admin_curl "$APISERVER_PORT" /readyz >/dev/null 2>&1; then
      log "already running (pids: $(cat "$STATE"/*.pid | tr '\n' ' '))"
      print_env
      exit 0
    fi
    log "partially running ($running of $total components alive, or apiserver not ready): restarting"
    "$HERE/stop.sh" "$STATE"
  fi
fi

# ------------------------------------------------------------ binaries
"$HERE/build.sh"
ETCD_BIN="$(command -v etcd)" || die "etcd not found (apt-get install etcd-server)"
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  [ -x "$K8S_BIN/$c" ] || die "$K8S_BIN/$c missing; run build.sh"
done

# ------------------------------------------------------------ ports
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q . ; }
ports=("$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$CONTROLLER_MANAGER_PORT")
[ "$WANT_SCHEDULER" = 1 ] && ports+=("$SCHEDULER_PORT")
if command -v ss >/dev/null 2>&1; then
  for p in "${ports[@]}"; do
    port_busy "$p" && die "port $p on this machine is already in use (another control plane? see stop.sh, or set TENANTRY_*_PORT)"
  done
fi
cat >"$STATE/ports.env" <<EOF
ETCD_CLIENT_PORT=$ETCD_CLIENT_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
APISERVER_PORT=$APISERVER_PORT
CONTROLLER_MANAGER_PORT=$CONTROLLER_MANAGER_PORT
SCHEDULER_PORT=$SCHEDULER_PORT
EOF

# ------------------------------------------------------------ certificates
# All RSA-2048, signed by a private CA, with the extensions strict TLS stacks
# (rustls/webpki) insist on: SAN on the serving cert, EKU, CA:FALSE on leaves.
mkdir -p "$PKI"
chmod 700 "$PKI"

openssl_q() { openssl "$@" 2>/dev/null || { openssl "$@"; exit 1; }; }

# gen_ca NAME CN
gen_ca() {
  local name="$1" cn="$2"
  [ -s "$PKI/$name.crt" ] && [ -s "$PKI/$name.key" ] && return 0
  log "generating CA $name ($cn)"
  cat >"$PKI/$name.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = $cn
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
EOF
  openssl_q req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 \
    -config "$PKI/$name.cnf" -keyout "$PKI/$name.key" -out "$PKI/$name.crt"
  rm -f "$PKI/$name.cnf"
}

# gen_cert NAME SUBJECT EKU [SAN] [CA]
gen_cert() {
  local name="$1" subj="$2" eku="$3" san="${4:-}" ca="${5:-ca}"
  [ -s "$PKI/$name.crt" ] && [ -s "$PKI/$name.key" ] && return 0
  log "generating certificate $name ($subj)"
  {
    echo "basicConstraints = critical, CA:FALSE"
    echo "keyUsage = critical, digitalSignature, keyEncipherment"
    echo "extendedKeyUsage = $eku"
    echo "subjectKeyIdentifier = hash"
    echo "authorityKeyIdentifier = keyid"
    [ -n "$san" ] && echo "subjectAltName = $san"
  } >"$PKI/$name.ext"
  openssl_q req -new -nodes -newkey rsa:2048 -sha256 -subj "$subj" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr"
  openssl_q x509 -req -sha256 -days 3650 -in "$PKI/$name.csr" \
    -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -set_serial "0x$(openssl rand -hex 12)" \
    -extfile "$PKI/$name.ext" -out "$PKI/$name.crt"
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

gen_ca ca tenantry-k8s-ca
# front-proxy (requestheader) CA: lets the aggregator and the controller-manager's
# delegated authentication work without "missing requestheader-client-ca-file" errors
gen_ca front-proxy-ca tenantry-k8s-front-proxy-ca
gen_cert front-proxy-client "/CN=front-proxy-client" clientAuth "" front-proxy-ca
gen_cert apiserver "/CN=kube-apiserver" serverAuth \
  "IP:127.0.0.1, IP:10.96.0.1, IP:::1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local"
gen_cert admin "/O=system:masters/CN=kubernetes-admin" clientAuth
gen_cert controller-manager "/CN=system:kube-controller-manager" clientAuth
gen_cert scheduler "/CN=system:kube-scheduler" clientAuth
if [ ! -s "$PKI/sa.key" ] || [ ! -s "$PKI/sa.pub" ]; then
  log "generating service-account signing key pair"
  openssl_q genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key"
  openssl_q pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
fi
chmod 600 "$PKI"/*.key

# ------------------------------------------------------------ kubeconfigs
b64() { base64 -w0 <"$1"; }
# write_kubeconfig FILE CERTNAME USER
write_kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: tenantry-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: $3
  user:
    client-certificate-data: $(b64 "$PKI/$2.crt")
    client-key-data: $(b64 "$PKI/$2.key")
contexts:
- name: tenantry-local
  context:
    cluster: tenantry-local
    user: $3
current-context: tenantry-local
EOF
  chmod 600 "$1"
}
write_kubeconfig "$STATE/kubeconfig" admin kubernetes-admin
write_kubeconfig "$STATE/controller-manager.kubeconfig" controller-manager system:kube-controller-manager
write_kubeconfig "$STATE/scheduler.kubeconfig" scheduler system:kube-scheduler

# ------------------------------------------------------------ launch helpers
# launch NAME BINARY ARGS...   (own session, logs to STATE/NAME.log, pid to STATE/NAME.pid)
launch() {
  local name="$1"; shift
  log "starting $name (log: $STATE/$name.log)"
  printf '\n===== %s start %s =====\n' "$name" "$(date -Is)" >>"$STATE/$name.log"
  setsid "$@" >>"$STATE/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/$name.pid"
}

now_ms() { date +%s%3N; }
# secs_since T0_MS -> "4.2"
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%d' $((d / 1000)) $(((d % 1000) / 100)); }

# wait_for NAME TIMEOUT COMMAND...
wait_for() {
  local name="$1" timeout="$2"; shift 2
  local t0
  t0=$(now_ms)
  while :; do
    if "$@" >/dev/null 2>&1; then
      log "$name ready after $(secs_since "$t0")s"
      return 0
    fi
    if ! pid_alive "$STATE/$name.pid"; then
      tail -n 30 "$STATE/$name.log" >&2 || true
      die "$name exited during startup (log: $STATE/$name.log)"
    fi
    if [ $(( $(now_ms) - t0 )) -ge $(( timeout * 1000 )) ]; then
      tail -n 30 "$STATE/$name.log" >&2 || true
      die "$name not ready after ${timeout}s (log: $STATE/$name.log)"
    fi
    sleep 0.3
  done
}

T_START=$(now_ms)

# ------------------------------------------------------------ etcd
# Plain HTTP on loopback only; Debian's etcd-server 3.4.
launch etcd "$ETCD_BIN" \
  --name tenantry \
  --data-dir "$STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "tenantry=http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster-state new \
  --auto-compaction-retention 1 \
  --quota-backend-bytes 2147483648 \
  --log-level warn \
  --logger zap
wait_for etcd "$READY_TIMEOUT" curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

# ------------------------------------------------------------ kube-apiserver
# --endpoint-reconciler-type none: the 'kubernetes' Service's Endpoints would have to
# hold 127.0.0.1, which Endpoints validation rejects (loopback); nothing here needs them.
# --insecure-port 0: a no-op in 1.20 (insecure serving is already gone; 1.20 only warns),
# kept for clarity. The controller-manager/scheduler --port 0 does matter: 1.20 still opens
# their insecure ports (10252/10251) by default.
launch kube-apiserver "$K8S_BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --bind-address 127.0.0.1 \
  --advertise-address 127.0.0.1 \
  --secure-port "$APISERVER_PORT" \
  --insecure-port 0 \
  --cert-dir "$PKI" \
  --tls-cert-file "$PKI/apiserver.crt" \
  --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --authorization-mode Node,RBAC \
  --enable-admission-plugins NamespaceLifecycle,ServiceAccount,ResourceQuota,LimitRanger \
  --service-cluster-ip-range 10.96.0.0/16 \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$PKI/sa.pub" \
  --service-account-signing-key-file "$PKI/sa.key" \
  --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" \
  --requestheader-allowed-names front-proxy-client \
  --requestheader-username-headers X-Remote-User \
  --requestheader-group-headers X-Remote-Group \
  --requestheader-extra-headers-prefix X-Remote-Extra- \
  --proxy-client-cert-file "$PKI/front-proxy-client.crt" \
  --proxy-client-key-file "$PKI/front-proxy-client.key" \
  --endpoint-reconciler-type none \
  --allow-privileged=true \
  --profiling=false \
  --v=1
wait_for kube-apiserver "$READY_TIMEOUT" admin_curl "$APISERVER_PORT" /readyz

# ------------------------------------------------------------ kube-controller-manager
# No nodes and no cloud: drop the node/cloud controllers.
launch kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig "$STATE/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 \
  --secure-port "$CONTROLLER_MANAGER_PORT" \
  --port 0 \
  --controllers '*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-route,-service' \
  --use-service-account-credentials=true \
  --service-account-private-key-file "$PKI/sa.key" \
  --root-ca-file "$PKI/ca.crt" \
  --cluster-signing-cert-file "$PKI/ca.crt" \
  --cluster-signing-key-file "$PKI/ca.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --flex-volume-plugin-dir "$STATE/flexvolume" \
  --leader-elect=false \
  --profiling=false \
  --v=1
wait_for kube-controller-manager "$READY_TIMEOUT" \
  curl -fsSk --max-time 2 "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz"

# ------------------------------------------------------------ kube-scheduler (optional)
if [ "$WANT_SCHEDULER" = 1 ]; then
  launch kube-scheduler "$K8S_BIN/kube-scheduler" \
    --kubeconfig "$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 \
    --secure-port "$SCHEDULER_PORT" \
    --port 0 \
    --leader-elect=false \
    --profiling=false \
    --v=1
  wait_for kube-scheduler "$READY_TIMEOUT" \
    curl -fsSk --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz"
fi

log "all components up in $(secs_since "$T_START")s"
print_env
