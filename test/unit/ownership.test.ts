import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { ClusterReader, LiveObject, ObjectRef } from "../../components/live-objects";
import {
    checkNamespaceBeforeDelete,
    DELETE_FOREIGN_ENV,
    describeOwner,
    existingObjects,
    foreignInNamespace,
    foreignInNamespaceError,
    foreignObjectsError,
    ownershipHooks,
    refuseForeignHook,
    PlannedObject,
    plannedObjects,
    sameObjectCheck,
    WorkloadNames,
} from "../../components/ownership";
import { refuseForeignBeforeDown, stateObjects } from "../../scripts/lib/foreign";
import { CORE_API, withKubeContexts } from "../helpers/fake-api-server";
import { hookBindings, registrations } from "../helpers/mocks";
import { only, TYPES } from "../helpers/outputs";
import { newWorkload } from "../helpers/workload";

const live = (ref: ObjectRef, more: Partial<LiveObject> = {}): LiveObject => ({
    ...ref,
    labels: {},
    managers: ["kubectl-create"],
    created: "2026-11-30T08:00:00.000Z",
    deleting: false,
    ...more,
});

const names: WorkloadNames = {
    namespace: "my-ns",
    serviceAccount: "my-sa",
    pod: "my-pod",
    legacySecret: false,
    adopt: false,
};

/** Runs a binding's create checks as the engine does before a create. */
async function runBeforeCreate(binding: pulumi.ResourceHookBinding): Promise<void> {
    for (const hook of binding.beforeCreate ?? []) {
        const run = pulumi.ResourceHook.isInstance(hook) ? hook.callback : hook;
        await run({} as pulumi.ResourceHookArgs);
    }
}

const ns = (name: string): ObjectRef => ({ apiVersion: "v1", kind: "Namespace", name });
const sa = (namespace: string, name: string): ObjectRef => ({
    apiVersion: "v1",
    kind: "ServiceAccount",
    namespace,
    name,
});

/**
 * A cluster holding exactly `objects`; `reads` collects every object looked up; `unlisted` are
 * the kinds its listings could not read.
 */
function fakeCluster(
    objects: LiveObject[],
    reads: ObjectRef[] = [],
    unlisted: string[] = [],
): ClusterReader {
    const key = (r: ObjectRef) => `${r.kind}/${r.namespace ?? ""}/${r.name}`;
    return {
        read: (ref) => {
            reads.push(ref);
            return Promise.resolve(objects.find((o) => key(o) === key(ref)));
        },
        listNamespace: (namespace) =>
            Promise.resolve({
                objects: objects.filter((o) => o.namespace === namespace),
                unlisted,
            }),
    };
}

