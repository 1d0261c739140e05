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
import type {
    DestroyOptions,
    EngineEvent,
    PreviewOptions,
    Stack,
    UpOptions,
} from "@pulumi/pulumi/automation";

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
 * What the program waits for before it registers anything: the engine starts meanwhile (its CLI,
 * the stack's secrets key, the policy pack, the provider), and changes nothing if it rejects, as a
 * program that fails changes nothing (an `up` creates nothing, a destroy deletes nothing). The
 * engine's output is held until it settles, and dropped if it rejects: the caller reports the
 * rejection, as if the engine had never started.
 */
export interface Gate {
    readonly after?: Promise<unknown>;
    /** Called once: when the engine's CLI process has started, or the operation ended first. */
    readonly onStart?: () => void;
    /** Each piece of the engine's output as it comes, before the gate holds it. */
    readonly onRaw?: (out: string) => void;
}

type CliRun = (...args: unknown[]) => Promise<unknown>;

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
 * Runs `operation` on a view of the stack without the follow-up reads, with the workspace's
 * program waiting for `after` (the SDK serves the program it finds at the call) and the output
 * held until then.
 */
async function gated<T extends { onOutput?: (out: string) => void }, R>(
    stack: Stack,
    { after, onStart, onRaw, ...opts }: T & Gate,
    operation: (view: Stack, opts: T) => Promise<R>,
): Promise<R> {
    // The SDK spawns each CLI within its PulumiCommand's run() (not in its types; cmd.js): the
    // first run once the operation has begun is the engine's (or a `stack export` running beside
    // it: the caller's work then starts a little sooner). The wrapper removes itself when called.
    const cli = stack.workspace.pulumiCommand as unknown as { run: CliRun };
    const unwrap = () => delete (cli as Partial<typeof cli>).run;
    if (onStart) {
        const run = cli.run.bind(cli);
        cli.run = (...args) => {
            unwrap();
            const running = run(...args);
            onStart();
            return running;
        };
    }
    try {
        return await gatedProgram(stack, after, opts as T, operation, onRaw);
    } finally {
        // Told even when the operation ended before its CLI started, so no caller waits forever.
        if (onStart && Object.hasOwn(cli, "run")) {
            unwrap();
            onStart();
        }
    }
}

async function gatedProgram<T extends { onOutput?: (out: string) => void }, R>(
    stack: Stack,
    after: Promise<unknown> | undefined,
    opts: T,
    operation: (view: Stack, opts: T) => Promise<R>,
    onRaw?: (out: string) => void,
): Promise<R> {
    const workspace = stack.workspace;
    const program = workspace.program;
    const gate = program ? after : undefined;
    // Shown once the gate has passed; seen by onRaw as it comes.
    const show = gate ? heldUntil(gate, opts.onOutput) : opts.onOutput;
    const onOutput = (out: string): void => {
        onRaw?.(out);
        show?.(out);
    };
    if (!gate || !program) return operation(withoutFollowUpReads(stack), { ...opts, onOutput });
    workspace.program = async () => {
        await gate.catch((error: unknown) => {
            // A RunError is reported by its message alone, without the program's stack trace.
            throw new RunError(error instanceof Error ? error.message : String(error));
        });
        return program();
    };
    try {
        return await operation(withoutFollowUpReads(stack), { ...opts, onOutput });
    } finally {
        workspace.program = program;
    }
}

/**
 * Runs `pulumi up --yes --skip-preview` and returns the stack's outputs as the engine reported
 * them (secret values are "[secret]").
 */
export async function up(
    stack: Stack,
    opts: UpOptions & Gate = {},
): Promise<Record<string, unknown>> {
    let outputs: Record<string, unknown> = {};
    const onEvent = (event: EngineEvent): void => {
        const step = event.resOutputsEvent?.metadata;
        if (step?.type === "pulumi:pulumi:Stack") outputs = step.new?.outputs ?? {};
        opts.onEvent?.(event);
    };
    await gated(stack, { ...opts, onEvent, parallel: parallel(opts.parallel) }, (view, o) =>
        view.up(o),
    );
    return outputs;
}

/** Runs `pulumi preview`. */
export async function preview(stack: Stack, opts: PreviewOptions & Gate = {}): Promise<void> {
    await gated(stack, opts, (view, o) => view.preview(o));
}

/**
 * Runs `pulumi destroy --yes --skip-preview --run-program`: the program's delete hooks (the
 * namespace guard) need the program, and the engine refuses the destroy without it.
 */
export async function destroy(stack: Stack, opts: DestroyOptions & Gate = {}): Promise<void> {
    const options = { runProgram: true, ...opts, parallel: parallel(opts.parallel) };
    await gated(stack, options, (view, o) => view.destroy(o));
}
