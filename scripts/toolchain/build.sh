#!/usr/bin/env bash
# Builds the test toolchain from published Go modules, once per version, into a cache outside the
# repository: the Pulumi CLI, the Kubernetes provider plugin, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, the kubelet, etcd, kwok, kwokctl, the pod
# sandbox process (pause), MinIO (the teams suite's S3 server) and actionlint. A second
# run that changes nothing only checks the cache.
# Usage: build.sh [pulumi|provider|cluster|minio|actionlint|all|env]
# (`env` builds nothing: it prints the PATH that puts the toolchain first, for other scripts).
#
# No binary can be downloaded on the machines this runs on, only Go modules; each piece is built by
# a small wrapper module in this folder (go.mod + go.sum) because `go install mod@version` refuses
# modules whose go.mod has replace lines.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

what="${1:-all}"
export CGO_ENABLED=0 GOFLAGS=-mod=mod
# One set of flags for every piece, so the Go build cache is shared between them.
GO_BUILD=(go build -trimpath)

# build_piece NAME VERSION DIR TAGS LDFLAGS PACKAGE... : builds into DIR unless DIR is complete.
build_piece() {
    local name=$1 version=$2 dir=$3 tags=$4 ldflags=$5
    shift 5
    if [ -f "$dir/.complete" ]; then
        log "$name $version: cached in $dir"
        return
    fi
    log "$name $version: building $* (a cold build takes minutes)"
    local start=$SECONDS tmp="$dir.tmp"
    rm -rf "$tmp" && mkdir -p "$tmp"
    (cd "$TOOLCHAIN_SRC/$name" && "${GO_BUILD[@]}" -tags "$tags" -ldflags "-s -w $ldflags" \
        -o "$tmp/" "$@")
    rm -rf "$dir" && mv "$tmp" "$dir" && touch "$dir/.complete"
    log "$name $version: built in $((SECONDS - start)) s"
}

# An existing CLI is used when it is at least as new as the npm SDK this project pins.
existing_pulumi() {
    local found v
    found=$(PATH="${PATH//$PULUMI_BIN_DIR:/}" command -v pulumi) || return 1
    v=$("$found" version 2>/dev/null | sed 's/^v//') || return 1
    [ "$(printf '%s\n%s\n' "$PULUMI_NPM_VERSION" "$v" | sort -V | head -n1)" = "$PULUMI_NPM_VERSION" ] || return 1
    echo "$found ($v)"
}

build_pulumi() {
    local found
    if [ ! -f "$PULUMI_BIN_DIR/.complete" ] && found=$(existing_pulumi); then
        log "pulumi: using the existing $found"
        return
    fi
    build_piece pulumi "$PULUMI_CLI_VERSION" "$PULUMI_BIN_DIR" osusergo,grpcnotrace \
        "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_CLI_VERSION" \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

build_provider() {
    toolchain_env
    # Where `pulumi plugin install` puts it (a file check: `pulumi plugin ls` costs 0.3 s).
    if [ -x "${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-kubernetes-v$K8S_PROVIDER_VERSION/pulumi-resource-kubernetes" ]; then
        log "kubernetes provider $K8S_PROVIDER_VERSION: installed as a Pulumi plugin"
        return
    fi
    local src
    src=$(module_dir kubernetes-provider github.com/pulumi/pulumi-kubernetes/provider/v4)
    src+=/cmd/pulumi-resource-kubernetes
    # The generated files upstream's main embeds are copies of these committed ones.
    install -m 0644 "$src/schema.json" "$TOOLCHAIN_SRC/kubernetes-provider/schema-embed.json"
    install -m 0644 "$src/terraform-mapping.json" \
        "$TOOLCHAIN_SRC/kubernetes-provider/terraform-mapping-embed.json"
    build_piece kubernetes-provider "$K8S_PROVIDER_VERSION" "$PROVIDER_BIN_DIR" osusergo,grpcnotrace \
        "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=v$K8S_PROVIDER_VERSION" \
        .
    [ -x "$PROVIDER_BIN_DIR/pulumi-resource-kubernetes" ] ||
        mv "$PROVIDER_BIN_DIR/kubernetes-provider" "$PROVIDER_BIN_DIR/pulumi-resource-kubernetes"
    pulumi plugin install resource kubernetes "$K8S_PROVIDER_VERSION" \
        --file "$PROVIDER_BIN_DIR/pulumi-resource-kubernetes" >&2
    log "kubernetes provider $K8S_PROVIDER_VERSION: installed as a Pulumi plugin"
}

build_cluster() {
    local minor=${KUBERNETES_VERSION#*.}
    minor=${minor%%.*}
    local kv="" p
    # Without these, the binaries report version 0.0 and kwokctl and the provider misjudge them.
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        kv+=" -X $p.gitVersion=v$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
        kv+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
    done
    build_piece etcd "$ETCD_VERSION" "$ETCD_BIN_DIR" "" "" go.etcd.io/etcd/server/v3
    # Go names a /v3 module's binary after the element before it.
    [ -x "$ETCD_BIN_DIR/etcd" ] || mv "$ETCD_BIN_DIR/server" "$ETCD_BIN_DIR/etcd"
    build_piece kwok "$KWOK_VERSION" "$KWOK_BIN_DIR" "" "" \
        sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
    build_piece kubernetes "$KUBERNETES_VERSION" "$KUBE_BIN_DIR" selinux,notest,grpcnotrace "$kv" \
        k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl \
        k8s.io/kubernetes/cmd/kubelet
    # The real node's sandbox ("pause") process, the project's own (scripts/toolchain/pause).
    build_piece pause "$PAUSE_VERSION" "$PAUSE_BIN_DIR" "" "" .
}

build_minio() {
    build_piece minio "$MINIO_VERSION" "$MINIO_BIN_DIR" "" "" github.com/minio/minio
}

build_actionlint() {
    build_piece actionlint "$ACTIONLINT_VERSION" "$ACTIONLINT_BIN_DIR" "" \
        "-X main.version=v$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint
}

start=$SECONDS
case "$what" in
    pulumi) build_pulumi ;;
    provider) build_provider ;;
    cluster) build_cluster ;;
    actionlint) build_actionlint ;;
    minio) build_minio ;;
    all) build_pulumi && build_provider && build_cluster && build_minio && build_actionlint ;;
    env)
        toolchain_env
        echo "PATH=$PATH"
        echo "PULUMI_BIN_DIR=$PULUMI_BIN_DIR"
        echo "CLUSTER_BIN_DIRS=$KUBE_BIN_DIR:$ETCD_BIN_DIR:$KWOK_BIN_DIR:$ACTIONLINT_BIN_DIR"
        exit 0
        ;;
    *) echo "usage: $0 [pulumi|provider|cluster|minio|actionlint|all|env]" >&2 && exit 2 ;;
esac
log "toolchain ($what) ready in $((SECONDS - start)) s"
