#!/usr/bin/env bash
# Runs a command against the bundled local cluster: builds (or reuses) the toolchain, starts the
# cluster unless it already runs, exports KUBECONFIG and the toolchain's PATH, runs the command,
# and stops the cluster if this script started it, whatever the command did.
# Usage: with-cluster.sh <command> [args...]   (e.g. the e2e suite, the benchmarks)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=toolchain/lib.sh
. scripts/toolchain/lib.sh

bash scripts/toolchain/build.sh all
# The tests that run pods for real need the real node (scripts/node.sh).
export SA_WORKLOAD_REAL_NODE="${SA_WORKLOAD_REAL_NODE:-true}"
# A cluster that runs already is used (and stays); one started here is stopped at the end.
if ! bash scripts/cluster.sh status >/dev/null 2>&1; then
    trap 'bash scripts/cluster.sh stop' EXIT
fi
bash scripts/cluster.sh start
toolchain_env
export KUBECONFIG
KUBECONFIG="$(bash scripts/cluster.sh kubeconfig)"
# Tells the e2e suite that KUBECONFIG is the disposable local cluster, not a user's.
export SA_WORKLOAD_LOCAL_CLUSTER=1
"$@"
