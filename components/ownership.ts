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
 * - before a create: the object must not exist yet.
 * - before an update or a delete: the object of that kind and name, if there is one, must be the
 *   one the stack created (its uid, recorded in the state). The provider updates and deletes by
 *   name: after `kubectl delete ns my-ns` and the walk-through made again by hand, or with the kube
 *   context now naming another cluster, it would take over or delete objects that only share the
 *   names. Drift repair of the stack's own objects (a Role edited with kubectl) still works.
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

/** How a user confirms that a namespace goes with what others put in it. */
const CONFIRM_DELETE =
    "the command again with --delete-foreign (npm run down -- --delete-foreign; npm run up -- " +
    `--delete-foreign where up removes a workload; ${DELETE_FOREIGN_ENV}=true for pulumi up or ` +
    "pulumi destroy --run-program).";

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
            (found.some((o) => !adoptable(o))
                ? " Not a Pod that no Pulumi run made: its spec cannot change once it runs, so " +
                  "delete it yourself either way."
                : "") +
            (byPulumi
                ? "\nIf an interrupted `npm run up` of this stack made them, run `npm run recover`, " +
                  "which tracks again what the run's pending creates made. One it leaves (written " +
                  "by pulumi-kubernetes-*, with this workload's labels: Ctrl-C cut its create's " +
                  "answer short, so the run recorded no create) is taken back by one `up` with " +
                  "adoptExisting: true."
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
    // Read as the program registers the hook: its callback runs outside the program's context,
    // where the SDK reads no run's settings.
    dryRun: boolean = pulumi.runtime.isDryRun(),
): pulumi.ResourceHook {
    return new pulumi.ResourceHook(
        hookName,
        async () => {
            const found = await existingObjects(reader, planned, newNamespaces);
            // A preview runs a replacement's create (the Pod's, for a new image) while the object
            // it replaces is still there, which `up` deletes first: one a Pulumi run made is taken
            // to be that one here, and `up` checks again after the delete.
            const refused = dryRun ? found.filter((o) => !madeByPulumiRun(o)) : found;
            if (refused.length) throw foreignObjectsError(workload, refused);
        },
        // A preview says so too, instead of promising a create that would take an object over.
        { onDryRun: true },
    );
}

/**
 * Whether one of an object's field managers is pulumi-kubernetes's (4.x, server-side apply), which
 * names one for each create: `pulumi-kubernetes-<random>`.
 */
export function providerWrote(managers: readonly string[]): boolean {
    return managers.some((m) => /^pulumi-kubernetes-/.test(m));
}

/** Whether `o` carries the labels the component gives and a pulumi-kubernetes create wrote it. */
function madeByPulumiRun(o: LiveObject): boolean {
    return o.labels["app.kubernetes.io/managed-by"] === "pulumi" && providerWrote(o.managers);
}

/**
 * Whether adoptExisting can take `o` over: anything but a Pod that no Pulumi run wrote. A Pod's
 * spec cannot change once it runs (the API server refuses other containers, volumes, security
 * settings), so taking over one made by hand fails, after the rest has been taken over; one a
 * run of pulumi-kubernetes made (this stack's, its create cut short by Ctrl-C) has this spec.
 */
export function adoptable(o: LiveObject): boolean {
    return o.kind !== "Pod" || providerWrote(o.managers);
}

/** The error for a Pod that adoptExisting would take over and cannot (see adoptable()). */
export function unadoptablePodError(
    workload: string,
    pod: LiveObject,
    kubeContext?: string,
): Error {
    const kubectl = kubeContext ? `kubectl --context ${kubeContext}` : "kubectl";
    return new Error(
        `Workload "${workload}": adoptExisting takes over the objects that exist, but not this ` +
            `Pod, which no Pulumi run made: ${displayRef(pod)} (${describeOwner(pod)}). A Pod's ` +
            "spec cannot change once it runs (the API server refuses other containers, volumes " +
            "and security settings), so taking it over would fail after the other objects were " +
            "taken over; nothing was created or changed.\n" +
            `Fix: delete it yourself (${kubectl} delete pod ${pod.name} -n ${pod.namespace ?? ""}) ` +
            "and run the command again, or give the workload another podName.",
    );
}

/**
 * A hook that fails the create of the workload's Pod, where it adopts existing objects, while a
 * Pod of that name exists that it cannot take over (see adoptable()). On the namespace too, so it
 * fails before anything is taken over.
 */
