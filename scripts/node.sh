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

# Kernel settings the kubelet sets at start (setupKernelTunables), restored by stop.
KERNEL_TUNABLES="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward"
# Folders the kubelet, containerd and the CNI plugins use whatever their configured roots (pod
# logs and their links, CNI results, device plugin sockets, shim state). Only one that start did
# not find is this node's, and stop removes it whole; one that existed is never touched.
HOST_DIRS="/run/containerd /run/netns /var/log/pods /var/log/containers /var/lib/cni
/var/lib/kubelet /sys/fs/cgroup/kubepods"

# Whether PID runs this node's COMMAND (a PID file may outlive its process, and the PID be reused).
ours() { # pid command
    [ -n "$1" ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "^$2 .*$NODE_DIR"
}

# What this node may change on the host, one line each; compared before start and after stop.
host_state() {
    local k t d
    for k in $KERNEL_TUNABLES; do echo "sysctl $k $(sysctl -n "$k" 2>/dev/null)"; done
    for t in filter nat mangle; do
        { iptables -t "$t" -S 2>/dev/null || true; } | sed "s/^/iptables $t /"
        { ip6tables -t "$t" -S 2>/dev/null || true; } | sed "s/^/ip6tables $t /"
    done
    { ip -o link show "$BRIDGE" 2>/dev/null || true; } | sed 's/^[0-9]*: \([^:]*\):.*/link \1/'
    awk -v node="$NODE_DIR" 'index($5, node) == 1 { print "mount " $5 }' /proc/self/mountinfo
    for d in $HOST_DIRS /sys/fs/cgroup/*/kubepods; do
        if [ -e "$d" ]; then echo "path $d"; fi
    done
    # The CRI's pod network namespaces (cni-<uuid>); others' are not listed.
    { find /run/netns -maxdepth 1 -name 'cni-*' 2>/dev/null || true; } | sed 's/^/netns /'
    for d in kubelet containerd; do
        if ours "$(cat "$NODE_DIR/$d.pid" 2>/dev/null)" "$d"; then
            echo "process $d $(cat "$NODE_DIR/$d.pid")"
        fi
    done
    { pgrep -f "containerd-shim.*-address $SOCK" || true; } | sed 's/^/process shim /'
}

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

start() {
    if ours "$(cat "$NODE_DIR/kubelet.pid" 2>/dev/null)" kubelet; then
        log "real node: already running"
        return
    fi
    # A node left by a failed start or a killed run is cleaned up first, never reused.
    if [ -f "$BEFORE" ]; then stop; fi
    ensure_packages
    local t0=$SECONDS
    if ip link show "$BRIDGE" >/dev/null 2>&1; then
        log "real node: bridge $BRIDGE exists already: another real node runs on this host (stop it" \
            "with its cluster.sh stop), or set SA_WORKLOAD_REAL_NODE=false"
        exit 1
    fi
    local list
    list=$(images)
    PAUSE_IMAGE=$(awk '$1 ~ "/pause:" { print $1 }' <<<"$list")
    host_state >"$BEFORE.tmp" && mv "$BEFORE.tmp" "$BEFORE"
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
    start_daemon kubelet kubelet --config "$NODE_DIR/kubelet.yaml" \
        --kubeconfig "$NODE_DIR/kubelet.kubeconfig" --root-dir "$NODE_DIR/kubelet" \
        --cert-dir "$NODE_DIR/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
        --node-labels "$NODE_LABEL" --v 1
    local k=(kubectl --kubeconfig "$ADMIN_KUBECONFIG")
    until "${k[@]}" get node "$NODE_NAME" >/dev/null 2>&1; do
        kill -0 "$(cat "$NODE_DIR/kubelet.pid")" 2>/dev/null ||
            { tail -40 "$NODE_DIR/kubelet.log" >&2 && exit 1; }
        [ $((SECONDS - t0)) -lt 120 ] || { tail -40 "$NODE_DIR/kubelet.log" >&2 && exit 1; }
        sleep 0.5
    done
    "${k[@]}" wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >/dev/null ||
        { tail -40 "$NODE_DIR/kubelet.log" >&2 && exit 1; }
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

# delete_iptables_chain FAMILY TABLE CHAIN: the jumps to it, then the chain.
delete_iptables_chain() {
    local cmd=$1 table=$2 chain=$3 rule
    while read -r rule; do
        # A rule as iptables -S prints it, quoted comments included.
        eval "$cmd -t $table ${rule/-A /-D }" 2>/dev/null || true
    done < <($cmd -t "$table" -S | grep -- "-j $chain\( \|$\)" || true)
    $cmd -t "$table" -F "$chain" 2>/dev/null || true
    $cmd -t "$table" -X "$chain" 2>/dev/null || true
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
    log "real node: stopped; nothing left on the host"
}

# What differs from the host before start: "+ line" added since, "- line" gone since.
leftovers() {
    [ -f "$BEFORE" ] || return 0
    { diff <(sort "$BEFORE") <(host_state | sort) || true; } | sed -n 's/^> /+ /p; s/^< /- /p'
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    leftovers) leftovers ;;
    images) images ;;
    *) echo "usage: $0 start|stop|leftovers|images" >&2 && exit 2 ;;
esac