describe("ownership: objects the stack did not create", () => {
    it("describes who made an object by its labels, field managers and age", () => {
        const text = describeOwner(
            live(ns("my-ns"), {
                labels: { team: "a" },
                managers: ["kubectl-create", "kubectl-label"],
            }),
        );
        assert.equal(
            text,
            "labels: team=a; written by: kubectl-create, kubectl-label; created 2026-11-30T08:00:00.000Z",
        );
    });

    it("finds each planned object that exists, keeping the argument that names it", async () => {
        const planned: PlannedObject[] = [
            { ...ns("my-ns"), arg: "namespace" },
            { ...sa("my-ns", "my-sa"), arg: "serviceAccountName" },
        ];
        const cluster = fakeCluster([live(ns("my-ns")), live(sa("my-ns", "my-sa"))]);
        const found = await existingObjects(cluster, planned);
        assert.deepEqual(
            found.map((o) => [o.kind, o.name, o.arg]),
            [
                ["Namespace", "my-ns", "namespace"],
                ["ServiceAccount", "my-sa", "serviceAccountName"],
            ],
        );
    });

    it("looks nothing up inside a planned namespace that does not exist", async () => {
        const reads: ObjectRef[] = [];
        const planned = plannedObjects(names);
        const found = await existingObjects(fakeCluster([live(ns("other"))], reads), planned);
        assert.deepEqual(found, []);
        assert.deepEqual(reads, [planned[0]]);
    });

    it("checks a workload once, on its new namespace, not again before each object in it", async () => {
        const reads: ObjectRef[] = [];
        const hooks = ownershipHooks("my-ns", names, fakeCluster([], reads));
        await runBeforeCreate(hooks("Namespace"));
        assert.deepEqual(
            reads.map((r) => r.kind),
            ["Namespace"],
        );
        for (const kind of ["ServiceAccount", "Role", "RoleBinding", "Pod"]) {
            await runBeforeCreate(hooks(kind));
        }
        assert.equal(reads.length, 1, "an object in the new namespace was looked up again");
    });

    it("still checks an object created in a namespace the stack made in an earlier run", async () => {
        const reads: ObjectRef[] = [];
        const cluster = fakeCluster([live(ns("my-ns")), live(sa("my-ns", "my-sa"))], reads);
        const hooks = ownershipHooks("my-ns", names, cluster);
        await assert.rejects(
            runBeforeCreate(hooks("ServiceAccount")),
            /ServiceAccount my-ns\/my-sa/,
        );
        assert.deepEqual(reads, [{ ...sa("my-ns", "my-sa"), arg: "serviceAccountName" }]);
    });

    it("names every existing object of the workload at once, in the namespace's create check", async () => {
        const cluster = fakeCluster([live(ns("my-ns")), live(sa("my-ns", "my-sa"))]);
        const hooks = ownershipHooks("w", names, cluster);
        await assert.rejects(runBeforeCreate(hooks("Namespace")), (e: Error) => {
            assert.match(e.message, /Namespace my-ns \(/);
            assert.match(e.message, /ServiceAccount my-ns\/my-sa \(/);
            return true;
        });
    });

    it("plans the legacy token Secret under the name the workload gives it", async () => {
        await newWorkload({ serviceAccountName: "reader", legacyTokenSecret: true });
        const planned = plannedObjects({ ...names, serviceAccount: "reader", legacySecret: true });
        assert.deepEqual(
            planned.filter((p) => p.kind === "Secret").map((p) => p.name),
            [only(TYPES.secret).inputs.metadata.name],
        );
        assert.equal(registrations.filter((r) => r.type === TYPES.secret).length, 1);
    });

    it("checks creates and same-object updates and deletes in previews too, the namespace guard only for real", () => {
        const hooks = ownershipHooks("w", names, fakeCluster([]))("Namespace");
        const opts = (hook: unknown) => (hook as pulumi.ResourceHook).opts;
        // A preview that promised a create over someone's object, or an update of an object that
        // only shares a name, would be wrong; the guard, before the deletes that precede it have
        // run, would find the stack's own objects in the namespace and refuse every preview.
        assert.equal(opts(hooks.beforeCreate![0])?.onDryRun, true, "create check");
        assert.equal(opts(hooks.beforeUpdate![0])?.onDryRun, true, "same-object check");
        const [sameObject, guard] = hooks.beforeDelete as pulumi.ResourceHook[];
        assert.equal(sameObject.name, "sa-workload-same-object");
        assert.equal(opts(sameObject)?.onDryRun, true, "same-object check before a delete");
        assert.equal(guard.name, "sa-workload-namespace-guard");
        assert.equal(opts(guard)?.onDryRun, false, "namespace guard");
    });

    describe("the kube context a workload names", () => {
        const namespace = (uid: string) => ({
            status: 200,
            body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "my-ns", uid } },
        });
        const clusters = {
            current: { ...CORE_API },
            named: { ...CORE_API, "/api/v1/namespaces/my-ns": namespace("named-uid") },
        };

        it("is the cluster its create checks read, not the current context's", async () => {
            await withKubeContexts(clusters, async () => {
                const onNamed = ownershipHooks("w", { ...names, kubeContext: "named" });
                await assert.rejects(runBeforeCreate(onNamed("Namespace")), /Namespace my-ns/);
                await runBeforeCreate(ownershipHooks("w", names)("Namespace"));
            });
        });

        it("is the cluster the component's update and delete checks read", async () => {
            const runtime = pulumi.runtime as { getStackResource: () => unknown };
            const getStackResource = runtime.getStackResource;
            const run = {};
            runtime.getStackResource = () => run;
            try {
                await withKubeContexts(
                    {
                        current: {
                            ...CORE_API,
                            "/api/v1/namespaces/my-ns": namespace("current-uid"),
                        },
                        named: clusters.named,
                    },
                    async () => {
                        await newWorkload({ kubeContext: "named" }, "w");
                        // The run's one hook of that name, which reads on each workload's cluster.
                        const hook = sameObjectCheck(fakeCluster([]), "other");
                        const update = (uid: string) =>
                            hook.callback({
                                name: "w-namespace",
                                urn: "urn:ns",
                                oldOutputs: {
                                    apiVersion: "v1",
                                    kind: "Namespace",
                                    metadata: { name: "my-ns", uid },
                                },
                            } as unknown as pulumi.ResourceHookArgs);
                        await update("named-uid");
                        await assert.rejects(
                            Promise.resolve(update("current-uid")),
                            /uid named-uid, the stack's was current-uid/,
                        );
                    },
                );
            } finally {
                runtime.getStackResource = getStackResource;
            }
        });
    });

    it("names every existing object, its owner and both ways out in the create error", () => {
        const message = foreignObjectsError("my-ns", [
            { ...live(ns("my-ns")), arg: "namespace" } as LiveObject,
            { ...live(sa("my-ns", "my-sa")), arg: "serviceAccountName" } as LiveObject,
        ]).message;
        for (const text of [
            "Namespace my-ns (labels: none; written by: kubectl-create",
            "ServiceAccount my-ns/my-sa",
            "did not create",
            "nothing was created or changed",
            "namespace, serviceAccountName in sa-workload:workloads",
            "adoptExisting: true",
            "`npm run down` deletes them",
        ]) {
            assert.ok(message.includes(text), `"${text}" missing:\n${message}`);
        }
        assert.ok(!message.includes("npm run recover"), "a kubectl object is not a lost create");
    });

    it("lets a preview create what a Pulumi run made, which up deletes first in a replacement, and nothing else", async () => {
        const pod: ObjectRef = {
            apiVersion: "v1",
            kind: "Pod",
            namespace: "my-ns",
            name: "my-pod",
        };
        const planned = [{ ...pod, arg: "podName" }];
        const ours = live(pod, {
            labels: { "app.kubernetes.io/managed-by": "pulumi" },
            managers: ["pulumi-kubernetes-1a2b3c4d", "kubelet"],
        });
        const check = async (objects: LiveObject[], dryRun: boolean): Promise<void> => {
            const hook = refuseForeignHook(
                "h",
                "w",
                fakeCluster(objects),
                planned,
                new Set(),
                dryRun,
            );
            await hook.callback({} as pulumi.ResourceHookArgs);
        };
        await check([live(ns("my-ns")), ours], true);
        await assert.rejects(check([live(ns("my-ns")), ours], false), /Pod my-ns\/my-pod/);
        const labelled = live(pod, { labels: ours.labels, managers: ["kubectl-create"] });
        await assert.rejects(check([live(ns("my-ns")), labelled], true), /Pod my-ns\/my-pod/);
        const unlabelled = live(pod, { managers: ours.managers });
        await assert.rejects(check([live(ns("my-ns")), unlabelled], true), /Pod my-ns\/my-pod/);
    });

    describe("adopting a Pod", () => {
        const pod: ObjectRef = {
            apiVersion: "v1",
            kind: "Pod",
            namespace: "my-ns",
            name: "my-pod",
        };
        const adopting = (objects: LiveObject[]) =>
            ownershipHooks("w", { ...names, adopt: true }, fakeCluster(objects));

        it("refuses, before the namespace is taken over, a Pod no Pulumi run made", async () => {
            const hooks = adopting([
                live(ns("my-ns")),
                live(pod, { managers: ["kubectl-create"] }),
            ]);
            for (const kind of ["Namespace", "Pod"]) {
                await assert.rejects(runBeforeCreate(hooks(kind)), (error: Error) => {
                    for (const text of [
                        'Workload "w": adoptExisting takes over the objects that exist, but not this Pod',
                        "Pod my-ns/my-pod (labels: none; written by: kubectl-create",
                        "nothing was created or changed",
                        "kubectl delete pod my-pod -n my-ns",
                        "another podName",
                    ])
                        assert.ok(
                            error.message.includes(text),
                            `"${text}" missing:\n${error.message}`,
                        );
                    return true;
                });
            }
            await runBeforeCreate(hooks("ServiceAccount"));
        });

        it("names the stack's kube context in the delete it advises", async () => {
            const byHand = live(pod, { managers: ["kubectl-run"] });
            const hooks = ownershipHooks(
                "w",
                { ...names, adopt: true, kubeContext: "staging" },
                fakeCluster([live(ns("my-ns")), byHand]),
            );
            await assert.rejects(
                runBeforeCreate(hooks("Pod")),
                /\(kubectl --context staging delete pod my-pod -n my-ns\)/,
            );
        });

        it("takes over a Pod a run of pulumi-kubernetes made, and creates a missing one", async () => {
            const made = live(pod, { managers: ["pulumi-kubernetes-1a2b3c4d", "kubelet"] });
            await runBeforeCreate(adopting([live(ns("my-ns")), made])("Namespace"));
            await runBeforeCreate(adopting([live(ns("my-ns"))])("Pod"));
        });

        it("tells, where it is not adopting, that such a Pod is deleted either way", () => {
            const byHand = { ...live(pod, { managers: ["kubectl-create"] }), arg: "podName" };
            const message = foreignObjectsError("w", [byHand]).message;
            assert.ok(message.includes("Not a Pod that no Pulumi run made"), message);
            const made = live(pod, { managers: ["pulumi-kubernetes-1a2b3c4d"] });
            assert.ok(!foreignObjectsError("w", [made]).message.includes("Not a Pod"));
        });
    });

    it("points at recover when the object looks like one an interrupted up made", () => {
        const pulumiMade = live(ns("my-ns"), {
            labels: { "app.kubernetes.io/managed-by": "pulumi" },
        });
        assert.match(foreignObjectsError("my-ns", [pulumiMade]).message, /npm run recover/);
    });

    it("counts what the cluster makes in a namespace as nobody's", () => {
        const objects = [
            live({
                apiVersion: "v1",
                kind: "ConfigMap",
                namespace: "my-ns",
                name: "kube-root-ca.crt",
            }),
            live(sa("my-ns", "default")),
            live(
                { apiVersion: "apps/v1", kind: "Deployment", namespace: "my-ns", name: "gone" },
                { uid: "deployment-uid", deleting: true },
            ),
            live(
                { apiVersion: "v1", kind: "Pod", namespace: "my-ns", name: "rs-pod" },
                { ownerUids: ["deployment-uid"] },
            ),
            live(
                { apiVersion: "v1", kind: "Pod", namespace: "my-ns", name: "going" },
                {
                    deleting: true,
                },
            ),
        ];
        assert.deepEqual(foreignInNamespace(objects), []);
    });

    it("finds in a namespace what is neither the stack's nor the cluster's", () => {
        const precious = live({
            apiVersion: "v1",
            kind: "ConfigMap",
            namespace: "my-ns",
            name: "precious",
        });
        const ours = sa("my-ns", "my-sa");
        const found = foreignInNamespace([precious, live(ours)], [ns("my-ns"), ours]);
        assert.deepEqual(found, [precious]);
        const message = foreignInNamespaceError("my-ns", found).message;
        assert.match(
            message,
            /ConfigMap my-ns\/precious \(labels: none; written by: kubectl-create/,
        );
        assert.match(message, /npm run down -- --delete-foreign/);
    });

    it("counts an object owned by the stack's own object as going with it", () => {
        const ours = sa("my-ns", "my-sa");
        const token = live(
            { apiVersion: "v1", kind: "Secret", namespace: "my-ns", name: "my-sa-copy" },
            { ownerUids: ["sa-uid"] },
        );
        const found = foreignInNamespace([live(ours, { uid: "sa-uid" }), token], [ours]);
        assert.deepEqual(found, []);
    });

    it("counts an object whose owner is not in the namespace as someone's", () => {
        const owned = live(
            { apiVersion: "v1", kind: "ConfigMap", namespace: "my-ns", name: "settings" },
            { ownerUids: ["cluster-role-uid"] },
        );
        assert.deepEqual(foreignInNamespace([owned]), [owned]);
    });

    describe("a namespace with kinds that could not be listed", () => {
        const unlisted = ["Widget (example.com/v1): forbidden to your credentials"];
        const cluster = fakeCluster([], [], unlisted);
        afterEach(() => delete process.env[DELETE_FOREIGN_ENV]);

        it("is not deleted by the program's guard, which names the kinds and both ways out", async () => {
            await assert.rejects(checkNamespaceBeforeDelete(cluster, "my-ns"), (e: Error) => {
                assert.match(e.message, /Namespace my-ns could not be checked/);
                assert.match(e.message, /Widget \(example\.com\/v1\): forbidden/);
                assert.match(e.message, /npm run down -- --delete-foreign/);
                return true;
            });
        });

        it("is deleted by the guard once SA_WORKLOAD_DELETE_FOREIGN confirms it", async () => {
            process.env[DELETE_FOREIGN_ENV] = "true";
            await checkNamespaceBeforeDelete(cluster, "my-ns");
        });

        it("is not confirmed by any value of SA_WORKLOAD_DELETE_FOREIGN but true", async () => {
            for (const value of ["1", "yes", "TRUE", "false"]) {
                process.env[DELETE_FOREIGN_ENV] = value;
                await assert.rejects(
                    checkNamespaceBeforeDelete(cluster, "my-ns"),
                    /could not be checked/,
                    value,
                );
            }
        });

        it("stops npm run down before it deletes anything", async () => {
            const deployment = {
                resources: [
                    {
                        type: "kubernetes:core/v1:Namespace",
                        custom: true,
                        outputs: {
                            apiVersion: "v1",
                            kind: "Namespace",
                            metadata: { name: "my-ns" },
                        },
                    },
                ],
            };
            await assert.rejects(
                refuseForeignBeforeDown(deployment, cluster),
                /could not be checked/,
            );
            await refuseForeignBeforeDown(deployment, fakeCluster([]));
        });
    });

    it("reads the Kubernetes objects of a stack's state, and nothing else", () => {
        const deployment = {
            resources: [
                { type: "pulumi:pulumi:Stack", custom: false, outputs: {} },
                { type: "pulumi:providers:kubernetes", custom: true, outputs: {} },
                {
                    type: "kubernetes:core/v1:Namespace",
                    custom: true,
                    outputs: { apiVersion: "v1", kind: "Namespace", metadata: { name: "my-ns" } },
                },
                {
                    type: "kubernetes:core/v1:ServiceAccount",
                    custom: true,
                    outputs: {
                        apiVersion: "v1",
                        kind: "ServiceAccount",
                        metadata: { name: "my-sa", namespace: "my-ns" },
                    },
                },
            ],
        };
        assert.deepEqual(stateObjects(deployment), [ns("my-ns"), sa("my-ns", "my-sa")]);
    });

    it("checks every object before it is created, updated or deleted, and the namespace's contents before it is deleted", async () => {
        await newWorkload({ legacyTokenSecret: true }, "w");
        const kinds = ["namespace", "service-account", "role", "role-binding", "token", "pod"];
        for (const kind of kinds) {
            const beforeCreate = hookBindings.get(`w-${kind}`)?.beforeCreate ?? [];
            assert.equal(beforeCreate.length, 1, `w-${kind} has no create check`);
            assert.match(beforeCreate[0], /-not-foreign$/);
        }
        assert.deepEqual(hookBindings.get("w-namespace")?.beforeDelete, [
            "sa-workload-same-object",
            "sa-workload-namespace-guard",
        ]);
        for (const kind of kinds) {
            const hooks = hookBindings.get(`w-${kind}`);
            assert.deepEqual(hooks?.beforeUpdate, ["sa-workload-same-object"], `w-${kind}`);
            assert.equal(hooks?.beforeDelete[0], "sa-workload-same-object", `w-${kind}`);
        }
    });

    it("checks only its Pod before a create once the workload adopts existing objects, first with the namespace", async () => {
        await newWorkload({ adoptExisting: true }, "w");
        for (const [name, hooks] of hookBindings) {
            const expected = ["w-namespace", "w-pod"].includes(name)
                ? [`${name}-pod-adoptable`]
                : [];
            assert.deepEqual(hooks.beforeCreate, expected, name);
        }
        assert.deepEqual(hookBindings.get("w-namespace")?.beforeDelete, [
            "sa-workload-same-object",
            "sa-workload-namespace-guard",
        ]);
    });

    it("checks each component's objects with its own reader, two clusters in one run, under one hook name", async () => {
        // One program run: the mocks register no stack resource, which keys a run's hooks.
        const runtime = pulumi.runtime as { getStackResource: () => unknown };
        const getStackResource = runtime.getStackResource;
        const run = {};
        runtime.getStackResource = () => run;
        try {
            const pod = { apiVersion: "v1", kind: "Pod", namespace: "my-ns", name: "my-pod" };
            // Both clusters have the walk-through's pod: each its own.
            const dev = fakeCluster([live(pod, { uid: "dev-uid" })]);
            const prod = fakeCluster([live(pod, { uid: "prod-uid" })]);
            const a = ownershipHooks("a", names, dev)("Pod");
            const ab = ownershipHooks("a-b", names, prod)("Pod");
            const hook = a.beforeUpdate![0] as pulumi.ResourceHook;
            assert.equal(ab.beforeUpdate![0], hook, "one hook of that name per run");
            assert.equal(hook.name, "sa-workload-same-object");
            const update = (name: string, uid: string) =>
                hook.callback({
                    name,
                    urn: `urn:${name}`,
                    oldOutputs: { apiVersion: "v1", kind: "Pod", metadata: { ...pod, uid } },
                } as unknown as pulumi.ResourceHookArgs);
            await update("a-pod", "dev-uid");
            await update("a-b-pod", "prod-uid");
            await assert.rejects(Promise.resolve(update("a-b-pod", "dev-uid")), /uid prod-uid/);
            // A workload no longer in the program: read on the first one's cluster.
            await update("gone-pod", "dev-uid");
        } finally {
            runtime.getStackResource = getStackResource;
        }
    });

    describe("objects made since under the names of the stack's own", () => {
        // After `up`, the user deleted the namespace and made the walk-through again by hand.
        const handMade = [
            live(ns("my-ns"), { uid: "u-ns" }),
            live(sa("my-ns", "my-sa"), { uid: "u-sa" }),
        ];
        const recorded = (ref: ObjectRef, uid: string) => ({
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.name, namespace: ref.namespace, uid },
        });
        const deployment = {
            resources: [
                {
                    urn: "urn:ns",
                    type: "kubernetes:core/v1:Namespace",
                    custom: true,
                    outputs: recorded(ns("my-ns"), "s-ns"),
                },
                {
                    urn: "urn:sa",
                    type: "kubernetes:core/v1:ServiceAccount",
                    custom: true,
                    outputs: recorded(sa("my-ns", "my-sa"), "s-sa"),
                },
            ],
        };

        it("stops npm run down before it deletes anything, naming each, both uids and the URNs", async () => {
            const error = await refuseForeignBeforeDown(deployment, fakeCluster(handMade)).then(
                () => assert.fail("down was not stopped"),
                (e: Error) => e.message,
            );
            assert.match(error, /Namespace my-ns: uid u-ns, the stack's was s-ns/);
            assert.match(error, /ServiceAccount my-ns\/my-sa: uid u-sa, the stack's was s-sa/);
            assert.match(error, /pulumi state delete --target-dependents 'urn:ns' 'urn:sa'/);
            assert.match(error, /PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE_FILE/);
        });

        it("takes an object whose replacement was under way (a run killed mid-replace) as the stack's, by name", async () => {
            const pod = { apiVersion: "v1", kind: "Pod", namespace: "my-ns", name: "web" };
            const replacing = {
                resources: [
                    {
                        urn: "urn:pod",
                        type: "kubernetes:core/v1:Pod",
                        custom: true,
                        pendingReplacement: true,
                        outputs: recorded(pod, "old-uid"),
                    },
                ],
            };
            const newPod = live(pod, { uid: "new-uid", managers: ["pulumi-kubernetes-1a2b3c4d"] });
            await refuseForeignBeforeDown(replacing, fakeCluster([newPod]));
            assert.deepEqual(foreignInNamespace([newPod], stateObjects(replacing)), []);
        });

        it("lets npm run down go on when the objects are the stack's own, or gone", async () => {
            const own = [
                live(ns("my-ns"), { uid: "s-ns" }),
                live(sa("my-ns", "my-sa"), { uid: "s-sa" }),
            ];
            await refuseForeignBeforeDown(deployment, fakeCluster(own));
            await refuseForeignBeforeDown(deployment, fakeCluster([]));
        });

        it("counts an object in the namespace that only shares a stack object's name as foreign", () => {
            const own = [{ ...sa("my-ns", "my-sa"), uid: "s-sa" }];
            assert.deepEqual(foreignInNamespace([handMade[1]], own), [handMade[1]]);
            assert.deepEqual(
                foreignInNamespace([live(sa("my-ns", "my-sa"), { uid: "s-sa" })], own),
                [],
            );
        });

        it("refuses an update or a delete of such an object in the program's hook, and passes the stack's own", async () => {
            const hook = sameObjectCheck(fakeCluster(handMade));
            const args = (uid: string) =>
                ({
                    urn: "urn:sa",
                    oldOutputs: recorded(sa("my-ns", "my-sa"), uid),
                }) as unknown as pulumi.ResourceHookArgs;
            await assert.rejects(
                Promise.resolve(hook.callback(args("s-sa"))),
                /uid u-sa, the stack's was s-sa[\s\S]*'urn:sa'/,
            );
            await hook.callback(args("u-sa"));
            await sameObjectCheck(fakeCluster([])).callback(args("s-sa"));
        });
    });
});
