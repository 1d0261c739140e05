import * as assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

import {
    bundledClusterCertain,
    bundledKubeconfigAhead,
    CLUSTER_ENV,
    localClusterKubeconfig,
    BUNDLED_CLUSTER,
    passClusterUid,
    refuseBundledStart,
    refuseClusterMove,
    selectCluster,
    SelectedCluster,
} from "../../scripts/lib/cluster";
import { CLUSTER_UID_ENV } from "../../components/kube-context";
import { withEnv } from "../helpers/env";
import { kubeconfig } from "../helpers/fake-api-server";
import { tempDir } from "../helpers/temp-dirs";

describe("the cluster a user chose is the cluster used", () => {
    // Each test starts with KUBECONFIG at no file (the root hook, test/helpers/mocks.ts).

    /**
     * Points KUBECONFIG at a file with one context `name` on a server where nothing listens (port
     * 1 on the loopback refuses at once), `current` its current context; asserts that
     * selectCluster() refuses, its message holding each of `texts`, and keeps that KUBECONFIG.
     */
    async function refusedWith(name: string, current: string, texts: string[]): Promise<void> {
        const file = kubeconfig(tempDir("sa-cluster-"), name, "https://127.0.0.1:1", current);
        process.env.KUBECONFIG = file;
        await assert.rejects(selectCluster(), (error: Error) => {
            for (const text of texts) {
                assert.ok(error.message.includes(text), `"${text}" missing: ${error.message}`);
            }
            return true;
        });
        assert.equal(process.env.KUBECONFIG, file, "switched to another cluster");
    }

    it("fails at once on a context whose server does not answer, naming it and the fix", async () => {
        await refusedWith("minikube", "minikube", [
            '"minikube"',
            "https://127.0.0.1:1",
            "minikube start",
            "nothing was changed",
        ]);
    });

    it("refuses a current context that names nothing in the kubeconfig, never starting its own", async () => {
        // What `minikube delete` of another profile can leave: the context gone, still current.
        await refusedWith("kind", "minikube", [
            '"minikube"',
            "kubectl config use-context",
            "nothing was deployed",
        ]);
    });

    /**
     * Runs `fn` as on macOS, where the bundled cluster cannot start: a test that reaches its start
     * by mistake fails on that, never building or starting it here.
     */
    async function asOnMacOs(fn: () => Promise<void>): Promise<void> {
        const platform = Object.getOwnPropertyDescriptor(process, "platform")!;
        Object.defineProperty(process, "platform", { value: "darwin" });
        try {
            await fn();
        } finally {
            Object.defineProperty(process, "platform", platform);
        }
    }

    it("refuses a kubeconfig that lists contexts but selects none (a stopped minikube), starting nothing", async () => {
        // What `minikube stop` leaves: its context kept, no current context.
        await asOnMacOs(() =>
            refusedWith("minikube", "", [
                "lists kube contexts (minikube) but selects none",
                "minikube start",
                "kubectl config use-context NAME",
                "nothing was done",
            ]),
        );
    });

    /** A stack recorded on `identity` (none: a new stack), as the commands pass it. */
    const stackOn = (identity?: string) => ({
        name: "dev",
        recorded: () => Promise.resolve(identity),
    });

    it("starts no bundled cluster for a stack on another cluster where no kube context is set", async () => {
        const kubeconfigBefore = process.env.KUBECONFIG;
        // No kubeconfig, so the bundled cluster would start (refused as on macOS if it did).
        await asOnMacOs(() =>
            assert.rejects(
                selectCluster(undefined, true, stackOn("minikube@192.168.49.2")),
                (error: Error) => {
                    for (const text of [
                        "Stack dev was deployed to cluster minikube@192.168.49.2",
                        "no kube context selects a cluster now",
                        "nothing was started or changed",
                    ]) {
                        assert.ok(
                            error.message.includes(text),
                            `"${text}" missing: ${error.message}`,
                        );
                    }
                    return true;
                },
            ),
        );
        assert.equal(process.env.KUBECONFIG, kubeconfigBefore, "switched to the bundled cluster");
        // A new stack, or one on the bundled cluster, goes on to it (here: Linux only, as on macOS).
        for (const stack of [stackOn(), stackOn(BUNDLED_CLUSTER)]) {
            await asOnMacOs(() =>
                assert.rejects(selectCluster(undefined, true, stack), /runs on Linux only/),
            );
        }
    });

    it("keeps a stack on the bundled cluster there where the kubeconfig lists contexts but selects none", async () => {
        process.env.KUBECONFIG = kubeconfig(
            tempDir("sa-cluster-"),
            "minikube",
            "https://127.0.0.1:1",
            "",
        );
        // It goes on to the bundled cluster (not started by verify, which says so).
        await asOnMacOs(() =>
            assert.rejects(
                selectCluster(undefined, false, stackOn(BUNDLED_CLUSTER)),
                /No kube context is set: select the stack's cluster/,
            ),
        );
        await asOnMacOs(() =>
            assert.rejects(
                selectCluster(undefined, false, stackOn("minikube@192.168.49.2")),
                /lists kube contexts \(minikube\) but selects none/,
            ),
        );
    });

    it("refuses a kube context in the config that the kubeconfig does not have, naming the key", async () => {
        process.env.KUBECONFIG = kubeconfig(
            tempDir("sa-cluster-"),
            "minikube",
            "https://127.0.0.1:1",
        );
        await assert.rejects(
            selectCluster("minikueb"),
            /kube context "minikueb" \(config sa-workload:kubeContext\) is not in your kubeconfig/,
        );
    });

    it("says the bundled cluster is Linux-only on macOS and Windows, never that it is starting it", async () => {
        const said: unknown[] = [];
        const { error } = console;
        const platform = Object.getOwnPropertyDescriptor(process, "platform")!;
        console.error = (...args: unknown[]) => said.push(...args);
        try {
            for (const os of ["darwin", "win32"]) {
                Object.defineProperty(process, "platform", { value: os });
                await assert.rejects(selectCluster(), /bundled local cluster runs on Linux only/);
            }
        } finally {
            Object.defineProperty(process, "platform", platform);
            console.error = error;
        }
        assert.deepEqual(said, []);
    });

    it("refuses the bundled cluster asked for by the variable where the config names a context", async () => {
        const file = kubeconfig(tempDir("sa-cluster-"), "minikube", "https://127.0.0.1:1");
        process.env.KUBECONFIG = file;
        await withEnv({ [CLUSTER_ENV]: "local" }, async () => {
            await assert.rejects(selectCluster("minikube", false), (error: Error) => {
                for (const text of [
                    `${CLUSTER_ENV}=local`,
                    'sa-workload:kubeContext is "minikube"',
                    "nothing was done",
                    "remove the key from the stack's Pulumi.<stack>.yaml",
                ]) {
                    assert.ok(error.message.includes(text), `"${text}" missing: ${error.message}`);
                }
                return true;
            });
        });
        assert.equal(process.env.KUBECONFIG, file, "switched to the bundled cluster");
    });

    const selected: SelectedCluster = {
        target: {
            context: "kwok-sa-workload",
            cluster: "kwok-sa-workload",
            server: "https://127.0.0.1:5",
        },
        identity: "kwok-sa-workload@127.0.0.1",
        uid: "uid-of-this-cluster",
        description: "the bundled local cluster",
    };
    const deployedTo = (cluster?: string, clusterUid?: string) => ({
        resources: [
            {
                type: "pulumi:pulumi:Stack",
                outputs: { ...(cluster ? { cluster } : {}), ...(clusterUid ? { clusterUid } : {}) },
            },
        ],
    });

    it("knows the bundled cluster is certain only when asked for or without a kubeconfig file", () => {
        const dir = tempDir("sa-cluster-");
        const file = join(dir, "config");
        writeFileSync(file, "apiVersion: v1\nkind: Config\n");
        withEnv({ [CLUSTER_ENV]: undefined }, () => {
            assert.equal(bundledClusterCertain(join(dir, "none")), true);
            // A file may still name no usable context: only selectCluster() can tell.
            assert.equal(bundledClusterCertain(file), false);
        });
        withEnv({ [CLUSTER_ENV]: "local" }, () => {
            assert.equal(bundledClusterCertain(file), true);
        });
    });

    it("gives the engine the bundled cluster's kubeconfig ahead only where that cluster is certain and was created here", () => {
        const dir = tempDir("sa-cluster-");
        const userConfig = join(dir, "config");
        writeFileSync(userConfig, "apiVersion: v1\nkind: Config\n");
        const cache = { SA_WORKLOAD_CACHE: join(dir, "cache") };
        const created = withEnv(cache, localClusterKubeconfig);
        const none = join(dir, "none");
        const built = () => true;
        withEnv({ ...cache, [CLUSTER_ENV]: undefined }, () => {
            assert.equal(bundledKubeconfigAhead(none, built), undefined, "never created");
            mkdirSync(dirname(created), { recursive: true });
            writeFileSync(created, "apiVersion: v1\nkind: Config\n");
            assert.equal(bundledKubeconfigAhead(none, built), created);
            // A new version's binaries take minutes to build: not while an engine waits.
            assert.equal(
                bundledKubeconfigAhead(none, () => false),
                undefined,
                "to be built",
            );
            // The user's kubeconfig may name a context: only selectCluster() can tell.
            assert.equal(bundledKubeconfigAhead(userConfig, built), undefined);
        });
        withEnv({ ...cache, [CLUSTER_ENV]: "local" }, () => {
            assert.equal(bundledKubeconfigAhead(userConfig, built), created);
        });
    });

    it("stops a stack from moving to another cluster than the one it was deployed to", () => {
        assert.throws(
            () => refuseClusterMove("dev", deployedTo("minikube@192.168.49.2"), selected),
            /Stack dev was deployed to cluster minikube@192.168.49.2, but this command would work on kwok-sa-workload@127.0.0.1/,
        );
    });

    it("says how to select the bundled cluster, which has no kube context, when the stack is there", () => {
        const minikube = { ...selected, identity: "minikube@192.168.49.2" };
        assert.throws(
            () => refuseClusterMove("dev", deployedTo(BUNDLED_CLUSTER), minikube),
            /Select the bundled local cluster \(SA_WORKLOAD_CLUSTER=local; PowerShell: \$env:SA_WORKLOAD_CLUSTER="local"\)/,
        );
        withEnv({ [CLUSTER_ENV]: "local" }, () => {
            assert.throws(
                () => refuseClusterMove("dev", deployedTo("minikube@192.168.49.2"), selected),
                /Unset SA_WORKLOAD_CLUSTER, select the first cluster's context/,
            );
        });
    });

    it("refuses to start the bundled cluster for a stack that records another cluster", () => {
        withEnv({ [CLUSTER_ENV]: "local" }, () => {
            assert.throws(
                () => refuseBundledStart("dev", "minikube@192.168.49.2"),
                /and SA_WORKLOAD_CLUSTER=local asks for the bundled local cluster; .*Unset SA_WORKLOAD_CLUSTER/,
            );
        });
        assert.throws(
            () => refuseBundledStart("dev", "minikube@192.168.49.2"),
            (error: Error) => {
                for (const text of [
                    "Stack dev was deployed to cluster minikube@192.168.49.2",
                    "nothing was started or changed",
                    "minikube start",
                ]) {
                    assert.ok(error.message.includes(text), `"${text}" missing: ${error.message}`);
                }
                return true;
            },
        );
        refuseBundledStart("dev", BUNDLED_CLUSTER);
        refuseBundledStart("dev", undefined);
    });

    it("stops a stack from moving to another cluster of the same name and host", () => {
        // A teammate's minikube, or the stack's own cluster deleted and created again.
        const other = deployedTo("kwok-sa-workload@127.0.0.1", "uid-of-the-first-cluster");
        assert.throws(
            () => refuseClusterMove("dev", other, selected),
            (error: Error) => {
                for (const text of [
                    "Stack dev was deployed to cluster kwok-sa-workload@127.0.0.1",
                    "UID uid-of-the-first-cluster",
                    "has UID uid-of-this-cluster",
                    "npm run up -- --cluster-replaced",
                    "deleting nothing",
                    "If it is a teammate's, run the command where that cluster is",
                ]) {
                    assert.ok(error.message.includes(text), `"${text}" missing: ${error.message}`);
                }
                return true;
            },
        );
    });

    it("lets a stack stay on its cluster, and a new stack start anywhere", () => {
        refuseClusterMove("dev", deployedTo("kwok-sa-workload@127.0.0.1"), selected);
        refuseClusterMove(
            "dev",
            deployedTo("kwok-sa-workload@127.0.0.1", "uid-of-this-cluster"),
            selected,
        );
        refuseClusterMove("dev", deployedTo(undefined), selected);
        refuseClusterMove("dev", {}, selected);
    });

    it("passes the program the UID read, else the one the stack recorded on the same cluster", () => {
        const saved = process.env[CLUSTER_UID_ENV];
        try {
            const recorded = deployedTo("kwok-sa-workload@127.0.0.1", "uid-recorded");
            passClusterUid(recorded, selected);
            assert.equal(process.env[CLUSTER_UID_ENV], "uid-of-this-cluster");
            // Credentials that may not read kube-system keep the record, never erase it.
            passClusterUid(recorded, { ...selected, uid: undefined });
            assert.equal(process.env[CLUSTER_UID_ENV], "uid-recorded");
            const elsewhere = deployedTo("minikube@192.168.49.2", "uid-recorded");
            passClusterUid(elsewhere, { ...selected, uid: undefined });
            assert.equal(process.env[CLUSTER_UID_ENV], undefined);
            passClusterUid(undefined, { ...selected, uid: undefined });
            assert.equal(process.env[CLUSTER_UID_ENV], undefined);
        } finally {
            if (saved === undefined) delete process.env[CLUSTER_UID_ENV];
            else process.env[CLUSTER_UID_ENV] = saved;
        }
    });

    it("compares by name and host alone where either UID is unknown", () => {
        // A stack deployed before the UID was recorded, or credentials that may not read it.
        const unread = { ...selected, uid: undefined };
        refuseClusterMove("dev", deployedTo("kwok-sa-workload@127.0.0.1", "uid-a"), unread);
        refuseClusterMove("dev", deployedTo("kwok-sa-workload@127.0.0.1"), selected);
        assert.throws(
            () => refuseClusterMove("dev", deployedTo("minikube@192.168.49.2"), unread),
            /was deployed to cluster minikube@192.168.49.2/,
        );
    });
});
