import * as assert from "node:assert/strict";

import {
    adoptPendingCreates,
    madeByPendingCreate,
    pendingCreates,
} from "../../scripts/lib/recover";

const URN = "urn:pulumi:dev::sa-workload::sa-workload:components:ServiceAccountWorkload$";

function creating(type: string, inputs: Record<string, unknown>, custom = true) {
    return { type: "creating", resource: { urn: `${URN}${type}::x`, custom, inputs } };
}

describe("recover's reading of pending operations", () => {
    it("gives a namespaced object's provider ID as namespace/name", () => {
        const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "my-pod", namespace: "my-ns" },
        };
        const [create] = pendingCreates({
            pending_operations: [creating("kubernetes:core/v1:Pod", pod)],
        });
        assert.equal(create.id, "my-ns/my-pod");
        assert.equal(create.urn, `${URN}kubernetes:core/v1:Pod::x`);
        assert.deepEqual(create.object, pod);
    });

    it("gives a cluster-scoped object's provider ID as its name", () => {
        const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "my-ns" } };
        const [create] = pendingCreates({
            pending_operations: [creating("kubernetes:core/v1:Namespace", ns)],
        });
        assert.equal(create.id, "my-ns");
        assert.equal(create.namespace, undefined);
    });

    it("leaves out updates, deletes, components and objects without a fixed name", () => {
        const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "my-pod", namespace: "my-ns" },
        };
        const operations = [
            { ...creating("kubernetes:core/v1:Pod", pod), type: "updating" },
            { ...creating("kubernetes:core/v1:Pod", pod), type: "deleting" },
            creating("sa-workload:components:ServiceAccountWorkload", {}, false),
            creating("kubernetes:core/v1:Pod", { apiVersion: "v1", kind: "Pod", metadata: {} }),
        ];
        assert.deepEqual(pendingCreates({ pending_operations: operations }), []);
    });

    it("finds nothing in a state without pending operations", () => {
        assert.deepEqual(pendingCreates({ resources: [] }), []);
    });

    it("turns an adopted pending create into a resource with the object's ID, and keeps the rest pending", () => {
        const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "my-pod", namespace: "my-ns" },
        };
        const sa = {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: "my-sa", namespace: "my-ns" },
        };
        const podCreate = creating("kubernetes:core/v1:Pod", pod);
        const saCreate = creating("kubernetes:core/v1:ServiceAccount", sa);
        const namespace = {
            urn: `${URN}kubernetes:core/v1:Namespace::ns`,
            custom: true,
            id: "my-ns",
        };
        const state = { resources: [namespace], pending_operations: [podCreate, saCreate] };
        const [podPending] = pendingCreates(state);

        const adopted = adoptPendingCreates(state, [podPending]) as typeof state & {
            resources: Record<string, unknown>[];
        };
        assert.deepEqual(adopted.resources, [
            namespace,
            { ...podCreate.resource, id: "my-ns/my-pod", outputs: pod },
        ]);
        assert.deepEqual(adopted.pending_operations, [saCreate]);
    });

    describe("an object of a pending create's name found in the cluster", () => {
        const labels = {
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/name": "my-pod",
        };
        const [create] = pendingCreates({
            pending_operations: [
                creating("kubernetes:core/v1:Pod", {
                    apiVersion: "v1",
                    kind: "Pod",
                    metadata: { name: "my-pod", namespace: "my-ns", labels },
                    __fieldManager: "pulumi-kubernetes-1a2b3c4d",
                }),
            ],
        });
        const found = (objectLabels: Record<string, string>, manager: string) => ({
            apiVersion: "v1",
            kind: "Pod",
            metadata: {
                name: "my-pod",
                namespace: "my-ns",
                labels: objectLabels,
                managedFields: [{ manager }],
            },
        });

        it("is the killed run's when it has the create's labels and field manager", () => {
            assert.ok(madeByPendingCreate(create, found(labels, "pulumi-kubernetes-1a2b3c4d")));
        });

        it("is someone else's when kubectl made it after the kill", () => {
            assert.ok(!madeByPendingCreate(create, found({}, "kubectl-run")));
        });

        it("is someone else's when another stack's provider made it, labels and all", () => {
            assert.ok(!madeByPendingCreate(create, found(labels, "pulumi-kubernetes-99999999")));
        });
    });
});
