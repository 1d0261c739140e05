/**
 * Interrupted updates: Ctrl-C (SIGINT) at two points, the engine killed outright (SIGKILL), and the
 * API server stopped mid-update. After each, the documented recovery converges, verify passes,
 * and destroy leaves nothing.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";

import { Stack } from "@pulumi/pulumi/automation";

import { writeStackConfig } from "../../scripts/lib/stack";
import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { verifyWorkload } from "../../scripts/lib/verify";
import {
    adminConfig,
    e2eStack,
    eventually,
    kubectlStatus,
    namespaceExists,
    npmRun,
    stateResourceCount,
    TempBackend,
} from "../helpers/e2e";
import { recordCase } from "../helpers/reliability";

const CLUSTER = join(REPO_ROOT, "scripts", "cluster.sh");

function exists(kind: string, name: string, namespace: string): boolean {
    return kubectlStatus("get", kind, name, "-n", namespace).status === 0;
}

function errorText(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/** Pending operations recorded in the stack's state (left by an engine that was killed). */
async function pendingOperations(stack: Stack): Promise<number> {
    const deployment = (await stack.exportStack()).deployment as { pending_operations?: unknown[] };
    return deployment.pending_operations?.length ?? 0;
}

async function converges(stack: Stack, namespace: string): Promise<void> {
    await stack.up();
    await stack.preview({ expectNoChanges: true });
    const checks = await verifyWorkload(adminConfig(), {
        namespace,
        serviceAccount: "my-sa",
        pod: "my-pod",
    });
    assert.deepEqual(
        checks.filter((c) => !c.ok),
        [],
    );
    await stack.destroy();
    assert.ok(!namespaceExists(namespace));
    assert.equal(await stateResourceCount(stack), 0);
}

describe("fault: interrupted updates", () => {
    const backend = new TempBackend();
    const stacks: Stack[] = [];

    async function newStack(name: string, workload: Record<string, unknown>): Promise<Stack> {
        const stack = await e2eStack(backend, name, { "sa-workload:workloads": [workload] });
        stacks.push(stack);
        return stack;
    }

    after(async () => {
        // A test that failed half-way may have left the API server down or the stack locked.
        spawnSync("bash", [CLUSTER, "resume"], { stdio: "ignore" });
        for (const stack of stacks) {
            await stack.cancel().catch(() => undefined);
            await stack.destroy().catch(() => undefined);
        }
        backend.dispose();
    });

    it("recovers from Ctrl-C while objects are being created", async () => {
        const stack = await newStack("e2e-sigint-create", { namespace: "e2e-sigint-create" });
        const abort = new AbortController();
        const up = stack.up({ signal: abort.signal });
        await eventually(
            "the namespace exists",
            () => namespaceExists("e2e-sigint-create"),
            60_000,
        );
        abort.abort(); // the Automation API sends SIGINT to the engine
        const outcome = await up.then(
            () => "finished before the interrupt landed",
            (error: unknown) => `interrupted: ${errorText(error).split("\n").slice(-3).join(" ")}`,
        );
        // A graceful cancel finishes the steps in flight and records them: no pending operations.
        assert.equal(await pendingOperations(stack), 0);
        await converges(stack, "e2e-sigint-create");
        recordCase({
            name: "SIGINT while creating",
            done: "SIGINT to `pulumi up` as soon as the namespace existed",
            happened: `${outcome.slice(0, 160)}; state had no pending operations; the next up converged, verify passed`,
            left: "nothing after destroy",
        });
    });

    it("recovers from Ctrl-C while waiting for the pod to become ready", async () => {
        const workload = {
            namespace: "e2e-sigint-wait",
            image: "example.invalid/never-ready:1.0",
            readyTimeoutSeconds: 120,
        };
        const stack = await newStack("e2e-sigint-wait", workload);
        const abort = new AbortController();
        const up = stack.up({ signal: abort.signal });
        await eventually(
            "the pod exists",
            () => exists("pod", "my-pod", "e2e-sigint-wait"),
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
        writeStackConfig(stack, { "sa-workload:workloads": [JSON.parse(JSON.stringify(fixed))] });
        await converges(stack, "e2e-sigint-wait");
        recordCase({
            name: "SIGINT while waiting for readiness",
            done: "SIGINT to `pulumi up` while it waited for a pod that never becomes ready",
            happened: `the engine stopped ${seconds.toFixed(0)} s later with no pending operations; after fixing the image, up replaced the pod and converged; verify passed`,
            left: "nothing after destroy",
        });
    });

    it("recovers from the engine being killed mid-update", async () => {
        const stack = await newStack("e2e-sigkill", { namespace: "e2e-sigkill" });
        const up = stack.up();
        await eventually("the namespace exists", () => namespaceExists("e2e-sigkill"), 60_000);
        execFileSync("pkill", ["-KILL", "-f", "pulumi up .*--stack e2e-sigkill"]);
        await up.then(
            () => assert.fail("up survived SIGKILL"),
            () => undefined,
        );
        // The killed engine left its lock behind: the next update is refused until it is cleared.
        const locked = await stack.up().then(
            () => "",
            (error: unknown) => errorText(error),
        );
        assert.match(locked, /locked/i);
        const pending = await pendingOperations(stack);

        // The README's recovery: npm run recover (cancel, then refresh clearing pending creates).
        const recover = npmRun("recover", "e2e-sigkill", backend);
        assert.equal(recover.status, 0, recover.output);
        assert.equal(await pendingOperations(stack), 0);
        await converges(stack, "e2e-sigkill");
        recordCase({
            name: "SIGKILL of the engine",
            done: "SIGKILL to `pulumi up` once the namespace existed",
            happened: `the stack stayed locked (next up refused) with ${pending} pending operation(s); \`npm run recover\` (pulumi cancel, then refresh --clear-pending-creates) cleared both; up converged; verify passed`,
            left: "nothing after destroy",
        });
    });

    it("fails clearly when the API server stops mid-update, and converges after it returns", async () => {
        const stack = await newStack("e2e-apiserver", {
            namespace: "e2e-apiserver",
            readyTimeoutSeconds: 30,
        });
        const up = stack.up();
        await eventually("the namespace exists", () => namespaceExists("e2e-apiserver"), 60_000);
        execFileSync("bash", [CLUSTER, "kill", "kube-apiserver"], { stdio: "ignore" });
        const started = Date.now();
        const message = await up.then(
            () => "",
            (error: unknown) => errorText(error),
        );
        const seconds = (Date.now() - started) / 1000;
        execFileSync("bash", [CLUSTER, "resume"], { stdio: "ignore" });
        if (message) {
            assert.match(message, /connection refused|unreachable|failed to|timed out/i);
        }
        assert.equal(await pendingOperations(stack), 0);
        await converges(stack, "e2e-apiserver");
        const reason =
            /connection refused/.exec(message)?.[0] ??
            (message ? "an error" : "no error (it had finished)");
        recordCase({
            name: "API server stopped during up",
            done: "killed kube-apiserver once the namespace existed; restarted it after up returned",
            happened: `up failed after ${seconds.toFixed(0)} s with ${reason}; after the restart, up converged; verify passed`,
            left: "nothing after destroy",
        });
    });
});
