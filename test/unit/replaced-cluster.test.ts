import * as assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

import { SelectedCluster } from "../../scripts/lib/cluster";
import { forgetReplacedCluster } from "../../scripts/lib/replaced-cluster";
import { fakeStack } from "../helpers/fake-stack";
import { tempDir } from "../helpers/temp-dirs";

const SECRETS = { type: "passphrase", state: { salt: "v1:abc" } };

/** A state deployed to minikube@192.168.49.2 with kube-system UID `uid`, holding two objects. */
function deployedState(uid?: string): Record<string, unknown> {
    const object = (kind: string, name: string, namespace?: string) => ({
        urn: `urn:pulumi:dev::sa-workload::kubernetes:${kind}::${name}`,
        custom: true,
        type: `kubernetes:core/v1:${kind}`,
        id: namespace ? `${namespace}/${name}` : name,
        outputs: {
            apiVersion: "v1",
            kind,
            metadata: { name, ...(namespace ? { namespace } : {}) },
        },
    });
    return {
        manifest: { time: "2026-12-04T00:00:00Z" },
        secrets_providers: SECRETS,
        resources: [
            {
                urn: "urn:pulumi:dev::sa-workload::pulumi:pulumi:Stack::sa-workload-dev",
                custom: false,
                type: "pulumi:pulumi:Stack",
                outputs: {
                    cluster: "minikube@192.168.49.2",
                    ...(uid ? { clusterUid: uid } : {}),
                },
            },
            object("Namespace", "my-ns"),
            object("Pod", "my-pod", "my-ns"),
        ],
        pending_operations: [{ type: "creating", resource: { urn: "urn:x" } }],
    };
}

const minikube = (uid?: string): SelectedCluster => ({
    target: { context: "minikube", cluster: "minikube", server: "https://192.168.49.2:8443" },
    identity: "minikube@192.168.49.2",
    uid,
    description: "kube context minikube",
});

describe("forgetting a replaced cluster's record", () => {
    it("empties the state of a cluster replaced by another of its name, keeping the old state in a file", async () => {
        const state = deployedState("uid-of-the-deleted-cluster");
        const { stack, imported } = fakeStack(state);
        const dir = tempDir("sa-forgotten-");
        // As read from a file backend's state file: the same state, its keys in another order.
        const read = Object.fromEntries(Object.entries(state).reverse());
        const forgotten = await forgetReplacedCluster(stack, read, minikube("uid-now"), {
            backupDir: dir,
        });
        assert.deepEqual(forgotten.objects, ["Namespace my-ns", "Pod my-ns/my-pod"]);
        assert.equal(imported.length, 1);
        const { deployment } = imported[0] as { deployment: Record<string, unknown> };
        assert.deepEqual(deployment.resources, []);
        assert.deepEqual(deployment.pending_operations, []);
        assert.deepEqual(deployment.secrets_providers, SECRETS);
        assert.deepEqual(JSON.parse(readFileSync(forgotten.backup, "utf8")), {
            version: 3,
            deployment: state,
        });
    });

    it("keeps the old state in a file only the user may read", async function () {
        // Windows has no POSIX mode bits; the file takes the folder's ACL there.
        if (process.platform === "win32") this.skip();
        const { stack } = fakeStack(deployedState("uid-old"));
        const forgotten = await forgetReplacedCluster(
            stack,
            deployedState("uid-old"),
            minikube("uid-now"),
            { backupDir: tempDir("sa-forgotten-") },
        );
        assert.equal(statSync(forgotten.backup).mode & 0o777, 0o600);
    });

    it("removes a killed run's lock, when asked, only once the clusters are known to differ", async () => {
        const { stack, calls } = fakeStack(deployedState("uid-old"));
        const selected = minikube("uid-now");
        const options = { backupDir: tempDir("sa-forgotten-"), unlock: true };
        await forgetReplacedCluster(stack, deployedState("uid-old"), selected, options);
        assert.deepEqual(calls, ["cancel", "export", "import"]);
    });

    /**
     * Asserts that forgetting `state` on `selected`, as recover asks it (unlocking), is refused with
     * `message`: nothing imported, no backup, and the lock left unless `unlocked`.
     */
    async function refused(
        state: unknown,
        selected: SelectedCluster,
        message: RegExp,
        exported: unknown = state,
        unlocked = false,
    ): Promise<void> {
        const { stack, calls, imported } = fakeStack(exported);
        const dir = join(tempDir("sa-forgotten-"), "backups");
        await assert.rejects(
            forgetReplacedCluster(stack, state, selected, { backupDir: dir, unlock: true }),
            message,
        );
        assert.deepEqual(imported, [], "the state was replaced");
        assert.equal(calls.includes("cancel"), unlocked, `the lock: ${calls.join(", ")}`);
        assert.ok(!existsSync(dir) || readdirSync(dir).length === 0, "a backup was written");
    }

    it("refuses on the stack's own cluster, where it would lose track of what exists", async () => {
        await refused(
            deployedState("uid-a"),
            minikube("uid-a"),
            /--cluster-replaced: stack dev was deployed to this very cluster \(kube-system UID uid-a\).*nothing was forgotten/,
        );
    });

    it("refuses where the UIDs cannot tell the clusters apart", async () => {
        await refused(deployedState(), minikube("uid-a"), /records no kube-system UID/);
        await refused(deployedState("uid-a"), minikube(undefined), /may not read this cluster's/);
        await refused(deployedState(), minikube(undefined), /records no kube-system UID/);
    });

    it("refuses a cluster of another name or address, which is a move", async () => {
        const kind = { ...minikube("uid-b"), identity: "kind-kind@127.0.0.1" };
        await refused(
            deployedState("uid-a"),
            kind,
            /was deployed to cluster minikube@192\.168\.49\.2, but this command would work on kind-kind@127\.0\.0\.1/,
        );
    });

    it("refuses a state that changed since the command read it", async () => {
        const now = deployedState("uid-a");
        (now.resources as unknown[]).pop();
        await refused(
            deployedState("uid-a"),
            minikube("uid-b"),
            /changed while this command read it/,
            now,
            // Read again only once unlocked, just before the import, as recover reads it.
            true,
        );
    });

    it("refuses a stack that records no cluster", async () => {
        await refused({ resources: [] }, minikube("uid-b"), /records no cluster to replace/);
        await refused(undefined, minikube("uid-b"), /records no cluster to replace/);
    });
});
