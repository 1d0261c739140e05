/**
 * A stack whose state holds objects but records no cluster: its first `up` stopped before its end
 * (Ctrl-C, a failed create, a killed run), which is where the program's outputs, `cluster` among
 * them, are written; or a version before that record made it. refuseClusterMove() has nothing to
 * compare there, so the objects themselves say where the stack is: by their uids, which no other
 * cluster's objects have.
 */
import { ClusterReader, displayRef } from "../../components/live-objects";
import { CLUSTER_REPLACED, deployedCluster, SelectedCluster } from "./cluster";
import type { RecordedObject } from "../../components/ownership";
import { stateObjects } from "./foreign";

/** The objects with a uid of a state that records no cluster; none where it records one. */
function withoutCluster(deployment: unknown): RecordedObject[] {
    if (typeof deployedCluster(deployment).identity === "string") return [];
    return stateObjects(deployment).filter((o) => o.uid);
}

/**
 * Where the objects of a state that records no cluster are, as `reader`'s cluster has them: one of
 * them there with its uid ("here"), none ("elsewhere": on another cluster, or deleted since), or
 * unreadable ("unknown"). "none" when the state records a cluster or no object with a uid.
 */
export async function unrecordedObjects(
    deployment: unknown,
    reader: ClusterReader,
): Promise<"none" | "here" | "elsewhere" | "unknown"> {
    const recorded = withoutCluster(deployment);
    return recorded.length ? whereAre(recorded, reader) : "none";
}

/** Whether one of `recorded` is on `reader`'s cluster with its uid (see unrecordedObjects()). */
async function whereAre(
    recorded: readonly RecordedObject[],
    reader: ClusterReader,
): Promise<"here" | "elsewhere" | "unknown"> {
    try {
        const live = await Promise.all(recorded.map((o) => reader.read(o)));
        return live.some((o, i) => o?.uid === recorded[i].uid) ? "here" : "elsewhere";
    } catch {
        // Unreadable (rights, a cluster that stopped answering): the engine's reads say why.
        return "unknown";
    }
}

/**
 * Throws, naming the objects and the way out, when the state records no cluster and none of its
 * objects is on `selected`: the command would work beside them on another cluster (an `up`
 * creating the rest where the namespace may be someone else's, a `down` or `recover` forgetting
 * them as deleted) and lose track of them.
 */
export async function refuseUnrecordedCluster(
    stackName: string,
    action: string,
    deployment: unknown,
    reader: ClusterReader,
    selected: SelectedCluster,
): Promise<void> {
    const objects = withoutCluster(deployment);
    if (!objects.length || (await whereAre(objects, reader)) !== "elsewhere") return;
    // Preview changes no state: up forgets them and deploys.
    const forgetting = action === "preview" ? "up" : action;
    throw new Error(
        `Stack ${stackName} records objects (${objects.map(displayRef).join(", ")}) but no ` +
            "cluster: the up that made them stopped before its end, where the cluster is " +
            "recorded. None of them is on the cluster this command would work on, " +
            `${selected.identity} (context ${selected.target.context}, ${selected.target.server}): ` +
            "they are on another cluster, or were deleted since. Stopping, so that the stack does " +
            "not lose track of them; nothing was changed. Select the context of the cluster that " +
            "up ran on (kubectl config use-context NAME, or config sa-workload:kubeContext) and " +
            `run the command again; if they are gone for good, npm run ${forgetting} -- ` +
            `${CLUSTER_REPLACED} forgets them, deleting nothing anywhere.`,
    );
}
