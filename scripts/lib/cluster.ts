/**
 * Which Kubernetes cluster a command works on: the kube context the user chose (config
 * sa-workload:kubeContext, else the kubeconfig's current context), and the bundled local cluster
 * only where there is no kube context at all, or when SA_WORKLOAD_CLUSTER=local asks for it. A
 * context that does not answer is an error, never a reason to go somewhere else.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

import type * as k8s from "@kubernetes/client-node";

import {
    answeredWithin,
    CLUSTER_UID_ENV,
    clusterIdentity,
    clusterUid,
    kubeClient,
    kubeconfigFiles,
    kubeContextNames,
    KubeTarget,
    kubeTarget,
    loadKubeConfig,
    unusableCurrentContext,
} from "../../components/kube-context";
import { cacheRoot, clusterBuilt, ensureToolchain, REPO_ROOT, runScript } from "./toolchain";

const CLUSTER = join(REPO_ROOT, "scripts", "cluster.sh");

/** Set to "local" to use the bundled local cluster whatever the kubeconfig says. */
export const CLUSTER_ENV = "SA_WORKLOAD_CLUSTER";

/** Whether the API server of a kubeconfig answers within `timeoutMs`. */
export async function answers(config: k8s.KubeConfig, timeoutMs = 5000): Promise<boolean> {
    try {
        await answeredWithin(config.makeApiClient(kubeClient().VersionApi).getCode(), timeoutMs);
        return true;
    } catch {
        return false;
    }
}

/** Whether the API server of a kubeconfig's context (KUBECONFIG's list when unset) answers. */
export async function reachable(kubeconfig?: string, context?: string): Promise<boolean> {
    const config = loadKubeConfig(context, kubeconfig ?? process.env.KUBECONFIG);
    return config !== undefined && (await answers(config));
}

/** The error for a chosen context whose API server does not answer. */
export function unreachableMessage(target: KubeTarget, fromConfig: boolean): string {
    return (
        `The kube context "${target.context}"${fromConfig ? " (config sa-workload:kubeContext)" : ""} ` +
        `points at ${target.server}, which does not answer; nothing was changed. Start that ` +
        `cluster (for minikube: minikube start) or choose another context (kubectl config ` +
        `use-context NAME), then run the command again. To use the bundled local cluster ` +
        `instead (Linux): set ${CLUSTER_ENV}=local.`
    );
}

/**
 * Starts the bundled local cluster (building what is missing) and returns its kubeconfig; says
 * `why` first, and only where it can run.
 */
export function startLocalCluster(why: string): string {
    if (process.platform !== "linux") {
        throw new Error(
            (process.env[CLUSTER_ENV] === "local"
                ? `${CLUSTER_ENV}=local asks for the bundled local cluster, which runs on Linux ` +
                  `only; nothing was done. Unset ${CLUSTER_ENV}, start a cluster `
                : "No kube context is set and the bundled local cluster runs on Linux only. " +
                  "Start a cluster ") +
                "(e.g. `minikube start`), which selects its context, and run the command again.",
        );
    }
    console.error(why);
    ensureToolchain(["cluster"]);
    runScript(CLUSTER, "start");
    return localClusterKubeconfig();
}

/**
 * The kubeconfig of the bundled local cluster, whether or not it runs: cluster.sh's
 * KUBECONFIG_PATH (`cluster.sh kubeconfig` prints it; a process test holds the two together),
 * named here without the 0.2 s of bash that script takes to start.
 */
export function localClusterKubeconfig(): string {
    return join(cacheRoot(), "cluster", "kubeconfig");
}

/**
 * The KUBECONFIG that selectCluster() will set, where it is known before the choice: the bundled
 * cluster's, where that cluster is certain (bundledClusterCertain) and was created here before.
 * It may still have to be started again (after a reboot), which the choice does in seconds; not
 * where its binaries are to be built first (a new version: minutes), which an engine should not
 * wait for. Undefined where only selectCluster() can tell.
 */
export function bundledKubeconfigAhead(
    kubeconfigEnv = process.env.KUBECONFIG,
    built: () => boolean = clusterBuilt,
): string | undefined {
    if (process.platform !== "linux" || !bundledClusterCertain(kubeconfigEnv)) return undefined;
    const file = localClusterKubeconfig();
    return existsSync(file) && built() ? file : undefined;
}

