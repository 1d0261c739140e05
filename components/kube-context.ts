/**
 * Which kubeconfig files count, as kubectl reads them: the KUBECONFIG list (':'-separated, ';' on
 * Windows; files that do not exist are skipped, the first file's current context wins), else
 * ~/.kube/config. No file at all means no kube context, not a default server.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import * as path from "node:path";

import type * as k8s from "@kubernetes/client-node";

import { reuseConnections } from "./kube-connections";

const load = createRequire(__filename);
let client: typeof k8s | undefined;

/**
 * @kubernetes/client-node, loaded on first use (a third of a second from its bundle on the
 * command path), which the program, the ownership checks and the commands need only when they talk
 * to a cluster. Loaded for real: on the command path `require` gives a stand-in until a property
 * is read (scripts/lib/stand-ins.cjs), as reuseConnections does.
 */
export function kubeClient(): typeof k8s {
    if (!client) {
        client = load("@kubernetes/client-node") as typeof k8s;
        reuseConnections(client.KubeConfig);
    }
    return client;
}

/** The kubeconfig files of `kubeconfigEnv` (KUBECONFIG), or the default one, that exist. */
export function kubeconfigFiles(
    kubeconfigEnv: string | undefined,
    home: string = homedir(),
    platform: NodeJS.Platform = process.platform,
    exists: (file: string) => boolean = existsSync,
): string[] {
    const p = platform === "win32" ? path.win32 : path.posix;
    const listed = (kubeconfigEnv ?? "").split(p.delimiter).filter((f) => f !== "");
    const files = listed.length ? listed : [p.join(home, ".kube", "config")];
    return files.filter(exists);
}

/**
 * The merged kubeconfig at `context` (else its current context), or undefined when there is no
 * kubeconfig file or no such context.
 */
export function loadKubeConfig(
    context?: string,
    kubeconfigEnv: string | undefined = process.env.KUBECONFIG,
): k8s.KubeConfig | undefined {
    const config = mergedKubeConfig(kubeconfigEnv);
    if (!config) return undefined;
    if (context) {
        if (!config.getContextObject(context)) return undefined;
        config.setCurrentContext(context);
    }
    return config.getCurrentContext() && config.getCurrentCluster() ? config : undefined;
}

/**
 * The current context the kubeconfig names but cannot be used (no context of that name, or its
 * cluster missing), as kubectl refuses it; undefined where it names none, or one that works.
 */
export function unusableCurrentContext(
    kubeconfigEnv: string | undefined = process.env.KUBECONFIG,
): string | undefined {
    const config = mergedKubeConfig(kubeconfigEnv);
    const name = config?.getCurrentContext();
    return name && !config!.getCurrentCluster() ? name : undefined;
}

/** The names of the contexts the kubeconfig lists, current or not (none without a file). */
export function kubeContextNames(
    kubeconfigEnv: string | undefined = process.env.KUBECONFIG,
): string[] {
    return mergedKubeConfig(kubeconfigEnv)?.contexts.map((c) => c.name) ?? [];
}

/** The kubeconfig files merged as kubectl merges them, or undefined when there is none. */
function mergedKubeConfig(kubeconfigEnv: string | undefined): k8s.KubeConfig | undefined {
    const [first, ...rest] = kubeconfigFiles(kubeconfigEnv);
    if (!first) return undefined;
    const lib = kubeClient();
    const config = new lib.KubeConfig();
    config.loadFromFile(first);
    // As kubectl merges: the first file that names a cluster, user or context wins.
    for (const file of rest) {
        const more = new lib.KubeConfig();
        more.loadFromFile(file);
        more.clusters
            .filter((c) => !config.getCluster(c.name))
            .forEach((c) => config.addCluster(c));
        more.users.filter((u) => !config.getUser(u.name)).forEach((u) => config.addUser(u));
        more.contexts
            .filter((c) => !config.getContextObject(c.name))
            .forEach((c) => config.addContext(c));
        if (!config.getCurrentContext() && more.getCurrentContext()) {
            config.setCurrentContext(more.getCurrentContext());
        }
    }
    return config;
}

/** The cluster a kubeconfig points at: its context, cluster name and server. */
export interface KubeTarget {
    readonly context: string;
    readonly cluster: string;
    readonly server: string;
}

export function kubeTarget(config: k8s.KubeConfig): KubeTarget {
    const cluster = config.getCurrentCluster();
    return {
        context: config.getCurrentContext(),
        cluster: cluster?.name ?? "?",
        server: cluster?.server ?? "?",
    };
}

/**
 * What identifies a cluster across runs: its kubeconfig name and its server's host (a local
 * cluster's port may change when it restarts).
 */
export function clusterIdentity(target: KubeTarget): string {
    let host = target.server;
    try {
        host = new URL(target.server).hostname;
    } catch {
        // not a URL: compare it whole
    }
    return `${target.cluster}@${host}`;
}

/**
 * Where a command that chose the cluster (scripts/lib/cluster.ts) leaves the UID it read, or the
 * one the stack recorded where the credentials may not read it, for the program in its process.
 */
export const CLUSTER_UID_ENV = "SA_WORKLOAD_CLUSTER_UID";

/**
 * What tells two clusters of the same name and address apart (every minikube is
 * `minikube@192.168.49.2`; a cluster deleted and created again keeps both): the UID of its
 * kube-system namespace, made with the cluster. Undefined where the credentials may not read that
 * namespace (then only clusterIdentity() tells); any other failure, or no answer within
 * `timeoutMs`, rejects.
 */
export async function clusterUid(
    config: k8s.KubeConfig,
    timeoutMs = 5000,
): Promise<string | undefined> {
    const core = config.makeApiClient(kubeClient().CoreV1Api);
    try {
        const namespace = await answeredWithin(
            core.readNamespace({ name: "kube-system" }),
            timeoutMs,
        );
        return namespace.metadata?.uid;
    } catch (error) {
        const code = (error as { code?: number }).code;
        if (code === 403 || code === 404) return undefined;
        throw error;
    }
}

/** An API server's answer, or a rejection once `timeoutMs` have passed without one. */
export async function answeredWithin<T>(request: Promise<T>, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
        return await Promise.race([request, timeout]);
    } finally {
        clearTimeout(timer);
    }
}
