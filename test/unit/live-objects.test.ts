import * as assert from "node:assert/strict";

import { clusterReader, LiveObject } from "../../components/live-objects";
import { apiResources, Routes, withKubeContexts } from "../helpers/fake-api-server";

const status = (code: number) => ({ status: code, body: { kind: "Status", code } });
const ok = (body: object) => ({ status: 200, body });

const CORE = apiResources("v1", [
    { name: "namespaces", kind: "Namespace", namespaced: false, verbs: ["get", "list"] },
    { name: "configmaps", kind: "ConfigMap", namespaced: true, verbs: ["get", "list"] },
    { name: "secrets", kind: "Secret", namespaced: true, verbs: ["get", "list"] },
    { name: "pods", kind: "Pod", namespaced: true, verbs: ["get", "list"] },
    { name: "pods/log", kind: "Pod", namespaced: true, verbs: ["get"] },
    { name: "events", kind: "Event", namespaced: true, verbs: ["get", "list"] },
    { name: "bindings", kind: "Binding", namespaced: true, verbs: ["create"] },
    { name: "widgets", kind: "Widget", namespaced: true, verbs: ["get", "list"] },
]);

const myNs = { apiVersion: "v1", kind: "Namespace", name: "my-ns" } as const;

/** One API group of an APIGroupList, at `version` only. */
const apiGroup = (name: string, version: string) => ({
    name,
    versions: [{ groupVersion: `${name}/${version}`, version }],
    preferredVersion: { groupVersion: `${name}/${version}`, version },
});

