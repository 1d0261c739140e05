#!/usr/bin/env bash
# The bundled cluster's real node (Linux, root): containerd with runc and the CNI bridge from
# Debian's packages, and a kubelet built with the control plane, registered as the node
# sa-workload-node with its own client certificate from the cluster CA. Pods run on it only when
# they ask to: it is tainted, and kwok's fake node stays the default (see the README).
# cluster.sh starts it after the control plane and stops it first.
#
# Usage: node.sh start | stop | leftovers | images
#   start      installs the packages if missing, imports the test images, starts containerd and
#              the kubelet, waits for the node to be Ready
#   stop       ends every process start began (by its PID), undoes what they changed on the host
#              (iptables chains, the bridge, ip_forward, mounts, cgroups, /run entries) and fails
#              if anything is left
#   leftovers  prints what differs from the host as it was before start (nothing once stopped)
#   images     prints the test images: "name archive" per line
set -euo pipefail
# shellcheck source=toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/toolchain/lib.sh"
toolchain_env

NODE_NAME=sa-workload-node
NODE_DIR="$CACHE_ROOT/cluster/node"
# Kept outside NODE_DIR: the host as start found it, which stop restores and leftovers compares.
BEFORE="$CACHE_ROOT/cluster/node-host-before"
CLUSTER_PKI="$CACHE_ROOT/cluster/kwok/clusters/sa-workload/pki"
ADMIN_KUBECONFIG="$CACHE_ROOT/cluster/kubeconfig"
SOCK="$NODE_DIR/containerd.sock"
BRIDGE=sawl0
# One real node per host (the bridge, the node IP): the cache folder of the one running, so a node
# left by a killed run of another clone or cache can be found and cleaned up by its own stop.
OWNER=/run/sa-workload-real-node
# The cache as an absolute path, the form the owner record holds (SA_WORKLOAD_CACHE may be relative).
CACHE_ABS=$(cd "$CACHE_ROOT" 2>/dev/null && pwd) || CACHE_ABS=$CACHE_ROOT
POD_SUBNET=10.244.77.0/24
# The node's address is the bridge's (a kubelet refuses loopback as its node IP): the API server
# reaches the kubelet over the pod network, and nothing listens on the host's other interfaces.
NODE_IP=10.244.77.1
# How a pod asks for this node (README: which tests run where).
NODE_LABEL=sa-workload.dev/node=real
NODE_TAINT=sa-workload.dev/real-node=true:NoSchedule

ctr_() { ctr --address "$SOCK" --namespace k8s.io "$@"; }
# The node's files: containerd, CNI and kubelet configs, and its client certificate.
# shellcheck source=node-files.sh
. "$(dirname "${BASH_SOURCE[0]}")/node-files.sh"
# What it changes on the host: the record start makes, and the means stop undoes it with.
# shellcheck source=node-host.sh
. "$(dirname "${BASH_SOURCE[0]}")/node-host.sh"

apt_install() {
    # shellcheck disable=SC2086 # a list of package names
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $NODE_DEBIAN_PACKAGES
}

ensure_packages() {
    [ "$(id -u)" = 0 ] || { log "the real node needs root (containerd, the kubelet)" && exit 1; }
    local missing=0
    command -v containerd >/dev/null && command -v runc >/dev/null &&
        [ -x /usr/lib/cni/bridge ] && command -v iptables >/dev/null || missing=1
    if [ "$missing" = 1 ]; then
        log "real node: installing Debian packages $NODE_DEBIAN_PACKAGES"
        local apt_log="$CACHE_ROOT/cluster/apt.log"
        # A fresh machine may have no package lists yet: update once, then try again.
        { apt_install || { apt-get update && apt_install; }; } >"$apt_log" 2>&1 ||
            { cat "$apt_log" >&2 && exit 1; }
    fi
    local v
    v=$(containerd --version | awk '{print $3}' | sed 's/^v//')
    case "$v" in
        "$CONTAINERD_SERIES"*) ;;
        *) log "containerd $v: the kubelet $KUBERNETES_VERSION is tested here with ${CONTAINERD_SERIES}x" && exit 1 ;;
    esac
}

# The test images, "name archive" per line (built once, cached).
images() { bash "$(dirname "${BASH_SOURCE[0]}")/node-images.sh" "$CACHE_ROOT/node"; }

start_daemon() { # name command...
    local name=$1
    shift
    setsid "$@" >"$NODE_DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$NODE_DIR/$name.pid"
}

