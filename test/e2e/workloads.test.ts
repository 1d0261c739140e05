/** Two workloads with non-default names in one stack, changed in place, then destroyed. */
import * as assert from "node:assert/strict";

import { Stack } from "@pulumi/pulumi/automation";

import { stackDeployment, writeStackConfig } from "../../scripts/lib/stack";
import {
    e2eStack,
    eventually,
    kubectl,
    kubectlJson,
    namespaceExists,
    podUid,
    TempBackend,
    verified,
} from "../helpers/e2e";
import { stateResourceCount, workloadsOutput } from "../helpers/stack-state";

const STACK = "e2e-workloads";
const readPods = { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] };
const workloads = [
    { namespace: "e2e-team-a", serviceAccountName: "reader", podName: "web" },
    {
        namespace: "e2e-team-b",
        serviceAccountName: "projected",
        podName: "api",
        token: { mode: "projected", audience: "e2e", expirationSeconds: 900 },
    },
];

/** The fields of a pod's spec, from kubectl, that this suite reads. */
interface PodSpecJson {
    volumes: { name: string; projected?: { sources: { serviceAccountToken?: object }[] } }[];
}

describe("a stack of two workloads on a live API server", () => {
    const backend = new TempBackend();
    let stack: Stack;

    before(async () => {
        stack = await e2eStack(backend, STACK, { "sa-workload:workloads": workloads });
    });

    after(async () => {
        await stack?.destroy({ runProgram: true }).catch(() => undefined);
        backend.dispose();
    });

    it("creates both workloads, each in its own namespace", async () => {
        const result = await stack.up();
        assert.deepEqual(Object.keys(workloadsOutput(result.outputs)).sort(), [
            "e2e-team-a",
            "e2e-team-b",
        ]);
        assert.match(kubectl("get", "po", "web", "-n", "e2e-team-a", "--no-headers"), /Running/);
        assert.match(
            kubectl("describe", "po", "api", "-n", "e2e-team-b"),
            /^Service Account:\s+projected$/m,
        );
    });

    it("mounts the projected token and no standard token into the projected workload", () => {
        const spec = kubectlJson<PodSpecJson>(
            "get",
            "po",
            "api",
            "-n",
            "e2e-team-b",
            "-o",
            "jsonpath={.spec}",
        );
        const projected = spec.volumes.find((v) => v.projected)!;
        assert.deepEqual(projected.projected!.sources[0].serviceAccountToken, {
            audience: "e2e",
            expirationSeconds: 900,
            path: "token",
        });
        assert.equal(spec.volumes.filter((v) => v.name.startsWith("kube-api-access-")).length, 0);
    });

    it("proves each identity on its own namespace only", async () => {
        for (const [namespace, serviceAccount, pod] of [
            ["e2e-team-a", "reader", "web"],
            ["e2e-team-b", "projected", "api"],
        ]) {
            await verified({ namespace, serviceAccount, pod });
        }
    });

    it("grants a new rule in place, without replacing the pod", async () => {
        const uidBefore = podUid("e2e-team-a", "web");
        const configMaps = { apiGroups: [""], resources: ["configmaps"], verbs: ["get"] };
        await writeStackConfig(stack, {
            "sa-workload:workloads": [
                { ...workloads[0], rules: [readPods, configMaps] },
                workloads[1],
            ],
        });
        const result = await stack.up();
        assert.equal(result.summary.resourceChanges?.update, 1);
        assert.equal(result.summary.resourceChanges?.replace ?? 0, 0);
        const uidAfter = podUid("e2e-team-a", "web");
        assert.equal(uidAfter, uidBefore);

        const checks = await verified({
            namespace: "e2e-team-a",
            serviceAccount: "reader",
            pod: "web",
        });
        const granted = checks.find((c) => c.check === "token may get configmaps in e2e-team-a");
        assert.equal(granted?.actual, "allowed");
    });

    it("previews no changes after the update", async () => {
        await stack.preview({ expectNoChanges: true });
    });

    it("reads the state from its file as `pulumi stack export` prints it", async () => {
        // What scripts/deploy.ts reads before the engine, without a CLI run.
        const exported = (await stack.exportStack()).deployment as { resources?: unknown[] };
        assert.ok((exported.resources?.length ?? 0) > 10, "both workloads are in the state");
        assert.deepEqual(await stackDeployment(stack, backend.url), exported);
    });

    it("destroys both namespaces and empties the state", async () => {
        await stack.destroy({ runProgram: true });
        await eventually("both namespaces are gone", () =>
            ["e2e-team-a", "e2e-team-b"].every((ns) => !namespaceExists(ns)),
        );
        assert.equal(await stateResourceCount(stack), 0);
    });
});
