/**
 * Faults while operating a stack: drift, a pod that never becomes ready, a namespace that will not
 * go, two concurrent updates, and an immutable change. Each case asserts on the cluster's objects
 * and the stack's state, and leaves nothing behind.
 */
import * as assert from "node:assert/strict";
import { readdirSync } from "node:fs";

import { Stack } from "@pulumi/pulumi/automation";

import { describeBackendFailure } from "../../scripts/lib/backend";
import { writeStackConfig } from "../../scripts/lib/stack";
import { verifyWorkload } from "../../scripts/lib/verify";
import {
    adminConfig,
    e2eStack,
    errorText,
    kubectl,
    objectExists,
    namespaceExists,
    NEVER_READY,
    npmRun,
    podUid,
    setFinalizers,
    TempBackend,
    verified,
} from "../helpers/e2e";
import { stateResourceCount, stateResources } from "../helpers/stack-state";
import { recordCase } from "../helpers/reliability";

async function setWorkloads(stack: Stack, workloads: unknown[]): Promise<void> {
    await writeStackConfig(stack, { "sa-workload:workloads": workloads });
}

const READ_PODS = [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }];

const ids = (w: { namespace: string; serviceAccountName: string; podName: string }) => ({
    namespace: w.namespace,
    serviceAccount: w.serviceAccountName,
    pod: w.podName,
});

function setRoleVerbs(namespace: string, role: string, verbs: string[]): void {
    const patch = [{ op: "replace", path: "/rules/0/verbs", value: verbs }];
    kubectl("patch", "role", role, "-n", namespace, "--type=json", "-p", JSON.stringify(patch));
}

function roleVerbs(namespace: string, role: string): string[] {
    return JSON.parse(
        kubectl("get", "role", role, "-n", namespace, "-o", "jsonpath={.rules[0].verbs}"),
    ) as string[];
}

