/** A stand-in for the Automation API's Stack, for the unit tests of what the commands ask of it. */
import type { Stack } from "@pulumi/pulumi/automation";

export interface FakeStack {
    readonly stack: Stack;
    /** The calls made, in order: cancel, export, import, refresh (with its flag). */
    readonly calls: string[];
    /** What importStack was given, in order. */
    readonly imported: unknown[];
}

/**
 * A stack named dev whose exports give `exports` in turn, the last one from then on (as the CLI
 * would, a new copy each time).
 */
export function fakeStack(...exports: unknown[]): FakeStack {
    const calls: string[] = [];
    const imported: unknown[] = [];
    let next = 0;
    const stack = {
        name: "dev",
        cancel: () => Promise.resolve(void calls.push("cancel")),
        exportStack: () => {
            calls.push("export");
            const deployment = exports[Math.min(next++, exports.length - 1)];
            return Promise.resolve({ version: 3, deployment: structuredClone(deployment) });
        },
        importStack: (state: unknown) => {
            calls.push("import");
            return Promise.resolve(void imported.push(state));
        },
        refresh: (options: { clearPendingCreates?: boolean }) => {
            calls.push(`refresh${options.clearPendingCreates ? " --clear-pending-creates" : ""}`);
            return Promise.resolve();
        },
    } as unknown as Stack;
    return { stack, calls, imported };
}
