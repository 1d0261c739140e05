/**
 * Never take over, never delete, what the stack did not create: the kubectl walk-through's own
 * objects made first, foreign objects in a stack's namespace, and two stacks (two state backends)
 * configured for the same namespace. Asserted on the cluster's objects and the stacks' state.
 */
import * as assert from "node:assert/strict";

import { Stack } from "@pulumi/pulumi/automation";

import { stateObjects } from "../../scripts/lib/foreign";
import { writeStackConfig } from "../../scripts/lib/stack";
import {
    clusterObjects,
    e2eStack,
    errorText,
    eventually,
    kubectl,
    kubectlApply,
    namespaceExists,
    npmRun,
    objectExists,
    podUid,
    TempBackend,
} from "../helpers/e2e";
import { recordCase } from "../helpers/reliability";

// The walk-through's names, as the dev stack uses them.
const NS = "my-ns";
const SA = "my-sa";
const POD = "my-pod";
const DEV = { namespace: NS, serviceAccountName: SA, podName: POD };

/**
 * The Kubernetes objects in the stack's state, sorted: a run that ends with an error rewrites the
 * state in the order its steps ended, where the account and the Role, made side by side, vary.
 */
async function kubernetesObjectsInState(stack: Stack): Promise<string[]> {
    const objects = stateObjects((await stack.exportStack()).deployment);
    return objects.map((o) => `${o.kind} ${o.namespace ?? ""}/${o.name}`).sort();
}

function deleteNamespace(): void {
    if (namespaceExists(NS)) kubectl("delete", "namespace", NS, "--wait=true", "--timeout=120s");
}

