/**
 * Reads and validates the program's stack config. Every key is declared, with its type and
 * description, in Pulumi.yaml; defaults live in defaults.ts.
 */
import * as pulumi from "@pulumi/pulumi";

import { DEFAULTS } from "./defaults";
import { Problems } from "./problems";
import { type ServiceAccountWorkloadArgs, workloadProblems } from "./workload-schema";

/** The project's config namespace: keys are `sa-workload:<key>`. */
export const CONFIG_NAMESPACE = "sa-workload";

/** One workload of the stack: its Pulumi name and its arguments. */
export interface ConfiguredWorkload {
    /** Pulumi name of the component: the workload's namespace, unique in the stack. */
    readonly name: string;
    readonly args: ServiceAccountWorkloadArgs;
}

/** The validated config of a stack. */
export interface ProgramConfig {
    /** Kube context to deploy to. @default the kubeconfig's current context */
    readonly kubeContext?: string;
    /** The workloads, each in a namespace of its own. @default one with every default */
    readonly workloads: readonly ConfiguredWorkload[];
}

/** The `workloads` config as the program reads it: a list, given as such or as JSON text. */
export function parseWorkloads(raw: unknown): unknown {
    if (typeof raw !== "string") return raw;
    try {
        return JSON.parse(raw) as unknown;
    } catch {
        return raw; // refused by validation as what it is
    }
}

/**
 * The Kubernetes provider's own config keys that pick a cluster. The default provider would deploy
 * where they say while the ownership checks, `down`'s check and the stack's recorded cluster read
 * the kube context, so one cluster would be checked and another changed.
 */
const PROVIDER_TARGET_KEYS: Readonly<Record<string, string>> = {
    context: `set ${CONFIG_NAMESPACE}:kubeContext to that context instead`,
    cluster: `choose the kube context that names that cluster with ${CONFIG_NAMESPACE}:kubeContext instead`,
    kubeconfig: `point KUBECONFIG at that file instead, as kubectl reads it`,
};

/**
 * Reads the stack config; throws a ConfigError, before anything is registered, if it is bad.
 * `provider` is the Kubernetes provider's config (`kubernetes:*`), of which only the keys that
 * pick a cluster are read, to refuse them.
 */
export function readProgramConfig(
    config: pulumi.Config,
    provider = new pulumi.Config("kubernetes"),
): ProgramConfig {
    const p = new Problems();
    for (const [name, fix] of Object.entries(PROVIDER_TARGET_KEYS)) {
        const value = provider.get(name);
        p.check(
            value === undefined,
            `kubernetes:${name}`,
            // A kubeconfig's contents hold credentials: never printed.
            name === "kubeconfig" && value !== undefined ? "(set; not shown)" : value,
            "picks the cluster for the provider alone, past the checks that read the kube context",
            `remove it (pulumi config rm kubernetes:${name}) and ${fix}`,
        );
    }
    const key = `${CONFIG_NAMESPACE}:workloads`;
    const raw = config.get("workloads");
    const workloads = raw === undefined ? [{}] : parseWorkloads(raw);
    // Pulumi.yaml declares "" as the default: the kubeconfig's current context.
    const kubeContext = config.get("kubeContext") || undefined;
    p.check(
        kubeContext === undefined || kubeContext.trim() !== "",
        `${CONFIG_NAMESPACE}:kubeContext`,
        kubeContext,
        "an empty context name",
        "name a context from your kubeconfig, or remove the key to use the current context",
    );
    if (
        p.check(
            Array.isArray(workloads) && workloads.length > 0,
            key,
            workloads,
            "not a non-empty list of workloads",
            "give a list such as [{ namespace: my-ns }], or remove the key for one default workload",
        )
    ) {
        const seen = new Map<string, number>();
        (workloads as unknown[]).forEach((w, i) => {
            p.add(workloadProblems(w, `${key}[${i}]`));
            // One namespace per workload, reported beside every other problem (a namespace that
            // is not a string is the schema's to report).
            const namespace =
                (w as { namespace?: unknown } | null)?.namespace ?? DEFAULTS.namespace;
            if (typeof namespace === "string") {
                const first = seen.get(namespace);
                p.check(
                    first === undefined,
                    `${key}[${i}].namespace`,
                    namespace,
                    `already used by ${key}[${first}]; each workload needs a namespace of its own`,
                    "give this workload a different namespace",
                );
                seen.set(namespace, first ?? i);
            }
            // The component's kubeContext names the cluster its checks read; the program's
            // provider deploys to sa-workload:kubeContext, so a workload's own would have them
            // look at one cluster while the stack deploys to another.
            const own = (w as { kubeContext?: unknown } | null)?.kubeContext;
            p.check(
                own === undefined,
                `${key}[${i}].kubeContext`,
                own,
                "a kube context for one workload, but the stack deploys every workload to one",
                `remove it and set ${CONFIG_NAMESPACE}:kubeContext for the whole stack`,
            );
        });
    }
    p.throwIfAny();

    const list = workloads as ServiceAccountWorkloadArgs[];

    return {
        kubeContext,
        workloads: list.map((args) => ({
            name: args.namespace ?? DEFAULTS.namespace,
            args: kubeContext === undefined ? args : { ...args, kubeContext },
        })),
    };
}
