# Shared by the toolchain and cluster scripts: where things live. Source it; it defines variables
# and functions only.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are for the scripts that source this file

TOOLCHAIN_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$TOOLCHAIN_SRC/versions.env"

# Everything built or downloaded lives outside the repository, keyed by version, so a fresh clone
# on a machine that has built once before reuses it.
CACHE_ROOT="${SA_WORKLOAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sa-workload}"
TOOLCHAIN_DIR="$CACHE_ROOT/toolchain"

# A piece's cache key: its version plus a hash of the wrapper module that builds it, so editing a
# wrapper rebuilds that piece and nothing else.
piece_dir() { # name version
    local sum
    sum=$(cat "$TOOLCHAIN_SRC/$1"/go.mod "$TOOLCHAIN_SRC/$1"/go.sum "$TOOLCHAIN_SRC/$1"/*.go \
        2>/dev/null | sha256sum | cut -c1-10)
    echo "$TOOLCHAIN_DIR/$1-$2-$sum"
}

PULUMI_BIN_DIR="$(piece_dir pulumi "$PULUMI_CLI_VERSION")"
PROVIDER_BIN_DIR="$(piece_dir kubernetes-provider "$K8S_PROVIDER_VERSION")"
KUBE_BIN_DIR="$(piece_dir kubernetes "$KUBERNETES_VERSION")"
ETCD_BIN_DIR="$(piece_dir etcd "$ETCD_VERSION")"
KWOK_BIN_DIR="$(piece_dir kwok "$KWOK_VERSION")"
ACTIONLINT_BIN_DIR="$(piece_dir actionlint "$ACTIONLINT_VERSION")"
PAUSE_BIN_DIR="$(piece_dir pause "$PAUSE_VERSION")"
MINIO_BIN_DIR="$(piece_dir minio "$MINIO_VERSION")"

# The environment every script and test runs the toolchain with: no downloads, no update checks.
toolchain_env() {
    local built="$KUBE_BIN_DIR:$ETCD_BIN_DIR:$KWOK_BIN_DIR:$ACTIONLINT_BIN_DIR"
    export PATH="$PULUMI_BIN_DIR:$built:$PATH"
    export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
    export PULUMI_SKIP_UPDATE_CHECK=true
}

# module_dir WRAPPER MODULE: the directory of MODULE as WRAPPER's go.mod pins it, downloading it
# first. (`go list -m -f '{{.Dir}}'` prints an empty Dir for a module not yet in the module cache.)
module_dir() {
    local dir
    dir=$(cd "$TOOLCHAIN_SRC/$1" && GOFLAGS=-mod=mod go mod download -json "$2" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    if [ -z "$dir" ] || [ ! -d "$dir" ]; then
        log "go mod download $2 (for $1) gave no directory"
        return 1
    fi
    echo "$dir"
}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
