/**
 * Reads what the cluster already holds, through the kubeconfig the Kubernetes provider uses by
 * default (KUBECONFIG, else ~/.kube/config) at the given context, else the current one. The client
 * library is loaded on first use, so a program that never checks pays nothing for it.
 */
import type * as k8s from "@kubernetes/client-node";

import { kubeClient, loadKubeConfig } from "./kube-context";

/** Which object: the parts of a Kubernetes object reference this project needs. */
export interface ObjectRef {
    readonly apiVersion: string;
    readonly kind: string;
    /** Unset for cluster-scoped objects (a Namespace). */
    readonly namespace?: string;
    readonly name: string;
}

/** An object as found in the cluster: what says who made it. */
export interface LiveObject extends ObjectRef {
    readonly labels: Readonly<Record<string, string>>;
    /** The field managers that wrote it (e.g. kubectl-create, pulumi-kubernetes-1a2b3c4d). */
    readonly managers: readonly string[];
    readonly created?: string;
    /** Its own uid, which its dependents' ownerReferences name. */
    readonly uid?: string;
    /** The uids of the objects that own it (it goes when its owners go). @default none */
    readonly ownerUids?: readonly string[];
    /** Whether it is already being deleted. */
    readonly deleting: boolean;
}

/** What is in a namespace, and the kinds (or API groups) that could not be listed, and why. */
export interface NamespaceContents {
    readonly objects: readonly LiveObject[];
    readonly unlisted: readonly string[];
}

/** Reads objects from one cluster. */
export interface ClusterReader {
    /** The object, or undefined when there is none of that kind and name. */
    read(ref: ObjectRef): Promise<LiveObject | undefined>;
    /** Every listable object in a namespace (events and metrics left out: nobody owns them). */
    listNamespace(namespace: string): Promise<NamespaceContents>;
}

/** `kind/name` or `kind namespace/name`, as people read it. */
export function displayRef(ref: ObjectRef): string {
    return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}

// Derived or generated records that no person makes and no stack should count.
const UNOWNED_GROUPS = new Set(["events.k8s.io", "metrics.k8s.io"]);
const UNOWNED_CORE_KINDS = new Set(["Event", "Binding"]);

function toLiveObject(o: k8s.KubernetesObject, fallback: ObjectRef): LiveObject {
    const m = o.metadata ?? {};
    return {
        apiVersion: o.apiVersion ?? fallback.apiVersion,
        kind: o.kind ?? fallback.kind,
        namespace: m.namespace,
        name: m.name ?? fallback.name,
        labels: m.labels ?? {},
        managers: [...new Set((m.managedFields ?? []).map((f) => f.manager ?? "?"))],
        created: m.creationTimestamp ? new Date(m.creationTimestamp).toISOString() : undefined,
        uid: m.uid,
        ownerUids: (m.ownerReferences ?? []).map((r) => r.uid),
        deleting: m.deletionTimestamp !== undefined,
    };
}

/** A reader for the cluster of `context` (the kubeconfig's current context when unset). */
export function clusterReader(context?: string): ClusterReader {
    let loaded: { lib: typeof k8s; config: k8s.KubeConfig } | undefined;
    const client = () => {
        if (loaded) return loaded;
        const config = loadKubeConfig(context);
        if (!config) throw new Error(`no kube context ${context ?? "is selected"}`);
        return (loaded = { lib: kubeClient(), config });
    };

    return {
        async read(ref) {
            const { lib, config } = client();
            const objects = lib.KubernetesObjectApi.makeApiClient(config);
            try {
                const o = await objects.read({
                    apiVersion: ref.apiVersion,
                    kind: ref.kind,
                    metadata: { name: ref.name, namespace: ref.namespace },
                });
                return toLiveObject(o, ref);
            } catch (error) {
                if ((error as { code?: number }).code === 404) return undefined;
                throw error;
            }
        },

        async listNamespace(namespace) {
            const { lib, config } = client();
            const unlisted: string[] = [];
            const kinds = await namespacedKinds(lib, config, unlisted);
            const objects = lib.KubernetesObjectApi.makeApiClient(config);
            const lists = await Promise.all(
                kinds.map(async ({ apiVersion, kind }) => {
                    try {
                        const list = await objects.list(apiVersion, kind, namespace);
                        return list.items.map((o) =>
                            toLiveObject(o, { apiVersion, kind, namespace, name: "?" }),
                        );
                    } catch (error) {
                        // A kind removed since discovery holds nothing.
                        if ((error as { code?: number }).code === 404) return [];
                        unlisted.push(`${kind} (${apiVersion}): ${reason(error)}`);
                        return [];
                    }
                }),
            );
            return { objects: lists.flat(), unlisted };
        },
    };
}

/** Why a call failed, in a few words: the HTTP status the API server gave, else the error. */
function reason(error: unknown): string {
    const code = (error as { code?: number }).code;
    if (code === 403) return "forbidden to your credentials";
    if (code !== undefined) return `the API server answered ${code}`;
    return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

/**
 * Every kind that lives in namespaces and can be listed, one API version each; an API group whose
 * kinds could not be read is added to `unlisted`.
 */
async function namespacedKinds(
    lib: typeof k8s,
    config: k8s.KubeConfig,
    unlisted: string[],
): Promise<{ apiVersion: string; kind: string }[]> {
    const core = await config.makeApiClient(lib.CoreV1Api).getAPIResources();
    const groups = await config.makeApiClient(lib.ApisApi).getAPIVersions();
    const custom = config.makeApiClient(lib.CustomObjectsApi);
    const groupLists = await Promise.all(
        groups.groups
            .filter((g) => !UNOWNED_GROUPS.has(g.name) && g.preferredVersion)
            .map(async (g) => {
                const [group, version] = g.preferredVersion!.groupVersion.split("/");
                try {
                    return await custom.getAPIResources({ group, version });
                } catch (error) {
                    // An aggregated API that does not answer: its kinds are unknown, not absent.
                    unlisted.push(
                        `every kind of ${g.preferredVersion!.groupVersion}: ${reason(error)}`,
                    );
                    return undefined;
                }
            }),
    );
    const kinds: { apiVersion: string; kind: string }[] = [];
    for (const list of [core, ...groupLists]) {
        for (const r of list?.resources ?? []) {
            if (!r.namespaced || r.name.includes("/") || !r.verbs.includes("list")) continue;
            if (list === core && UNOWNED_CORE_KINDS.has(r.kind)) continue;
            kinds.push({ apiVersion: list!.groupVersion, kind: r.kind });
        }
    }
    return kinds;
}
