#!/usr/bin/env bash
# Prove the local control plane does what the Tenantry end-to-end tests need, through the
# REST API with curl and the admin client certificate (the way the Rust tests talk to it):
#   1. /apis lists the expected groups          2. a Deployment gets a ReplicaSet and a Pod
#   3. PATCH pods/NAME/status -> Deployment readyReplicas=1 (what a kubelet would do)
#   4. server-side apply (application/apply-patch+yaml, fieldManager=tenantry)
#   5. a CRD (apiextensions.k8s.io/v1) is created, established and serves a custom object
#   6. namespace deletion finishes (namespace controller)
#
# Usage: smoke-test.sh [STATE_DIR]   (starts the control plane via start.sh if needed;
#                                     leaves it running - run stop.sh afterwards)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

STATE="${1:-$K8S_DEFAULT_STATE}"
"$HERE/start.sh" "$STATE" >/dev/null
STATE="$(cd "$STATE" && pwd)"
# shellcheck disable=SC1091
. "$STATE/ports.env"
PKI="$STATE/pki"
API="https://127.0.0.1:$APISERVER_PORT"
export KUBECONFIG="$STATE/kubeconfig"
KUBECTL="$K8S_BIN/kubectl"
NS="tenantry-smoke-$$"
PASSED=0 FAILED=0

k() { # k METHOD PATH [CONTENT-TYPE BODY] -> response body; fails on HTTP >= 400
  local m="$1" p="$2"
  if [ $# -ge 4 ]; then
    curl -fsS --max-time 10 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
      -X "$m" -H "Content-Type: $3" --data-binary "$4" "$API$p"
  else
    curl -fsS --max-time 10 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
      -X "$m" "$API$p"
  fi
}
jp() { "$KUBECTL" get "$@"; } # jp RESOURCE ... -o jsonpath=...
ok() { PASSED=$((PASSED + 1)); log "PASS: $*"; }
bad() { FAILED=$((FAILED + 1)); log "FAIL: $*"; }
# wait_until SECONDS DESCRIPTION COMMAND...  (COMMAND must print "yes" when done)
wait_until() {
  local secs="$1" what="$2" i; shift 2
  for ((i = 0; i < secs * 5; i++)); do
    [ "$("$@" 2>/dev/null || true)" = yes ] && return 0
    sleep 0.2
  done
  log "timed out after ${secs}s waiting for: $what"
  return 1
}

log "server version: $(k GET /version | tr -d '\n ' )"

# 1. API groups ------------------------------------------------------------------
groups="$(k GET /apis | python3 -c 'import json,sys; print(" ".join(g["preferredVersion"]["groupVersion"] for g in json.load(sys.stdin)["groups"]))')"
log "/apis: $groups"
missing=""
for g in apps/v1 batch/v1 networking.k8s.io/v1 rbac.authorization.k8s.io/v1 apiextensions.k8s.io/v1 coordination.k8s.io/v1 policy/v1beta1 autoscaling/v1; do
  case " $groups " in *" $g "*) ;; *) missing="$missing $g" ;; esac
done
[ -z "$missing" ] && ok "API groups served" || bad "API groups missing:$missing"

# 2. Deployment -> ReplicaSet -> Pod ------------------------------------------------
k POST /api/v1/namespaces application/json \
  "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$NS\"}}" >/dev/null
k POST "/apis/apps/v1/namespaces/$NS/deployments" application/json '{
  "apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
  "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"web","image":"registry.invalid/web:1"}]}}}}' >/dev/null
t0=$(date +%s%3N)
pod_exists() { [ -n "$(jp pods -n "$NS" -l app=web -o jsonpath='{.items[0].metadata.name}')" ] && echo yes; }
if wait_until 60 "pod of deployment web" pod_exists; then
  POD="$(jp pods -n "$NS" -l app=web -o jsonpath='{.items[0].metadata.name}')"
  RS="$(jp rs -n "$NS" -o jsonpath='{.items[0].metadata.name}')"
  ok "controller-manager created ReplicaSet $RS and Pod $POD in $(( $(date +%s%3N) - t0 ))ms (phase $(jp pod -n "$NS" "$POD" -o jsonpath='{.status.phase}'))"
else
  bad "no pod created for the deployment"
  POD=""
fi

