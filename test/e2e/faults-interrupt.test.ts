/**
 * Interrupted updates: Ctrl-C (SIGINT) at two points, SIGKILL mid-run, and the API server stopped
 * mid-update. After each, the documented recovery converges, verify passes, and destroy leaves
 * nothing.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";

import { Stack } from "@pulumi/pulumi/automation";

import { writeStackConfig } from "../../scripts/lib/stack";
import { REPO_ROOT } from "../../scripts/lib/toolchain";
import {
    e2eStack,
    errorText,
    eventually,
    killTree,
    namespaceExists,
    NEVER_READY,
    npmRun,
    npmStart,
    objectExists,
    podUid,
    TempBackend,
    testKubeconfig,
    verified,
} from "../helpers/e2e";
import { stateResourceCount } from "../helpers/stack-state";
import { recordCase } from "../helpers/reliability";

const CLUSTER = join(REPO_ROOT, "scripts", "cluster.sh");

/** Whether the stack's state holds a resource with this provider ID. */
async function stateHasId(stack: Stack, id: string): Promise<boolean> {
    const deployment = (await stack.exportStack()).deployment as { resources?: { id?: string }[] };
    return (deployment.resources ?? []).some((r) => r.id === id);
}

/** The line of an engine's error output that says it was canceled. */
function cancelLine(output: string): string {
    const lines = output.split("\n").map((line) => line.trim());
    return (lines.find((line) => /cancel/i.test(line)) ?? "no cancel message").slice(0, 120);
}

/** Pending operations recorded in the stack's state (left by an engine that was killed). */
async function pendingOperations(stack: Stack): Promise<number> {
    const deployment = (await stack.exportStack()).deployment as { pending_operations?: unknown[] };
    return deployment.pending_operations?.length ?? 0;
}

async function converges(stack: Stack, namespace: string): Promise<void> {
    await stack.up();
    await stack.preview({ expectNoChanges: true });
    await verified({ namespace, serviceAccount: "my-sa", pod: "my-pod" });
    await stack.destroy({ runProgram: true });
    assert.ok(!namespaceExists(namespace));
    assert.equal(await stateResourceCount(stack), 0);
}

/**
 * A started `up`, its output collected and how it ended, once its pod exists (so the engine waits
 * for the pod, which never becomes ready, when the test interrupts it).
 */
async function podWaiting(
    child: ChildProcess,
    namespace: string,
): Promise<{ child: ChildProcess; output: () => string; exited: Promise<string> }> {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<string>((resolve) =>
        child.on("close", (code, signal) => resolve(signal ?? String(code))),
    );
    await eventually("the pod exists", () => objectExists("pod", "my-pod", namespace), 60_000);
    return { child, output: () => output, exited };
}

