/**
 * Never take over, never delete, what the stack did not create.
 *
 * The Kubernetes provider this project builds (4.25) creates with server-side apply, which updates
 * an object that already exists instead of failing, and `pulumi.com/patchForce` would win every
 * field conflict: a `kubectl create ns my-ns` made before the first `up` would silently become the
 * stack's, and `down` would delete it with everything in it. These resource hooks run in the
 * program itself (so under a plain `pulumi up` too, and in previews) before the engine creates or
 * deletes an object:
 *
 * - before a create: the object must not exist yet. Updates are not checked, so drift repair of
 *   the stack's own objects (a Role edited with kubectl) still works.
 * - before a namespace is deleted: everything of the stack's in it has been deleted already, so
 *   whatever else is there (past what the cluster itself makes) is someone else's, and deleting
 *   the namespace would delete it. Delete hooks make a plain `pulumi destroy` refuse to run
 *   without `--run-program`, which is what lets this check run there too.
 */
import * as pulumi from "@pulumi/pulumi";

import {
    ClusterReader,
    clusterReader,
    displayRef,
    LiveObject,
    NamespaceContents,
    ObjectRef,
} from "./live-objects";

/** Set to "true" to let a namespace be deleted with objects in it that the stack did not create. */
export const DELETE_FOREIGN_ENV = "SA_WORKLOAD_DELETE_FOREIGN";

/** An object the workload is about to create, and the argument that names it. */
export interface PlannedObject extends ObjectRef {
    /** The workload argument that names it, e.g. "serviceAccountName". */
    readonly arg: string;
}

/** Labels, field managers and age: whatever says who made an object. */
export function describeOwner(o: LiveObject): string {
    const labels = Object.entries(o.labels).map(([k, v]) => `${k}=${v}`);
    return [
        `labels: ${labels.length ? labels.join(", ") : "none"}`,
        `written by: ${o.managers.length ? o.managers.join(", ") : "not recorded"}`,
        ...(o.created ? [`created ${o.created}`] : []),
    ].join("; ");
}

/** The error for objects that exist before the workload creates them. */
export function foreignObjectsError(workload: string, found: readonly LiveObject[]): Error {
    const args = [...new Set(found.map((o) => (o as Partial<PlannedObject>).arg ?? "name"))];
    const byPulumi = found.some((o) => o.labels["app.kubernetes.io/managed-by"] === "pulumi");
    return new Error(
        `Workload "${workload}": ${found.length === 1 ? "this object exists" : "these objects exist"} ` +
            "already and this stack did not create " +
            `${found.length === 1 ? "it" : "them"}; up never takes over what it did not create, ` +
            "so nothing was created or changed:\n" +
            found.map((o) => `  - ${displayRef(o)} (${describeOwner(o)})`).join("\n") +
            `\nFix: give the workload other names (${args.join(", ")} in sa-workload:workloads), ` +
            "or delete them yourself, or take them over on purpose with adoptExisting: true on " +
            "the workload: the stack then owns them, and `npm run down` deletes them (a namespace " +
            "with everything in it)." +
            (byPulumi
                ? "\nIf an interrupted `npm run up` of this stack made them, run `npm run recover`, " +
                  "which tracks them again."
                : ""),
    );
}

/**
 * Looks up the planned objects; those that exist, each with the argument that names it. Planned
 * namespaces come first, and nothing is looked up inside one that does not exist or that is in
 * `newNamespaces`: those that do not exist are added to it, since the stack creates them next
 * and, until then, they hold nothing.
 */
export async function existingObjects(
    reader: ClusterReader,
    planned: readonly PlannedObject[],
    newNamespaces = new Set<string>(),
): Promise<(LiveObject & PlannedObject)[]> {
    const lookUp = (list: readonly PlannedObject[]) =>
        Promise.all(
            list.map(async (p) => {
                const live = await reader.read(p);
                return live && { ...live, arg: p.arg };
            }),
        );
    const namespaces = planned.filter((p) => p.kind === "Namespace");
    const foundNamespaces = await lookUp(namespaces);
    namespaces.forEach((n, i) => {
        if (!foundNamespaces[i]) newNamespaces.add(n.name);
    });
    const rest = planned.filter(
        (p) => p.kind !== "Namespace" && !newNamespaces.has(p.namespace ?? ""),
    );
    const found = [...foundNamespaces, ...(await lookUp(rest))];
    return found.filter((o) => o !== undefined);
}

