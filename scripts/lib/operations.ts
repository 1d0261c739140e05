/**
 * `pulumi up` and `pulumi destroy` through the Automation API, without its follow-up reads.
 *
 * `Stack.up()` runs `pulumi up`, then three more CLI processes: `stack output` twice (masked and
 * plain) and `stack history`; `Stack.destroy()` runs `stack history` once more. Measured on the
 * local cluster with one workload: `pulumi up` itself 0.85-0.96 s, the follow-ups 0.75 s more;
 * `pulumi destroy` 2.9-6.1 s, the follow-up 0.3 s more. The engine's events already carry the
 * stack's outputs (secrets masked), so `up` here takes them from there and skips the follow-ups.
 */
import type { DestroyOptions, EngineEvent, Stack, UpOptions } from "@pulumi/pulumi/automation";

/** A view of the stack whose follow-up reads (`outputs()`, `info()`) return nothing. */
function withoutFollowUpReads(stack: Stack): Stack {
    return Object.create(stack, {
        outputs: { value: () => Promise.resolve({}) },
        info: { value: () => Promise.resolve(undefined) },
    }) as Stack;
}

/**
 * Runs `pulumi up --yes --skip-preview` and returns the stack's outputs as the engine reported
 * them (secret values are "[secret]").
 */
export async function up(stack: Stack, opts: UpOptions = {}): Promise<Record<string, unknown>> {
    let outputs: Record<string, unknown> = {};
    const onEvent = (event: EngineEvent): void => {
        const step = event.resOutputsEvent?.metadata;
        if (step?.type === "pulumi:pulumi:Stack") outputs = step.new?.outputs ?? {};
        opts.onEvent?.(event);
    };
    await withoutFollowUpReads(stack).up({ ...opts, onEvent });
    return outputs;
}

/** Runs `pulumi destroy --yes --skip-preview`. */
export async function destroy(stack: Stack, opts: DestroyOptions = {}): Promise<void> {
    await withoutFollowUpReads(stack).destroy(opts);
}