export function refuseUnadoptablePodHook(
    hookName: string,
    workload: string,
    reader: ClusterReader,
    pods: readonly PlannedObject[],
    kubeContext?: string,
): pulumi.ResourceHook {
    return new pulumi.ResourceHook(
        hookName,
        async () => {
            const found = await Promise.all(pods.map((p) => reader.read(p)));
            const pod = found.find((o) => o !== undefined && !adoptable(o));
            if (pod) throw unadoptablePodError(workload, pod, kubeContext);
        },
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
    own: readonly RecordedObject[] = [],
): LiveObject[] {
    const key = (r: ObjectRef) => `${r.kind}/${r.namespace ?? ""}/${r.name}`;
    const ours = new Map(own.map((r) => [key(r), r.uid]));
    // The stack's by name, and by uid where the state recorded one: an object made since under
    // the name of one the stack created (and lost) is someone else's.
    const isOurs = (o: LiveObject): boolean => {
        if (!ours.has(key(o))) return false;
        const uid = ours.get(key(o));
        return uid === undefined || uid === o.uid;
    };
    const uids = new Set(objects.flatMap((o) => (o.uid ? [o.uid] : [])));
    return objects.filter((o) => !madeByCluster(o, uids) && !isOurs(o));
}

/**
 * Refuses to delete `namespace`, as its `contents` stand, when it holds anything but `own` (the
 * stack's objects) and the cluster's, or anything that could not be listed: deleting the namespace
 * would delete those too, whoever made them.
 */
export function refuseNamespaceDelete(
    namespace: string,
    contents: NamespaceContents,
    own: readonly RecordedObject[] = [],
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
            `again; or confirm that whatever they hold goes with the namespace: ${CONFIRM_DELETE}`,
    );
}

