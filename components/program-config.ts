/**
 * Reads and validates the program's stack config. Every key is declared, with its type and
 * description, in Pulumi.yaml; defaults live in defaults.ts.
 */
import * as pulumi from "@pulumi/pulumi";

import { DEFAULTS, PACK_DEFAULTS_ENV } from "./defaults";
import { Problems } from "./problems";
import { wildcardFields } from "./rule-checks";
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

/** The project's own config keys, as Pulumi.yaml declares them: every other is a typo. */
const CONFIG_KEYS = ["kubeContext", "workloads"] as const;

/** The known key a misspelled one most likely means: same letters but case, or a few edits. */
function nearestKey(given: string): string | undefined {
    const lower = given.toLowerCase();
    const distance = (a: string, b: string): number => {
        let row = Array.from({ length: b.length + 1 }, (_, j) => j);
        for (let i = 1; i <= a.length; i++) {
            const next = [i];
            for (let j = 1; j <= b.length; j++)
                next[j] = Math.min(
                    row[j] + 1,
                    next[j - 1] + 1,
                    row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
                );
            row = next;
        }
        return row[b.length];
    };
    const scored = CONFIG_KEYS.map((key) => {
        const known = key.toLowerCase();
        const contained = lower.length >= 4 && (known.includes(lower) || lower.includes(known));
        const near = contained ? 0 : distance(lower, known);
        return { key, near };
    }).sort((a, b) => a.near - b.near);
    return scored[0].near <= 3 ? scored[0].key : undefined;
}

/**
 * Whether the stack holds `key` (`<project>:<name>`) as a secret. @pulumi/pulumi 3.270 offers no
 * public way to ask: its own isConfigSecret is marked internal, so this reads it and a unit test
 * (program.test.ts) fails the day it goes.
 */
function isSecretConfig(key: string): boolean {
    const isConfigSecret: unknown = Reflect.get(pulumi.runtime, "isConfigSecret");
    if (typeof isConfigSecret !== "function")
        throw new Error("@pulumi/pulumi no longer has runtime.isConfigSecret");
    return (isConfigSecret as (k: string) => boolean)(key) === true;
}

/** How a message shows a config value: never the value of a secret. */
const shown = (key: string, value: unknown): unknown =>
    isSecretConfig(key) ? "(secret; not shown)" : value;

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
 * pick a cluster are read, to refuse them. `packDefaults`: the policy pack runs at its own levels
 * (npm run up and preview say so in PACK_DEFAULTS_ENV).
 */
export function readProgramConfig(
    config: pulumi.Config,
    provider = new pulumi.Config("kubernetes"),
    packDefaults = process.env[PACK_DEFAULTS_ENV] === "1",
): ProgramConfig {
    const p = new Problems();
    // A misspelled key is read by nothing: sa-workload:kubecontext would deploy to the current
    // context, sa-workload:workload the default workload.
    const known: readonly string[] = CONFIG_KEYS;
    for (const [full, value] of Object.entries(pulumi.runtime.allConfig())) {
        const name = full.startsWith(`${config.name}:`) ? full.slice(config.name.length + 1) : "";
        if (name === "" || known.includes(name)) continue;
        const near = nearestKey(name);
        // Objects and lists as the user wrote them; anything else as the text it is.
        const parsed = parseWorkloads(value);
        p.check(
            false,
            `${CONFIG_NAMESPACE}:${name}`,
            shown(full, typeof parsed === "object" && parsed !== null ? parsed : value),
            "not a setting of this project",
            near
                ? `use ${CONFIG_NAMESPACE}:${near}`
                : `use ${CONFIG_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(" or ")}, or remove it (pulumi config rm ${CONFIG_NAMESPACE}:${name})`,
            // A destroy removes what the state holds, where the stack's recorded cluster is.
            true,
        );
    }
    // No setting is a secret: each value goes into an object's spec or the provider's inputs, and
    // so the state, in the clear, and an invalid one into the error; refused before either.
    const secret = CONFIG_KEYS.filter((k) => isSecretConfig(`${config.name}:${k}`));
    for (const name of secret)
        p.check(
            false,
            `${CONFIG_NAMESPACE}:${name}`,
            "(secret; not shown)",
            name === "workloads"
                ? "set as a secret, but no workload setting is one: its values go into the objects' specs, and so the stack's state, in the clear"
                : "set as a secret, but a context name is none: it goes into the provider's inputs and the stack's outputs in the clear",
            `set it without --secret (in Pulumi.<stack>.yaml, a plain value instead of secure:)`,
            true,
        );
    // At once, before any other problem could show a secret value; a destroy warns and goes on.
    if (secret.length > 0) {
        p.throwIfAny();
        p.list.length = 0;
    }
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
            // Where the pack runs at its own levels, a wildcard that allowWildcards lets past the
            // schema would be blocked at the Role, once the namespace and ServiceAccount exist.
            const rules = (w as { rules?: unknown } | null)?.rules;
            const wildcard =
                Array.isArray(rules) && rules.some((r) => wildcardFields(r).length > 0);
            p.check(
                !(packDefaults && wildcard && (w as { allowWildcards?: unknown }).allowWildcards),
                `${key}[${i}].allowWildcards`,
                true,
                "lets a wildcard rule past the program's check, but npm run up and preview run the policy pack at its own levels, whose mandatory rbac-no-wildcards blocks the Role once the namespace and ServiceAccount exist",
                'list exactly what the workload needs; to deploy the wildcard on purpose, run pulumi up --policy-pack policy --policy-pack-config <file> with { "rbac-no-wildcards": "advisory" } in the file',
            );
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