/** The cluster a command works on, and how to say which it is. */
export interface SelectedCluster {
    readonly target: KubeTarget;
    /** What identifies it across runs (see clusterIdentity). */
    readonly identity: string;
    /** What tells it from another of the same identity, where it can be read (see clusterUid). */
    readonly uid?: string;
    readonly description: string;
}

/**
 * Whether selectCluster() points KUBECONFIG at the bundled cluster for certain, as known without
 * reading a kubeconfig: when asked to, or when there is no kubeconfig file. Where this says no, it
 * still does for a file that names no usable context, which only selectCluster() can tell.
 */
export function bundledClusterCertain(kubeconfigEnv = process.env.KUBECONFIG): boolean {
    return process.env[CLUSTER_ENV] === "local" || kubeconfigFiles(kubeconfigEnv).length === 0;
}

/** What the bundled local cluster is called across runs (clusterIdentity of its kubeconfig). */
export const BUNDLED_CLUSTER = "kwok-sa-workload@127.0.0.1";

/**
 * The error for a kubeconfig that lists contexts but selects none: what `minikube stop` (without
 * --keep-context-active) and `kubectl config unset current-context` leave. The user has clusters
 * of their own; none of them is started, built or chosen for them.
 */
export function noCurrentContextMessage(contexts: readonly string[]): string {
    const shown = contexts.length > 5 ? [...contexts.slice(0, 5), "..."] : contexts;
    return (
        `Your kubeconfig lists kube contexts (${shown.join(", ")}) but selects none ` +
        "(`minikube stop` and `kubectl config unset current-context` leave it so); nothing was " +
        "done. Fix: start your cluster (`minikube start` selects its context again), or choose " +
        "one: `kubectl config use-context NAME`, or config sa-workload:kubeContext" +
        (process.platform === "linux"
            ? `; for the bundled local cluster instead, set ${CLUSTER_ENV}=local.`
            : ".")
    );
}

/**
 * The stack a command works on, as selectCluster() needs it where the kubeconfig selects no
 * context: a stack on the bundled cluster goes on there; one on another cluster is refused before
 * the bundled cluster is started (or built), which the move's refusal would only follow.
 */
export interface StackCluster {
    readonly name: string;
    /** The identity of the cluster the stack records (its `cluster` output), once read. */
    readonly recorded: () => Promise<unknown>;
}

/**
 * Points this process (and the engine it starts) at the cluster the user chose, or at the
 * bundled local cluster where there is no choice to honour; `start` false never starts it.
 * `stack`, where the command works on a stack: the cluster it records decides where the kubeconfig
 * selects none (see StackCluster).
 */