# The bridge exists at start: another node's. One whose kubelet and containerd are gone (its run
# was killed) is stopped with its own record of the host; a running one, or one without a record,
# is left alone and start fails.
stop_abandoned_node() {
    local owner d
    owner=$(cat "$OWNER" 2>/dev/null) || owner=
    if [ -n "$owner" ] && [ "$owner" != "$CACHE_ABS" ] && [ -f "$owner/cluster/node-host-before" ]; then
        for d in kubelet containerd; do
            if ours "$(cat "$owner/cluster/node/$d.pid" 2>/dev/null)" "$d" "$owner/cluster/node"; then
                log "real node: the one of $owner runs on this host (bridge $BRIDGE): stop it with" \
                    "SA_WORKLOAD_CACHE=$owner bash scripts/cluster.sh stop, or set SA_WORKLOAD_REAL_NODE=false"
                exit 1
            fi
        done
        log "real node: the one of $owner was killed (no kubelet, no containerd): stopping what it left"
        if ! SA_WORKLOAD_CACHE=$owner bash "${BASH_SOURCE[0]}" stop; then
            log "real node: the killed node's stop left what it lists above; undo that by hand, then" \
                "remove $owner/cluster/node-host-before and $OWNER, or set SA_WORKLOAD_REAL_NODE=false"
            exit 1
        fi
        return
    fi
    local why="no real node of this project records it (${owner:-no $OWNER})"
    if [ "$owner" = "$CACHE_ABS" ]; then why="$OWNER names this cache, whose node left no snapshot"; fi
    log "real node: bridge $BRIDGE exists already, and $why: delete it (ip link delete $BRIDGE)" \
        "if nothing else uses it, or set SA_WORKLOAD_REAL_NODE=false"
    exit 1
}

