/**
 * `npm run up | preview | down | recover`: deploys, previews, destroys or, after an interrupted
 * update, recovers the `dev` stack (another with STACK=name) on the current kube context, or on the
 * bundled local cluster when there is no kube context (or SA_WORKLOAD_CLUSTER=local). `up` and
 * `preview` run the policy pack in policy/, as the pull-request checks do. Runs on Linux, macOS and Windows; only the bundled
 * cluster is Linux-only.
 */

import type * as k8s from "@kubernetes/client-node";
import { ConcurrentUpdateError, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";

import { kubeClient, loadKubeConfig } from "../components/kube-context";
import {
    explainBackendFailure,
    recoverCommand,
    refuseSharedRecover,
    sharedBackend,
} from "./lib/backend";
import {
    bundledClusterCertain,
    bundledKubeconfigAhead,
    CLUSTER_REPLACED,
    passClusterUid,
    reachable,
    deployedCluster,
    refuseClusterMove,
    selectCluster,
} from "./lib/cluster";
import { ClusterReader, clusterReader } from "../components/live-objects";
import { DESTROYING_ENV, PACK_DEFAULTS_ENV } from "../components/defaults";
import { DELETE_FOREIGN_ENV } from "../components/ownership";
import { describeRemainingNamespaces, describeUnreadyPods } from "./lib/diagnose";
import { refuseForeignBeforeDown, stateObjects } from "./lib/foreign";
import { destroy, preview, up } from "./lib/operations";
import {
    kubectlFor,
    shellKubectlProgram,
    workloadCommands,
    WorkloadOutputs,
} from "./lib/next-steps";
import { policyPack } from "./lib/policy";
import { startCliInConsole } from "./lib/pulumi-command";
import { recover } from "./lib/recover";
import { engineStop } from "./lib/stop-signal";
import { forgetReplacedCluster } from "./lib/replaced-cluster";
import {
    backendName,
    defaultBackendUrl,
    kubeContextOf,
    openStack,
    programModule,
    pulumiCliEnv,
    stackDeployment,
    stackFileConfig,
    typedCommand,
    workloadPods,
} from "./lib/stack";
import { phase } from "./lib/timing";
import { builtKubectl, ensureToolchain } from "./lib/toolchain";
import { refuseUnrecordedCluster } from "./lib/unrecorded-cluster";

// For npm run bench: the command as it was, the Kubernetes client or the program loaded with the
// other modules.
if (process.env.SA_WORKLOAD_EAGER_K8S_CLIENT === "1") kubeClient();
if (process.env.SA_WORKLOAD_EAGER_PROGRAM === "1") programModule();
phase("modules loaded");

const ACTIONS = ["up", "preview", "down", "recover"];
/** `down`, and `up` where it removes a workload: delete a namespace with others' objects in it. */
const DELETE_FOREIGN = "--delete-foreign";
/** `recover` only, on a shared backend: remove the stack's lock whoever holds it. */
const FORCE = "--force";
const FLAGS: Record<string, string[]> = {
    up: [DELETE_FOREIGN, CLUSTER_REPLACED],
    down: [DELETE_FOREIGN, CLUSTER_REPLACED],
    recover: [FORCE, CLUSTER_REPLACED],
};
/** Where this command's stack state is: PULUMI_BACKEND_URL, else the local .pulumi/ folder. */
const BACKEND_URL = defaultBackendUrl();
// On Windows, a terminal's Ctrl-C reaches the engine's CLI only if it shares the console.
startCliInConsole();

/** The user's KUBECONFIG, before choosing the cluster may point this process at another. */
const USER_KUBECONFIG = process.env.KUBECONFIG;

/** kubectl as the user's shell must run it for the cluster this command chose (see kubectlFor). */
function shellKubectl(context: string | undefined): string {
    const chosen = process.env.KUBECONFIG;
    // Chosen here: the bundled cluster's, which a machine without kubectl may be using.
    if (chosen === USER_KUBECONFIG) return kubectlFor(context);
    const shellPath = process.env.SA_WORKLOAD_SHELL_PATH ?? process.env.PATH ?? "";
    return kubectlFor(context, chosen, shellKubectlProgram(shellPath, builtKubectl));
}

/** Fired by SIGTERM: the engine's operations stop as a Ctrl-C stops them (see below). */
const STOP = engineStop();
const USAGE =
    `usage: deploy.ts ${ACTIONS.join(" | ")} (up: [${DELETE_FOREIGN}] [${CLUSTER_REPLACED}], ` +
    `down: [${DELETE_FOREIGN}] [${CLUSTER_REPLACED}], recover: [${FORCE}] [${CLUSTER_REPLACED}])`;

async function main(action: string | undefined, flags: string[]): Promise<void> {
    if (!action || !ACTIONS.includes(action)) throw new Error(USAGE);
    const unknown = flags.filter((f) => !(FLAGS[action] ?? []).includes(f));
    if (unknown.length) throw new Error(`unknown option ${unknown.join(" ")}; ${USAGE}`);
    const deleteForeign = flags.includes(DELETE_FOREIGN);
    // Only the flag confirms, for this one command: SA_WORKLOAD_DELETE_FOREIGN=true left in the
    // shell (the way for a plain `pulumi destroy --run-program`) must not let an up that drops a
    // workload, or a later down, delete a namespace with someone else's objects in it.
    delete process.env[DELETE_FOREIGN_ENV];
    // The program's namespace guard reads it (the program runs in this process).
    if (deleteForeign) process.env[DELETE_FOREIGN_ENV] = "true";
    // The program refuses what the pack, run at its own levels, would block mid-up.
    if (action === "up" || action === "preview") process.env[PACK_DEFAULTS_ENV] = "1";
    // A destroy makes nothing: config this version refuses where objects are made only warns.
    if (action === "down") process.env[DESTROYING_ENV] = "1";
    const replaced = flags.includes(CLUSTER_REPLACED);
    if (action === "recover" && sharedBackend(BACKEND_URL) && !flags.includes(FORCE)) {
        throw new Error(refuseSharedRecover(BACKEND_URL));
    }
    ensureToolchain();
    phase("toolchain checked");
    const stack = await openStack({
        stackName: process.env.STACK ?? "dev",
        backendUrl: BACKEND_URL,
        // Only up and preview may start a stack; down and recover of one that is not there is a typo.
        create: action === "up" || action === "preview",
    });
    phase("stack opened");
    const config = await stackFileConfig(stack);
    const context = kubeContextOf(config);
    phase("config read");
    // The state as the command starts (which cluster it is on, what it holds): from the file
    // backend's state file at once, else by `pulumi stack export` while the cluster is chosen.
    // Recover too: it asks the cluster which pending creates happened, and refreshes from it.
    const state = stackDeployment(stack, BACKEND_URL);
    state.catch(() => undefined); // awaited in `chosen`, after the cluster; a failure surfaces there
    // Where a kubeconfig names the cluster, choosing it leaves the engine's environment as it is:
    // the engine starts now, and its program waits for the choice (and, for down, the check of
    // what the namespaces hold) before it registers anything. So it does for the bundled cluster
    // where its kubeconfig is known ahead, given to the engine alone (the choice sets it here).
    // Where the choice sets KUBECONFIG otherwise, the engine starts after it: at once when there
    // is no kubeconfig file, else once more after the early start has stopped without its program.
    // Not either where the state may be rewritten first (the engine holds the stack's lock).
    const mayStartEarly = action !== "recover" && !replaced;
    const ahead = mayStartEarly ? bundledKubeconfigAhead() : undefined;
    if (ahead) stack.workspace.envVars.KUBECONFIG = ahead;
    const engineEnv = ahead ?? process.env.KUBECONFIG;
    const early = mayStartEarly && (ahead !== undefined || !bundledClusterCertain());
    // One reader of the chosen cluster for every check of this command (it reads the kubeconfig
    // at its first request, once the cluster is chosen).
    const reader = clusterReader(context);
    let engineStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (engineStarted = resolve));
    const chosen = (async () => {
        // The Kubernetes client and the program's modules load once the engine's CLI has started
        // (else at the next turn, once the state's CLI, if any, has), not with the command's
        // other modules: each holds this process for 0.2-0.3 s.
        if (early) await started;
        else await new Promise((next) => setImmediate(next));
        kubeClient();
        phase("client loaded");
        // Where the kubeconfig selects no context, the cluster the stack records decides: the
        // bundled one is never started for a stack on another.
        const selected = selectCluster(context, true, {
            name: stack.name,
            recorded: async () => deployedCluster(await state).identity,
        });
        // The program's modules load while the cluster answers.
        if (action !== "recover") programModule();
        phase("program loaded");
        const cluster = await selected;
        phase("cluster selected");
        // A backend from the environment (a bucket, Pulumi Cloud) is named: one left set from
        // other work would otherwise send the state there unseen.
        const stateAt = process.env.PULUMI_BACKEND_URL
            ? ` (state: ${backendName(BACKEND_URL)})`
            : "";
        console.log(`Stack ${stack.name}${stateAt}: ${action} on ${cluster.description}`);
        const deployment: unknown = await state;
        passClusterUid(deployment, cluster);
        if (!replaced) {
            if (deployment) {
                refuseClusterMove(stack.name, deployment, cluster);
                await refuseUnrecordedCluster(stack.name, action, deployment, reader, cluster);
            }
            phase("state read");
            return deployment;
        }
        // After a killed run the stack is locked, and the record cannot be replaced until the
        // lock is gone (on a shared backend, --force has been given for that).
        const forgotten = await forgetReplacedCluster(stack, deployment, cluster, {
            unlock: action === "recover",
            reader,
        });
        console.log(
            `Stack ${stack.name}: forgot what it recorded on the replaced cluster ` +
                `(${forgotten.objects.join(", ") || "no objects"}); nothing was deleted on ` +
                `either cluster. The state as it was: ${forgotten.backup} (to put it back, ` +
                `from this folder: ${typedCommand(
                    pulumiCliEnv(BACKEND_URL),
                    `pulumi stack import --stack ${stack.name} --file '${forgotten.backup}'`,
                )}).`,
        );
        return forgotten.deployment;
    })();
    chosen.catch(() => undefined); // awaited below; an engine that fails first says why
    if (early) {
        const ready = chosen.then((deployment) => {
            if (process.env.KUBECONFIG !== engineEnv) throw new EngineStartedTooSoon();
            return deployment;
        });
        ready.catch(() => undefined); // awaited in operate(), unless the engine failed first
        try {
            await operate(action, stack, {
                config,
                context,
                deleteForeign,
                reader,
                ready,
                onStart: engineStarted,
            });
        } catch (error) {
            if (!(error instanceof EngineStartedTooSoon)) throw error;
            delete stack.workspace.envVars.KUBECONFIG;
            await operate(action, stack, { config, context, deleteForeign, reader, ready: chosen });
        }
    } else {
        await chosen;
        // With the record forgotten, `down` and `recover` have nothing left to do; `up` deploys.
        if (replaced && action !== "up")
            console.log("Nothing else to do: run `npm run up` to deploy anew.");
        else
            await operate(action, stack, { config, context, deleteForeign, reader, ready: chosen });
    }
    phase("engine done");
}

