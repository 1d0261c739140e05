import * as assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

import { ClusterReader, LiveObject, ObjectRef } from "../../components/live-objects";
import { SelectedCluster } from "../../scripts/lib/cluster";
import { forgetReplacedCluster } from "../../scripts/lib/replaced-cluster";
import { refuseUnrecordedCluster, unrecordedObjects } from "../../scripts/lib/unrecorded-cluster";
import { fakeStack } from "../helpers/fake-stack";
import { tempDir } from "../helpers/temp-dirs";

/**
 * The state a first `up` stopped after two creates leaves: the Namespace and the ServiceAccount,
 * each with the uid it was created with, and a stack resource without outputs (written at the
 * end). `cluster`: a state whose up ended, on minikube.
 */
function stoppedFirstUp(cluster?: string): Record<string, unknown> {
    const object = (kind: string, name: string, uid: string, namespace?: string) => ({
        urn: `urn:pulumi:dev::sa-workload::kubernetes:core/v1:${kind}::${name}`,
        custom: true,
        type: `kubernetes:core/v1:${kind}`,
        outputs: {
            apiVersion: "v1",
            kind,
            metadata: { name, uid, ...(namespace ? { namespace } : {}) },
        },
    });
    return {
        resources: [
            {
                urn: "urn:pulumi:dev::sa-workload::pulumi:pulumi:Stack::sa-workload-dev",
                custom: false,
                type: "pulumi:pulumi:Stack",
                ...(cluster ? { outputs: { cluster } } : {}),
            },
            object("Namespace", "my-ns", "uid-ns"),
            object("ServiceAccount", "my-sa", "uid-sa", "my-ns"),
        ],
    };
}

const minikube: SelectedCluster = {
    target: { context: "minikube", cluster: "minikube", server: "https://192.168.49.2:8443" },
    identity: "minikube@192.168.49.2",
    uid: "uid-kube-system",
    description: "kube context minikube",
};

/** A cluster whose objects of the given kind/name have the given uids; `reads` counts lookups. */
function cluster(uids: Record<string, string>, reads: ObjectRef[] = []): ClusterReader {
    return {
        read: (ref) => {
            reads.push(ref);
            const uid = uids[`${ref.kind}/${ref.name}`];
            const live: LiveObject | undefined = uid
                ? { ...ref, uid, labels: {}, managers: ["kubectl-create"], deleting: false }
                : undefined;
            return Promise.resolve(live);
        },
        listNamespace: () => Promise.resolve({ objects: [], unlisted: [] }),
    };
}

const unreadable: ClusterReader = {
    read: () => Promise.reject(new Error("namespaces is forbidden")),
    listNamespace: () => Promise.reject(new Error("forbidden")),
};

describe("a stack that records objects but no cluster (its first up stopped before its end)", () => {
    it("is on the target cluster when one of its objects is there with the uid it was made with", async () => {
        const here = cluster({ "ServiceAccount/my-sa": "uid-sa" });
        assert.equal(await unrecordedObjects(stoppedFirstUp(), here), "here");
        await refuseUnrecordedCluster("dev", "up", stoppedFirstUp(), here, minikube);
    });

    it("is elsewhere when none of its objects is there, or only others' of their names", async () => {
        assert.equal(await unrecordedObjects(stoppedFirstUp(), cluster({})), "elsewhere");
        const others = cluster({ "Namespace/my-ns": "uid-someone-elses" });
        assert.equal(await unrecordedObjects(stoppedFirstUp(), others), "elsewhere");
    });

    it("stops the command where none of its objects is, naming them, the cluster and both ways out", async () => {
        await assert.rejects(
            refuseUnrecordedCluster("dev", "down", stoppedFirstUp(), cluster({}), minikube),
            (error: Error) => {
                for (const text of [
                    "Stack dev records objects (Namespace my-ns, ServiceAccount my-ns/my-sa) but no cluster",
                    "minikube@192.168.49.2 (context minikube, https://192.168.49.2:8443)",
                    "nothing was changed",
                    "kubectl config use-context NAME",
                    "npm run down -- --cluster-replaced forgets them, deleting nothing anywhere",
                ]) {
                    assert.ok(error.message.includes(text), `"${text}" missing: ${error.message}`);
                }
                return true;
            },
        );
    });

    it("names up's --cluster-replaced to a preview, which takes no options", async () => {
        await assert.rejects(
            refuseUnrecordedCluster("dev", "preview", stoppedFirstUp(), cluster({}), minikube),
            /npm run up -- --cluster-replaced forgets them/,
        );
    });

    it("asks the cluster nothing where the state records its cluster or holds no object", async () => {
        const reads: ObjectRef[] = [];
        const empty = cluster({}, reads);
        const states = [stoppedFirstUp("minikube@192.168.49.2"), { resources: [] }, undefined];
        for (const state of states) {
            assert.equal(await unrecordedObjects(state, empty), "none");
            await refuseUnrecordedCluster("dev", "up", state, empty, minikube);
        }
        assert.deepEqual(reads, []);
    });

    it("lets the command go on where the cluster cannot be read, for the engine to say why", async () => {
        assert.equal(await unrecordedObjects(stoppedFirstUp(), unreadable), "unknown");
        await refuseUnrecordedCluster("dev", "up", stoppedFirstUp(), unreadable, minikube);
    });

    describe("--cluster-replaced", () => {
        it("forgets its objects where none of them is on the target cluster", async () => {
            const { stack, imported } = fakeStack(stoppedFirstUp());
            const forgotten = await forgetReplacedCluster(stack, stoppedFirstUp(), minikube, {
                backupDir: tempDir("sa-forgotten-"),
                reader: cluster({ "Namespace/my-ns": "uid-someone-elses" }),
            });
            assert.deepEqual(forgotten.objects, ["Namespace my-ns", "ServiceAccount my-ns/my-sa"]);
            const { deployment } = imported[0] as { deployment: { resources: unknown[] } };
            assert.deepEqual(deployment.resources, []);
        });

        for (const [where, reader, message] of [
            ["one of them is there", cluster({ "Namespace/my-ns": "uid-ns" }), /lose track/],
            ["the cluster cannot be read", unreadable, /could not be read/],
            ["nobody asked the cluster", undefined, /records no cluster to replace/],
        ] as const) {
            it(`forgets nothing where ${where}`, async () => {
                const { stack, calls, imported } = fakeStack(stoppedFirstUp());
                const dir = join(tempDir("sa-forgotten-"), "backups");
                await assert.rejects(
                    forgetReplacedCluster(stack, stoppedFirstUp(), minikube, {
                        backupDir: dir,
                        unlock: true,
                        reader,
                    }),
                    message,
                );
                assert.deepEqual(imported, []);
                assert.deepEqual(calls, [], "the lock was removed or the state read");
                assert.ok(!existsSync(dir) || readdirSync(dir).length === 0);
            });
        }
    });
});
