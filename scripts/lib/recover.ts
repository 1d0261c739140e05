/**
 * `npm run recover`: repairs a stack after an update that was killed (SIGKILL, a crash, a closed
 * laptop) rather than interrupted with Ctrl-C.
 *
 * A killed engine leaves its lock, so every later command says "the stack is currently locked",
 * and the creates it had started as pending operations: the engine cannot know whether they
 * happened. Recovery drops the lock (`pulumi cancel`), then asks the cluster. A pending create
 * whose object exists, made by that create, becomes a tracked resource again (its state entry,
 * with the object's ID), so `up` updates or replaces it and `destroy` removes it; the rest are
 * dropped, and an object of that name that someone else made stays theirs (`up` then refuses to
 * create over it, naming it). A refresh
 * (`pulumi refresh --clear-pending-creates`) then reads every tracked object back from the
 * cluster. Nothing the killed run created is left untracked.
 *
 * `pulumi refresh --import-pending-creates URN ID` is meant to do the first part, but the engine
 * this project builds (3.274.1) drops such operations without importing them (measured: the pod
 * was neither in the state nor pending afterwards), so the state entry is written here instead,
 * through `pulumi stack export` / `import`, as Pulumi's docs describe for pending operations.
 */
import type * as k8s from "@kubernetes/client-node";
import type { Deployment, Stack } from "@pulumi/pulumi/automation";

import { kubeClient } from "../../components/kube-context";
import { ClusterReader } from "../../components/live-objects";
import { providerWrote, refuseReplacedObjects } from "../../components/ownership";

import { stateObjects } from "./foreign";

/** A create that was in flight when the engine died. */
export interface PendingCreate {
    readonly urn: string;
    readonly name: string;
    /** Unset for a cluster-scoped object. */
    readonly namespace?: string;
    /** The provider's ID for the object: `namespace/name`, or `name` if cluster-scoped. */
    readonly id: string;
    readonly object: k8s.KubernetesObject;
}

interface ResourceState {
    urn: string;
    custom?: boolean;
    id?: string;
    inputs?: k8s.KubernetesObject;
    outputs?: Record<string, unknown>;
}

interface PendingOperation {
    type: string;
    resource: ResourceState;
}

interface State {
    resources?: ResourceState[];
    pending_operations?: PendingOperation[];
}

/** The pending creates of Kubernetes objects with fixed names recorded in a stack's state. */
export function pendingCreates(deployment: unknown): PendingCreate[] {
    return ((deployment as State).pending_operations ?? []).flatMap((op) => {
        const object = op.resource.inputs;
        const name = object?.metadata?.name;
        if (op.type !== "creating" || !op.resource.custom || !object?.kind || !name) return [];
        const namespace = object.metadata?.namespace;
        const id = namespace ? `${namespace}/${name}` : name;
        return [{ urn: op.resource.urn, name, namespace, id, object }];
    });
}

/**
 * The state with these pending creates turned into tracked resources: the operation's own
 * resource entry with the object's ID. Its outputs start as its inputs; the refresh that follows
 * replaces them with what the cluster has.
 */
export function adoptPendingCreates(deployment: unknown, adopt: PendingCreate[]): unknown {
    const state = deployment as State;
    const ids = new Map(adopt.map((create) => [create.urn, create.id]));
    const adopted = (op: PendingOperation): boolean =>
        op.type === "creating" && ids.has(op.resource.urn);
    const operations = state.pending_operations ?? [];
    return {
        ...state,
        resources: [
            ...(state.resources ?? []),
            ...operations.filter(adopted).map(({ resource }) => ({
                ...resource,
                id: ids.get(resource.urn),
                outputs: { ...(resource.inputs ?? {}) },
            })),
        ],
        pending_operations: operations.filter((op) => !adopted(op)),
    };
}

/**
 * Whether `live`, the object of a pending create's kind and name, is the one the killed run made:
 * it carries every label the create gave it, and the Kubernetes provider wrote it. The provider
 * chooses a field manager of its own at each create (`pulumi-kubernetes-<random>`) and records it
 * in the outputs only (4.25: never in the pending create's inputs), so where the inputs name one
 * (`__fieldManager`) it must be that one, and otherwise one of the provider's. One made by hand
 * after the kill (kubectl, or `npm run render | kubectl apply`, labels and all) is someone else's.
 * Not told apart without a recorded manager: another stack of this project that made an object of
 * the same name in the minutes between the kill and recover.
 */
export function madeByPendingCreate(create: PendingCreate, live: k8s.KubernetesObject): boolean {
    const want = create.object.metadata?.labels ?? {};
    const have = live.metadata?.labels ?? {};
    const labelled = Object.entries(want).every(([k, v]) => have[k] === v);
    const manager = (create.object as { __fieldManager?: unknown }).__fieldManager;
    const managers = (live.metadata?.managedFields ?? []).map((f) => f.manager ?? "");
    return (
        labelled &&
        (typeof manager === "string" ? managers.includes(manager) : providerWrote(managers))
    );
}

async function read(
    objects: k8s.KubernetesObjectApi,
    create: PendingCreate,
): Promise<k8s.KubernetesObject | undefined> {
    const { object, name, namespace } = create;
    try {
        return await objects.read({
            apiVersion: object.apiVersion,
            kind: object.kind,
            metadata: { name, namespace },
        });
    } catch (error) {
        if ((error as { code?: number }).code === 404) return undefined;
        throw error;
    }
}

/**
 * Unlocks the stack and resolves its pending creates against the cluster. Returns what it
 * tracked again, what it dropped as never created, and what it left alone as someone else's
 * (an object of that name that the killed run did not make), for the user.
 */
export async function recover(
    stack: Stack,
    admin: k8s.KubeConfig,
    onOutput: (out: string) => void,
    reader: ClusterReader,
    signal?: AbortSignal,
): Promise<{ tracked: string[]; dropped: string[]; foreign: string[] }> {
    await stack.cancel();
    const objects = kubeClient().KubernetesObjectApi.makeApiClient(admin);
    const state: Deployment = await stack.exportStack();
    // The refresh reads each tracked object by name and records what it finds: an object made
    // since under the name of one the stack lost, or on the cluster the context names now, would
    // become the stack's.
    await refuseReplacedObjects(reader, stateObjects(state.deployment));
    const tracked: PendingCreate[] = [];
    const dropped: PendingCreate[] = [];
    const foreign: PendingCreate[] = [];
    for (const create of pendingCreates(state.deployment)) {
        const live = await read(objects, create);
        if (!live) dropped.push(create);
        else (madeByPendingCreate(create, live) ? tracked : foreign).push(create);
    }
    if (tracked.length) {
        // Unlocked since the cancel: a run that began since then (a teammate's, on a shared
        // backend) would lose its state to this import. Checked again just before it.
        const now: Deployment = await stack.exportStack();
        if (JSON.stringify(now.deployment) !== JSON.stringify(state.deployment)) {
            throw new Error(
                `Stack ${stack.name} changed while recover read it (another run started?): ` +
                    "nothing was imported. Run `npm run recover` again once no other run is going.",
            );
        }
        await stack.importStack({
            ...state,
            deployment: adoptPendingCreates(state.deployment, tracked),
        });
    }
    await stack.refresh({ onOutput, clearPendingCreates: true, signal });
    const describe = (c: PendingCreate): string => `${c.object.kind} ${c.id}`;
    return {
        tracked: tracked.map(describe),
        dropped: dropped.map(describe),
        foreign: foreign.map(describe),
    };
}