/** Thrown when choosing the cluster changed the environment of an engine already started. */
class EngineStartedTooSoon extends Error {
    constructor() {
        super("the cluster's choice set KUBECONFIG after the engine had started");
    }
}

interface Operation {
    readonly config: Record<string, unknown>;
    readonly context: string | undefined;
    readonly deleteForeign: boolean;
    /** Reads the chosen cluster. */
    readonly reader: ClusterReader;
    /** The cluster chosen and the state checked against it: the state, when it passes. */
    readonly ready: Promise<unknown>;
    /** Called once the engine's CLI has started. */
    readonly onStart?: () => void;
}

/** Runs the engine for `action`, its program waiting for `ready` before it registers anything. */
async function operate(action: string, stack: Stack, op: Operation): Promise<void> {
    const { config, context, ready, onStart } = op;
    const onOutput = (out: string): boolean => process.stdout.write(out);
    // The same policy pack as the pull-request checks: what they would block never deploys.
    const policyPacks = [policyPack()];
    /** The engine's failure, or, when the program never ran, why it did not. */
    const cause = async (error: unknown): Promise<unknown> => {
        // A held lock stops the engine before the program: it is the cause, said once the
        // cluster's choice has said its line (or failed, which the lock's message outranks).
        if (error instanceof ConcurrentUpdateError)
            return ready.then(
                () => error,
                () => error,
            );
        await ready;
        return error;
    };

    if (action === "recover") {
        await ready;
        const { tracked, dropped, foreign } = await recover(
            stack,
            adminConfig(context),
            (out) => {
                watchEngine(out);
                onOutput(out);
            },
            op.reader,
            STOP.signal,
        );
        for (const what of tracked) console.log(`Tracked again (it exists): ${what}`);
        for (const what of dropped) console.log(`Forgotten (it was never created): ${what}`);
        for (const what of foreign) {
            console.log(`Forgotten (one of that name exists, made by someone else): ${what}`);
        }
        console.log("Recovered: run `npm run up` to converge.");
    } else if (action === "preview") {
        // The diff display leaves out the engine's error diagnostics: say them here.
        const errors: string[] = [];
        const onEvent = (event: EngineEvent): void => {
            const d = event.diagnosticEvent;
            if (d?.severity === "error" && d.urn) errors.push(d.message.trim());
        };
        await preview(stack, {
            signal: STOP.signal,
            onOutput,
            onRaw: watchEngine,
            onEvent,
            diff: true,
            policyPacks,
            after: ready,
            onStart,
        }).catch(async (error: unknown) => {
            const failure = await cause(error);
            const own = errors.filter((m) => !/^(preview|update) failed$/.test(m));
            if (own.length) console.error(`\n${own.join("\n\n")}`);
            throw failure;
        });
    } else if (action === "down") {
        let checked: Promise<unknown> = ready;
        if (!op.deleteForeign) {
            // Checked while the engine starts; the program waits for it, so a refusal comes
            // before any delete, as the guard in the program itself does before the namespace's.
            checked = ready.then((deployment) => refuseForeignBeforeDown(deployment, op.reader));
            checked.catch(() => undefined); // awaited below; an engine that fails first says why
        }
        try {
            await destroy(stack, {
                onOutput,
                onRaw: watchEngine,
                after: checked,
                onStart,
                signal: STOP.signal,
            });
        } catch (error) {
            // Refused before anything was deleted: the refusal's own words are the last ones.
            if (error instanceof ConcurrentUpdateError) throw await cause(error);
            await checked;
            // The state read before the destroy names the namespaces (no more CLI runs).
            const namespaces = stateObjects(await ready)
                .filter((o) => o.kind === "Namespace")
                .map((o) => o.name);
            const remaining = await describeRemainingNamespaces(
                adminConfig(context),
                namespaces,
                context,
                shellKubectl(context),
            );
            if (remaining.length) console.error(`\n${remaining.join("\n")}`);
            throw error;
        }
    } else {
        try {
            const outputs = await up(stack, {
                onOutput,
                onRaw: watchEngine,
                policyPacks,
                after: ready,
                onStart,
                signal: STOP.signal,
            });
            printNextSteps(outputs.workloads as Record<string, WorkloadOutputs>, context);
        } catch (error) {
            const failure = await cause(error);
            // A held lock means nothing ran: the pods (if any) are not why this failed.
            if (!(error instanceof ConcurrentUpdateError)) await explainFailedUp(config, context);
            throw failure;
        }
    }
}