/** The error for a namespace that holds objects the stack did not create. */
export function foreignInNamespaceError(namespace: string, foreign: readonly LiveObject[]): Error {
    return new Error(
        `Namespace ${namespace} holds objects this stack did not create; deleting the namespace ` +
            "would delete them, so it was not deleted:\n" +
            foreign.map((o) => `  - ${displayRef(o)} (${describeOwner(o)})`).join("\n") +
            "\nFix: move or delete them yourself, or confirm that they go with the namespace: " +
            CONFIRM_DELETE,
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

/** A stack object as its state records it: which object, and the uid of the one it created. */
export interface RecordedObject extends ObjectRef {
    /** Unset where the state has none (an entry that recover wrote, until its refresh). */
    readonly uid?: string;
    /** The URN of its state entry, where known (for the way out the error names). */
    readonly urn?: string;
}

/** The object recorded in a resource's outputs (a Kubernetes object), if they name one. */
export function recordedObject(
    outputs: Record<string, unknown> | undefined,
    urn?: string,
): RecordedObject | undefined {
    const o = outputs as
        | {
              apiVersion?: string;
              kind?: string;
              metadata?: { name?: string; namespace?: string; uid?: string };
          }
        | undefined;
    const name = o?.metadata?.name;
    if (!o?.apiVersion || !o.kind || !name) return undefined;
    const { namespace, uid } = o.metadata ?? {};
    return {
        apiVersion: o.apiVersion,
        kind: o.kind,
        name,
        ...(namespace ? { namespace } : {}),
        ...(uid ? { uid } : {}),
        ...(urn ? { urn } : {}),
    };
}

/** An object that has the name of one the stack recorded, but not its uid. */
interface Replaced {
    readonly live: LiveObject;
    readonly recorded: RecordedObject;
}

/** Objects that only share the names of the stack's own (see refuseReplacedObjects). */
export class ReplacedObjectsError extends Error {}

/**
 * Throws a ReplacedObjectsError, naming them, their uids and the way out, if live objects have
 * the names of `recorded` objects but not their uids: the stack's were deleted and these made
 * since (by hand, by another tool), or the kube context names another cluster now. The stack
 * updates and deletes by name, so it would take over or delete them. Objects gone, or recorded
 * without a uid, pass.
 */
export async function refuseReplacedObjects(
    reader: ClusterReader,
    recorded: readonly RecordedObject[],
): Promise<void> {
    const found = await Promise.all(
        recorded.map(async (r): Promise<Replaced | undefined> => {
            if (!r.uid) return undefined;
            const live = await reader.read(r);
            return live?.uid && live.uid !== r.uid ? { live, recorded: r } : undefined;
        }),
    );
    const replaced = found.filter((o) => o !== undefined);
    if (replaced.length) throw replacedObjectsError(replaced);
}

function replacedObjectsError(found: readonly Replaced[]): ReplacedObjectsError {
    const urns = found.flatMap((f) => (f.recorded.urn ? [`'${f.recorded.urn}'`] : []));
    return new ReplacedObjectsError(
        `${found.length === 1 ? "This object has" : "These objects have"} the name of an object ` +
            "this stack created, but not its uid: the stack's was deleted and this one made since " +
            "(by hand, by another tool), or the kube context names another cluster now. The " +
            "stack updates and deletes by name, so it would take over or delete someone else's " +
            "object; nothing was changed or deleted:\n" +
            found
                .map(
                    ({ live, recorded }) =>
                        `  - ${displayRef(live)}: uid ${live.uid ?? "?"}, the stack's was ` +
                        `${recorded.uid} (${describeOwner(live)})`,
                )
                .join("\n") +
            "\nFix: if the kube context changed, switch back to the stack's cluster. Otherwise, " +
            "if it may go, delete it yourself and run the command again; to keep it, make the " +
            "stack forget its own deleted object" +
            (urns.length
                ? `: pulumi state delete --target-dependents ${urns.join(" ")}`
                : " (pulumi state delete --target-dependents with its URN)") +
            " in the repository, with the stack's backend and passphrase (PULUMI_BACKEND_URL, " +
            "PULUMI_CONFIG_PASSPHRASE_FILE: for the project's own, file://<absolute repository path>/.pulumi, " +
            "on Windows file:///C:/<repository path>/.pulumi, and .pulumi/passphrase), or give " +
            "the workload other names.",
    );
}

// One hook of each name per program run: hooks are registered with the engine under their name,
// once, and a delete hook is looked up by the name stored with the resource, so a workload
// removed from the config is still checked. Each workload's objects are read on its own cluster:
// the hook finds the workload by the resource's name (`<workload>-<kind>`); one no longer in the
// program is read on the first workload's (the program gives every workload one kube context).
interface RunHooks {
    readonly hooks: Map<string, pulumi.ResourceHook>;
    readonly readers: Map<string, ClusterReader>;
}
const hooksOfRun = new WeakMap<object, RunHooks>();

/** The reader of the workload whose object `resource` names: the longest workload name it begins. */
function readerOf(run: RunHooks, resource: string | undefined): ClusterReader {
    let found: [string, ClusterReader] | undefined;
    for (const [workload, reader] of run.readers) {
        const mine = resource?.startsWith(`${workload}-`) ?? false;
        if (mine && workload.length > (found?.[0].length ?? -1)) found = [workload, reader];
    }
    return found?.[1] ?? run.readers.values().next().value!;
}

function oncePerRun(
    name: string,
    workload: string,
    reader: ClusterReader,
    check: (reader: ClusterReader, args: pulumi.ResourceHookArgs) => Promise<void>,
    opts: pulumi.ResourceHookOptions,
): pulumi.ResourceHook {
    const key = pulumi.runtime.getStackResource() ?? {};
    const run: RunHooks = hooksOfRun.get(key) ?? {
        hooks: new Map<string, pulumi.ResourceHook>(),
        readers: new Map<string, ClusterReader>(),
    };
    hooksOfRun.set(key, run);
    run.readers.set(workload, reader);
    const hook =
        run.hooks.get(name) ??
        new pulumi.ResourceHook(name, (args) => check(readerOf(run, args.name), args), opts);
    run.hooks.set(name, hook);
    return hook;
}

/**
 * The hook that refuses to update or delete an object that is not the one the stack created, on
 * its workload's cluster (`reader`, for `workload`'s objects).
 */
export function sameObjectCheck(reader: ClusterReader, workload = ""): pulumi.ResourceHook {
    return oncePerRun(
        "sa-workload-same-object",
        workload,
        reader,
        async (cluster, { oldOutputs, urn }) => {
            const recorded = recordedObject(oldOutputs, urn);
            if (recorded) await refuseReplacedObjects(cluster, [recorded]);
        },
        // A preview says so too: the stack's own objects are there to compare with.
        { onDryRun: true },
    );
}

/**
 * The hook that refuses to delete a namespace holding objects the stack did not create. Its name
 * is the same in every run, so a namespace whose workload was removed from the config is still
 * guarded.
 */
export function namespaceGuard(reader: ClusterReader, workload = ""): pulumi.ResourceHook {
    return oncePerRun(
        "sa-workload-namespace-guard",
        workload,
        reader,
        async (cluster, { oldOutputs }) => {
            const ns = (oldOutputs?.metadata as { name?: string } | undefined)?.name;
            if (ns) await checkNamespaceBeforeDelete(cluster, ns);
        },
        // Not in previews: until the deletes before it have run, the stack's own objects are
        // still in the namespace, and this hook cannot tell them from anyone else's.
        { onDryRun: false },
    );
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
 * workload adopts existing objects), one before its update and its delete that it is still the
 * object the stack created, and on the namespace the guard before its delete.
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
        // Adopting, only a Pod is still checked: first with the namespace, before any take-over.
        const pods = mine.filter((p) => p.kind === "Pod");
        const beforeCreate = !names.adopt
            ? [refuseForeignHook(hookName, workload, reader, mine, newNamespaces)]
            : pods.length
              ? [
                    refuseUnadoptablePodHook(
                        `${workload}-${kind.toLowerCase()}-pod-adoptable`,
                        workload,
                        reader,
                        pods,
                        names.kubeContext,
                    ),
                ]
              : [];
        return {
            ...(beforeCreate.length ? { beforeCreate } : {}),
            beforeUpdate: [sameObjectCheck(reader, workload)],
            beforeDelete: [
                sameObjectCheck(reader, workload),
                ...(kind === "Namespace" ? [namespaceGuard(reader, workload)] : []),
            ],
        };
    };
}
