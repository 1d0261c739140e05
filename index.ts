/**
 * The program: read and validate the stack config, create one ServiceAccountWorkload per
 * configured workload, export what a user needs to inspect each.
 *
 * It is exported as a function so that the same program runs under `pulumi up` and as an inline
 * program of the Automation API (scripts/deploy.ts, the end-to-end tests).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { readProgramConfig, ServiceAccountWorkload } from "./components";
import {
    CLUSTER_UID_ENV,
    clusterIdentity,
    clusterUid,
    kubeTarget,
    loadKubeConfig,
} from "./components/kube-context";

export = function program() {
    // Throws on bad config before any resource, the provider included, is registered.
    const config = readProgramConfig(new pulumi.Config());
    // The SDK would give the provider KUBECONFIG as a kubeconfig's path or contents, which a list
    // of files (a:b) is neither; empty, the provider reads KUBECONFIG itself as kubectl does.
    const provider = config.kubeContext
        ? new k8s.Provider("kube", { context: config.kubeContext, kubeconfig: "" })
        : undefined;
    const workloads = config.workloads.map(
        ({ name, args }) => [name, new ServiceAccountWorkload(name, args, { provider })] as const,
    );
    const kubeconfig = Promise.resolve().then(() => loadKubeConfig(config.kubeContext));
    return {
        // Which cluster the stack is on, so the commands can refuse to move it to another: its
        // name and host, and the UID that tells apart clusters alike in both.
        cluster: kubeconfig.then((k) => (k ? clusterIdentity(kubeTarget(k)) : undefined)),
        // As the command read it while choosing the cluster, else read here: never a reason to
        // fail an update that has run (undefined: only the name and host tell).
        clusterUid: kubeconfig.then((k) =>
            k ? (process.env[CLUSTER_UID_ENV] ?? clusterUid(k).catch(() => undefined)) : undefined,
        ),
        workloads: Object.fromEntries(
            workloads.map(([name, w]) => [
                name,
                {
                    namespace: w.namespaceName,
                    serviceAccount: w.serviceAccountName,
                    pod: w.podName,
                    port: w.port,
                    rules: w.rules,
                },
            ]),
        ),
    };
};
