import * as assert from "node:assert/strict";

import { RunError } from "@pulumi/pulumi";
import type { DestroyOptions, Stack } from "@pulumi/pulumi/automation";

import { destroy } from "../../scripts/lib/operations";

/**
 * A stack whose destroy does what the engine does with an inline program, as far as the gate is
 * concerned: it writes output, runs the workspace's program as it finds it at the call, and
 * deletes (writes more) only once the program has finished.
 */
function engineStandIn(events: string[]): Stack {
    const program = () => {
        events.push("program ran");
        return Promise.resolve({});
    };
    const cli = {
        run(...args: string[]) {
            events.push(`cli started: ${args[0]}`);
            return Promise.resolve();
        },
    };
    return {
        workspace: { program, pulumiCommand: cli },
        async destroy(this: Stack, opts: DestroyOptions) {
            const run = this.workspace.program!;
            await (this.workspace.pulumiCommand as unknown as typeof cli).run("destroy");
            opts.onOutput?.("Destroying (dev):\n");
            await run();
            opts.onOutput?.("deleted\n");
        },
    } as unknown as Stack;
}

/** A check that passes 20 ms from now, saying so in `events`. */
function passesSoon(events: string[]): Promise<void> {
    return new Promise<void>((passed) =>
        setTimeout(() => {
            events.push("check passed");
            passed();
        }, 20),
    );
}

describe("a destroy after a check that runs while the engine starts", () => {
    it("runs the program, and shows the engine's output, only once the check has passed", async () => {
        const events: string[] = [];
        const stack = engineStandIn(events);
        const program = stack.workspace.program;
        const check = passesSoon(events);
        await destroy(stack, {
            after: check,
            onOutput: (out) => void events.push(`shown: ${out.trim()}`),
        });
        assert.deepEqual(events, [
            "cli started: destroy",
            "check passed",
            "shown: Destroying (dev):",
            "program ran",
            "shown: deleted",
        ]);
        assert.equal(stack.workspace.program, program, "the workspace's program was not restored");
    });

    it("hands each piece of the engine's output to onRaw as it comes, while the gate still holds it", async () => {
        const events: string[] = [];
        const stack = engineStandIn(events);
        const check = passesSoon(events);
        await destroy(stack, {
            after: check,
            onOutput: (out) => void events.push(`shown: ${out.trim()}`),
            onRaw: (out) => void events.push(`seen: ${out.trim()}`),
        });
        assert.deepEqual(events, [
            "cli started: destroy",
            "seen: Destroying (dev):",
            "check passed",
            "shown: Destroying (dev):",
            "program ran",
            "seen: deleted",
            "shown: deleted",
        ]);
    });

    it("hands the engine's output to onRaw without a gate too", async () => {
        const events: string[] = [];
        await destroy(engineStandIn(events), {
            onOutput: (out) => void events.push(`shown: ${out.trim()}`),
            onRaw: (out) => void events.push(`seen: ${out.trim()}`),
        });
        assert.deepEqual(events.slice(1, 3), [
            "seen: Destroying (dev):",
            "shown: Destroying (dev):",
        ]);
    });

    it("runs nothing of the program and shows nothing of the engine's when the check refuses", async () => {
        const events: string[] = [];
        const stack = engineStandIn(events);
        const refusal = new Error("Namespace my-ns holds objects this stack did not create");
        const failed = await destroy(stack, {
            after: Promise.reject(refusal),
            onOutput: (out) => void events.push(`shown: ${out.trim()}`),
        }).then(
            () => undefined,
            (error: unknown) => error,
        );
        // The engine reports a RunError by its message, without the program's stack trace.
        assert.ok(failed instanceof RunError, String(failed));
        assert.equal(failed.message, refusal.message);
        assert.deepEqual(events, ["cli started: destroy"]);
    });

    it("says when the engine's CLI has started, so the work it waits for can begin then", async () => {
        const events: string[] = [];
        const stack = engineStandIn(events);
        let check: () => void = () => undefined;
        const checked = new Promise<void>((passed) => (check = passed));
        await destroy(stack, {
            after: checked,
            onStart: () => {
                events.push("told: started");
                check();
            },
        });
        assert.deepEqual(events, ["cli started: destroy", "told: started", "program ran"]);
        assert.ok(!Object.hasOwn(stack.workspace.pulumiCommand, "run"), "run() was not restored");
    });

    it("says so too when the operation ends before any CLI has started", async () => {
        const stack = engineStandIn([]);
        stack.destroy = () => Promise.reject(new Error("no workspace"));
        let told = 0;
        const failed = await destroy(stack, { onStart: () => told++ }).catch((e: Error) => e);
        assert.equal(String(failed), "Error: no workspace");
        assert.equal(told, 1);
        assert.ok(!Object.hasOwn(stack.workspace.pulumiCommand, "run"), "run() was not restored");
    });
});