/**
 * A hook that fails the create of any of `planned` while one of them exists. On the namespace it
 * checks every object of the workload, so that a walk-through's leftovers are all named at once;
 * a namespace that check found missing joins `newNamespaces`, and the checks of the objects
 * created in it afterwards ask the API server nothing.
 */
export function refuseForeignHook(
    hookName: string,
    workload: string,
    reader: ClusterReader,
    planned: readonly PlannedObject[],
    newNamespaces = new Set<string>(),
): pulumi.ResourceHook {
    return new pulumi.ResourceHook(
        hookName,
        async () => {
            const found = await existingObjects(reader, planned, newNamespaces);
            if (found.length) throw foreignObjectsError(workload, found);
        },
        // A preview says so too, instead of promising a create that would take an object over.
        { onDryRun: true },
    );
}

/**
 * Objects of a namespace that nobody made by hand: the cluster's own, those already going, and
 * those owned by an object listed beside them (`uids`), which goes with its owner and is named
 * through it. An owner elsewhere (a cluster-scoped object) does not make an object the cluster's.
 */
export function madeByCluster(o: LiveObject, uids: ReadonlySet<string>): boolean {
    return (
        (o.ownerUids ?? []).some((uid) => uids.has(uid)) ||
        o.deleting ||
        (o.kind === "ConfigMap" && o.name === "kube-root-ca.crt") ||
        (o.kind === "ServiceAccount" && o.name === "default")
    );
}

/** What deleting `namespace` would delete that is neither the stack's (`own`) nor the cluster's. */
export function foreignInNamespace(
    objects: readonly LiveObject[],
    own: readonly ObjectRef[] = [],
): LiveObject[] {
    const ours = new Set(own.map((r) => `${r.kind}/${r.namespace ?? ""}/${r.name}`));
    const uids = new Set(objects.flatMap((o) => (o.uid ? [o.uid] : [])));
    return objects.filter(
        (o) => !madeByCluster(o, uids) && !ours.has(`${o.kind}/${o.namespace ?? ""}/${o.name}`),
    );
}

/**
 * Refuses to delete `namespace`, as its `contents` stand, when it holds anything but `own` (the
 * stack's objects) and the cluster's, or anything that could not be listed: deleting the namespace
 * would delete those too, whoever made them.
 */
export function refuseNamespaceDelete(
    namespace: string,
    contents: NamespaceContents,
    own: readonly ObjectRef[] = [],
): void {
    const foreign = foreignInNamespace(contents.objects, own);
    if (foreign.length) throw foreignInNamespaceError(namespace, foreign);
    if (!contents.unlisted.length) return;
    throw new Error(
        `Namespace ${namespace} could not be checked for objects this stack did not create, so ` +
            "it was not deleted (deleting it would delete every object in it, whoever made it); " +
            "these could not be listed:\n" +
            contents.unlisted.map((k) => `  - ${k}`).join("\n") +
            "\nFix: make them listable (`kubectl get apiservices` names an API that does not " +
            `answer; \`kubectl auth can-i list KIND -n ${namespace}\` a permission), then run it ` +
            "again; or confirm that whatever they hold goes with the namespace: " +
            `npm run down -- --delete-foreign (or set ${DELETE_FOREIGN_ENV}=true for pulumi destroy --run-program).`,
    );
}

/** The error for a namespace that holds objects the stack did not create. */
export function foreignInNamespaceError(namespace: string, foreign: readonly LiveObject[]): Error {
    return new Error(
        `Namespace ${namespace} holds objects this stack did not create; deleting the namespace ` +
            "would delete them, so it was not deleted:\n" +
            foreign.map((o) => `  - ${displayRef(o)} (${describeOwner(o)})`).join("\n") +
            "\nFix: move or delete them yourself, or confirm that they go with the namespace: " +
            `npm run down -- --delete-foreign (or set ${DELETE_FOREIGN_ENV}=true for pulumi destroy --run-program).`,
    );
}

