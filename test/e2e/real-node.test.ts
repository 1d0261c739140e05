/**
 * The Pod we ship, really running: on the bundled cluster's real node (containerd + kubelet),
 * each token mode and the baseline profile, proven from inside the Pod; then the node's stop
 * leaves nothing on the host.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { Stack } from "@pulumi/pulumi/automation";

import { cacheRoot, runScript } from "../../scripts/lib/toolchain";
import {
    actualOf,
    e2eStack,
    eventually,
    kubectl,
    kubectlJson,
    kubectlStatus,
    namespaceExists,
    TempBackend,
    verified,
} from "../helpers/e2e";
import { stateResourceCount } from "../helpers/stack-state";
import { onRealNode, REAL_NODE_LABEL, REAL_NODE_NAME, REAL_NODE_TAINT } from "../helpers/real-node";

const STACK = "e2e-real-node";
const workloads = [
    onRealNode({
        namespace: "e2e-real-projected",
        serviceAccountName: "vault-client",
        token: {
            mode: "projected",
            audience: "vault",
            expirationSeconds: 3600,
            path: "/var/run/secrets/vault",
        },
    }),
    onRealNode({
        namespace: "e2e-real-none",
        serviceAccountName: "no-token",
        token: { mode: "none" },
    }),
    onRealNode({
        namespace: "e2e-real-baseline",
        serviceAccountName: "stock",
        podSecurity: "baseline",
    }),
];
const names = (namespace: string, serviceAccount: string) => ({
    namespace,
    serviceAccount,
    pod: "my-pod",
});

/** The fields of `kubectl get node -o json` this suite reads. */
interface NodeJson {
    metadata: { labels: Record<string, string> };
    spec: { taints: { key: string; value: string; effect: string }[] };
    status: {
        conditions: { type: string; status: string }[];
        nodeInfo: { containerRuntimeVersion: string };
    };
}

/** The fields of `kubectl get po -o json` this suite reads. */
interface PodJson {
    spec: { nodeName: string };
    status: { phase: string; containerStatuses: { ready: boolean; restartCount: number }[] };
}

/** The kernel settings in node.sh's snapshot of the host ("sysctl <key> <value>" lines). */
function kernelSettings(snapshot: string): [string, string][] {
    return [...snapshot.matchAll(/^sysctl (\S+) (.*)$/gm)].map((m) => [m[1], m[2]]);
}

/** The containers containerd holds for Kubernetes on the real node, one id per line. */
function nodeContainers(): string {
    const socket = join(cacheRoot(), "cluster", "node", "containerd.sock");
    return execFileSync("ctr", ["--address", socket, "-n", "k8s.io", "containers", "list", "-q"], {
        encoding: "utf8",
    }).trim();
}

