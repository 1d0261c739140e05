/**
 * The cluster a user chose is the cluster used: `npm run up` with a kube context that does not
 * answer, and with one that names another cluster than the stack was deployed to.
 */
import * as assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

import type { Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";

import {
    clusterObjects,
    e2eStack,
    eventually,
    killTree,
    kubectl,
    namespaceExists,
    NEVER_READY,
    npmRun,
    npmStart,
    objectExists,
    TempBackend,
    testKubeconfig,
} from "../helpers/e2e";
import { BUNDLED_CLUSTER } from "../../scripts/lib/cluster";
import { stateFile, writeStackConfig } from "../../scripts/lib/stack";
import { kubeconfig as standIn } from "../helpers/fake-api-server";
import { stateResourceCount, stateResources } from "../helpers/stack-state";
import { recordCase } from "../helpers/reliability";

interface Kubeconfig {
    clusters: { name: string; cluster: { server: string } }[];
    contexts: { name: string; context: { cluster: string } }[];
    "current-context": string;
}

/** The test cluster's kubeconfig with its cluster renamed and, if given, another server. */
function variant(dir: string, cluster: string, server?: string): string {
    const config = parse(readFileSync(testKubeconfig(), "utf8")) as Kubeconfig;
    for (const c of config.clusters) {
        c.name = cluster;
        if (server) c.cluster.server = server;
    }
    for (const c of config.contexts) c.context.cluster = cluster;
    const file = join(dir, `${cluster}.yaml`);
    writeFileSync(file, stringify(config));
    return file;
}

/** The test cluster's kube-system UID, which tells it from others of its name and address. */
const kubeSystemUid = (): string =>
    kubectl("get", "namespace", "kube-system", "-o", "jsonpath={.metadata.uid}");

/** Rewrites the outputs the stack's state records (its `cluster` and `clusterUid` among them). */
async function rewriteStackOutputs(
    stack: Stack,
    change: (outputs: Record<string, unknown>) => Record<string, unknown>,
): Promise<void> {
    const state = await stack.exportStack();
    const root = (state.deployment as { resources: StackResource[] }).resources.find(
        (r) => r.type === "pulumi:pulumi:Stack",
    )!;
    root.outputs = change(root.outputs);
    await stack.importStack(state);
}

/** `npm run <script>` of a stack with KUBECONFIG set to `kubeconfig`. */
async function runWith(
    kubeconfig: string,
    script: string,
    stack: string,
    backend: TempBackend,
    ...args: string[]
): Promise<{ status: number | null; output: string }> {
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kubeconfig;
    try {
        // npmStart passes KUBECONFIG as testKubeconfig() reads it, so this run gets `kubeconfig`.
        const run = npmStart(script, stack, backend, ...args);
        return await run.done;
    } finally {
        process.env.KUBECONFIG = saved;
    }
}

describe("fault: the kube context a user chose", () => {
    const backend = new TempBackend();
    const dir = mkdtempSync(join(tmpdir(), "sa-user-cluster-"));
    after(() => {
        backend.dispose();
        rmSync(dir, { recursive: true, force: true });
    });

    it("fails at once on a context that does not answer, and changes nothing", async () => {
        const stack = await e2eStack(backend, "e2e-closed", {
            "sa-workload:workloads": [{ namespace: "e2e-closed" }],
        });
        const closed = variant(dir, "minikube", "https://127.0.0.1:1");
        const before = clusterObjects();
        const result = await runWith(closed, "up", stack.name, backend);
        assert.notEqual(result.status, 0, result.output);
        for (const text of ["https://127.0.0.1:1", "does not answer", "minikube start"]) {
            assert.ok(result.output.includes(text), `"${text}" missing:\n${result.output}`);
        }
        assert.doesNotMatch(result.output, /starting the bundled local cluster/);
        assert.ok(!namespaceExists("e2e-closed"));
        assert.equal(
            clusterObjects(),
            before,
            "objects changed on the cluster that was not chosen",
        );
        assert.equal(await stateResourceCount(stack), 0);
        recordCase({
            name: "a kube context whose server does not answer",
            done: "npm run up with KUBECONFIG's current context pointing at https://127.0.0.1:1 (a stopped minikube)",
            happened: `up exited ${result.status}, naming the context, the server and the fix (minikube start); no other cluster was tried`,
            left: "every cluster object as before; nothing in the state",
        });
    });

    it("uses the bundled cluster where the kubeconfig lists no context, showing one run of each command", async () => {
        const stack = await e2eStack(backend, "e2e-no-context", {
            "sa-workload:workloads": [{ namespace: "e2e-no-context" }],
        });
        // What `minikube delete` leaves: a kubeconfig file with no current context.
        const empty = join(dir, "no-context.yaml");
        writeFileSync(
            empty,
            stringify({ apiVersion: "v1", kind: "Config", clusters: [], contexts: [], users: [] }),
        );
        const before = clusterObjects();
        const result = await runWith(empty, "preview", stack.name, backend);
        assert.equal(result.status, 0, result.output);
        assert.match(result.output, /preview on the bundled local cluster/);
        // The engine started before the choice set KUBECONFIG, stopped without its program, and
        // ran again after it: the user sees the second run only.
        const runs = result.output.split("Previewing update (").length - 1;
        assert.equal(runs, 1, result.output);
        assert.equal(clusterObjects(), before);
        // So do up and down, whose engines hold the stack's lock when they stop.
        const up = await runWith(empty, "up", stack.name, backend);
        assert.equal(up.status, 0, up.output);
        assert.equal(up.output.split("Updating (").length - 1, 1, up.output);
        assert.ok(objectExists("pod", "my-pod", "e2e-no-context"), up.output);
        const down = await runWith(empty, "down", stack.name, backend);
        assert.equal(down.status, 0, down.output);
        assert.equal(down.output.split("Destroying (").length - 1, 1, down.output);
        assert.ok(!namespaceExists("e2e-no-context"), down.output);
        assert.deepEqual(backend.locks(), []);
        recordCase({
            name: "a kubeconfig file that lists no context",
            done: "npm run preview, then up and down, with KUBECONFIG naming a kubeconfig without contexts (as minikube delete leaves one)",
            happened:
                "each ran on the bundled local cluster, its engine started again once the cluster was chosen; one preview, one update and one destroy shown",
            left: "every cluster object as before the preview; after down, no namespace and no lock",
        });
    });

    it("refuses a kubeconfig that lists contexts but selects none (a stopped minikube), using no other cluster", async () => {
        const stack = await e2eStack(backend, "e2e-unselected", {
            "sa-workload:workloads": [{ namespace: "e2e-unselected" }],
        });
        // What `minikube stop` leaves: the context kept, none current.
        const config = parse(readFileSync(testKubeconfig(), "utf8")) as Kubeconfig;
        const contexts = config.contexts.map((c) => c.name);
        const unselected = join(dir, "unselected.yaml");
        writeFileSync(unselected, stringify({ ...config, "current-context": "" }));
        const before = clusterObjects();
        const up = await runWith(unselected, "up", stack.name, backend);
        assert.notEqual(up.status, 0, up.output);
        assert.ok(
            up.output.includes(`lists kube contexts (${contexts.join(", ")}) but selects none`),
            up.output,
        );
        assert.match(up.output, /minikube start/);
        assert.doesNotMatch(up.output, /up on the bundled local cluster|starting the bundled/);
        assert.ok(!namespaceExists("e2e-unselected"), "deployed to a cluster nobody chose");
        assert.equal(clusterObjects(), before);
        assert.equal(await stateResourceCount(stack), 0);
        recordCase({
            name: "a kubeconfig that lists contexts but selects none",
            done: "npm run up with KUBECONFIG naming the test cluster's kubeconfig without its current context (as minikube stop leaves one)",
            happened: `up exited ${up.status}, naming the contexts and the fix (minikube start, kubectl config use-context); the bundled cluster was not chosen`,
            left: "every cluster object as before; nothing in the state",
        });
    });

    it("deploys to the bundled cluster where there is no kubeconfig, and removes it again", async () => {
        const stack = await e2eStack(backend, "e2e-no-kubeconfig", {
            "sa-workload:workloads": [{ namespace: "e2e-no-kubeconfig" }],
        });
        // No kubeconfig file at all, the bundled cluster created before (by this suite's start):
        // the engine starts before the choice, given the bundled cluster's kubeconfig.
        const none = join(dir, "no-such-kubeconfig.yaml");
        const up = await runWith(none, "up", stack.name, backend);
        assert.equal(up.status, 0, up.output);
        assert.match(up.output, /up on the bundled local cluster/);
        // The backend the environment chose is named (here the test's own, a file backend).
        assert.match(up.output, /Stack e2e-no-kubeconfig \(state: file:\/\/\/[^)]+\): up on/);
        assert.equal(up.output.split("Updating (").length - 1, 1, up.output);
        assert.ok(objectExists("pod", "my-pod", "e2e-no-kubeconfig"), up.output);
        const down = await runWith(none, "down", stack.name, backend);
        assert.equal(down.status, 0, down.output);
        assert.ok(!namespaceExists("e2e-no-kubeconfig"), down.output);
        recordCase({
            name: "no kubeconfig at all",
            done: "npm run up, then npm run down, with KUBECONFIG naming no file (a machine without a kube context)",
            happened:
                "both ran on the bundled local cluster, its engine started before the cluster was chosen; one update shown",
            left: "nothing: the namespace and its objects deleted",
        });
    });

    it("works on the context sa-workload:kubeContext names, not the kubeconfig's current one", async () => {
        // A stopped minikube's file first, whose current context wins, and the test cluster's.
        const named = kubectl("config", "current-context").trim();
        const stopped = standIn(
            mkdtempSync(join(dir, "stopped-")),
            "minikube",
            "https://127.0.0.1:1",
        );
        const both = [stopped, testKubeconfig()].join(delimiter);
        const ns = "e2e-named-context";
        const stack = await e2eStack(backend, ns, {
            "sa-workload:workloads": [{ namespace: ns }],
            "sa-workload:kubeContext": named,
        });
        const up = await runWith(both, "up", stack.name, backend);
        assert.equal(up.status, 0, up.output);
        assert.match(up.output, new RegExp(`up on kube context ${named} \\(`));
        assert.ok(objectExists("pod", "my-pod", ns), up.output);
        const verify = await runWith(both, "verify", stack.name, backend);
        assert.equal(verify.status, 0, verify.output);
        assert.match(verify.output, /verify: all \d+ checks passed/);
        // down reads that cluster too: it stops on an object the stack did not make there.
        kubectl("-n", ns, "create", "configmap", "precious", "--from-literal=a=b");
        const down = await runWith(both, "down", stack.name, backend);
        assert.notEqual(down.status, 0, down.output);
        assert.ok(down.output.includes(`ConfigMap ${ns}/precious`), down.output);
        assert.ok(objectExists("pod", "my-pod", ns), "down deleted objects before it stopped");
        const confirmed = await runWith(both, "down", stack.name, backend, "--delete-foreign");
        assert.equal(confirmed.status, 0, confirmed.output);
        assert.ok(!namespaceExists(ns), confirmed.output);
        assert.doesNotMatch(
            [up, verify, down, confirmed].map((r) => r.output).join("\n"),
            /127\.0\.0\.1:1\b/,
            "a command turned to the current context",
        );
        recordCase({
            name: "a kube context named in the stack's config",
            done: `sa-workload:kubeContext = ${named}, KUBECONFIG listing a stopped minikube's file first (its current context, https://127.0.0.1:1) and the test cluster's; npm run up, verify; kubectl made ConfigMap precious in the namespace; npm run down; npm run down -- --delete-foreign`,
            happened: `up and verify worked on ${named}; down exited ${down.status} before deleting anything, naming ConfigMap ${ns}/precious; with the flag, down deleted everything; no command reached the current context`,
            left: "no namespace",
        });
    });

    it("refuses to move a deployed stack to another cluster", async () => {
        const stack = await e2eStack(backend, "e2e-moved", {
            "sa-workload:workloads": [{ namespace: "e2e-moved" }],
        });
        const first = await runWith(testKubeconfig(), "up", stack.name, backend);
        assert.equal(first.status, 0, first.output);
        const before = clusterObjects();
        // Another cluster as far as a kubeconfig can tell: its own name (same API server here).
        const other = variant(dir, "another-cluster");
        const moved = await runWith(other, "up", stack.name, backend);
        assert.notEqual(moved.status, 0, moved.output);
        // The bundled cluster's kubeconfig, as the state recorded it: the name the commands give it.
        const recorded = `was deployed to cluster ${BUNDLED_CLUSTER},`;
        assert.ok(moved.output.includes(recorded), moved.output);
        assert.match(moved.output, /would work on another-cluster@127\.0\.0\.1/);
        // The refusal left the state's record of the cluster as it was: refused again.
        const again = await runWith(other, "up", stack.name, backend);
        assert.notEqual(again.status, 0, again.output);
        assert.ok(again.output.includes(recorded), again.output);
        assert.equal(clusterObjects(), before);
        const down = await runWith(testKubeconfig(), "down", stack.name, backend);
        assert.equal(down.status, 0, down.output);
        recordCase({
            name: "a deployed stack pointed at another cluster",
            done: "npm run up on the test cluster, then npm run up with a kubeconfig whose current context names another cluster",
            happened: `the second up exited ${moved.status}, naming the cluster the stack is on and the one it would move to; a third, the same`,
            left: "the stack's objects untouched; after npm run down on its own cluster, nothing",
        });
    });

    it("refuses a cluster of the same name and address that is not the stack's, and forgets the first only when told", async () => {
        const stack = await e2eStack(backend, "e2e-replaced", {
            "sa-workload:workloads": [{ namespace: "e2e-replaced" }],
        });
        const first = await npmRun("up", stack.name, backend);
        assert.equal(first.status, 0, first.output);
        const tracked = await stateResourceCount(stack);
        const uid = kubeSystemUid();
        assert.equal((await stack.outputs()).clusterUid?.value, uid);
        // The state as a teammate's minikube left it, or this cluster before it was deleted and
        // created again: the same name and address, another kube-system namespace.
        const recordOtherCluster = () =>
            rewriteStackOutputs(stack, (outputs) => ({
                ...outputs,
                clusterUid: "uid-of-the-first-cluster",
            }));
        await recordOtherCluster();
        const before = clusterObjects();
        const saved = JSON.stringify(await stateResources(stack));
        const statuses: (number | null)[] = [];
        for (const script of ["up", "down", "preview", "verify"]) {
            const refused = await npmRun(script, stack.name, backend);
            statuses.push(refused.status);
            assert.notEqual(refused.status, 0, refused.output);
            for (const text of [
                "UID uid-of-the-first-cluster",
                `has UID ${uid}`,
                "--cluster-replaced",
            ]) {
                assert.ok(
                    refused.output.includes(text),
                    `${script}: "${text}" missing:\n${refused.output}`,
                );
            }
        }
        assert.equal(clusterObjects(), before, "objects changed on a cluster the stack is not on");
        assert.equal(JSON.stringify(await stateResources(stack)), saved);
        // What the first cluster held is gone with it (here: deleted by hand).
        kubectl("delete", "namespace", "e2e-replaced", "--wait=true", "--timeout=120s");
        const replaced = await npmRun("up", stack.name, backend, "--cluster-replaced");
        assert.equal(replaced.status, 0, replaced.output);
        assert.match(replaced.output, /forgot what it recorded on the replaced cluster \(/);
        assert.match(replaced.output, /\); nothing was deleted on either cluster/);
        for (const object of [
            "Namespace e2e-replaced",
            "ServiceAccount e2e-replaced/my-sa",
            "Role e2e-replaced/my-sa",
            "RoleBinding e2e-replaced/my-sa",
            "Pod e2e-replaced/my-pod",
        ]) {
            // In the state's order, in which the account and the Role (made side by side) vary.
            assert.match(replaced.output, new RegExp(`replaced cluster \\([^)]*${object}[,)]`));
        }
        const backup = /The state as it was: (\S+) \(to put it back/.exec(replaced.output)?.[1];
        assert.ok(backup && existsSync(backup), `no backup named:\n${replaced.output}`);
        assert.equal(
            JSON.stringify(
                (JSON.parse(readFileSync(backup, "utf8")) as { deployment: { resources: unknown } })
                    .deployment.resources,
            ),
            saved,
        );
        rmSync(backup);
        assert.ok(
            objectExists("pod", "my-pod", "e2e-replaced"),
            "the workload was not created again",
        );
        assert.equal((await stack.outputs()).clusterUid?.value, uid);
        assert.equal(await stateResourceCount(stack), tracked);
        // On the stack's own cluster the flag would lose track of what exists: refused.
        const again = await npmRun("up", stack.name, backend, "--cluster-replaced");
        assert.notEqual(again.status, 0, again.output);
        assert.match(again.output, /was deployed to this very cluster .*nothing was forgotten/s);
        assert.equal(await stateResourceCount(stack), tracked);
        // down with the flag forgets, deleting nothing (here the objects are this cluster's).
        await recordOtherCluster();
        const live = clusterObjects("e2e-replaced");
        const forgotten = await npmRun("down", stack.name, backend, "--cluster-replaced");
        assert.equal(forgotten.status, 0, forgotten.output);
        assert.equal(clusterObjects("e2e-replaced"), live, "down deleted objects it had forgotten");
        assert.equal(await stateResourceCount(stack), 0);
        const downBackup = /The state as it was: (\S+) \(to put it back/.exec(
            forgotten.output,
        )?.[1];
        if (downBackup) rmSync(downBackup, { force: true });
        kubectl("delete", "namespace", "e2e-replaced", "--wait=true", "--timeout=120s");
        recordCase({
            name: "a cluster of the same name and address, not the stack's",
            done: "npm run up; the state's kube-system UID changed to another cluster's (a teammate's minikube, or this one recreated); npm run up, down, preview and verify; the namespace deleted; npm run up -- --cluster-replaced, twice; the UID changed again; npm run down -- --cluster-replaced",
            happened: `up, down, preview and verify exited ${statuses.join(", ")}, naming both UIDs and --cluster-replaced; with it, up forgot the 5 objects, wrote the old state to a file, and created them again; the second time it was refused (same cluster); down with it forgot them and deleted nothing`,
            left: "the objects untouched and the state unchanged by the refusals; after down -- --cluster-replaced, the objects in place (then deleted by the test) and an empty state",
        });
    });

    it("stops a stack whose first up did not end where none of its objects is, and forgets them only when told", async () => {
        const stack = await e2eStack(backend, "e2e-unrecorded", {
            "sa-workload:workloads": [{ namespace: "e2e-unrecorded" }],
        });
        const first = await npmRun("up", stack.name, backend);
        assert.equal(first.status, 0, first.output);
        const tracked = await stateResourceCount(stack);
        // The state as an up that stopped before its end leaves it: objects, and none of the
        // stack's outputs, the cluster among them (the engine writes them at the end).
        const recordNoCluster = () => rewriteStackOutputs(stack, () => ({}));
        await recordNoCluster();
        // On its own cluster the objects say where it is: up goes on, recording the cluster.
        const same = await npmRun("up", stack.name, backend);
        assert.equal(same.status, 0, same.output);
        assert.equal((await stack.outputs()).clusterUid?.value, kubeSystemUid());
        // None of them on the target cluster, as where the first up ran on another one (here:
        // deleted by hand): each command stops before it changes anything.
        await recordNoCluster();
        kubectl("delete", "namespace", "e2e-unrecorded", "--wait=true", "--timeout=120s");
        const saved = JSON.stringify(await stateResources(stack));
        const statuses: (number | null)[] = [];
        for (const script of ["up", "preview", "down", "recover"]) {
            const refused = await npmRun(script, stack.name, backend);
            statuses.push(refused.status);
            assert.notEqual(refused.status, 0, refused.output);
            for (const text of [
                `Stack ${stack.name} records objects (Namespace e2e-unrecorded, `,
                "Pod e2e-unrecorded/my-pod",
                `npm run ${script === "preview" ? "up" : script} -- --cluster-replaced forgets them`,
            ]) {
                assert.ok(
                    refused.output.includes(text),
                    `${script}: "${text}" missing:\n${refused.output}`,
                );
            }
        }
        assert.ok(!namespaceExists("e2e-unrecorded"), "a refused command created the namespace");
        assert.equal(JSON.stringify(await stateResources(stack)), saved);
        const replaced = await npmRun("up", stack.name, backend, "--cluster-replaced");
        assert.equal(replaced.status, 0, replaced.output);
        assert.match(
            replaced.output,
            /forgot what it recorded on the replaced cluster \(Namespace/,
        );
        const backup = /The state as it was: (\S+) \(to put it back/.exec(replaced.output)?.[1];
        if (backup) rmSync(backup, { force: true });
        assert.ok(objectExists("pod", "my-pod", "e2e-unrecorded"), "not created again");
        assert.equal(await stateResourceCount(stack), tracked);
        const down = await npmRun("down", stack.name, backend);
        assert.equal(down.status, 0, down.output);
        recordCase({
            name: "a stack whose first up did not end, its objects not on the target cluster",
            done: "npm run up; the stack's outputs (the cluster among them) removed from the state, as an up stopped before its end leaves it; npm run up; the outputs removed again and the namespace deleted; npm run up, preview, down and recover; npm run up -- --cluster-replaced; npm run down",
            happened: `with its objects on the cluster, up went on and recorded it; without them, up, preview, down and recover exited ${statuses.join(", ")}, naming the objects and --cluster-replaced; with it, up forgot them and created them again`,
            left: "no object created and the state unchanged by the refusals; after down, nothing",
        });
    });

    it("recovers an update killed on a cluster that was replaced since, with recover -- --cluster-replaced", async () => {
        const [kept, killed] = ["e2e-killed-first", "e2e-killed-second"];
        // Both namespaces named, so that one an aborted earlier run left is deleted first.
        const stack = await e2eStack(backend, "e2e-killed-replaced", {
            "sa-workload:workloads": [{ namespace: kept }, { namespace: killed }],
        });
        // Deployed with one workload; the update adding the second, whose pod can never become
        // ready, is killed while it waits: the state keeps the pod's create pending, and the lock.
        await writeStackConfig(stack, { "sa-workload:workloads": [{ namespace: kept }] });
        const first = await npmRun("up", stack.name, backend);
        assert.equal(first.status, 0, first.output);
        await writeStackConfig(stack, {
            "sa-workload:workloads": [
                { namespace: kept },
                { namespace: killed, image: NEVER_READY, readyTimeoutSeconds: 120 },
            ],
        });
        const run = npmStart("up", stack.name, backend);
        await eventually("the pod exists", () => objectExists("pod", "my-pod", killed), 60_000);
        killTree(run.child.pid!);
        await run.done;
        assert.equal(backend.locks().length, 1, "the killed run left no lock");
        // On the stack's own cluster the flag is refused before anything, the lock included.
        const same = await npmRun("recover", stack.name, backend, "--cluster-replaced");
        assert.notEqual(same.status, 0, same.output);
        assert.match(same.output, /was deployed to this very cluster .*nothing was forgotten/s);
        assert.equal(backend.locks().length, 1, "the refused recover removed the lock");
        // Then the cluster went, with all it held, and one of its name and address came back: its
        // record changed in the state file itself (`pulumi stack import` waits for the lock).
        const file = stateFile(backend.dir, stack.name)!;
        const state = JSON.parse(readFileSync(file, "utf8")) as {
            checkpoint: { latest: { resources: StackResource[]; pending_operations?: unknown[] } };
        };
        const { resources, pending_operations: pending } = state.checkpoint.latest;
        assert.equal(pending?.length, 1, "the pod's create is not pending in the state");
        const root = resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
        assert.equal(typeof root.outputs.clusterUid, "string", "the state records no cluster");
        root.outputs.clusterUid = "uid-of-the-first-cluster";
        writeFileSync(file, JSON.stringify(state));
        for (const namespace of [kept, killed]) {
            kubectl("delete", "namespace", namespace, "--wait=true", "--timeout=120s");
        }
        const before = clusterObjects();

        const plain = await npmRun("recover", stack.name, backend);
        assert.notEqual(plain.status, 0, plain.output);
        assert.match(plain.output, /--cluster-replaced/);
        assert.equal(backend.locks().length, 1, "the refused recover removed the lock");
        assert.equal(readFileSync(file, "utf8"), JSON.stringify(state), "the refusal wrote state");
        const recovered = await npmRun("recover", stack.name, backend, "--cluster-replaced");
        assert.equal(recovered.status, 0, recovered.output);
        assert.match(recovered.output, /forgot what it recorded on the replaced cluster \(/);
        assert.match(recovered.output, new RegExp(`Namespace ${killed}\\b`));
        assert.match(recovered.output, /Nothing else to do: run `npm run up`/);
        assert.deepEqual(backend.locks(), [], "recover left the lock");
        assert.equal(await stateResourceCount(stack), 0);
        const after = (await stack.exportStack()).deployment as { pending_operations?: unknown[] };
        assert.equal(after.pending_operations?.length ?? 0, 0);
        assert.equal(clusterObjects(), before, "recover changed the cluster");
        const backup = /The state as it was: (\S+) \(to put it back/.exec(recovered.output)?.[1];
        assert.ok(backup && existsSync(backup), `no backup named:\n${recovered.output}`);
        rmSync(backup);

        // The image fixed, up deploys both workloads anew on this cluster; down removes them.
        await writeStackConfig(stack, {
            "sa-workload:workloads": [{ namespace: kept }, { namespace: killed }],
        });
        const up = await npmRun("up", stack.name, backend);
        assert.equal(up.status, 0, up.output);
        for (const namespace of [kept, killed]) {
            assert.ok(objectExists("pod", "my-pod", namespace), up.output);
        }
        const uid = kubeSystemUid();
        assert.equal((await stack.outputs()).clusterUid?.value, uid);
        const down = await npmRun("down", stack.name, backend);
        assert.equal(down.status, 0, down.output);
        assert.ok(!namespaceExists(kept) && !namespaceExists(killed), down.output);
        recordCase({
            name: "a killed update, its cluster replaced since",
            done: "npm run up; an up adding a workload whose pod never gets ready, SIGKILLed while it waited; npm run recover -- --cluster-replaced on that cluster; the state's kube-system UID changed to another cluster's and both namespaces deleted; npm run recover, then npm run recover -- --cluster-replaced; npm run up; npm run down",
            happened: `recover with the flag on the stack's own cluster exited ${same.status}, the lock left in place; once the UID changed, recover exited ${plain.status}, naming --cluster-replaced; with it, recover removed the killed run's lock, forgot the objects and the pending create, wrote the old state to a file and deleted nothing; up then created both workloads on this cluster`,
            left: "nothing after down: no lock, an empty state",
        });
    });
});

interface StackResource {
    type: string;
    outputs: Record<string, unknown>;
}
