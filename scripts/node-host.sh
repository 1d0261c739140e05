# The real node's mark on the host, for scripts/node.sh (which sources this after setting
# NODE_DIR, BEFORE, SOCK and BRIDGE): what start records of the host, what stop compares with it,
# and the means stop undoes it with. Functions and constants only.
# shellcheck shell=bash
# shellcheck disable=SC2154 # the variables above are node.sh's

# Kernel settings the kubelet sets at start (setupKernelTunables), restored by stop.
KERNEL_TUNABLES="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward"
# Folders the kubelet, containerd and the CNI plugins use whatever their configured roots (pod
# logs and their links, CNI results, device plugin sockets, shim state). Only one that start did
# not find is this node's, and stop removes it whole; one that existed is never touched.
HOST_DIRS="/run/containerd /run/netns /var/log/pods /var/log/containers /var/lib/cni
/var/lib/kubelet /sys/fs/cgroup/kubepods"

# Whether PID runs this node's COMMAND (a PID file may outlive its process, and the PID be reused).
ours() { # pid command [node folder]
    [ -n "$1" ] && { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -q "^$2 .*${3:-$NODE_DIR}"
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

# bundle_paths cgroupsPath|netns: what the OCI bundles of this node's containers name, one per line.
bundle_paths() {
    local bundle
    for bundle in "$NODE_DIR"/containerd/state/io.containerd.runtime.v2.task/k8s.io/*/config.json; do
        [ -f "$bundle" ] || continue
        case "$1" in
            cgroupsPath) grep -o '"cgroupsPath": *"[^"]*"' "$bundle" || true ;;
            netns) grep -o '"path": *"/[a-z/]*run/netns/[^"]*"' "$bundle" || true ;;
        esac
    done | cut -d'"' -f4 | sort -u
}

# kill_containers CGROUP...: every process in these containers' cgroups (as their bundles name
# them, under each cgroup v1 hierarchy or the v2 one); never PID 0 (a process outside this PID
# namespace reads as 0) nor this script.
kill_containers() {
    local cg pids
    [ $# -gt 0 ] || return 0
    for _ in $(seq 50); do
        pids=$(for cg in "$@"; do
            cat /sys/fs/cgroup/*"$cg"/cgroup.procs /sys/fs/cgroup"$cg"/cgroup.procs 2>/dev/null || true
        done | grep -vx -e 0 -e "$$" | sort -u || true)
        [ -n "$pids" ] || return 0
        # shellcheck disable=SC2086 # a list of PIDs
        kill -9 $pids 2>/dev/null || true
        sleep 0.1
    done
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

# What differs from the host before start: "+ line" added since, "- line" gone since.
leftovers() {
    [ -f "$BEFORE" ] || return 0
    { diff <(sort "$BEFORE") <(host_state | sort) || true; } | sed -n 's/^> /+ /p; s/^< /- /p'
}
