import * as assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import {
    bundledClusterCertain,
    CLUSTER_ENV,
    refuseClusterMove,
    selectCluster,
    SelectedCluster,
} from "../../scripts/lib/cluster";
import { tempDir } from "../helpers/temp-dirs";

describe("the cluster a user chose is the cluster used", () => {
    const saved = process.env.KUBECONFIG;
    afterEach(() => {
        process.env.KUBECONFIG = saved;
    });

    it("fails at once on a context whose server does not answer, naming it and the fix", async () => {
        const dir = tempDir("sa-cluster-");
        const file = join(dir, "config");
        // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
        writeFileSync(
            file,
            JSON.stringify({
                apiVersion: "v1",
                kind: "Config",
                clusters: [{ name: "minikube", cluster: { server: "https://127.0.0.1:1" } }],
                users: [{ name: "minikube", user: { token: "t" } }],
                contexts: [
                    { name: "minikube", context: { cluster: "minikube", user: "minikube" } },
                ],
                "current-context": "minikube",
            }),
        );
        process.env.KUBECONFIG = file;
        await assert.rejects(selectCluster(), (error: Error) => {
            for (const text of [
                '"minikube"',
                "https://127.0.0.1:1",
                "minikube start",
                "nothing was changed",
            ]) {
                assert.ok(error.message.includes(text), `"${text}" missing: ${error.message}`);
            }
            return true;
        });
        assert.equal(process.env.KUBECONFIG, file, "switched to another cluster");
    });

    it("refuses a current context that names nothing in the kubeconfig, never starting its own", async () => {
        const dir = tempDir("sa-cluster-");
        const file = join(dir, "config");
        // What `minikube delete` of another profile can leave: the context gone, still current.
        writeFileSync(
            file,
            JSON.stringify({
                apiVersion: "v1",
                kind: "Config",
                clusters: [{ name: "kind", cluster: { server: "https://127.0.0.1:1" } }],
                users: [{ name: "kind", user: { token: "t" } }],
                contexts: [{ name: "kind", context: { cluster: "kind", user: "kind" } }],
                "current-context": "minikube",
            }),
        );
        process.env.KUBECONFIG = file;
        await assert.rejects(selectCluster(), (error: Error) => {
            for (const text of [
                '"minikube"',
                "kubectl config use-context",
                "nothing was deployed",
            ]) {
                assert.ok(error.message.includes(text), `"${text}" missing: ${error.message}`);
            }
            return true;
        });
        assert.equal(process.env.KUBECONFIG, file, "switched to another cluster");
    });

    const selected: SelectedCluster = {
        target: {
            context: "kwok-sa-workload",
            cluster: "kwok-sa-workload",
            server: "https://127.0.0.1:5",
        },
        identity: "kwok-sa-workload@127.0.0.1",
        description: "the bundled local cluster",
    };
    const deployedTo = (cluster?: string) => ({
        resources: [{ type: "pulumi:pulumi:Stack", outputs: cluster ? { cluster } : {} }],
    });

    it("knows the bundled cluster is certain only when asked for or without a kubeconfig file", () => {
        const dir = tempDir("sa-cluster-");
        const file = join(dir, "config");
        writeFileSync(file, "apiVersion: v1\nkind: Config\n");
        const asked = process.env[CLUSTER_ENV];
        try {
            delete process.env[CLUSTER_ENV];
            assert.equal(bundledClusterCertain(join(dir, "none")), true);
            // A file may still name no usable context: only selectCluster() can tell.
            assert.equal(bundledClusterCertain(file), false);
            process.env[CLUSTER_ENV] = "local";
            assert.equal(bundledClusterCertain(file), true);
        } finally {
            if (asked === undefined) delete process.env[CLUSTER_ENV];
            else process.env[CLUSTER_ENV] = asked;
        }
    });

    it("stops a stack from moving to another cluster than the one it was deployed to", () => {
        assert.throws(
            () => refuseClusterMove("dev", deployedTo("minikube@192.168.49.2"), selected),
            /Stack dev was deployed to cluster minikube@192.168.49.2, but this command would work on kwok-sa-workload@127.0.0.1/,
        );
    });

    it("lets a stack stay on its cluster, and a new stack start anywhere", () => {
        refuseClusterMove("dev", deployedTo("kwok-sa-workload@127.0.0.1"), selected);
        refuseClusterMove("dev", deployedTo(undefined), selected);
        refuseClusterMove("dev", {}, selected);
    });
});
