#!/usr/bin/env bash
# A local Kubernetes control plane for tests and for deploying without minikube (Linux only):
# etcd, kube-apiserver (RBAC, admission incl. PodSecurity and ServiceAccount, ServiceAccount token
# signing), kube-controller-manager, kube-scheduler, kwok, which fakes one node and the status of
# the pods bound to it, and a real node (scripts/node.sh: containerd and a kubelet, tainted, for
# pods that ask for it). kwokctl orchestrates the binaries that scripts/toolchain/build.sh built;
# it writes the PKI, the kubeconfig and kwok's stages. The real node starts only with
# SA_WORKLOAD_REAL_NODE=true (the e2e suite and the bench set it): it needs root and Debian
# packages, and `npm run up` on this cluster never needs it (its pods land on kwok's node).
#
# Usage: cluster.sh start | stop | status | kubeconfig | kill COMPONENT | resume
#   start       builds what is missing, creates the cluster, waits for the API and a Ready node
#   stop        deletes the cluster: every process start began, and its data
#   kubeconfig  prints the path of the cluster's own kubeconfig (never ~/.kube/config)
#   kill, resume  for fault tests: kill one component (e.g. kube-apiserver), start it again
set -euo pipefail
# shellcheck source=toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/toolchain/lib.sh"

CLUSTER=sa-workload
CLUSTER_DIR="$CACHE_ROOT/cluster"
KUBECONFIG_PATH="$CLUSTER_DIR/kubeconfig"
# kwokctl keeps each cluster's PKI, logs and pids under its workdir.
export KWOK_WORKDIR="$CLUSTER_DIR/kwok"
toolchain_env

# Image that keeps a pod from ever becoming Ready (for tests of readiness timeouts): well formed and
# pinned, so the program accepts it, and on a host no registry answers for.
NEVER_READY_IMAGE=example.invalid/never-ready:1.0

SCRIPTS="$(dirname "${BASH_SOURCE[0]}")"
real_node() { [ "${SA_WORKLOAD_REAL_NODE:-false}" = true ]; }

running() {
    [ -f "$KUBECONFIG_PATH" ] &&
        kubectl --kubeconfig "$KUBECONFIG_PATH" --request-timeout=3s get --raw /readyz >/dev/null 2>&1
}

# kwok's own stages (they replace all defaults once any is given), with pod-ready skipping pods
# whose first container runs NEVER_READY_IMAGE, and one more stage that holds those pods Running
# but not Ready, their container in CrashLoopBackOff.
write_stages() {
    local src
    src=$(module_dir kwok sigs.k8s.io/kwok)/kustomize/stage
    {
        cat "$src/node/fast/node-initialize.yaml"
        echo "---"
        cat "$src/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml"
        echo "---"
        awk -v image="$NEVER_READY_IMAGE" '
            { print }
            /^    matchExpressions:$/ && !done {
                print "    - key: '\''.spec.containers.[0].image'\''"
                print "      operator: '\''NotIn'\''"
                print "      values:"
                print "      - '\''" image "'\''"
                done = 1
            }' "$src/pod/fast/pod-ready.yaml"
        echo "---"
        cat "$src/pod/fast/pod-complete.yaml"
        echo "---"
        cat "$src/pod/fast/pod-delete.yaml"
        cat <<EOF
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-never-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.spec.containers.[0].image'
      operator: 'In'
      values:
      - '$NEVER_READY_IMAGE'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Pending'
  next:
    statusTemplate: |
      {{ \$now := Now }}
      conditions:
      - lastTransitionTime: {{ \$now | Quote }}
        status: "False"
        type: Ready
        reason: ContainersNotReady
        message: "containers with unready status: [{{ range .spec.containers }}{{ .name }} {{ end }}]"
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 3
        state:
          waiting:
            reason: CrashLoopBackOff
            message: "back-off restarting failed container {{ .name }} (image $NEVER_READY_IMAGE never starts)"
      {{ end }}
      phase: Running
      startTime: {{ \$now | Quote }}
EOF
    } >"$CLUSTER_DIR/stages.yaml"
}