export async function selectCluster(
    context?: string,
    start = true,
    stack?: StackCluster,
): Promise<SelectedCluster> {
    const useLocal = process.env[CLUSTER_ENV] === "local";
    if (useLocal && context) {
        // The program's provider and the commands' clients would go to the context: say so first.
        throw new Error(
            `${CLUSTER_ENV}=local asks for the bundled local cluster, but config ` +
                `sa-workload:kubeContext is "${context}", another cluster; nothing was done. Fix: ` +
                `unset ${CLUSTER_ENV} to use that context, or remove the key from the stack's ` +
                "Pulumi.<stack>.yaml to use the bundled cluster.",
        );
    }
    const chosen = useLocal ? undefined : loadKubeConfig(context);
    // A current context that names nothing usable is a choice gone stale, not the absence of one
    // (read again only where no context was usable, off the path of every other command).
    const stale = chosen || useLocal || context ? undefined : unusableCurrentContext();
    if (stale) {
        throw new Error(
            `Your kubeconfig's current context "${stale}" names no context or cluster in it ` +
                "(kubectl refuses it too), so nothing was deployed. Fix: `kubectl config " +
                "use-context NAME` (`kubectl config get-contexts` lists them; `minikube start` " +
                `selects its own), or set ${CLUSTER_ENV}=local for the bundled local cluster.`,
        );
    }
    if (context && !chosen && !useLocal) {
        throw new Error(
            `The kube context "${context}" (config sa-workload:kubeContext) is not in your ` +
                "kubeconfig. Name one of `kubectl config get-contexts`, or remove the key.",
        );
    }
    // Contexts, none current: the user's clusters (a stopped minikube), not the absence of one.
    const listed = chosen || useLocal ? [] : kubeContextNames();
    // A stack on the bundled cluster stays there (it has no context of the user's to select).
    if (listed.length && (await stack?.recorded()) !== BUNDLED_CLUSTER) {
        throw new Error(noCurrentContextMessage(listed));
    }
    if (chosen) {
        const target = kubeTarget(chosen);
        if (!(await answers(chosen))) throw new Error(unreachableMessage(target, !!context));
        return {
            target,
            identity: clusterIdentity(target),
            uid: await readUid(chosen, target),
            description: `kube context ${target.context} (${target.server})`,
        };
    }
    const local = process.platform === "linux" ? localClusterKubeconfig() : undefined;
    let config = local ? loadKubeConfig(undefined, local) : undefined;
    if (!(config && (await answers(config)))) {
        if (!start) {
            throw new Error(
                process.platform === "linux"
                    ? "No kube context is set, and the bundled local cluster is not running: " +
                          "select the stack's cluster (kubectl config use-context NAME), or, " +
                          "for the bundled one, npm run up starts it."
                    : "No kube context is set: select the stack's cluster (kubectl config " +
                          "use-context NAME; minikube start selects its own).",
            );
        }
        if (stack) refuseBundledStart(stack.name, await stack.recorded());
        process.env.KUBECONFIG = startLocalCluster(
            useLocal
                ? `${CLUSTER_ENV}=local: starting the bundled local cluster.`
                : "No kube context (no kubeconfig, or one that lists none): starting the " +
                      "bundled local cluster.",
        );
        config = loadKubeConfig(undefined, process.env.KUBECONFIG);
    } else {
        process.env.KUBECONFIG = local;
    }
    const target = kubeTarget(config!);
    return {
        target,
        identity: clusterIdentity(target),
        uid: await readUid(config!, target),
        description: `the bundled local cluster (KUBECONFIG=${process.env.KUBECONFIG})`,
    };
}

/** clusterUid() of a cluster that answers, its failure an error that names it. */
async function readUid(config: k8s.KubeConfig, target: KubeTarget): Promise<string | undefined> {
    try {
        return await clusterUid(config);
    } catch (error) {
        throw new Error(
            `Reading the kube-system namespace of kube context "${target.context}" ` +
                `(${target.server}), which tells this cluster from others of its name and ` +
                `address, failed: ${error instanceof Error ? error.message : String(error)}. ` +
                "Nothing was changed; run the command again once the cluster answers.",
        );
    }
}

/**
 * The kube-system UID the stack's outputs record for `selected`: the one read, else, where the
 * credentials may not read it, the one the stack recorded on the same name and host (kept, not
 * erased by a teammate with fewer rights). Left in CLUSTER_UID_ENV for the program.
 */
export function passClusterUid(deployment: unknown, selected: SelectedCluster): void {
    const deployed = deployedCluster(deployment);
    const uid =
        selected.uid ??
        (deployed.identity === selected.identity && typeof deployed.uid === "string"
            ? deployed.uid
            : undefined);
    if (uid === undefined) delete process.env[CLUSTER_UID_ENV];
    else process.env[CLUSTER_UID_ENV] = uid;
}

/** `up`, `down` and `recover`: the stack's cluster is gone; forget what it recorded there. */
export const CLUSTER_REPLACED = "--cluster-replaced";

/** Where a stack's state says it was deployed: its `cluster` and `clusterUid` outputs. */
export interface DeployedCluster {
    readonly identity?: unknown;
    readonly uid?: unknown;
}

/** The DeployedCluster of a state (a deployment as `pulumi stack export` has it; none: new). */
export function deployedCluster(deployment: unknown): DeployedCluster {
    const resources = (
        deployment as { resources?: { type: string; outputs?: Record<string, unknown> }[] }
    )?.resources;
    const outputs = resources?.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs;
    return { identity: outputs?.cluster, uid: outputs?.clusterUid };
}