describe("fault: objects the stack did not create", () => {
    const backends: TempBackend[] = [];
    const stacks: Stack[] = [];

    async function newStack(name: string, workload: object = DEV): Promise<[Stack, TempBackend]> {
        const backend = new TempBackend();
        backends.push(backend);
        const stack = await e2eStack(backend, name, { "sa-workload:workloads": [workload] });
        stacks.push(stack);
        return [stack, backend];
    }

    afterEach(async () => {
        process.env.SA_WORKLOAD_DELETE_FOREIGN = "true";
        for (const stack of stacks.splice(0)) {
            await stack.destroy({ runProgram: true }).catch(() => undefined);
        }
        delete process.env.SA_WORKLOAD_DELETE_FOREIGN;
        for (const backend of backends.splice(0)) backend.dispose();
        deleteNamespace();
    });

    /**
     * Waits for what the cluster adds to a namespace just made by hand (its default ServiceAccount,
     * kube-root-ca.crt, each pod's status), so that only preview and up could change it later.
     */
    async function settled(namespace: string): Promise<void> {
        await eventually(
            `${namespace} has its default ServiceAccount and kube-root-ca.crt`,
            () =>
                objectExists("serviceaccount", "default", namespace) &&
                objectExists("configmap", "kube-root-ca.crt", namespace),
        );
        const pods = kubectl("get", "pods", "-n", namespace, "-o", "name").trim();
        if (pods)
            kubectl(
                "wait",
                "--for=condition=Ready",
                "--timeout=120s",
                "-n",
                namespace,
                ...pods.split("\n"),
            );
    }

    const walkthroughs = [
        {
            what: "the whole walk-through (namespace, ServiceAccount, pod) and a ConfigMap",
            made: [NS, "ConfigMap precious", `ServiceAccount ${SA}`, `Pod ${POD}`],
            make: () => {
                kubectl("create", "ns", NS);
                kubectl("-n", NS, "create", "configmap", "precious", "--from-literal=a=b");
                kubectl("-n", NS, "create", "serviceaccount", SA);
                kubectl("-n", NS, "run", POD, "--image=nginx:1.27.4-alpine", "--restart=Never");
            },
            named: [`Namespace ${NS}`, `ServiceAccount ${NS}/${SA}`, `Pod ${NS}/${POD}`],
        },
        {
            what: "only the ServiceAccount, in its namespace",
            made: [NS, `ServiceAccount ${SA}`],
            make: () => {
                kubectl("create", "ns", NS);
                kubectl("-n", NS, "create", "serviceaccount", SA);
            },
            named: [`Namespace ${NS}`, `ServiceAccount ${NS}/${SA}`],
        },
        {
            what: "only the Role, in its namespace",
            made: [NS, `Role ${SA}`],
            make: () => {
                kubectl("create", "ns", NS);
                kubectl("-n", NS, "create", "role", SA, "--verb=get", "--resource=pods");
            },
            named: [`Namespace ${NS}`, `Role ${NS}/${SA}`],
        },
    ];

    for (const w of walkthroughs) {
        it(`refuses to take over ${w.what}, in preview and up, changing nothing`, async () => {
            const [stack, backend] = await newStack("e2e-own-walkthrough");
            w.make();
            await settled(NS);
            const before = clusterObjects(NS);

            const preview = await npmRun("preview", stack.name, backend);
            const up = await npmRun("up", stack.name, backend);

            for (const [command, result] of [
                ["preview", preview],
                ["up", up],
            ] as const) {
                assert.notEqual(result.status, 0, `${command} succeeded:\n${result.output}`);
                for (const text of [
                    ...w.named,
                    "did not create",
                    "kubectl-create",
                    "adoptExisting",
                    // adoptExisting cannot take a Pod made by hand: its spec cannot change.
                    ...(w.made.some((m) => m.startsWith("Pod"))
                        ? ["Not a Pod that no Pulumi run made"]
                        : []),
                ]) {
                    assert.ok(result.output.includes(text), `${command}: "${text}" missing`);
                }
            }
            assert.equal(clusterObjects(NS), before, "the API server's objects changed");
            assert.deepEqual(await kubernetesObjectsInState(stack), [], "the state holds objects");
            recordCase({
                name: `ownership: ${w.what} made with kubectl first`,
                done: `kubectl made ${w.made.join(", ")}; then npm run preview and npm run up of the dev workload`,
                happened: `both exited ${up.status}, naming ${w.named.join(", ")}, who wrote them (kubectl-create) and the fix (other names, or adoptExisting: true)`,
                left: "every object in the namespace at the same resourceVersion; no object in the state",
            });
        });
    }

    it("takes over existing objects only with adoptExisting, and then deletes them on down", async () => {
        const [stack, backend] = await newStack("e2e-own-adopt", { ...DEV, adoptExisting: true });
        kubectl("create", "ns", NS);
        kubectl("-n", NS, "create", "serviceaccount", SA);
        const up = await npmRun("up", stack.name, backend);
        assert.equal(up.status, 0, up.output);
        assert.ok((await kubernetesObjectsInState(stack)).includes(`ServiceAccount ${NS}/${SA}`));
        const down = await npmRun("down", stack.name, backend);
        assert.equal(down.status, 0, down.output);
        assert.ok(!namespaceExists(NS), "the adopted namespace is still there");
        recordCase({
            name: "ownership: deliberate takeover (adoptExisting: true)",
            done: "kubectl made the namespace and ServiceAccount; npm run up with adoptExisting: true, then npm run down",
            happened:
                "up took both over (both in the state); down deleted them, as the README says",
            left: "no namespace",
        });
    });

    it("refuses, with adoptExisting, a pod made by hand before taking anything over", async () => {
        const [stack, backend] = await newStack("e2e-own-adopt-pod", {
            ...DEV,
            adoptExisting: true,
        });
        kubectl("create", "ns", NS);
        kubectl("-n", NS, "create", "serviceaccount", SA);
        kubectl("-n", NS, "run", POD, "--image=nginx:1.27.4-alpine", "--restart=Never");
        await settled(NS);
        const before = clusterObjects(NS);
        const up = await npmRun("up", stack.name, backend);
        assert.notEqual(up.status, 0, up.output);
        for (const text of [
            "adoptExisting takes over the objects that exist, but not this Pod",
            `Pod ${NS}/${POD}`,
            `kubectl delete pod ${POD} -n ${NS}`,
        ])
            assert.ok(up.output.includes(text), `"${text}" missing:\n${up.output}`);
        assert.equal(clusterObjects(NS), before, "the API server's objects changed");
        assert.deepEqual(await kubernetesObjectsInState(stack), [], "the state holds objects");
        recordCase({
            name: "ownership: adoptExisting and a pod made by hand",
            done: "kubectl made the namespace, ServiceAccount and pod; npm run up with adoptExisting: true",
            happened: `up exited ${up.status} before taking anything over, naming the pod and the fix (delete it: a pod's spec cannot change once it runs)`,
            left: "every object in the namespace at the same resourceVersion; no object in the state",
        });
    });

    it("adds no object over one made by hand in a namespace the stack owns", async () => {
        const [stack, backend] = await newStack("e2e-own-secret");
        assert.equal((await npmRun("up", stack.name, backend)).status, 0);
        kubectl("-n", NS, "create", "secret", "generic", `${SA}-token`, "--from-literal=a=b");
        const before = clusterObjects(NS);
        const uid = podUid(NS, POD);
        await writeStackConfig(stack, {
            "sa-workload:workloads": [{ ...DEV, legacyTokenSecret: true }],
        });
        const up = await npmRun("up", stack.name, backend);
        assert.notEqual(up.status, 0, up.output);
        assert.ok(up.output.includes(`Secret ${NS}/${SA}-token`), up.output);
        assert.equal(clusterObjects(NS), before, "the API server's objects changed");
        assert.equal(podUid(NS, POD), uid);
        assert.ok(!(await kubernetesObjectsInState(stack)).some((o) => o.startsWith("Secret")));
        recordCase({
            name: "ownership: a hand-made Secret where the stack adds its legacy token Secret",
            done: "after npm run up, kubectl made Secret my-sa-token; then legacyTokenSecret: true and npm run up",
            happened: `up exited ${up.status}, naming Secret my-ns/my-sa-token and who wrote it`,
            left: "the hand-made Secret and every other object at the same resourceVersion; the Secret not in the state",
        });
    });

    it("stops down on an object of someone else's in the namespace, until confirmed", async () => {
        const [stack, backend] = await newStack("e2e-own-down");
        assert.equal((await npmRun("up", stack.name, backend)).status, 0);
        kubectl("-n", NS, "create", "configmap", "precious", "--from-literal=a=b");
        const stateBefore = await kubernetesObjectsInState(stack);
        const uid = podUid(NS, POD);

        const down = await npmRun("down", stack.name, backend);
        assert.notEqual(down.status, 0, down.output);
        assert.ok(down.output.includes(`ConfigMap ${NS}/precious`), down.output);
        assert.ok(down.output.includes("--delete-foreign"), down.output);
        // Said once, as the engine starts (nothing of its own output: it deleted nothing).
        const said = down.output.split("holds objects this stack did not create").length - 1;
        assert.equal(said, 1, down.output);
        assert.ok(objectExists("configmap", "precious", NS));
        assert.equal(podUid(NS, POD), uid, "the pod was touched");
        assert.deepEqual(await kubernetesObjectsInState(stack), stateBefore);

        // A plain `pulumi destroy` cannot skip the check: without the program it refuses to run,
        // with it the program's own namespace guard stops before the namespace goes.
        const refused = (error: unknown) => errorText(error);
        const plain = await stack.destroy({ runProgram: false }).then(() => "", refused);
        assert.match(plain, /--run-program/);
        const withProgram = await stack.destroy({ runProgram: true }).then(() => "", refused);
        assert.match(withProgram, /ConfigMap my-ns\/precious/);
        assert.ok(objectExists("configmap", "precious", NS), "plain destroy deleted the ConfigMap");

        const confirmed = await npmRun("down", stack.name, backend, "--delete-foreign");
        assert.equal(confirmed.status, 0, confirmed.output);
        assert.ok(!namespaceExists(NS));
        recordCase({
            name: "ownership: a ConfigMap of someone else's in the stack's namespace",
            done: "after npm run up, kubectl made ConfigMap precious in my-ns; npm run down; pulumi destroy without and with --run-program; npm run down -- --delete-foreign",
            happened: `down exited ${down.status} before deleting anything, naming ConfigMap my-ns/precious and --delete-foreign; destroy without the program refused (delete hooks need --run-program); with it, the program's guard kept the namespace; with the flag, down deleted everything`,
            left: "after the refusals: the ConfigMap and the namespace; after the confirmed down: no namespace",
        });
    });

    it("keeps a namespace with someone else's object when up drops its workload, SA_WORKLOAD_DELETE_FOREIGN left in the shell or not, until up -- --delete-foreign", async () => {
        const [stack, backend] = await newStack("e2e-own-drop");
        assert.equal((await npmRun("up", stack.name, backend)).status, 0);
        kubectl("-n", NS, "create", "configmap", "precious", "--from-literal=a=b");
        // The workload moves to another namespace: up deletes the old one's objects, then it.
        await writeStackConfig(stack, { "sa-workload:workloads": [{ namespace: "e2e-own-drop" }] });
        // Left in the shell from a plain `pulumi destroy`: it confirms nothing for npm's commands.
        process.env.SA_WORKLOAD_DELETE_FOREIGN = "true";
        const up = await npmRun("up", stack.name, backend).finally(
            () => delete process.env.SA_WORKLOAD_DELETE_FOREIGN,
        );
        assert.notEqual(up.status, 0, up.output);
        assert.ok(up.output.includes(`ConfigMap ${NS}/precious`), up.output);
        assert.ok(
            objectExists("configmap", "precious", NS),
            "the ConfigMap went with the namespace",
        );
        assert.ok((await kubernetesObjectsInState(stack)).includes(`Namespace /${NS}`));
        // The flag confirms it, for up too.
        const confirmed = await npmRun("up", stack.name, backend, "--delete-foreign");
        assert.equal(confirmed.status, 0, confirmed.output);
        assert.ok(!namespaceExists(NS), "the confirmed up kept the namespace");
        recordCase({
            name: "ownership: up drops a workload whose namespace holds someone else's ConfigMap",
            done: "after npm run up, kubectl made ConfigMap precious in my-ns; the workload moved to another namespace; npm run up with SA_WORKLOAD_DELETE_FOREIGN=true left in its environment; npm run up -- --delete-foreign",
            happened: `up exited ${up.status}: it made the new workload and deleted the old one's objects, and the namespace guard kept my-ns, naming ConfigMap my-ns/precious; npm run up -- --delete-foreign then deleted it`,
            left: "after the refusal, my-ns with the ConfigMap, still in the state; after the confirmed up, the new workload only",
        });
    });

    it("stops down while an API group cannot be listed, until it answers", async () => {
        const [stack, backend] = await newStack("e2e-own-unlisted");
        assert.equal((await npmRun("up", stack.name, backend)).status, 0);
        const stateBefore = await kubernetesObjectsInState(stack);
        const uid = podUid(NS, POD);

        // An aggregated API whose service does not exist: the API server lists its group and
        // answers 503 for its kinds, as for a metrics-server that is down.
        const group = "sa-workload.test";
        const apiService = {
            apiVersion: "apiregistration.k8s.io/v1",
            kind: "APIService",
            metadata: { name: `v1.${group}` },
            spec: {
                group,
                version: "v1",
                groupPriorityMinimum: 10,
                versionPriority: 10,
                insecureSkipTLSVerify: true,
                service: { namespace: "sa-workload-nowhere", name: "nowhere", port: 443 },
            },
        };
        const listed = () => kubectl("get", "--raw", "/apis").includes(`"${group}"`);
        let down: Awaited<ReturnType<typeof npmRun>>;
        try {
            kubectlApply(apiService);
            await eventually(`the API server lists ${group}`, listed, 30_000);
            down = await npmRun("down", stack.name, backend);
        } finally {
            kubectl("delete", "apiservice", `v1.${group}`, "--ignore-not-found");
        }
        assert.notEqual(down.status, 0, down.output);
        assert.ok(down.output.includes(`Namespace ${NS} could not be checked`), down.output);
        assert.ok(down.output.includes(`every kind of ${group}/v1`), down.output);
        assert.ok(down.output.includes("--delete-foreign"), down.output);
        assert.equal(podUid(NS, POD), uid, "the pod was touched");
        assert.deepEqual(await kubernetesObjectsInState(stack), stateBefore);

        await eventually(`the API server no longer lists ${group}`, () => !listed(), 30_000);
        const after = await npmRun("down", stack.name, backend);
        assert.equal(after.status, 0, after.output);
        assert.ok(!namespaceExists(NS));
        recordCase({
            name: "ownership: an API group that cannot be listed when the stack's namespace goes",
            done: `after npm run up, an APIService for ${group}/v1 whose service does not exist (its kinds answer 503); npm run down; the APIService deleted; npm run down`,
            happened: `down exited ${down.status} before deleting anything, naming the namespace, every kind of ${group}/v1 and --delete-foreign; once the group was gone, down deleted everything`,
            left: "after the refusal: every object and the state as before; after the second down: no namespace",
        });
    });

    it("updates and deletes nothing that only shares its objects' names, made again by hand after they were deleted", async () => {
        const [stack, backend] = await newStack("e2e-own-remade");
        assert.equal((await npmRun("up", stack.name, backend)).status, 0);
        const stateBefore = await kubernetesObjectsInState(stack);
        // The user deletes the namespace by hand, then makes the walk-through again.
        deleteNamespace();
        walkthroughs[0].make();
        await settled(NS);
        const before = clusterObjects(NS);
        const remade = [`Namespace ${NS}`, `ServiceAccount ${NS}/${SA}`, `Pod ${NS}/${POD}`];

        const down = await npmRun("down", stack.name, backend);
        assert.notEqual(down.status, 0, down.output);
        for (const text of [
            ...remade.map((r) => `${r}: uid`),
            "pulumi state delete --target-dependents 'urn:",
        ]) {
            assert.ok(down.output.includes(text), `down: "${text}" missing:\n${down.output}`);
        }
        assert.deepEqual(await kubernetesObjectsInState(stack), stateBefore);

        // An update of the pod, in preview and up: the program's hook refuses it.
        await writeStackConfig(stack, {
            "sa-workload:workloads": [
                { ...DEV, image: "nginxinc/nginx-unprivileged:1.27.5-alpine" },
            ],
        });
        for (const command of ["preview", "up"]) {
            const result = await npmRun(command, stack.name, backend);
            assert.notEqual(result.status, 0, `${command} succeeded:\n${result.output}`);
            assert.ok(result.output.includes(`Pod ${NS}/${POD}: uid`), result.output);
        }

        // --delete-foreign confirms what a namespace holds beside the stack's objects, not
        // objects that only have their names: down's own check is skipped, and the program's
        // hook refuses the first delete (the pod's, which the rest wait for).
        const confirmed = await npmRun("down", stack.name, backend, "--delete-foreign");
        assert.notEqual(confirmed.status, 0, confirmed.output);
        assert.match(confirmed.output, /the name of an object this stack created, but not its uid/);
        assert.equal(clusterObjects(NS), before, "the hand-made objects changed");
        assert.deepEqual(await kubernetesObjectsInState(stack), stateBefore);
        recordCase({
            name: "ownership: the walk-through made again by hand after its namespace was deleted",
            done: "after npm run up, kubectl deleted my-ns and made my-ns, ConfigMap precious, my-sa and my-pod again; npm run down; a new image, npm run preview and up; npm run down -- --delete-foreign",
            happened: `down exited ${down.status} before deleting anything, naming the namespace, ServiceAccount and pod with both uids and the URNs to forget; preview and up refused the pod's update; the confirmed down refused the pod's delete, which the others wait for`,
            left: "every hand-made object at the same resourceVersion; the state as before",
        });
    });

    it("fails the second of two stacks configured for the same namespace", async () => {
        const [first, firstBackend] = await newStack("e2e-own-first");
        const [second, secondBackend] = await newStack("e2e-own-second");
        assert.equal((await npmRun("up", first.name, firstBackend)).status, 0);
        const before = clusterObjects(NS);
        const up = await npmRun("up", second.name, secondBackend);
        assert.notEqual(up.status, 0, up.output);
        assert.ok(up.output.includes(`Namespace ${NS}`) && up.output.includes("managed-by=pulumi"));
        assert.equal(clusterObjects(NS), before, "the second stack changed the first's objects");
        assert.deepEqual(await kubernetesObjectsInState(second), []);
        assert.equal((await npmRun("down", first.name, firstBackend)).status, 0);
        assert.ok(!namespaceExists(NS), "the first stack's destroy left the namespace");
        recordCase({
            name: "ownership: two stacks (two state backends) for the same namespace",
            done: "npm run up of stack A, then of stack B (another backend) with the same workload; npm run down of A",
            happened: `B's up exited ${up.status}, naming the namespace and its managed-by=pulumi label; A's down deleted everything`,
            left: "B's state with no objects; A's objects untouched by B; after A's down, no namespace",
        });
    });
});
