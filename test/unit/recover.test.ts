import * as assert from "node:assert/strict";

import { pendingCreates } from "../../scripts/lib/recover";

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
});
