/**
 * `pulumi up` and `pulumi destroy` through the Automation API, without its follow-up reads.
 *
 * `Stack.up()` runs `pulumi up`, then three more CLI processes: `stack output` twice (masked and
 * plain) and `stack history`; `Stack.destroy()` runs `stack history` once more. Measured on the
 * local cluster with one workload: `pulumi up` itself 0.85-0.96 s, the follow-ups 0.75 s more;
 * `pulumi destroy` 2.9-6.1 s, the follow-up 0.3 s more. The engine's events already carry the
 * stack's outputs (secrets masked), so `up` here takes them from there and skips the follow-ups.
 *
 * Both also run more resource operations at once than the engine's default of 4 per CPU: the
 * operations mostly wait on the API server (deleting a namespace is seconds of controller work),
 * not on this machine. Measured with 50 workloads on the local cluster: destroy 54.7/53.9 s with
 * the default (8 on 2 CPUs), 33.3/32.0 s with 32; up unchanged (16.4 s, bound by state writes).
 * `parallel` in the options, or PULUMI_PARALLEL, still decides.
 */
import { RunError } from "@pulumi/pulumi";
import type { DestroyOptions, EngineEvent, Stack, UpOptions } from "@pulumi/pulumi/automation";

/** Resource operations at once, unless the caller or PULUMI_PARALLEL says otherwise. */
export const PARALLEL = 32;

function parallel(requested: number | undefined): number | undefined {
    return requested ?? (process.env.PULUMI_PARALLEL ? undefined : PARALLEL);
}

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
    await withoutFollowUpReads(stack).up({ ...opts, onEvent, parallel: parallel(opts.parallel) });
    return outputs;
}

export interface GatedDestroyOptions extends DestroyOptions {
    /**
     * What the program waits for before it registers anything: the engine starts meanwhile (its
     * CLI, the stack's secrets key, the provider), and deletes nothing if it rejects, as a program
     * that fails deletes nothing. The engine's output is held until it settles, and dropped if it
     * rejects: the caller reports the rejection, as if the engine had never started.
     */
    readonly after?: Promise<unknown>;
}

/** `write`, held back until `gate` settles: then flushed if it passed, else dropped for good. */
function heldUntil(gate: Promise<unknown>, write?: (out: string) => void): (out: string) => void {
    let state: "held" | "shown" | "dropped" = "held";
    const held: string[] = [];
    gate.then(
        () => {
            state = "shown";
            held.splice(0).forEach((out) => write?.(out));
        },
        () => {
            state = "dropped";
            held.length = 0;
        },
    );
    return (out) => {
        if (state === "shown") write?.(out);
        else if (state === "held") held.push(out);
    };
}

/**
 * Runs `pulumi destroy --yes --skip-preview --run-program`: the program's delete hooks (the
 * namespace guard) need the program, and the engine refuses the destroy without it.
 */
export async function destroy(stack: Stack, opts: GatedDestroyOptions = {}): Promise<void> {
    const { after, ...options } = opts;
    const workspace = stack.workspace;
    const program = workspace.program;
    if (after && program) {
        workspace.program = async () => {
            await after.catch((error: unknown) => {
                // A RunError is reported by its message alone, without the program's stack trace.
                throw new RunError(error instanceof Error ? error.message : String(error));
            });
            return program();
        };
    }
    try {
        await withoutFollowUpReads(stack).destroy({
            runProgram: true,
            ...options,
            ...(after ? { onOutput: heldUntil(after, options.onOutput) } : {}),
            parallel: parallel(options.parallel),
        });
    } finally {
        workspace.program = program;
    }
}
