#!/usr/bin/env bash
# The end-to-end suite: builds (or reuses) the toolchain, starts the local cluster, runs the real
# Pulumi engine against it through the tests in test/e2e, and stops the cluster whatever happens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/toolchain/lib.sh

bash scripts/toolchain/build.sh all
# A cluster this script did not start is left alone, and so are its namespaces.
if bash scripts/cluster.sh status >/dev/null 2>&1; then
    log "e2e: using the local cluster that is already running"
else
    bash scripts/cluster.sh start
    trap 'bash scripts/cluster.sh stop' EXIT
fi
toolchain_env
export KUBECONFIG
KUBECONFIG="$(bash scripts/cluster.sh kubeconfig)"
export SA_WORKLOAD_E2E=1
node scripts/run.mjs mocha --config test/e2e/.mocharc.json "$@"