/** Says why an `up` that ran may have failed: a lost API server, or pods that never got ready. */
async function explainFailedUp(
    config: Record<string, unknown>,
    context: string | undefined,
): Promise<void> {
    const admin = adminConfig(context);
    if (!(await reachable(process.env.KUBECONFIG, context))) {
        // The provider reports a lost API server as whatever it was waiting for (e.g. a
        // pod that "timed out waiting to be Ready"): say what actually happened.
        console.error(
            `\nThe Kubernetes API server (${admin.getCurrentCluster()?.server ?? "?"}) ` +
                "stopped answering during the update, which stopped part-way. Once it " +
                "answers again, run npm run up: it converges from where this one stopped.",
        );
    } else {
        const pods = workloadPods(config["sa-workload:workloads"]);
        const unready = await describeUnreadyPods(admin, pods, shellKubectl(context));
        if (unready.length) console.error(`\n${unready.join("\n")}`);
    }
}

/** The kubeconfig the engine used: KUBECONFIG as selectCluster left it, at the chosen context. */
function adminConfig(context: string | undefined): k8s.KubeConfig {
    const admin = loadKubeConfig(context);
    if (!admin) throw new Error("the kube context selected for this command has gone");
    return admin;
}

function printNextSteps(
    workloads: Record<string, WorkloadOutputs> | undefined,
    context: string | undefined,
): void {
    for (const [name, workload] of Object.entries(workloads ?? {})) {
        console.log(`\nWorkload ${name}: try`);
        for (const command of Object.values(workloadCommands(workload, shellKubectl(context)))) {
            console.log(`  ${command}`);
        }
    }
    console.log("\nProve the identity works: npm run verify");
}

