/**
 * `npm run up|down -- --cluster-replaced`: the cluster a stack was deployed to is gone (deleted and
 * created again, `minikube delete`, `npm run cluster:stop`), and the one of its name and address
 * now is another. The state still records objects that went with the first; this forgets that
 * record, deleting nothing on either cluster, so that `up` creates the workloads on this one (its
 * checks refusing any object of those names that the stack did not create) and `down` has nothing
 * to delete. Only where the two kube-system UIDs say the clusters differ: on the stack's own
 * cluster, forgetting would lose track of objects that exist.
 */
import type { Stack } from "@pulumi/pulumi/automation";

import {
    CLUSTER_REPLACED,
    deployedCluster,
    isReplacedCluster,
    refuseOtherCluster,
    SelectedCluster,
} from "./cluster";

/** What a stack's state recorded on the replaced cluster, now forgotten. */
export interface Forgotten {
    /** The deployment as the state now holds it (nothing recorded). */
    readonly deployment: unknown;
    /** The Kubernetes objects it recorded there, as `Kind namespace/name`. */
    readonly objects: string[];
}

/**
 * Forgets what the state of `stack` (`deployment`, as read when the command started) records on
 * the cluster `selected` replaced; throws, forgetting nothing, where it is not a replaced cluster
 * or the state changed since it was read.
 */
export async function forgetReplacedCluster(
    stack: Stack,
    deployment: unknown,
    selected: SelectedCluster,
): Promise<Forgotten> {
    const deployed = deployedCluster(deployment);
    if (typeof deployed.identity !== "string") {
        throw new Error(
            `${CLUSTER_REPLACED}: stack ${stack.name} records no cluster, so none was replaced; ` +
                "nothing was forgotten. Run the command without it.",
        );
    }
    // A cluster of another name or address is a move, not a replacement: that refusal says so.
    refuseOtherCluster(stack.name, { identity: deployed.identity }, selected);
    if (!isReplacedCluster(deployed, selected)) {
        const why =
            deployed.uid === selected.uid
                ? `is the one this command would work on (kube-system UID ${selected.uid}), and ` +
                  "forgetting would lose track of the objects it holds"
                : "cannot be told from this one: " +
                  (typeof deployed.uid === "string"
                      ? "your credentials may not read its kube-system namespace"
                      : "the state, from an older version, records no kube-system UID");
        throw new Error(
            `${CLUSTER_REPLACED}: stack ${stack.name}'s cluster ${deployed.identity} ${why}; ` +
                "nothing was forgotten. Run the command without it.",
        );
    }
    const exported = await stack.exportStack();
    const now: unknown = exported.deployment;
    // A teammate's run since the state was read: it records another cluster now, or other objects.
    const urns = (d: unknown) => JSON.stringify(resourcesOf(d).map((r) => r.urn));
    if (!isReplacedCluster(deployedCluster(now), selected) || urns(now) !== urns(deployment)) {
        throw new Error(
            `${CLUSTER_REPLACED}: stack ${stack.name}'s state changed while this command read it; ` +
                "nothing was forgotten. Run the command again.",
        );
    }
    const objects = resourcesOf(now)
        .filter((r) => r.type.startsWith("kubernetes:"))
        .map((r) => describe(r));
    const emptied = { ...(now as object), resources: [], pending_operations: [] };
    await stack.importStack({ ...exported, deployment: emptied });
    return { deployment: emptied, objects };
}

interface StateResource {
    urn?: string;
    type: string;
    id?: string;
    outputs?: { kind?: unknown };
}

/** `Kind namespace/name` (or `Kind name`) of a Kubernetes object in the state. */
function describe(resource: StateResource): string {
    const kind = typeof resource.outputs?.kind === "string" ? resource.outputs.kind : resource.type;
    return `${kind} ${resource.id ?? "?"}`;
}

function resourcesOf(deployment: unknown): StateResource[] {
    return (deployment as { resources?: StateResource[] } | undefined)?.resources ?? [];
}
