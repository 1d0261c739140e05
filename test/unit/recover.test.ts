import * as assert from "node:assert/strict";

import { KubeConfig } from "@kubernetes/client-node";
import type { Stack } from "@pulumi/pulumi/automation";

import {
    adoptPendingCreates,
    madeByPendingCreate,
    pendingCreates,
    recover,
} from "../../scripts/lib/recover";
import { ClusterReader } from "../../components/live-objects";
import { fakeApiServer } from "../helpers/fake-api-server";
import { fakeStack } from "../helpers/fake-stack";

const URN = "urn:pulumi:dev::sa-workload::sa-workload:components:ServiceAccountWorkload$";

function creating(type: string, inputs: Record<string, unknown>, custom = true, name = "x") {
    return { type: "creating", resource: { urn: `${URN}${type}::${name}`, custom, inputs } };
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
        // As pulumi-kubernetes 4.25 records a pending create: no field manager in its inputs.
        const [create] = pendingCreates({
            pending_operations: [
                creating("kubernetes:core/v1:Pod", {
                    apiVersion: "v1",
                    kind: "Pod",
                    metadata: { name: "my-pod", namespace: "my-ns", labels },
                }),
            ],
        });
        // As a provider that recorded the manager it chose would.
        const [recorded] = pendingCreates({
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

        it("is the killed run's when it has the create's labels and the provider wrote it", () => {
            assert.ok(madeByPendingCreate(create, found(labels, "pulumi-kubernetes-1a2b3c4d")));
        });

        it("is someone else's when kubectl made it after the kill", () => {
            assert.ok(!madeByPendingCreate(create, found({}, "kubectl-run")));
        });

        it("is someone else's when kubectl applied it with the create's labels (npm run render | kubectl apply)", () => {
            assert.ok(!madeByPendingCreate(create, found(labels, "kubectl-client-side-apply")));
        });

        it("is someone else's when the provider wrote it without the create's labels", () => {
            const other = { ...labels, "app.kubernetes.io/name": "another-pod" };
            assert.ok(!madeByPendingCreate(create, found(other, "pulumi-kubernetes-1a2b3c4d")));
        });

        it("is someone else's when the create recorded its field manager and another provider run wrote it", () => {
            assert.ok(madeByPendingCreate(recorded, found(labels, "pulumi-kubernetes-1a2b3c4d")));
            assert.ok(!madeByPendingCreate(recorded, found(labels, "pulumi-kubernetes-99999999")));
        });
    });
});

/** A cluster where none of the stack's tracked objects has been made again by someone else. */
const emptyCluster: ClusterReader = {
    read: () => Promise.resolve(undefined),
    listNamespace: () => Promise.resolve({ objects: [], unlisted: [] }),
};