describe("reading what a cluster holds", () => {
    it("reads an object and what says who made it", async () => {
        const found = await withKubeContexts(
            {
                dev: {
                    "/api/v1": CORE,
                    "/api/v1/namespaces/my-ns": ok({
                        apiVersion: "v1",
                        kind: "Namespace",
                        metadata: {
                            name: "my-ns",
                            uid: "ns-uid",
                            labels: { team: "a" },
                            creationTimestamp: "2026-11-30T08:00:00Z",
                            managedFields: [
                                { manager: "kubectl-create" },
                                { manager: "kubectl-label" },
                            ],
                            ownerReferences: [{ apiVersion: "v1", kind: "X", name: "x", uid: "o" }],
                        },
                    }),
                },
            },
            () => clusterReader().read(myNs),
        );
        assert.deepEqual(found, {
            apiVersion: "v1",
            kind: "Namespace",
            namespace: undefined,
            name: "my-ns",
            labels: { team: "a" },
            managers: ["kubectl-create", "kubectl-label"],
            created: "2026-11-30T08:00:00.000Z",
            uid: "ns-uid",
            ownerUids: ["o"],
            deleting: false,
        } satisfies LiveObject);
    });

    it("reads an object with a deletionTimestamp as being deleted", async () => {
        const found = await withKubeContexts(
            {
                dev: {
                    "/api/v1": CORE,
                    "/api/v1/namespaces/my-ns": ok({
                        apiVersion: "v1",
                        kind: "Namespace",
                        metadata: { name: "my-ns", deletionTimestamp: "2026-11-30T08:00:00Z" },
                    }),
                },
            },
            () => clusterReader().read(myNs),
        );
        assert.equal(found?.deleting, true);
    });

    it("reads an object as absent only when the API server answers 404", async () => {
        await withKubeContexts(
            {
                gone: { "/api/v1": CORE, "/api/v1/namespaces/my-ns": status(404) },
                forbidden: { "/api/v1": CORE, "/api/v1/namespaces/my-ns": status(403) },
                failing: { "/api/v1": CORE, "/api/v1/namespaces/my-ns": status(500) },
            },
            async () => {
                assert.equal(await clusterReader("gone").read(myNs), undefined);
                // Read as absent, an object the credentials may not see would be created over.
                await assert.rejects(clusterReader("forbidden").read(myNs), { code: 403 });
                await assert.rejects(clusterReader("failing").read(myNs), { code: 500 });
            },
        );
    });

    it("reads on the cluster of the context it names, not the current one", async () => {
        const uid = (u: string) =>
            ok({ apiVersion: "v1", kind: "Namespace", metadata: { name: "my-ns", uid: u } });
        await withKubeContexts(
            {
                current: { "/api/v1": CORE, "/api/v1/namespaces/my-ns": uid("current-uid") },
                named: { "/api/v1": CORE, "/api/v1/namespaces/my-ns": uid("named-uid") },
            },
            async () => {
                assert.equal((await clusterReader("named").read(myNs))?.uid, "named-uid");
                assert.equal((await clusterReader().read(myNs))?.uid, "current-uid");
            },
        );
    });

    describe("a namespace's contents", () => {
        const list = (kind: string, apiVersion: string, items: object[]) =>
            ok({ kind: `${kind}List`, apiVersion, items });
        const item = (name: string, more: object = {}) => ({
            metadata: { name, namespace: "my-ns", ...more },
        });
        const cluster: Routes = {
            "/api/v1": CORE,
            "/apis": ok({
                kind: "APIGroupList",
                groups: [
                    apiGroup("apps", "v1"),
                    apiGroup("metrics.k8s.io", "v1beta1"),
                    apiGroup("broken.example.com", "v1"),
                    apiGroup("authorization.k8s.io", "v1"),
                ],
            }),
            "/apis/apps/v1": apiResources("apps/v1", [
                {
                    name: "deployments",
                    kind: "Deployment",
                    namespaced: true,
                    verbs: ["get", "list"],
                },
            ]),
            // An aggregated API whose server does not answer.
            "/apis/broken.example.com/v1": status(503),
            // Namespaced but not listable: the API server answers a list with 405.
            "/apis/authorization.k8s.io/v1": apiResources("authorization.k8s.io/v1", [
                {
                    name: "localsubjectaccessreviews",
                    kind: "LocalSubjectAccessReview",
                    namespaced: true,
                    verbs: ["create"],
                },
            ]),
            "/apis/authorization.k8s.io/v1/namespaces/my-ns/localsubjectaccessreviews": status(405),
            "/api/v1/namespaces/my-ns/configmaps": list("ConfigMap", "v1", [
                item("settings"),
                item("leaving", { deletionTimestamp: "2026-11-30T08:00:00Z" }),
            ]),
            "/api/v1/namespaces/my-ns/secrets": status(403),
            "/api/v1/namespaces/my-ns/pods": list("Pod", "v1", []),
            "/api/v1/namespaces/my-ns/events": list("Event", "v1", [item("an-event")]),
            // No route for widgets: a kind removed since discovery, whose list answers 404.
            "/apis/apps/v1/namespaces/my-ns/deployments": list("Deployment", "apps/v1", [
                item("web", { uid: "web-uid" }),
            ]),
        };

        it("lists every listable kind, events left out, each object with whether it is going", async () => {
            const contents = await withKubeContexts({ dev: cluster }, () =>
                clusterReader().listNamespace("my-ns"),
            );
            assert.deepEqual(
                contents.objects.map((o) => [o.apiVersion, o.kind, o.name, o.deleting]),
                [
                    ["v1", "ConfigMap", "settings", false],
                    ["v1", "ConfigMap", "leaving", true],
                    ["apps/v1", "Deployment", "web", false],
                ],
            );
        });

        it("records as unlisted each kind whose list failed and each API group that did not answer, and nothing else", async () => {
            const contents = await withKubeContexts({ dev: cluster }, () =>
                clusterReader().listNamespace("my-ns"),
            );
            assert.deepEqual([...contents.unlisted].sort(), [
                "Secret (v1): forbidden to your credentials",
                "every kind of broken.example.com/v1: the API server answered 503",
            ]);
        });
    });
});