describe("the real node", () => {
    const backend = new TempBackend();
    let stack: Stack;

    before(async () => {
        stack = await e2eStack(backend, STACK, { "sa-workload:workloads": workloads });
    });

    after(async () => {
        await stack?.destroy({ runProgram: true }).catch(() => undefined);
        backend.dispose();
    });

    it("is registered Ready beside kwok's node, labelled and tainted so pods land on it on purpose", () => {
        const node = kubectlJson<NodeJson>("get", "node", REAL_NODE_NAME, "-o", "json");
        const ready = node.status.conditions.find((c) => c.type === "Ready")!;
        assert.equal(ready.status, "True");
        assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\./);
        for (const [label, value] of Object.entries(REAL_NODE_LABEL)) {
            assert.equal(node.metadata.labels[label], value);
        }
        assert.deepEqual(
            node.spec.taints.map((t) => ({
                key: t.key,
                value: t.value,
                effect: t.effect,
            })),
            [REAL_NODE_TAINT],
        );
        const kwok = kubectl(
            "get",
            "nodes",
            "-o",
            "jsonpath={.items[*].metadata.annotations.kwok\\.x-k8s\\.io/node}",
        );
        assert.equal(kwok.trim(), "fake", "exactly one node (kwok's) is faked");
    });

    it("runs a pod of each token mode and of the baseline profile there, Running and Ready", async () => {
        const result = await stack.up();
        assert.equal(result.summary.result, "succeeded");
        for (const w of workloads) {
            const pod = kubectlJson<PodJson>(
                "get",
                "po",
                "my-pod",
                "-n",
                w.namespace!,
                "-o",
                "json",
            );
            assert.equal(pod.spec.nodeName, REAL_NODE_NAME, w.namespace);
            assert.equal(pod.status.phase, "Running", w.namespace);
            assert.equal(pod.status.containerStatuses[0].ready, true, w.namespace);
            assert.equal(pod.status.containerStatuses[0].restartCount, 0, w.namespace);
        }
    });

    it("serves HTTP 200 from nginx on each pod's IP, over the node's pod network", async () => {
        for (const [namespace, port] of [
            ["e2e-real-projected", 8080],
            ["e2e-real-none", 8080],
            ["e2e-real-baseline", 80],
        ] as const) {
            const ip = kubectl(
                "get",
                "po",
                "my-pod",
                "-n",
                namespace,
                "-o",
                "jsonpath={.status.podIP}",
            );
            const response = await fetch(`http://${ip}:${port}/`);
            assert.equal(response.status, 200, namespace);
            assert.match(await response.text(), /Welcome to nginx/);
        }
    });

    it("puts the projected token at its path, for its audience, with its lifetime", async () => {
        const checks = await verified(names("e2e-real-projected", "vault-client"));
        assert.equal(
            actualOf(checks, "projected token file at /var/run/secrets/vault/token"),
            "present",
        );
        assert.equal(actualOf(checks, "token audience"), "vault");
        assert.equal(actualOf(checks, "token lifetime"), "3600 s");
        // A token for another audience is refused by the API server.
        assert.equal(
            actualOf(checks, "the pod's own token authenticates as"),
            "401 Unauthorized (not for the API server)",
        );
        assert.equal(actualOf(checks, "nginx runs as user"), "101");
        assert.equal(actualOf(checks, "root filesystem"), "read-only");
        assert.equal(actualOf(checks, "effective capabilities"), "0000000000000000");
        assert.equal(actualOf(checks, "nginx answers on port 8080"), "200 OK");
    });

    it("leaves no token file at all with token mode none", async () => {
        const checks = await verified(names("e2e-real-none", "no-token"));
        assert.equal(actualOf(checks, "no token file"), "none");
        const ls = kubectlStatus(
            "exec",
            "my-pod",
            "-n",
            "e2e-real-none",
            "--",
            "ls",
            "/var/run/secrets",
        );
        assert.notEqual(ls.status, 0);
        assert.match(ls.output, /No such file or directory/);
    });

    it("runs stock nginx under baseline: root master, workers as nginx, exactly the profile's capabilities", async () => {
        const checks = await verified(names("e2e-real-baseline", "stock"));
        // CHOWN, DAC_OVERRIDE, SETGID, SETUID and NET_BIND_SERVICE: bits 0, 1, 6, 7 and 10.
        assert.equal(actualOf(checks, "effective capabilities"), "00000000000004c3");
        assert.equal(
            actualOf(checks, "the pod's own token authenticates as"),
            "system:serviceaccount:e2e-real-baseline:stock",
        );
        assert.equal(actualOf(checks, "the pod's own token lists secrets"), "403 Forbidden");
        const ps = kubectl(
            "exec",
            "my-pod",
            "-n",
            "e2e-real-baseline",
            "--",
            "ps",
            "-o",
            "user,comm",
        );
        assert.match(ps, /^root\s+nginx$/m);
        assert.match(ps, /^nginx\s+nginx$/m);
    });

    it("deletes everything with pulumi destroy, the containers included", async () => {
        const result = await stack.destroy({ runProgram: true });
        assert.equal(result.summary.result, "succeeded");
        for (const w of workloads) {
            await eventually(`${w.namespace} is gone`, () => !namespaceExists(w.namespace!));
        }
        assert.equal(await stateResourceCount(stack), 0);
        // The kubelet stopped and removed their containers and sandboxes too.
        await eventually("no container is left on the real node", () => nodeContainers() === "");
    });

    it("stops without leaving anything on the host, and starts again", () => {
        // The host as the node's start found it, and what the running node changed since.
        const baselineFile = join(cacheRoot(), "cluster", "node-host-before");
        const baseline = readFileSync(baselineFile, "utf8");
        const running = runScript("scripts/node.sh", "leftovers");
        assert.ok(kernelSettings(baseline).length >= 6, "the snapshot holds the kernel settings");
        assert.match(running, /^\+ process kubelet /m);
        assert.match(running, /^\+ link sawl0$/m);
        assert.match(running, /^\+ path \/sys\/fs\/cgroup\/memory\/kubepods$/m);
        const kernelBefore = kernelSettings(baseline);
        runScript("scripts/node.sh", "stop");
        // Compared again here, with the baseline the stop removed put back.
        writeFileSync(baselineFile, baseline);
        try {
            assert.equal(runScript("scripts/node.sh", "leftovers"), "");
        } finally {
            rmSync(baselineFile);
        }
        // And checked without node.sh: processes, the bridge, mounts, kernel settings.
        const nodeDir = join(cacheRoot(), "cluster", "node");
        assert.equal(spawnSync("pgrep", ["-f", nodeDir]).status, 1, "a process of the node runs");
        assert.notEqual(spawnSync("ip", ["link", "show", "sawl0"]).status, 0, "the bridge is left");
        assert.ok(
            !readFileSync("/proc/self/mountinfo", "utf8").includes(nodeDir),
            "a mount is left",
        );
        for (const [key, value] of kernelBefore) {
            assert.equal(
                execFileSync("sysctl", ["-n", key], { encoding: "utf8" }).trim(),
                value,
                key,
            );
        }
        runScript("scripts/node.sh", "start");
        const ready = kubectl(
            "get",
            "node",
            REAL_NODE_NAME,
            "-o",
            'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        );
        assert.equal(ready, "True");
    });
});