/**
 * What the namespace guard checks once the stack's own objects in `namespace` are gone: anything
 * left there but the cluster's own, or anything it could not list, stops the delete, unless
 * SA_WORKLOAD_DELETE_FOREIGN=true confirms that it goes with the namespace.
 */
export async function checkNamespaceBeforeDelete(
    reader: ClusterReader,
    namespace: string,
): Promise<void> {
    if (process.env[DELETE_FOREIGN_ENV] === "true") return;
    refuseNamespaceDelete(namespace, await reader.listNamespace(namespace));
}

// One guard per program run: hooks are registered with the engine under their name, once.
const guards = new WeakMap<object, pulumi.ResourceHook>();
const GUARD_NAME = "sa-workload-namespace-guard";

/**
 * The hook that refuses to delete a namespace holding objects the stack did not create. Its name
 * is the same in every run, so a namespace whose workload was removed from the config is still
 * guarded (the engine looks a delete hook up by the name stored with the resource).
 */
export function namespaceGuard(reader: ClusterReader): pulumi.ResourceHook {
    const run = pulumi.runtime.getStackResource() ?? {};
    let guard = guards.get(run);
    if (!guard) {
        guard = new pulumi.ResourceHook(
            GUARD_NAME,
            async ({ oldOutputs }) => {
                const name = (oldOutputs?.metadata as { name?: string } | undefined)?.name;
                if (name) await checkNamespaceBeforeDelete(reader, name);
            },
            // Not in previews: until the deletes before it have run, the stack's own objects are
            // still in the namespace, and this hook cannot tell them from anyone else's.
            { onDryRun: false },
        );
        guards.set(run, guard);
    }
    return guard;
}

/** The names of one workload's objects, and whether it takes over objects that exist. */
export interface WorkloadNames {
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly pod: string;
    readonly legacySecret: boolean;
    readonly adopt: boolean;
    readonly kubeContext?: string;
}

/** Every object the workload creates, by kind and name, with the argument that names it. */
export function plannedObjects(n: WorkloadNames): PlannedObject[] {
    const [rbac, arg, namespace] = [
        "rbac.authorization.k8s.io/v1",
        "serviceAccountName",
        n.namespace,
    ];
    const name = n.serviceAccount;
    return [
        { apiVersion: "v1", kind: "Namespace", name: namespace, arg: "namespace" },
        { apiVersion: "v1", kind: "ServiceAccount", namespace, name, arg },
        { apiVersion: rbac, kind: "Role", namespace, name, arg },
        { apiVersion: rbac, kind: "RoleBinding", namespace, name, arg },
        ...(n.legacySecret
            ? [{ apiVersion: "v1", kind: "Secret", namespace, name: `${name}-token`, arg }]
            : []),
        { apiVersion: "v1", kind: "Pod", namespace, name: n.pod, arg: "podName" },
    ];
}

/**
 * The hooks of each of a workload's objects, by kind: a check before its create (none once the
 * workload adopts existing objects), and on the namespace the guard before its delete.
 */
export function ownershipHooks(
    workload: string,
    names: WorkloadNames,
    reader: ClusterReader = clusterReader(names.kubeContext),
): (kind: string) => pulumi.ResourceHookBinding {
    const planned = plannedObjects(names);
    const newNamespaces = new Set<string>();
    return (kind) => {
        // The namespace's check covers everything, and finds a new namespace empty for the rest.
        const mine = kind === "Namespace" ? planned : planned.filter((p) => p.kind === kind);
        const hookName = `${workload}-${kind.toLowerCase()}-not-foreign`;
        return {
            ...(names.adopt
                ? {}
                : {
                      beforeCreate: [
                          refuseForeignHook(hookName, workload, reader, mine, newNamespaces),
                      ],
                  }),
            ...(kind === "Namespace" ? { beforeDelete: [namespaceGuard(reader)] } : {}),
        };
    };
}