// A terminal's Ctrl-C reaches the engine too (one process group), and the engine then finishes the
// operations in flight and saves the state. This process must outlive it to serve the program
// and report: the first Ctrl-C only says so, a second one stops at once (so does the engine).
// npm also passes the terminal's SIGINT on to its script's shell, which is this process where
// that shell replaced itself with node (bash does, as macOS's /bin/sh; Debian's dash does not):
// a SIGINT within SAME_CTRL_C_MS of the last one is the same Ctrl-C.
const SAME_CTRL_C_MS = 500;
let interrupts = 0;
let lastInterrupt = -Infinity;
process.on("SIGINT", () => {
    const now = Date.now();
    const repeated = now - lastInterrupt < SAME_CTRL_C_MS;
    lastInterrupt = now;
    if (repeated) return;
    if (++interrupts > 1) process.exit(130);
    console.error(
        "\nInterrupted: the engine is finishing the operations in flight and saving the state. " +
            `Ctrl-C again stops at once (then run ${recoverCommand(BACKEND_URL)}).`,
    );
});

// SIGTERM (a `kill`, an IDE's stop button): the engine is stopped as a Ctrl-C stops it (SIGINT
// to its CLI), and this process waits for it. Sent to the whole process group instead (`kill --
// -PGID`, `timeout`), the CLI has it already and is cancelling, and a second signal would make it
// stop at once: so the stop waits SAME_CTRL_C_MS, and is not sent once the engine has said it is
// cancelling (or after a Ctrl-C). npm's forwarded copy, as for SIGINT, is the same SIGTERM. Before
// any engine has started, nothing is in flight: the command ends at once.
let terminated = false;
let lastTerm = -Infinity;
let engineCancelling = false;
process.on("SIGTERM", () => {
    const now = Date.now();
    const repeated = now - lastTerm < SAME_CTRL_C_MS;
    lastTerm = now;
    if (repeated) return;
    if (terminated || interrupts > 0 || !STOP.listening) process.exit(143);
    terminated = true;
    console.error(
        "\nTerminated: the engine is finishing the operations in flight and saving the state. " +
            `Another SIGTERM stops at once (then run ${recoverCommand(BACKEND_URL)}).`,
    );
    setTimeout(() => {
        if (!engineCancelling && interrupts === 0) STOP.stop();
    }, SAME_CTRL_C_MS).unref();
});