describe("fault: operations on a live stack", () => {
    const backend = new TempBackend();
    const stacks: Stack[] = [];

    async function newStack(name: string, workloads: unknown[]): Promise<Stack> {
        const stack = await e2eStack(backend, name, { "sa-workload:workloads": workloads });
        stacks.push(stack);
        return stack;
    }

    after(async () => {
        for (const stack of stacks) {
            await stack.destroy({ runProgram: true }).catch(() => undefined);
        }
        backend.dispose();
    });

    it("sees and repairs drift made with kubectl", async () => {
        const drift = {
            namespace: "e2e-drift",
            serviceAccountName: "drift-sa",
            podName: "drift-pod",
        };
        const stack = await newStack("e2e-drift", [drift]);
        await stack.up();
        kubectl("delete", "rolebinding", "drift-sa", "-n", "e2e-drift");
        setRoleVerbs("e2e-drift", "drift-sa", ["get", "delete"]);
        kubectl("delete", "pod", "drift-pod", "-n", "e2e-drift", "--wait=true");

        const preview = await stack.preview({ refresh: true, diff: true });
        const changes = preview.changeSummary;
        // The deleted binding and pod are re-created; the edited role is updated back.
        assert.equal(changes.create, 2, JSON.stringify(changes));
        assert.equal(changes.update, 1, JSON.stringify(changes));

        const up = await stack.up({ refresh: true });
        assert.equal(up.summary.resourceChanges?.create, 2);
        assert.deepEqual(roleVerbs("e2e-drift", "drift-sa"), ["get", "list", "watch"]);
        await verified({
            namespace: "e2e-drift",
            serviceAccount: "drift-sa",
            pod: "drift-pod",
            rules: READ_PODS,
        });
        await stack.preview({ expectNoChanges: true, refresh: true });
        recordCase({
            name: "drift: objects deleted, rule changed",
            done: "kubectl deleted the RoleBinding and the Pod and replaced the Role's verbs with get, delete",
            happened:
                "`preview --refresh` showed 2 creates and 1 update; `up --refresh` re-created and reverted them; verify passed",
            left: "the stack's objects as declared",
        });

        // A verb appended to a rule is invisible to the provider's diff (it compares the live list
        // pruned to the length of the declared one); verify, which holds the cluster to the
        // declared rules, reports it, and replacing the Role repairs it.
        setRoleVerbs("e2e-drift", "drift-sa", ["get", "list", "watch", "delete"]);
        const unseen = await stack.preview({ refresh: true });
        assert.equal(unseen.changeSummary.update ?? 0, 0, JSON.stringify(unseen.changeSummary));
        const checks = await verifyWorkload(adminConfig(), { ...ids(drift), rules: READ_PODS });
        const escalated = checks.find((c) => c.check === "token may delete pods in e2e-drift");
        assert.deepEqual(
            [escalated?.expected, escalated?.actual, escalated?.ok],
            ["denied", "allowed", false],
        );
        const roleUrn = (await stateResources(stack)).find(
            (r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:Role",
        )!.urn;
        await stack.up({ replace: [roleUrn] });
        assert.deepEqual(roleVerbs("e2e-drift", "drift-sa"), ["get", "list", "watch"]);
        await verified({
            namespace: "e2e-drift",
            serviceAccount: "drift-sa",
            pod: "drift-pod",
            rules: READ_PODS,
        });
        // A grant from outside the stack, of a URL no Role can name: the API server lists it.
        const grant = "e2e-drift-metrics";
        kubectl("create", "clusterrole", grant, "--verb=get", "--non-resource-url=/metrics");
        kubectl(
            "create",
            "clusterrolebinding",
            grant,
            `--clusterrole=${grant}`,
            "--serviceaccount=e2e-drift:drift-sa",
        );
        try {
            const listed = (
                await verifyWorkload(adminConfig(), { ...ids(drift), rules: READ_PODS })
            ).find((c) => c.check.startsWith("token's rules"));
            assert.deepEqual([listed?.actual, listed?.ok], ["also get /metrics", false]);
        } finally {
            kubectl("delete", "clusterrolebinding,clusterrole", grant);
        }
        await stack.destroy({ runProgram: true });
        recordCase({
            name: "drift: verb appended to a rule",
            done: "kubectl appended `delete` to the Role's verbs",
            happened:
                "`preview --refresh` saw no change (pulumi-kubernetes 4.25 prunes live lists to the declared length); `npm run verify` reported `delete pods` allowed where denied was declared; `up --replace <Role URN>` restored it. A ClusterRoleBinding made with kubectl granting `get /metrics`: verify reported `also get /metrics`",
            left: "nothing after destroy; the ClusterRole and its binding deleted",
        });
    });

    it("fails a pod that never becomes ready within its timeout, with the pod's reason", async () => {
        const stuck = {
            namespace: "e2e-never-ready",
            image: NEVER_READY,
            readyTimeoutSeconds: 15,
        };
        const stack = await newStack("e2e-never-ready", [stuck]);
        const started = Date.now();
        const up = await npmRun("up", "e2e-never-ready", backend);
        const seconds = (Date.now() - started) / 1000;
        assert.notEqual(up.status, 0, up.output);
        assert.ok(seconds < 120, `up took ${seconds} s to fail`);
        // The engine's own error says the pod timed out; npm run up adds the pod's reason.
        assert.match(up.output, /'my-pod' timed out waiting to be Ready/);
        assert.match(
            up.output,
            /pod e2e-never-ready\/my-pod is Running but not Ready: container my-pod: CrashLoopBackOff/,
        );
        assert.match(up.output, /kubectl -n e2e-never-ready describe pod my-pod/);
        assert.ok(objectExists("pod", "my-pod", "e2e-never-ready"));
        await stack.destroy({ runProgram: true });
        assert.ok(!namespaceExists("e2e-never-ready"));
        assert.equal(await stateResourceCount(stack), 0);
        recordCase({
            name: "pod never ready",
            done: `npm run up with image ${NEVER_READY} (kwok keeps it in CrashLoopBackOff), readyTimeoutSeconds 15`,
            happened: `npm run up failed after ${seconds.toFixed(0)} s: the engine's timeout, then the pod's reason (CrashLoopBackOff) and the kubectl commands; destroy succeeded`,
            left: "nothing",
        });
    });

    it("fails to destroy a namespace held by a finalizer in bounded time, saying what remains", async () => {
        const held = { namespace: "e2e-held", deleteTimeoutSeconds: 20 };
        const stack = await newStack("e2e-held", [held]);
        await stack.up();
        kubectl("create", "configmap", "held", "-n", "e2e-held");
        setFinalizers("configmap", "held", "e2e-held", ["sa-workload.test/hold"]);

        const started = Date.now();
        // The ConfigMap is not the stack's: down deletes it with the namespace only when told to.
        const down = await npmRun("down", "e2e-held", backend, "--delete-foreign");
        const seconds = (Date.now() - started) / 1000;
        assert.notEqual(down.status, 0, down.output);
        assert.ok(seconds < 120, `down took ${seconds} s to fail`);
        assert.match(down.output, /namespace e2e-held is still Terminating/);
        assert.match(down.output, /sa-workload\.test\/hold/);
        assert.match(down.output, /kubectl get namespace e2e-held -o yaml/);
        // Nothing stripped the finalizer: the object is still there, waiting for its owner.
        assert.equal(
            kubectl(
                "get",
                "configmap",
                "held",
                "-n",
                "e2e-held",
                "-o",
                "jsonpath={.metadata.finalizers[0]}",
            ),
            "sa-workload.test/hold",
        );

        // The owner finishes its cleanup; the next down succeeds.
        setFinalizers("configmap", "held", "e2e-held", null);
        const again = await npmRun("down", "e2e-held", backend);
        assert.equal(again.status, 0, again.output);
        assert.ok(!namespaceExists("e2e-held"));
        assert.equal(await stateResourceCount(stack), 0);
        recordCase({
            name: "namespace stuck Terminating",
            done: "a ConfigMap with finalizer sa-workload.test/hold in the namespace; deleteTimeoutSeconds 20; npm run down -- --delete-foreign",
            happened: `down failed after ${seconds.toFixed(0)} s listing the remaining finalizer and the kubectl commands; finalizer left in place; after its owner removed it, down succeeded`,
            left: "nothing after the second down",
        });
    });

    it("refuses down and recover of a stack that does not exist, adding none", async () => {
        for (const command of ["down", "recover"]) {
            const run = await npmRun(command, "e2e-no-such-stack", backend);
            assert.notEqual(run.status, 0, run.output);
            assert.match(run.output, /Stack e2e-no-such-stack does not exist on file:\/\//);
        }
        const stacks = readdirSync(backend.dir, { recursive: true, encoding: "utf8" });
        assert.ok(!stacks.some((f) => f.includes("e2e-no-such-stack")), stacks.join("\n"));
        recordCase({
            name: "a mistyped stack name",
            done: "npm run down and npm run recover with STACK=e2e-no-such-stack on a backend without it",
            happened: "each exited non-zero, naming the stack and the backend, and to check STACK",
            left: "no stack file on the backend",
        });
    });

    it("lets at most one of two concurrent updates of a stack apply, and fails any other only on the lock", async () => {
        const stack = await newStack("e2e-concurrent", [{ namespace: "e2e-concurrent" }]);
        // The same stack, opened a second time, as a second user would.
        const second = await e2eStack(backend, stack.name);
        const results = await Promise.allSettled([stack.up(), second.up()]);
        // Pulumi's lock on a file or bucket backend writes a lock file, then looks for others and
        // backs out if it finds one: two updates started together can both back out, never both
        // run. One can also fail reading the other's lock file, gone between listing and reading.
        for (const result of results) {
            if (result.status === "fulfilled") continue;
            const text = errorText(result.reason);
            const race = describeBackendFailure(text, backend.url) ?? "";
            assert.ok(/locked/i.test(text) || /came and went/.test(race), text);
        }
        const applied = results.filter(
            (r) => r.status === "fulfilled" && (r.value.summary.resourceChanges?.create ?? 0) > 0,
        ).length;
        assert.ok(applied <= 1, "both updates created the workload");
        assert.deepEqual(backend.locks(), [], "a lock file was left behind");
        if (applied === 0) await stack.up();
        assert.ok(namespaceExists("e2e-concurrent"));
        await stack.preview({ expectNoChanges: true });
        await stack.destroy({ runProgram: true });
        assert.equal(await stateResourceCount(stack), 0);
        const refused = results.filter((r) => r.status === "rejected").length;
        recordCase({
            name: "two concurrent ups",
            done: "two `up`s of one stack started together",
            happened: `${applied} applied the change, ${refused} failed at once on the stack's lock, none failed otherwise`,
            left: "no lock; valid state (preview: no changes); nothing after destroy",
        });
    });

    it("replaces the pod when a toleration changes or goes, which the API server updates only by adding", async () => {
        const workload = {
            namespace: "e2e-tolerate",
            serviceAccountName: "tolerate-sa",
            podName: "tolerate-pod",
        };
        const toleration = (value: string) => ({
            key: "dedicated",
            operator: "Equal",
            value,
            effect: "NoSchedule",
        });
        const stack = await newStack("e2e-tolerate", [
            { ...workload, tolerations: [toleration("a")] },
        ]);
        await stack.up();
        const uids = [podUid("e2e-tolerate", "tolerate-pod")];
        const tolerated = () =>
            kubectl(
                "get",
                "pod",
                "tolerate-pod",
                "-n",
                "e2e-tolerate",
                "-o",
                "jsonpath={.spec.tolerations[?(@.key=='dedicated')].value}",
            );
        for (const tolerations of [[toleration("b")], undefined]) {
            await setWorkloads(stack, [{ ...workload, ...(tolerations ? { tolerations } : {}) }]);
            const up = await stack.up();
            assert.equal(up.summary.resourceChanges?.replace, 1);
            uids.push(podUid("e2e-tolerate", "tolerate-pod"));
            assert.equal(tolerated(), tolerations ? "b" : "");
        }
        assert.equal(new Set(uids).size, 3, "each change made a new pod");
        await stack.destroy({ runProgram: true });
        recordCase({
            name: "a toleration changed, then removed",
            done: "changed a toleration's value, then removed the tolerations",
            happened:
                "each up deleted the pod and made it again (new uid); the API server updates a pod's tolerations only by adding one",
            left: "nothing after destroy",
        });
    });

    it("replaces the pod under its fixed name when the image changes", async () => {
        const workload = {
            namespace: "e2e-image",
            serviceAccountName: "image-sa",
            podName: "image-pod",
        };
        const stack = await newStack("e2e-image", [workload]);
        await stack.up();
        const uid = (): string => podUid("e2e-image", "image-pod");
        const before = uid();
        await setWorkloads(stack, [
            { ...workload, image: "nginxinc/nginx-unprivileged:1.27.5-alpine" },
        ]);
        // A preview runs the replacement's create while the Pod it replaces is still there.
        const preview = await stack.preview();
        assert.equal(preview.changeSummary.replace, 1);
        const up = await stack.up();
        assert.equal(up.summary.resourceChanges?.replace, 1);
        assert.notEqual(uid(), before);
        assert.equal(
            kubectl(
                "get",
                "pod",
                "image-pod",
                "-n",
                "e2e-image",
                "-o",
                "jsonpath={.spec.containers[0].image}",
            ),
            "nginxinc/nginx-unprivileged:1.27.5-alpine",
        );
        await verified({ namespace: "e2e-image", serviceAccount: "image-sa", pod: "image-pod" });
        await stack.destroy({ runProgram: true });
        recordCase({
            name: "immutable change",
            done: "changed the pod's image; a preview, then up",
            happened:
                "the preview showed one replacement; up deleted the pod and made it again under the same name (new uid); verify passed",
            left: "nothing after destroy",
        });
    });
});