describe("npm run recover against the cluster", () => {
    const MANAGER = "pulumi-kubernetes-1a2b3c4d";
    const LABELS = { "app.kubernetes.io/managed-by": "pulumi" };
    /** A pending create of Pod my-ns/`name`, as the killed run recorded it. */
    const podCreate = (name: string) =>
        creating(
            "kubernetes:core/v1:Pod",
            {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name, namespace: "my-ns", labels: LABELS },
            },
            true,
            name,
        );
    /** The killed run's state: three pod creates pending, nothing tracked yet. */
    const killed = {
        resources: [],
        pending_operations: ["ours", "gone", "theirs"].map(podCreate),
    };
    const livePod = (name: string, labels: Record<string, string>, manager: string) => ({
        status: 200,
        body: {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name, namespace: "my-ns", labels, managedFields: [{ manager }] },
        },
    });
    /** The cluster: "ours" made by the killed run, "gone" never made, "theirs" made by kubectl. */
    const routes = {
        "/api/v1": {
            status: 200,
            body: {
                kind: "APIResourceList",
                groupVersion: "v1",
                resources: [{ name: "pods", namespaced: true, kind: "Pod", verbs: ["get"] }],
            },
        },
        "/api/v1/namespaces/my-ns/pods/ours": livePod("ours", LABELS, MANAGER),
        "/api/v1/namespaces/my-ns/pods/theirs": livePod("theirs", {}, "kubectl-run"),
        "/api/v1/namespaces/my-ns/pods/hidden": {
            status: 403,
            body: { kind: "Status", code: 403, reason: "Forbidden" },
        },
    };

    async function recoverWith(stack: Stack, reader: ClusterReader = emptyCluster) {
        const api = await fakeApiServer(routes);
        try {
            const admin = new KubeConfig();
            admin.loadFromClusterAndUser(
                { name: "fake", server: api.url, skipTLSVerify: true },
                { name: "nobody" },
            );
            return await recover(stack, admin, () => undefined, reader);
        } finally {
            api.close();
        }
    }

    it("tracks only the object the killed run made, drops the one never made, and leaves someone else's alone", async () => {
        const { stack, calls, imported } = fakeStack(killed);
        const result = await recoverWith(stack);
        assert.deepEqual(result, {
            tracked: ["Pod my-ns/ours"],
            dropped: ["Pod my-ns/gone"],
            foreign: ["Pod my-ns/theirs"],
        });
        assert.deepEqual(calls, [
            "cancel",
            "export",
            "export",
            "import",
            "refresh --clear-pending-creates",
        ]);
        const [{ deployment: state }] = imported as {
            deployment: { resources: { urn: string; id: string }[] };
        }[];
        assert.deepEqual(
            state.resources.map((r) => r.id),
            ["my-ns/ours"],
            "anything but the killed run's own object is tracked",
        );
    });

    it("imports nothing where the state changed while it read the cluster (another run began)", async () => {
        const since = { ...killed, resources: [{ urn: "urn:a-teammate's-run", custom: true }] };
        const { stack, calls, imported } = fakeStack(killed, since);
        await assert.rejects(
            recoverWith(stack),
            /changed while recover read it.*nothing was imported/,
        );
        assert.deepEqual(imported, []);
        assert.ok(!calls.some((c) => c.startsWith("refresh")), calls.join(", "));
    });

    it("refreshes nothing where a tracked object's name now holds another object (made by hand, or another cluster)", async () => {
        const tracked = {
            urn: "urn:ns",
            type: "kubernetes:core/v1:Namespace",
            custom: true,
            outputs: {
                apiVersion: "v1",
                kind: "Namespace",
                metadata: { name: "my-ns", uid: "s-ns" },
            },
        };
        const { stack, calls, imported } = fakeStack({ ...killed, resources: [tracked] });
        const handMade: ClusterReader = {
            ...emptyCluster,
            read: (ref) =>
                Promise.resolve(
                    ref.kind === "Namespace"
                        ? {
                              ...ref,
                              labels: {},
                              managers: ["kubectl-create"],
                              uid: "u-ns",
                              deleting: false,
                          }
                        : undefined,
                ),
        };
        await assert.rejects(
            recoverWith(stack, handMade),
            /Namespace my-ns: uid u-ns, the stack's was s-ns[\s\S]*'urn:ns'/,
        );
        assert.deepEqual(imported, []);
        assert.deepEqual(calls, ["cancel", "export"]);
    });

    it("stops, dropping and clearing nothing, where the API server forbids reading a pending create's object", async () => {
        const { stack, calls, imported } = fakeStack({
            ...killed,
            pending_operations: [podCreate("hidden")],
        });
        // Unreadable is not absent: taken as never made, the refresh would drop the create of an
        // object that may exist, and leave it untracked.
        await assert.rejects(recoverWith(stack), { code: 403 });
        assert.deepEqual(imported, []);
        assert.deepEqual(calls, ["cancel", "export"]);
    });

    it("imports nothing where no object of a pending create was made, and still clears them", async () => {
        const { stack, calls } = fakeStack({ ...killed, pending_operations: [podCreate("gone")] });
        const result = await recoverWith(stack);
        assert.deepEqual(result, { tracked: [], dropped: ["Pod my-ns/gone"], foreign: [] });
        assert.deepEqual(calls, ["cancel", "export", "refresh --clear-pending-creates"]);
    });
});