write_config() {
    cat >"$CLUSTER_DIR/kwokctl.yaml" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  kubeAuthorization: true
  kubeAdmission: true
  kubeVersion: v$KUBERNETES_VERSION
  etcdVersion: v$ETCD_VERSION
  kubeApiserverBinary: $KUBE_BIN_DIR/kube-apiserver
  kubeControllerManagerBinary: $KUBE_BIN_DIR/kube-controller-manager
  kubeSchedulerBinary: $KUBE_BIN_DIR/kube-scheduler
  kubectlBinary: $KUBE_BIN_DIR/kubectl
  kwokControllerBinary: $KWOK_BIN_DIR/kwok
  etcdBinary: $ETCD_BIN_DIR/etcd
componentsPatches:
- name: etcd
  extraArgs:
  # Test data only: skipping fsync makes writes an order of magnitude faster.
  - key: unsafe-no-fsync
    value: "true"
- name: kube-apiserver
  extraArgs:
  # The host may have no default route; the API server must still pick an address.
  - key: advertise-address
    value: 127.0.0.1
  # For logs, exec and port-forward on the real node: the API server's client certificate, which
  # the kubelet checks against the cluster CA (kwok's admin certificate, group system:masters).
  - key: kubelet-client-certificate
    value: $KWOK_WORKDIR/clusters/$CLUSTER/pki/admin.crt
  - key: kubelet-client-key
    value: $KWOK_WORKDIR/clusters/$CLUSTER/pki/admin.key
  # The node's name resolves nowhere; its address is what the kubelet listens on.
  - key: kubelet-preferred-address-types
    value: InternalIP
- name: kwok-controller
  extraArgs:
  # kwok fakes only its own node (kwokctl annotates it), never the real one.
  - key: manage-all-nodes
    value: "false"
  - key: manage-nodes-with-annotation-selector
    value: kwok.x-k8s.io/node=fake
EOF
}

create() {
    bash "$TOOLCHAIN_SRC/build.sh" cluster
    local t0=$SECONDS
    mkdir -p "$CLUSTER_DIR"
    # A cluster left by a killed run is replaced, never reused half-started.
    kwokctl delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
    write_stages
    write_config
    log "cluster $CLUSTER: starting (KWOK_WORKDIR=$KWOK_WORKDIR kwokctl logs <component> --name $CLUSTER)"
    if ! kwokctl create cluster --name "$CLUSTER" --config "$CLUSTER_DIR/kwokctl.yaml" \
        --config "$CLUSTER_DIR/stages.yaml" --kubeconfig "$KUBECONFIG_PATH" --wait 120s \
        >"$CLUSTER_DIR/create.log" 2>&1; then
        cat "$CLUSTER_DIR/create.log" >&2
        exit 1
    fi
    local api=$((SECONDS - t0))
    # Like a real kubelet, the node reports ephemeral storage (kwok's default node has none, and
    # then no pod that requests any is ever scheduled).
    kwokctl scale node --replicas 1 --name "$CLUSTER" \
        --param '.allocatable["ephemeral-storage"]="100Gi"' >>"$CLUSTER_DIR/create.log" 2>&1
    kubectl --kubeconfig "$KUBECONFIG_PATH" wait --for=condition=Ready node --all --timeout=60s >&2
    log "cluster $CLUSTER: API ready after ${api} s, node Ready after $((SECONDS - t0)) s"
}

start() {
    if running; then
        log "cluster $CLUSTER: already running ($KUBECONFIG_PATH)"
    else
        create
    fi
    # Joins a cluster that runs already too (node.sh start does nothing when the node runs).
    if real_node; then bash "$SCRIPTS/node.sh" start; fi
    log "cluster $CLUSTER: export KUBECONFIG=$KUBECONFIG_PATH"
}

stop() {
    # The real node first: its kubelet and containers, and what they changed on the host.
    bash "$SCRIPTS/node.sh" stop
    if kwokctl get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
        kwokctl delete cluster --name "$CLUSTER" >"$CLUSTER_DIR/delete.log" 2>&1 ||
            { cat "$CLUSTER_DIR/delete.log" >&2 && exit 1; }
        log "cluster $CLUSTER: deleted"
    else
        log "cluster $CLUSTER: not present"
    fi
    rm -f "$KUBECONFIG_PATH"
}

kill_component() {
    local pidfile="$KWOK_WORKDIR/clusters/$CLUSTER/pids/$1.pid"
    [ -f "$pidfile" ] || { echo "no such component: $1" >&2 && exit 2; }
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    log "cluster $CLUSTER: $1 (pid $pid) stopped"
}

resume() {
    local t0=$SECONDS
    # Starts only the components that are not running; the data in etcd is kept.
    kwokctl start cluster --name "$CLUSTER" >"$CLUSTER_DIR/resume.log" 2>&1 ||
        { cat "$CLUSTER_DIR/resume.log" >&2 && exit 1; }
    until running; do sleep 0.2; done
    log "cluster $CLUSTER: resumed in $((SECONDS - t0)) s"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status)
        if running; then echo "running: $KUBECONFIG_PATH"; else echo "not running" && exit 1; fi
        ;;
    kubeconfig) echo "$KUBECONFIG_PATH" ;;
    kill) kill_component "${2:?component name}" ;;
    resume) resume ;;
    *) echo "usage: $0 start|stop|status|kubeconfig|kill COMPONENT|resume" >&2 && exit 2 ;;
esac
