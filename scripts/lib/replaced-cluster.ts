/**
 * `npm run up|down|recover -- --cluster-replaced`: the cluster a stack was deployed to is gone
 * (deleted and created again: `minikube delete`, the bundled cluster started anew), and the one of
 * its name and address now is another. The state still records objects that went with the first;
 * this forgets that record, deleting nothing on either cluster, so that `up` creates the workloads
 * on this one (its checks refusing any object of those names that the stack did not create) and
 * `down` has nothing to delete. Only where the two kube-system UIDs say the clusters differ: on the
 * stack's own cluster, forgetting would lose track of objects that exist. For a state that records
 * no cluster (its first up stopped before its end), only where none of its objects is on this
 * cluster (scripts/lib/unrecorded-cluster.ts). The state as it was is written to a file first,
 * with the command that puts it back.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import type { Stack } from "@pulumi/pulumi/automation";

import { ClusterReader, displayRef } from "../../components/live-objects";
import {
    CLUSTER_REPLACED,
    deployedCluster,
    isReplacedCluster,
    refuseOtherCluster,
    SelectedCluster,
} from "./cluster";
import { stateObjects } from "./foreign";
import { REPO_ROOT } from "./toolchain";
import { unrecordedObjects } from "./unrecorded-cluster";

/** What a stack's state recorded on the replaced cluster, now forgotten. */
export interface Forgotten {
    /** The deployment as the state now holds it (nothing recorded). */
    readonly deployment: unknown;
    /** The Kubernetes objects it recorded there, as `Kind namespace/name`. */
    readonly objects: string[];
    /** The state as it was, for `pulumi stack import --file`. */
    readonly backup: string;
}

/** Where the states forgotten are kept (inside .pulumi/, which git ignores). */
export const BACKUP_DIR = join(REPO_ROOT, ".pulumi", "forgotten");

export interface ForgetOptions {
    /**
     * Remove the stack's lock (a killed run's) first, once the clusters are known to differ: the
     * state cannot be replaced while it is held. `recover` asks for it. @default false
     */
    readonly unlock?: boolean;
    /** Where the state as it was is written. @default BACKUP_DIR */
    readonly backupDir?: string;
    /**
     * The selected cluster's objects, for a state that records no cluster (its first up stopped
     * before its end): forgotten only where none of its objects is there. @default none: refused
     */
    readonly reader?: ClusterReader;
}

/**
 * Forgets what the state of `stack` (`deployment`, as read when the command started) records on
 * the cluster `selected` replaced; throws, forgetting nothing, where it is not a replaced cluster
 * (any lock left as it was) or the state changed since it was read.
 */
export async function forgetReplacedCluster(
    stack: Stack,
    deployment: unknown,
    selected: SelectedCluster,
    { unlock = false, backupDir = BACKUP_DIR, reader }: ForgetOptions = {},
): Promise<Forgotten> {
    const refuse = (why: string): Error =>
        new Error(
            `${CLUSTER_REPLACED}: stack ${stack.name} ${why}; nothing was forgotten. Run the ` +
                "command without it.",
        );
    const deployed = deployedCluster(deployment);
    if (typeof deployed.identity !== "string") {
        const objects = reader ? await unrecordedObjects(deployment, reader) : "none";
        if (objects === "here" || objects === "unknown") {
            throw refuse(
                "records no cluster, and " +
                    (objects === "here"
                        ? "its objects are on this one: forgetting would lose track of them"
                        : "whether its objects are on this one could not be read"),
            );
        }
        if (objects === "none") throw refuse("records no cluster to replace");
    } else {
        // A cluster of another name or address is a move, not a replacement: that refusal says so.
        refuseOtherCluster(stack.name, { identity: deployed.identity }, selected);
    }
    if (typeof deployed.identity === "string" && !isReplacedCluster(deployed, selected)) {
        throw refuse(
            typeof deployed.uid === "string" && deployed.uid === selected.uid
                ? `was deployed to this very cluster (kube-system UID ${selected.uid}), and ` +
                      "forgetting would lose track of the objects it holds"
                : `cannot tell its cluster ${deployed.identity} from this one: ` +
                      (typeof deployed.uid === "string"
                          ? "your credentials may not read this cluster's kube-system namespace"
                          : "its state records no kube-system UID (deployed by an older version, " +
                            "or by credentials that may not read it)"),
        );
    }
    if (unlock) await stack.cancel();
    const exported = await stack.exportStack();
    // A teammate's run since the state was read (it is not locked yet): forget nothing of it.
    if (canonical(resourcesOf(exported.deployment)) !== canonical(resourcesOf(deployment))) {
        throw new Error(
            `${CLUSTER_REPLACED}: stack ${stack.name}'s state changed while this command read it ` +
                "(another run?); nothing was forgotten. Run the command again.",
        );
    }
    mkdirSync(backupDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const backup = join(backupDir, `${stack.name.replace(/[^\w.-]/g, "_")}-${stamp}.json`);
    writeFileSync(backup, JSON.stringify(exported, null, 2), { mode: 0o600 });
    const emptied = { ...(exported.deployment as object), resources: [], pending_operations: [] };
    await stack.importStack({ ...exported, deployment: emptied });
    return { deployment: emptied, objects: stateObjects(deployment).map(displayRef), backup };
}

function resourcesOf(deployment: unknown): unknown[] {
    return (deployment as { resources?: unknown[] } | undefined)?.resources ?? [];
}

/** JSON with every object's keys in order: the same state reads the same from file or export. */
function canonical(value: unknown): string {
    return JSON.stringify(value, (_, v: unknown) =>
        v && typeof v === "object" && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
            : v,
    );
}
