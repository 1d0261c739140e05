#!/usr/bin/env bash
# The README's deploy command on a machine with nothing cached (Linux): clones this repository's
# HEAD into a temporary folder and, with empty temporary Go module, Go build, toolchain and Pulumi
# plugin caches and no kubeconfig, runs `npm ci`, `npm run up` (which builds the whole toolchain
# and starts the bundled cluster), `npm run verify` and `npm run down`, then stops the cluster;
# then starts and deletes the teams suite's S3 server (which builds MinIO).
# It writes docs/cold-proof.md: the times, and a hash of the files it proves (the toolchain and
# cluster scripts and .ci/run), so CI can tell whether they changed since the last proof.
#
# Usage: bash scripts/cold-proof.sh [--if-changed] [--seed]    (npm run prove:cold)
#   --if-changed  prove only when the hashed files differ from those docs/cold-proof.md proved
#   --seed        after a passing proof, move what it built into this machine's own caches where
#                 they hold nothing yet (the toolchain pieces, the provider plugin, Go's module
#                 and build caches), so the test run after it does not build everything again
# COLD_PROOF_DIR=DIR keeps the caches in DIR instead of a temporary folder removed afterwards.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
report="$repo/docs/cold-proof.md"

# The files whose change calls for a new proof, hashed by their committed content.
PROVED=(scripts/toolchain scripts/cluster.sh scripts/node.sh scripts/node-files.sh scripts/node-host.sh
    scripts/node-images.sh scripts/s3.sh scripts/cold-proof.sh .ci/run)
inputs_hash() { git -C "$repo" ls-files -s "${PROVED[@]}" | sha256sum | cut -c1-16; }
if_changed=false seed=false
for arg in "$@"; do
    case "$arg" in
        --if-changed) if_changed=true ;;
        --seed) seed=true ;;
        *) echo "usage: $0 [--if-changed] [--seed]" >&2 && exit 2 ;;
    esac
done
hash=$(inputs_hash)
if $if_changed && grep -q "^inputs: $hash\$" "$report" 2>/dev/null; then
    echo "cold proof: the toolchain and cluster scripts are as docs/cold-proof.md proved ($hash)"
    exit 0
fi
if [ -n "$(git -C "$repo" status --porcelain -- "${PROVED[@]}")" ]; then
    echo "cold proof: note: uncommitted changes to the toolchain scripts are not part of HEAD's proof" >&2
fi

# This machine's own caches, before the proof points everything elsewhere.
own_toolchain="${SA_WORKLOAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sa-workload}/toolchain"
own_plugins="${PULUMI_HOME:-$HOME/.pulumi}/plugins"
own_gomod=$(go env GOMODCACHE) own_gobuild=$(go env GOCACHE)

work=$(mktemp -d)
caches="${COLD_PROOF_DIR:-$work/caches}"
mkdir -p "$caches"
clone="$work/clone"
# move_absent FROM TO: each entry of FROM that TO lacks, moved there (one file system: a rename).
move_absent() {
    local entry
    mkdir -p "$2"
    for entry in "$1"/*; do
        [ -e "$entry" ] && [ ! -e "$2/$(basename "$entry")" ] && mv "$entry" "$2/"
    done
    return 0
}

seed_own_caches() {
    move_absent "$caches/sa-workload/toolchain" "$own_toolchain"
    move_absent "$caches/pulumi-home/plugins" "$own_plugins"
    # Go's caches whole, and only where this machine has none.
    [ -e "$own_gomod" ] || { mkdir -p "$(dirname "$own_gomod")" && mv "$GOMODCACHE" "$own_gomod"; }
    [ -e "$own_gobuild" ] || { mkdir -p "$(dirname "$own_gobuild")" && mv "$GOCACHE" "$own_gobuild"; }
    echo "cold proof: moved what it built into this machine's caches where they were empty" >&2
}

cleanup() {
    local rc=$?
    if [ -d "$clone/node_modules" ]; then
        (cd "$clone" && bash scripts/cluster.sh stop >/dev/null 2>&1) || true
        (cd "$clone" && bash scripts/s3.sh delete >/dev/null 2>&1) || true
    fi
    if [ "$rc" = 0 ] && $seed; then seed_own_caches; fi
    if [ -z "${COLD_PROOF_DIR:-}" ]; then
        if [ -d "$caches/gomod" ]; then
            GOMODCACHE="$caches/gomod" go clean -modcache 2>/dev/null || true
        fi
        rm -rf "$work"
    else
        rm -rf "$clone"
    fi
    exit "$rc"
}
trap cleanup EXIT

# A new machine: nothing in any cache this project or Go would read, and no kube context.
export GOMODCACHE="$caches/gomod" GOCACHE="$caches/gobuild" SA_WORKLOAD_CACHE="$caches/sa-workload"
export PULUMI_HOME="$caches/pulumi-home" KUBECONFIG="$caches/no-kubeconfig"
unset GOFLAGS XDG_CACHE_HOME STACK PULUMI_BACKEND_URL
for d in "$GOMODCACHE" "$GOCACHE" "$SA_WORKLOAD_CACHE" "$PULUMI_HOME"; do
    if [ -n "$(ls -A "$d" 2>/dev/null)" ]; then
        echo "cold proof: $d is not empty; a cold proof needs empty caches" >&2
        exit 1
    fi
done

rows=()
step() { # name command...
    local name=$1 start=$SECONDS
    shift
    echo "=== cold proof: $name" >&2
    "$@"
    rows+=("| \`$name\` | $((SECONDS - start)) |")
}

total=$SECONDS
git clone -q "$repo" "$clone"
cd "$clone"
commit=$(git rev-parse --short HEAD)
step "npm ci" npm ci --no-audit --no-fund
step "npm run up" npm run up
step "npm run verify" npm run verify
step "npm run down" npm run down
step "npm run cluster:stop" npm run cluster:stop
# The test command's one server beyond the cluster: the teams suite's S3 server (MinIO).
step "bash scripts/s3.sh start (builds MinIO)" bash scripts/s3.sh start
step "bash scripts/s3.sh delete" bash scripts/s3.sh delete
total=$((SECONDS - total))

{
    echo "# Cold proof"
    echo
    echo "Written by \`npm run prove:cold\` (scripts/cold-proof.sh): a fresh clone of $commit, empty Go"
    echo "module, Go build, toolchain and plugin caches, no kubeconfig, $(nproc) cores, $(date -u +%F)."
    echo
    echo "| step | seconds |"
    echo "| --- | --- |"
    printf '%s\n' "${rows[@]}"
    echo "| total, including the clone | $total |"
    echo
    echo "The files proved (${PROVED[*]}), hashed by \`git ls-files -s\`; CI proves again when"
    echo "this differs:"
    echo
    echo "inputs: $hash"
} >"$report"
echo "cold proof: passed in $total s; wrote docs/cold-proof.md" >&2