/**
 * Whether `selected` has the name and address of the stack's cluster but is another one: a
 * teammate's of the same kind, or the same one deleted and created again. Known only where both
 * UIDs are (the state of a stack deployed before they were recorded has none).
 */
export function isReplacedCluster(deployed: DeployedCluster, selected: SelectedCluster): boolean {
    return (
        deployed.identity === selected.identity &&
        typeof deployed.uid === "string" &&
        selected.uid !== undefined &&
        deployed.uid !== selected.uid
    );
}

/**
 * Throws when a stack's state says it was deployed to another cluster than `selected`: pointed
 * elsewhere, it would create everything anew there and lose track of what it made first.
 */
export function refuseClusterMove(
    stackName: string,
    deployment: unknown,
    selected: SelectedCluster,
): void {
    refuseOtherCluster(stackName, deployedCluster(deployment), selected);
}

/** How to point the commands back at the cluster `identity` a stack was deployed to. */
function selectFirstCluster(identity: string): string {
    if (identity === BUNDLED_CLUSTER) {
        // The bundled cluster has no context in the user's kubeconfig: only the variable selects it.
        return (
            `Select the bundled local cluster (${CLUSTER_ENV}=local; PowerShell: ` +
            `$env:${CLUSTER_ENV}="local")`
        );
    }
    return (
        (process.env[CLUSTER_ENV] === "local" ? `Unset ${CLUSTER_ENV}, select` : "Select") +
        " the first cluster's context (kubectl config use-context NAME, or config " +
        "sa-workload:kubeContext)"
    );
}

/**
 * Throws, before the bundled local cluster is started (or built) for a stack that records another
 * cluster (`identity`): the move would be refused once it runs (refuseClusterMove), and it would
 * have started for nothing.
 */
export function refuseBundledStart(stackName: string, identity: unknown): void {
    if (typeof identity !== "string" || identity === BUNDLED_CLUSTER) return;
    const why =
        process.env[CLUSTER_ENV] === "local"
            ? `${CLUSTER_ENV}=local asks for the bundled local cluster`
            : "no kube context selects a cluster now (no kubeconfig, or one that lists no context)";
    throw new Error(
        `Stack ${stackName} was deployed to cluster ${identity}, and ${why}; nothing was started ` +
            `or changed. ${selectFirstCluster(identity)} and run the command again (for ` +
            "minikube: minikube start); to move the stack, run npm run down there first.",
    );
}

/** refuseClusterMove() for the stack's outputs as read (no `cluster`: a new stack). */
export function refuseOtherCluster(
    stackName: string,
    deployed: DeployedCluster,
    selected: SelectedCluster,
): void {
    if (typeof deployed.identity !== "string") return;
    const where = `(context ${selected.target.context}, ${selected.target.server})`;
    if (deployed.identity !== selected.identity) {
        throw new Error(
            `Stack ${stackName} was deployed to cluster ${deployed.identity}, but this command ` +
                `would work on ${selected.identity} ${where}; stopping so that the stack does not ` +
                "move between clusters, which would create everything again there and lose track " +
                `of what it made first. ${selectFirstCluster(deployed.identity)} and run the ` +
                "command again; to move, run npm run down there first.",
        );
    }
    if (isReplacedCluster(deployed, selected)) {
        throw new Error(
            `Stack ${stackName} was deployed to cluster ${deployed.identity} whose kube-system ` +
                `namespace has UID ${String(deployed.uid)}, but the cluster of that name and ` +
                `address this command would work on ${where} has UID ${selected.uid}: another ` +
                "cluster, a teammate's (every minikube has the same name and address), or the " +
                "first one deleted and created again (minikube delete; the bundled cluster " +
                "started anew after npm run cluster:stop or a reboot). Stopping: the stack's " +
                "state records objects on the first cluster, which are not this one's to change " +
                "or delete. If the first cluster is gone for good, and its objects with it, " +
                `npm run up -- ${CLUSTER_REPLACED} (or down, or recover after a killed run) ` +
                "forgets that record, deleting nothing anywhere, and then works on this cluster. " +
                "If it is a teammate's, run the command where that cluster is.",
        );
    }
}