start() {
    if ours "$(cat "$NODE_DIR/kubelet.pid" 2>/dev/null)" kubelet; then
        log "real node: already running"
        return
    fi
    # A node left by a failed start or a killed run is cleaned up first, never reused.
    if [ -f "$BEFORE" ]; then stop; fi
    ensure_packages
    local t0=$SECONDS
    if ip link show "$BRIDGE" >/dev/null 2>&1; then stop_abandoned_node; fi
    local list
    list=$(images)
    PAUSE_IMAGE=$(awk '$1 ~ "/pause:" { print $1 }' <<<"$list")
    host_state >"$BEFORE.tmp" && mv "$BEFORE.tmp" "$BEFORE"
    echo "$CACHE_ABS" >"$OWNER"
    rm -rf "$NODE_DIR"
    write_configs
    write_node_credentials
    start_daemon containerd containerd --config "$NODE_DIR/containerd.toml"
    until ctr_ version >/dev/null 2>&1; do
        kill -0 "$(cat "$NODE_DIR/containerd.pid")" 2>/dev/null ||
            { cat "$NODE_DIR/containerd.log" >&2 && exit 1; }
        sleep 0.2
    done
    local name archive
    while read -r name archive; do
        ctr_ images import "$archive" >>"$NODE_DIR/images.log" 2>&1 ||
            { cat "$NODE_DIR/images.log" >&2 && exit 1; }
    done <<<"$list"
    # The bridge the CNI plugin would make at the first pod, made now to carry the node's address.
    ip link add "$BRIDGE" type bridge 2>/dev/null || true
    ip addr replace "$NODE_IP/${POD_SUBNET#*/}" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    local since
    since=$(date +%s)
    start_daemon kubelet kubelet --config "$NODE_DIR/kubelet.yaml" \
        --kubeconfig "$NODE_DIR/kubelet.kubeconfig" --root-dir "$NODE_DIR/kubelet" \
        --cert-dir "$NODE_DIR/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
        --node-labels "$NODE_LABEL" --v 1
    local k=(kubectl --kubeconfig "$ADMIN_KUBECONFIG")
    # Registered and Ready as this kubelet posted it: a Node a stopped kubelet left keeps its last
    # status (Ready for about 40 s), which `kubectl wait` would take at once. A restarted kubelet
    # posts its status at its first sync whether it changed or not, with every heartbeat time new.
    local ready
    until ready=$("${k[@]}" get node "$NODE_NAME" 2>/dev/null -o \
        jsonpath='{range .status.conditions[?(@.type=="Ready")]}{.status} {.lastHeartbeatTime}{end}') &&
        [ "${ready%% *}" = True ] && [ "$(date -d "${ready#* }" +%s)" -ge "$since" ]; do
        kill -0 "$(cat "$NODE_DIR/kubelet.pid")" 2>/dev/null ||
            { tail -40 "$NODE_DIR/kubelet.log" >&2 && exit 1; }
        [ $((SECONDS - t0)) -lt 240 ] || { tail -40 "$NODE_DIR/kubelet.log" >&2 && exit 1; }
        sleep 0.5
    done
    log "real node $NODE_NAME: Ready after $((SECONDS - t0)) s (logs: $NODE_DIR/*.log)"
}

stop_pid() { # name
    local pid
    pid=$(cat "$NODE_DIR/$1.pid" 2>/dev/null) || return 0
    ours "$pid" "$1" || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do ours "$pid" "$1" || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 50); do ours "$pid" "$1" || return 0; sleep 0.1; done
    log "real node: $1 (pid $pid) does not end"
}

stop() {
    if [ ! -f "$BEFORE" ]; then
        log "real node: not started"
        return
    fi
    local netns=() id
    stop_pid kubelet
    if [ -f "$NODE_DIR/containerd.pid" ] && ctr_ version >/dev/null 2>&1; then
        # Containers and their sandboxes: kill them, remember their network namespaces.
        for id in $(ctr_ containers list -q); do
            mapfile -t -O "${#netns[@]}" netns < <(ctr_ containers info "$id" |
                grep -o '"path": "/[a-z/]*run/netns/[^"]*"' | cut -d'"' -f4)
            ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
        done
        for id in $(ctr_ containers list -q); do
            ctr_ tasks delete -f "$id" >/dev/null 2>&1 || true
            ctr_ containers delete "$id" >/dev/null 2>&1 || true
        done
    fi
    stop_pid containerd
    local pid
    for pid in $(pgrep -f "containerd-shim.*-address $SOCK" || true); do kill -9 "$pid" 2>/dev/null || true; done
    # Containers whose containerd was killed before it could stop them: their bundles, still in
    # the node's state folder, name their cgroups and network namespaces.
    local cgroups
    mapfile -t cgroups < <(bundle_paths cgroupsPath)
    kill_containers "${cgroups[@]}"
    mapfile -t -O "${#netns[@]}" netns < <(bundle_paths netns)
    local ns
    for ns in $(printf '%s\n' "${netns[@]}" | sort -u); do
        umount "$ns" 2>/dev/null || umount -l "$ns" 2>/dev/null || true
        rm -f "$ns"
    done
    # What the host has now and lacked before start: the node's, to undo.
    local added
    added=$(host_state | grep -vxF -f "$BEFORE" || true)
    # Mounts under the node's folder, deepest first (kubelet volumes, container root filesystems).
    local m
    while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done < <(sed -n 's/^mount //p' <<<"$added" | sort -r)
    # The kubelet's own iptables chains (KUBE-*), and the jumps to them.
    local family table chain
    while read -r family table chain; do
        delete_iptables_chain "$family" "$table" "$chain"
    done < <(sed -n 's/^\(ip6\{0,1\}tables [a-z]*\) -N \(KUBE-.*\)$/\1 \2/p' <<<"$added")
    ip link delete "$BRIDGE" 2>/dev/null || true
    # Kernel settings back to what start found (the kubelet's tunables, the bridge's ip_forward).
    local key value
    while read -r key value; do
        [ "$(sysctl -n "$key" 2>/dev/null)" = "$value" ] || sysctl -qw "$key=$value" || true
    done < <(sed -n 's/^sysctl //p' "$BEFORE")
    local path
    while read -r path; do
        if [[ $path == /sys/fs/cgroup/* ]]; then
            find "$path" -depth -type d -exec rmdir {} + 2>/dev/null || true
        elif [ "$path" = /run/netns ]; then
            rmdir "$path" 2>/dev/null || true # only when no namespace is left in it
        else
            rm -rf "$path" 2>/dev/null || true
        fi
    done < <(sed -n 's/^path //p' <<<"$added" | sort -r)
    local left
    left=$(leftovers)
    if [ -n "$left" ]; then
        log "real node: stopped, but the host is not as start found it:"
        echo "$left" >&2
        exit 1
    fi
    rm -rf "$NODE_DIR" "$BEFORE"
    if [ "$(cat "$OWNER" 2>/dev/null)" = "$CACHE_ABS" ]; then rm -f "$OWNER"; fi
    log "real node: stopped; nothing left on the host"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    leftovers) leftovers ;;
    images) images ;;
    *) echo "usage: $0 start|stop|leftovers|images" >&2 && exit 2 ;;
esac
