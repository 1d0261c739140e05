/** Which Kubernetes cluster to deploy to: the current kube context, or the bundled local one. */
import { join } from "node:path";

import * as k8s from "@kubernetes/client-node";

import { ensureToolchain, REPO_ROOT, runScript } from "./toolchain";

const CLUSTER = join(REPO_ROOT, "scripts", "cluster.sh");

/** Whether the API server of a kubeconfig's context answers within `timeoutMs`. */
export async function reachable(
    kubeconfig?: string,
    context?: string,
    timeoutMs = 5000,
): Promise<boolean> {
    const config = new k8s.KubeConfig();
    try {
        if (kubeconfig) config.loadFromFile(kubeconfig);
        else config.loadFromDefault();
        if (context) config.setCurrentContext(context);
        if (!config.getCurrentContext() || !config.getCurrentCluster()) return false;
        const version = config.makeApiClient(k8s.VersionApi).getCode();
        const timeout = new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error("timeout")), timeoutMs).unref(),
        );
        await Promise.race([version, timeout]);
        return true;
    } catch {
        return false;
    }
}

/** Starts the bundled local cluster (building what is missing) and returns its kubeconfig. */
export function startLocalCluster(): string {
    if (process.platform !== "linux") {
        throw new Error(
            "No Kubernetes cluster is reachable and the bundled local cluster runs on Linux only. " +
                "Start one (e.g. `minikube start`) and run the command again.",
        );
    }
    ensureToolchain(["cluster"]);
    runScript(CLUSTER, "start");
    return runScript(CLUSTER, "kubeconfig").trim();
}

/** The kubeconfig of the bundled local cluster, whether or not it runs. */
export function localClusterKubeconfig(): string {
    return runScript(CLUSTER, "kubeconfig").trim();
}

/**
 * Points this process (and the engine it starts) at a reachable cluster: the kube context the
 * user selected, or else the bundled local cluster, started if need be. Returns a description.
 */
export async function selectCluster(context?: string): Promise<string> {
    if (await reachable(process.env.KUBECONFIG, context)) {
        return context ? `kube context ${context}` : "the current kube context";
    }
    if (context) {
        throw new Error(
            `The kube context "${context}" (config sa-workload:kubeContext) is not reachable. ` +
                "Start that cluster, or remove the key to use the current context.",
        );
    }
    const local = process.platform === "linux" ? localClusterKubeconfig() : undefined;
    if (!(local && (await reachable(local)))) {
        console.error("No reachable kube context: starting the bundled local cluster.");
        process.env.KUBECONFIG = startLocalCluster();
    } else {
        process.env.KUBECONFIG = local;
    }
    return `the bundled local cluster (KUBECONFIG=${process.env.KUBECONFIG})`;
}
