/**
 * Explains a destroy that could not finish: which namespaces are still there, what the namespace
 * controller says remains in them, and the kubectl commands to look (`kubectl`: see kubectlFor). Finalizers are never removed
 * here: they guard cleanup that something else must finish (or a person must decide to skip).
 */
import type * as k8s from "@kubernetes/client-node";

import { kubeClient } from "../../components/kube-context";
import { clusterReader, displayRef } from "../../components/live-objects";

/** One line per namespace that still exists, with the controller's reasons and what remains. */
export async function describeRemainingNamespaces(
    admin: k8s.KubeConfig,
    namespaces: readonly string[],
    context?: string,
    kubectl = "kubectl",
): Promise<string[]> {
    const reader = clusterReader(context);
    const core = admin.makeApiClient(kubeClient().CoreV1Api);
    const lines: string[] = [];
    for (const name of namespaces) {
        let namespace: k8s.V1Namespace;
        try {
            namespace = await core.readNamespace({ name });
        } catch {
            continue; // gone, or unreadable: nothing to report about it
        }
        const reasons = (namespace.status?.conditions ?? [])
            .filter((c) => c.status === "True" && c.message)
            .map((c) => c.message);
        // Listed here rather than with a shell pipeline: the same on bash and PowerShell.
        const remaining = await reader.listNamespace(name).then(
            ({ objects }) => objects.map(displayRef),
            () => ["(could not be listed)"],
        );
        lines.push(
            `namespace ${name} is still ${namespace.status?.phase ?? "present"}` +
                (reasons.length ? `: ${reasons.join("; ")}` : "") +
                `\n  inspect: ${kubectl} get namespace ${name} -o yaml` +
                `\n  what remains in it: ${remaining.length ? remaining.join(", ") : "nothing listable"}` +
                `\n  then finish or remove what holds it (its finalizers say who owns it), and run ` +
                `npm run down again`,
        );
    }
    return lines;
}

/** One line per pod of `pods` that exists but is not Ready, with its containers' reasons. */
export async function describeUnreadyPods(
    admin: k8s.KubeConfig,
    pods: readonly { namespace: string; pod: string }[],
    kubectl = "kubectl",
): Promise<string[]> {
    const core = admin.makeApiClient(kubeClient().CoreV1Api);
    const lines: string[] = [];
    for (const { namespace, pod: name } of pods) {
        let pod: k8s.V1Pod;
        try {
            pod = await core.readNamespacedPod({ name, namespace });
        } catch {
            continue; // never created, or unreadable: the engine's own error says why
        }
        const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
        if (ready?.status === "True") continue;
        const reasons = (pod.status?.containerStatuses ?? []).map((c) => {
            const waiting = c.state?.waiting ?? c.state?.terminated;
            return (
                `container ${c.name}: ${waiting?.reason ?? "not ready"}` +
                (waiting?.message ? ` (${waiting.message})` : "") +
                ` after ${c.restartCount} restarts`
            );
        });
        lines.push(
            `pod ${namespace}/${name} is ${pod.status?.phase ?? "present"} but not Ready: ` +
                (reasons.length
                    ? reasons.join("; ")
                    : (ready?.message ?? "no container status yet")) +
                `\n  inspect: ${kubectl} -n ${namespace} describe pod ${name}` +
                `\n  logs: ${kubectl} -n ${namespace} logs ${name} --previous`,
        );
    }
    return lines;
}