/**
 * Watches the engine's output, as it comes (`onRaw`, before a gate holds it), for its own word
 * that it is cancelling (see SIGTERM above).
 */
function watchEngine(out: string): void {
    if (/ received; cancelling/.test(out)) engineCancelling = true;
}

/** The command's action (`up`, `preview`, `down`, `recover`), as scripts/run.mjs passes it. */
const ACTION = process.argv[2];

main(ACTION, process.argv.slice(3)).then(
    () => {
        // Interrupted, even if the engine had nothing left to stop: say so, as a shell does.
        if (interrupts > 0) process.exitCode = 130;
        if (terminated) process.exitCode = 143;
    },
    (error: unknown) => {
        // The engine has already printed its own diagnostics; keep the last word short.
        const message = error instanceof Error ? error.message : String(error);
        console.error(`\n${message.split("\n").slice(-12).join("\n")}`);
        // The Automation API raises this for a held lock (a file backend's too).
        if (error instanceof ConcurrentUpdateError) {
            console.error(
                "\nAnother update of this stack holds its lock (above: by whom, since when). If none " +
                    "is running (it was killed, crashed or lost the backend), run " +
                    `${recoverCommand(BACKEND_URL)}, then this command again.`,
            );
        } else {
            const readOnly = ACTION === "preview";
            const backend = explainBackendFailure(message, BACKEND_URL, { readOnly });
            if (backend) console.error(`\n${backend}`);
        }
        process.exitCode = terminated ? 143 : interrupts > 0 ? 130 : 1;
    },
);