describe("fault: interrupted updates", () => {
    const backend = new TempBackend();
    const stacks: Stack[] = [];

    async function newStack(name: string, workload: Record<string, unknown>): Promise<Stack> {
        const stack = await e2eStack(backend, name, { "sa-workload:workloads": [workload] });
        stacks.push(stack);
        return stack;
    }

    /**
     * `npm run up` of `namespace`'s stack as typed, in a process group of its own, as a terminal
     * runs a command.
     */
    function npmUpInGroup(namespace: string, env: Record<string, string> = {}): ChildProcess {
        return spawn("npm", ["run", "up"], {
            cwd: REPO_ROOT,
            detached: true,
            env: {
                ...process.env,
                STACK: namespace,
                PULUMI_BACKEND_URL: backend.url,
                KUBECONFIG: testKubeconfig(),
                ...env,
            },
        });
    }

    after(async () => {
        // A test that failed half-way may have left the API server down or the stack locked.
        if (spawnSync("bash", [CLUSTER, "status"], { stdio: "ignore" }).status !== 0) {
            spawnSync("bash", [CLUSTER, "resume"], { stdio: "ignore" });
        }
        for (const stack of stacks) {
            await stack.cancel().catch(() => undefined);
            await stack.destroy({ runProgram: true }).catch(() => undefined);
        }
        backend.dispose();
    });

    it("recovers from Ctrl-C while objects are being created", async () => {
        const stack = await newStack("e2e-sigint-create", { namespace: "e2e-sigint-create" });
        const abort = new AbortController();
        // Interrupt the moment the engine starts on the service account: the namespace exists,
        // the service account is in flight, its role, binding and pod are still to come.
        const up = stack.up({
            signal: abort.signal, // the Automation API sends SIGINT to the engine
            onEvent: (event) => {
                if (event.resourcePreEvent?.metadata.type === "kubernetes:core/v1:ServiceAccount") {
                    abort.abort();
                }
            },
        });
        const message = await up.then(
            () => assert.fail("the update finished although it was interrupted"),
            (error: unknown) => errorText(error),
        );
        // A graceful cancel finishes the steps in flight and records them: no pending operations,
        // nothing started after the interrupt.
        assert.equal(await pendingOperations(stack), 0);
        assert.ok(namespaceExists("e2e-sigint-create"));
        assert.ok(
            !objectExists("pod", "my-pod", "e2e-sigint-create"),
            "the pod was created after Ctrl-C",
        );
        const tracked = await stateResourceCount(stack);
        // The provider's cancel can cut short a create in flight (the Role, made beside the
        // account) after the API server made the object: the run then records no create, and
        // the next up refuses the object as not its own. The way the refusal gives: one up
        // with adoptExisting, of objects the provider wrote with the workload's labels only.
        const next = await stack.up().then(
            () => undefined,
            (error: unknown) => errorText(error),
        );
        let adopted = "";
        if (next !== undefined) {
            assert.match(next, /this stack did not create[\s\S]*written by: pulumi-kubernetes-/);
            assert.match(next, /adoptExisting: true/);
            const objects = next.matchAll(
                /^\s+- (\w+ [\w/-]+) \(labels: app\.kubernetes\.io\/managed-by=pulumi/gm,
            );
            adopted = [...new Set([...objects].map((m) => m[1]))].join(", ");
            assert.ok(adopted, next);
            await writeStackConfig(stack, {
                "sa-workload:workloads": [{ namespace: "e2e-sigint-create", adoptExisting: true }],
            });
            await stack.up();
            await writeStackConfig(stack, {
                "sa-workload:workloads": [{ namespace: "e2e-sigint-create" }],
            });
        }
        await converges(stack, "e2e-sigint-create");
        recordCase({
            name: "SIGINT while creating",
            done: "SIGINT to `pulumi up` when the engine started on the service account (namespace created, role, binding and pod to come)",
            happened: `up failed (${cancelLine(message)}); the state held the ${tracked} resources it had finished and no pending operations; the pod was never created; ${adopted ? `the next up refused ${adopted}, made by the cancelled create, and one up with adoptExisting took it back; then` : "the next up"} converged, verify passed`,
            left: "nothing after destroy",
        });
    });

    it("recovers from Ctrl-C while waiting for the pod to become ready", async () => {
        const workload = {
            namespace: "e2e-sigint-wait",
            image: NEVER_READY,
            readyTimeoutSeconds: 120,
        };
        const stack = await newStack("e2e-sigint-wait", workload);
        const abort = new AbortController();
        const up = stack.up({ signal: abort.signal });
        await eventually(
            "the pod exists",
            () => objectExists("pod", "my-pod", "e2e-sigint-wait"),
            60_000,
        );
        const started = Date.now();
        abort.abort();
        await up.then(
            () => assert.fail("up finished although its pod can never become ready"),
            () => undefined,
        );
        const seconds = (Date.now() - started) / 1000;
        assert.ok(seconds < 60, `the engine took ${seconds} s to stop`);
        assert.equal(await pendingOperations(stack), 0);
        // The user fixes the image and deploys again.
        const fixed = { ...workload, image: undefined, readyTimeoutSeconds: undefined };
        await writeStackConfig(stack, {
            "sa-workload:workloads": [JSON.parse(JSON.stringify(fixed))],
        });
        await converges(stack, "e2e-sigint-wait");
        recordCase({
            name: "SIGINT while waiting for readiness",
            done: "SIGINT to `pulumi up` while it waited for a pod that never becomes ready",
            happened: `the engine stopped ${seconds.toFixed(0)} s later with no pending operations; after fixing the image, up replaced the pod and converged; verify passed`,
            left: "nothing after destroy",
        });
    });

    // npm runs a script through sh: Debian's dash starts node as its child, macOS's bash (and
    // Fedora's) replaces itself with node, which then gets npm's copy of the SIGINT too.
    for (const [shell, namespace] of [
        ["sh", "e2e-sigint-group"],
        ["bash", "e2e-sigint-bash"],
    ] as const) {
        it(`stops cleanly and fails when a terminal's Ctrl-C reaches npm run up's process group (script shell ${shell})`, async () => {
            const workload = {
                namespace,
                image: NEVER_READY,
                readyTimeoutSeconds: 120,
            };
            const stack = await newStack(namespace, workload);
            const run = await podWaiting(
                npmUpInGroup(namespace, { npm_config_script_shell: shell }),
                namespace,
            );
            // What a terminal's Ctrl-C does: SIGINT to every process of the group at once.
            process.kill(-run.child.pid!, "SIGINT");
            // npm reports its script's interrupt as a shell does: it ends by SIGINT itself (a
            // terminal's shell then shows $? = 130), or exits 130. Never 0.
            const code = await run.exited;
            const output = run.output();
            assert.ok(code === "SIGINT" || code === "130", `ended with ${code}:\n${output}`);
            assert.match(output, /Interrupted: the engine is finishing the operations in flight/);
            assert.equal(await pendingOperations(stack), 0, "the engine did not stop cleanly");
            const fixed = { namespace };
            await writeStackConfig(stack, { "sa-workload:workloads": [fixed] });
            await converges(stack, namespace);
            recordCase({
                name: `Ctrl-C to npm run up's process group (script shell ${shell})`,
                done: `SIGINT to every process of \`npm run up\` (npm, node, engine, plugins) while it waited for its pod, as a terminal sends it; npm's script shell ${shell}${shell === "bash" ? ", which replaces itself with node, so node gets npm's copy of the SIGINT too" : ""}`,
                happened: `npm run up ended with ${code} (a shell's $? = 130) after the engine stopped cleanly (no pending operations, no lock); after fixing the image, up converged; verify passed`,
                left: "nothing after destroy",
            });
        });
    }

    // SIGTERM to the command's process alone (a `kill`, an IDE's stop button), and to every
    // process of `npm run up` (`kill -- -PGID`, `timeout`), whose engine then has it already.
    for (const [to, namespace] of [
        ["the command alone", "e2e-sigterm"],
        ["npm run up's process group", "e2e-sigterm-group"],
    ] as const) {
        it(`stops cleanly and fails when SIGTERM reaches ${to}`, async () => {
            const workload = { namespace, image: NEVER_READY, readyTimeoutSeconds: 120 };
            const stack = await newStack(namespace, workload);
            const group = to !== "the command alone";
            const started = group
                ? npmUpInGroup(namespace)
                : npmStart("up", namespace, backend).child;
            const run = await podWaiting(started, namespace);
            process.kill(group ? -run.child.pid! : run.child.pid!, "SIGTERM");
            const code = await run.exited;
            const output = run.output();
            assert.ok(code === "SIGTERM" || code === "143", `ended with ${code}:\n${output}`);
            assert.match(output, /Terminated: the engine is finishing the operations in flight/);
            assert.match(output, /received; cancelling/);
            assert.doesNotMatch(output, /received; terminating/);
            assert.equal(await pendingOperations(stack), 0, "the engine did not stop cleanly");
            // Not locked: the next up runs.
            await writeStackConfig(stack, { "sa-workload:workloads": [{ namespace }] });
            await converges(stack, namespace);
            recordCase({
                name: `SIGTERM to ${to}`,
                done: group
                    ? "SIGTERM to every process of `npm run up` (npm, node, engine, plugins) while it waited for its pod, as `timeout` or `kill -- -PGID` send it"
                    : "SIGTERM to the node process of `npm run up` alone (as `kill` or an IDE's stop button send it) while it waited for its pod",
                happened: group
                    ? `the engine had the SIGTERM itself and cancelled; the command did not signal it again (a second signal terminates it), waited for it to stop cleanly (no pending operations, no lock) and ended with ${code}; after fixing the image, up converged; verify passed`
                    : `the command sent its engine SIGINT, waited for it to stop cleanly (no pending operations, no lock) and ended with ${code}; after fixing the image, up converged; verify passed`,
                left: "nothing after destroy",
            });
        });
    }

    it("recovers from SIGKILL of the whole update mid-run with npm run recover", async () => {
        // As above, a pod that never becomes ready keeps the update running until the kill.
        const workload = { namespace: "e2e-sigkill", image: NEVER_READY, readyTimeoutSeconds: 120 };
        const stack = await newStack("e2e-sigkill", workload);
        const run = npmStart("up", "e2e-sigkill", backend);
        await eventually(
            "the pod exists",
            () => objectExists("pod", "my-pod", "e2e-sigkill"),
            60_000,
        );
        // Like a crash: every process of the run (npm, node, engine, plugins) dies at once.
        const killed = killTree(run.child.pid!);
        assert.ok(killed.length >= 3, `killed only ${killed.join(", ")}`);
        await run.done;
        assert.equal(await pendingOperations(stack), 1, "the pod's create was in flight");
        const locked = await npmRun("up", "e2e-sigkill", backend);
        assert.notEqual(locked.status, 0);
        assert.match(locked.output, /the stack is currently locked/);
        assert.match(locked.output, /If none is running .*, run npm run recover/s);

        const recover = await npmRun("recover", "e2e-sigkill", backend);
        assert.equal(recover.status, 0, recover.output);
        assert.match(recover.output, /Tracked again \(it exists\): Pod e2e-sigkill\/my-pod/);
        assert.equal(await pendingOperations(stack), 0);
        // The pod the killed run created is in the state again, so nothing is left untracked.
        assert.ok(await stateHasId(stack, "e2e-sigkill/my-pod"));
        const killedPod = podUid("e2e-sigkill", "my-pod");
        // The user fixes the image and deploys again: up replaces the tracked pod.
        await writeStackConfig(stack, { "sa-workload:workloads": [{ namespace: "e2e-sigkill" }] });
        await stack.up();
        assert.notEqual(podUid("e2e-sigkill", "my-pod"), killedPod);
        await converges(stack, "e2e-sigkill");
        recordCase({
            name: "SIGKILL mid-run",
            done: `SIGKILL to all ${killed.length} processes of \`npm run up\` (node, engine, plugins) while it waited for its pod`,
            happened:
                "the state kept the pod's create pending and the lock, so the next up refused to run; `npm run recover` dropped the lock and imported the pod it found in the cluster; after fixing the image, up replaced that pod and converged; verify passed",
            left: "nothing after destroy",
        });
    });

    it("fails clearly when the API server stops mid-update, and converges after it returns", async () => {
        // As above, a pod that never becomes ready keeps the update running when the server stops.
        const workload = {
            namespace: "e2e-apiserver",
            image: NEVER_READY,
            readyTimeoutSeconds: 30,
        };
        const stack = await newStack("e2e-apiserver", workload);
        const up = npmRun("up", "e2e-apiserver", backend);
        await eventually(
            "the pod exists",
            () => objectExists("pod", "my-pod", "e2e-apiserver"),
            60_000,
        );
        execFileSync("bash", [CLUSTER, "kill", "kube-apiserver"], { stdio: "ignore" });
        const started = Date.now();
        const result = await up;
        const seconds = (Date.now() - started) / 1000;
        execFileSync("bash", [CLUSTER, "resume"], { stdio: "ignore" });
        assert.notEqual(result.status, 0, result.output);
        assert.match(
            result.output,
            /The Kubernetes API server \(https:\/\/127\.0\.0\.1:\d+\) stopped answering/,
        );
        assert.match(result.output, /run npm run up: it converges/);
        assert.equal(await pendingOperations(stack), 0);
        await writeStackConfig(stack, {
            "sa-workload:workloads": [{ namespace: "e2e-apiserver" }],
        });
        await converges(stack, "e2e-apiserver");
        recordCase({
            name: "API server stopped during up",
            done: "killed kube-apiserver while `npm run up` waited for its pod; restarted it after up returned",
            happened: `npm run up failed after ${seconds.toFixed(0)} s saying the API server stopped answering and how to resume; after the restart, up converged; verify passed`,
            left: "nothing after destroy",
        });
    });
});
