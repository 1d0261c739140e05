/**
 * The kubectl walk-through, done by the real Pulumi engine against a real API server:
 * create ns my-ns, create serviceaccount my-sa, run my-pod as my-sa, get and describe it, clean up.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

import { Stack } from "@pulumi/pulumi/automation";

import type { ServiceAccountWorkloadArgs } from "../../components";
import { engineRunMarks, latestEngineLog } from "../../scripts/lib/engine-log";
import { openStack, repoStackConfig } from "../../scripts/lib/stack";
import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { verifyWorkload } from "../../scripts/lib/verify";
import {
    actualOf,
    adminConfig,
    e2eStack,
    eventually,
    kubectl,
    kubectlJson,
    kubectlStatus,
    kubectlWithToken,
    namespaceExists,
    TempBackend,
    testKubeconfig,
} from "../helpers/e2e";
import { USER_PULUMI_HOME } from "../helpers/pulumi-home";
import { stateResourceCount, workloadsOutput } from "../helpers/stack-state";
import { onRealNode, REAL_NODE_NAME } from "../helpers/real-node";

describe("the dev stack on a live API server", () => {
    const backend = new TempBackend();
    let stack: Stack;
    let config: Record<string, unknown>;

    before(async () => {
        // Pulumi.dev.yaml's workload, on the real node with its test image (test/helpers/real-node.ts).
        const dev = await repoStackConfig("dev");
        const devWorkloads = dev?.["sa-workload:workloads"] as ServiceAccountWorkloadArgs[];
        config = { ...dev, "sa-workload:workloads": devWorkloads.map((w) => onRealNode(w)) };
        stack = await e2eStack(backend, "dev", config);
    });

    after(async () => {
        // Always leave the cluster as found, whatever failed above.
        await stack?.destroy({ runProgram: true }).catch(() => undefined);
        backend.dispose();
    });

    it("1. creates the namespace, service account, role, binding and pod with pulumi up", async () => {
        const result = await stack.up();
        assert.equal(result.summary.result, "succeeded");
        const workload = workloadsOutput(result.outputs)["my-ns"];
        assert.deepEqual(
            {
                namespace: workload.namespace,
                serviceAccount: workload.serviceAccount,
                pod: workload.pod,
            },
            { namespace: "my-ns", serviceAccount: "my-sa", pod: "my-pod" },
        );
        assert.equal(result.summary.resourceChanges?.create, 7); // stack, component, 5 objects
    });

    it("2. shows my-pod Running with kubectl get po my-pod -n my-ns", () => {
        const line = kubectl("get", "po", "my-pod", "-n", "my-ns", "--no-headers");
        assert.match(line, /^my-pod\s+1\/1\s+Running\s+0\s/);
        const node = kubectl(
            "get",
            "po",
            "my-pod",
            "-n",
            "my-ns",
            "-o",
            "jsonpath={.spec.nodeName}",
        );
        assert.equal(
            node,
            REAL_NODE_NAME,
            "Ready through its real readiness probe, on the real node",
        );
    });

    it("2a. answers HTTP 200 from nginx on the pod's IP", async () => {
        const ip = kubectl("get", "po", "my-pod", "-n", "my-ns", "-o", "jsonpath={.status.podIP}");
        const response = await fetch(`http://${ip}:8080/`);
        assert.equal(response.status, 200);
    });

    it("2b. runs as uid 101 on a read-only root, as kubectl exec my-pod -- id shows", () => {
        assert.match(kubectl("exec", "my-pod", "-n", "my-ns", "--", "id"), /^uid=101\b/);
        const touch = kubectlStatus("exec", "my-pod", "-n", "my-ns", "--", "touch", "/written");
        assert.notEqual(touch.status, 0);
        assert.match(touch.output, /Read-only file system/);
    });

    it("2c. mounts my-sa's token, which authenticates as my-sa and is refused secrets", () => {
        const dir = "/var/run/secrets/kubernetes.io/serviceaccount";
        const token = kubectl("exec", "my-pod", "-n", "my-ns", "--", "cat", `${dir}/token`).trim();
        assert.equal(
            kubectl("exec", "my-pod", "-n", "my-ns", "--", "cat", `${dir}/namespace`),
            "my-ns",
        );
        const whoami = kubectlWithToken(
            token,
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
        );
        assert.equal(whoami.output, "system:serviceaccount:my-ns:my-sa");
        const secrets = kubectlWithToken(token, "get", "secrets", "-n", "my-ns");
        assert.notEqual(secrets.status, 0);
        assert.match(secrets.output, /Forbidden.*cannot list resource "secrets"/);
    });

    it("3. shows Service Account: my-sa with kubectl describe po my-pod -n my-ns", () => {
        const description = kubectl("describe", "po", "my-pod", "-n", "my-ns");
        assert.match(description, /^Service Account:\s+my-sa$/m);
        assert.match(description, /^Namespace:\s+my-ns$/m);
    });

    it("4. labels my-ns to enforce the restricted Pod Security level", () => {
        const labels = kubectlJson<Record<string, string>>(
            "get",
            "ns",
            "my-ns",
            "-o",
            "jsonpath={.metadata.labels}",
        );
        assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
    });

    it("5. proves the identity: my-sa's token reads pods in my-ns and nothing more", async () => {
        const checks = await verifyWorkload(adminConfig(), {
            namespace: "my-ns",
            serviceAccount: "my-sa",
            pod: "my-pod",
        });
        const failed = checks.filter((c) => !c.ok);
        assert.deepEqual(failed, []);
        assert.equal(actualOf(checks, "lists pods in my-ns (real request)"), "200 OK");
        assert.equal(actualOf(checks, "lists secrets in my-ns (real request)"), "403 Forbidden");
        assert.equal(actualOf(checks, "list pods in kube-system"), "denied");
        assert.equal(actualOf(checks, "list namespaces cluster-wide"), "denied");
    });

    it("6. prints the same proof as a table with npm run verify", async () => {
        const run = spawnSync(
            process.execPath,
            [join(REPO_ROOT, "scripts", "run.mjs"), join("scripts", "verify.ts")],
            {
                cwd: REPO_ROOT,
                encoding: "utf8",
                env: {
                    ...process.env,
                    PULUMI_BACKEND_URL: backend.url,
                    KUBECONFIG: testKubeconfig(),
                },
            },
        );
        assert.equal(
            run.status,
            0,
            `${run.stdout}${run.stderr}${kubectl("get", "po", "-A", "-o", "wide")}`,
        );
        assert.match(run.stdout, /^WORKLOAD\s+CHECK\s+EXPECTED\s+ACTUAL\s+RESULT$/m);
        assert.match(run.stdout, /verify: all \d+ checks passed/);
        // The pod runs on the real node: the checks from inside it ran, none was skipped.
        assert.match(
            run.stdout,
            /^my-ns\s+nginx runs as user \(inside the pod\)\s+101\s+101\s+ok$/m,
        );
        assert.doesNotMatch(run.stdout, /skipped/);
        // npm run verify opened the stack with Pulumi.dev.yaml's config; the test's again.
        stack = await openStack({ stackName: "dev", backendUrl: backend.url, config });
    });

    it("7. previews no changes on a second run, and its CLI logs where the engine's time went, in the suite's Pulumi folder", async () => {
        const started = Date.now();
        await stack.preview({ expectNoChanges: true });
        // npm run bench reads these from the CLI's own log of each run (scripts/lib/engine-log.ts).
        const marks = engineRunMarks(started, backend.url);
        // The user's own run of a `dev` stack of this project meanwhile would fail this too.
        assert.equal(
            latestEngineLog(started, USER_PULUMI_HOME, "organization+sa-workload+dev-"),
            undefined,
            "the run's log went to the user's Pulumi folder",
        );
        const names = marks.map(([name]) => name);
        for (const name of ["program running", "provider configured", "resources done"]) {
            assert.ok(names.includes(name), `${name} not in ${names.join(", ")}`);
        }
        assert.equal(names.at(-1), "engine finished");
        const times = marks.map(([, ms]) => ms);
        assert.ok(times[0] >= 0, `first mark at ${times[0]} ms`);
        assert.deepEqual(
            times,
            [...times].sort((a, b) => a - b),
        );
    });

    it("8. refreshes without finding drift", async () => {
        await stack.refresh({ expectNoChanges: true });
    });

    it("9. deletes the pod and the namespace with pulumi destroy, and leaves no state", async () => {
        const result = await stack.destroy({ runProgram: true });
        assert.equal(result.summary.result, "succeeded");
        await eventually("my-ns is gone", () => !namespaceExists("my-ns"));
        assert.equal(await stateResourceCount(stack), 0);
    });
});