# 3. fake kubelet: PATCH pod status ------------------------------------------------
if [ -n "$POD" ]; then
  now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  k PATCH "/api/v1/namespaces/$NS/pods/$POD/status" application/merge-patch+json "{
    \"status\":{\"phase\":\"Running\",
      \"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"}],
      \"containerStatuses\":[{\"name\":\"web\",\"ready\":true,\"restartCount\":0,
        \"image\":\"registry.invalid/web:1\",\"imageID\":\"\",\"state\":{\"running\":{\"startedAt\":\"$now\"}}}]}}" >/dev/null
  t0=$(date +%s%3N)
  deploy_ready() { [ "$(jp deploy -n "$NS" web -o jsonpath='{.status.readyReplicas}')" = 1 ] && echo yes; }
  if wait_until 30 "deployment readyReplicas=1" deploy_ready; then
    ok "pod status PATCH -> deployment readyReplicas=1 after $(( $(date +%s%3N) - t0 ))ms (pod phase $(jp pod -n "$NS" "$POD" -o jsonpath='{.status.phase}'), availableReplicas $(jp deploy -n "$NS" web -o jsonpath='{.status.availableReplicas}'))"
  else
    bad "deployment never reached readyReplicas=1"
  fi
  # a second, strategic-merge status patch (the kubelet's own content type)
  if k PATCH "/api/v1/namespaces/$NS/pods/$POD/status" application/strategic-merge-patch+json \
       '{"status":{"podIP":"10.244.0.10"}}' >/dev/null \
     && [ "$(jp pod -n "$NS" "$POD" -o jsonpath='{.status.podIP}')" = 10.244.0.10 ]; then
    ok "strategic-merge-patch of pod status"
  else
    bad "strategic-merge-patch of pod status"
  fi
fi
pgrep -x kube-apiserver >/dev/null && pid_alive "$STATE/kube-apiserver.pid" \
  && ok "kube-apiserver still alive after JSON map encoding (reflect2 fix)" \
  || bad "kube-apiserver died"

# 4. server-side apply ----------------------------------------------------------------
apply_cm() {
  k PATCH "/api/v1/namespaces/$NS/configmaps/ssa?fieldManager=tenantry" application/apply-patch+yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: ssa
data:
  tier: $1
"
}
if apply_cm gold >/dev/null && apply_cm platinum >/dev/null \
   && [ "$(jp cm -n "$NS" ssa -o jsonpath='{.data.tier}')" = platinum ] \
   && [ "$(jp cm -n "$NS" ssa -o jsonpath='{.metadata.managedFields[0].manager}/{.metadata.managedFields[0].operation}')" = tenantry/Apply ]; then
  ok "server-side apply (create + update) with fieldManager=tenantry"
else
  bad "server-side apply"
fi
# apply the Deployment too (scale to 2 through apply)
if k PATCH "/apis/apps/v1/namespaces/$NS/deployments/web?fieldManager=tenantry&force=true" application/apply-patch+yaml "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.invalid/web:1
" >/dev/null; then
  two_pods() { [ "$(jp pods -n "$NS" -l app=web -o jsonpath='{range .items[*]}x{end}')" = xx ] && echo yes; }
  wait_until 30 "2 pods" two_pods && ok "server-side apply of a Deployment (replicas 1 -> 2 pods)" || bad "apply-scaled deployment"
else
  bad "server-side apply of a Deployment"
fi

# 5. CRD -----------------------------------------------------------------------------
CRD_GROUP="smoke.tenantry.dev"
k POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions application/json "{
  \"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",
  \"metadata\":{\"name\":\"widgets$$.$CRD_GROUP\"},
  \"spec\":{\"group\":\"$CRD_GROUP\",\"scope\":\"Namespaced\",
    \"names\":{\"plural\":\"widgets$$\",\"singular\":\"widget$$\",\"kind\":\"Widget$$\"},
    \"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,
      \"subresources\":{\"status\":{}},
      \"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{
        \"spec\":{\"type\":\"object\",\"properties\":{\"size\":{\"type\":\"integer\"}}},
        \"status\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}}}}]}}" >/dev/null
crd_established() { [ "$(jp crd "widgets$$.$CRD_GROUP" -o jsonpath='{.status.conditions[?(@.type=="Established")].status}')" = True ] && echo yes; }
if wait_until 30 "CRD established" crd_established \
   && k PATCH "/apis/$CRD_GROUP/v1/namespaces/$NS/widgets$$/w1?fieldManager=tenantry" application/apply-patch+yaml "apiVersion: $CRD_GROUP/v1
kind: Widget$$
metadata:
  name: w1
spec:
  size: 3
" >/dev/null \
   && [ "$(k GET "/apis/$CRD_GROUP/v1/namespaces/$NS/widgets$$/w1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["size"])')" = 3 ]; then
  ok "CRD apiextensions.k8s.io/v1 established; custom object applied and read back"
else
  bad "CRD"
fi
k DELETE "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets$$.$CRD_GROUP" >/dev/null || true

# 6. namespace deletion ---------------------------------------------------------------
k DELETE "/api/v1/namespaces/$NS" >/dev/null
ns_gone() { "$KUBECTL" get ns "$NS" >/dev/null 2>&1 || echo yes; }
t0=$(date +%s%3N)
wait_until 60 "namespace $NS deleted" ns_gone \
  && ok "namespace deleted (namespace controller) in $(( $(date +%s%3N) - t0 ))ms" || bad "namespace deletion"

echo "smoke: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
