/**
 * Namespaces: each enforces a Pod Security level, and exactly the one its pods need. Too strict,
 * and the API server refuses a pod halfway through an update; too weak, and the namespace admits
 * pods nobody reviewed. Only stack rules can compare the two, as a pod and its namespace are
 * separate resources.
 *
 * A pod whose namespace is not in the stack is held to `restricted`, as the pack cannot see what
 * that namespace enforces; this is also what makes the advisory runAsNonRoot rule binding
 * everywhere except in a namespace of this stack that enforces `baseline`.
 */
import { Level, LEVELS, PodLevel, podLevel, weaker } from "./pod-level";
import { Finding } from "./pod-security";
import { podSpecOf, TYPES } from "./pod-spec";
import { get, isUnknown, Props, show, StackResource, subject, text, Unknown } from "./values";

/** The label that makes the API server enforce a Pod Security level in a namespace. */
export const ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";

/**
 * The level a Namespace enforces: `privileged` without the label (the API server then admits
 * anything), `undefined` for a value that is no level.
 */
export function enforcedLevel(props: unknown): Level | Unknown | undefined {
    const value = get(props, "metadata", "labels", ENFORCE_LABEL);
    if (value === undefined) return "privileged";
    if (isUnknown(value)) return value;
    return (LEVELS as readonly unknown[]).includes(value) ? (value as Level) : undefined;
}

/** A Namespace carries the enforce label, with restricted or baseline. */
export function namespaceEnforcesPodSecurity(type: string, props: Props): string[] {
    if (type !== TYPES.namespace) return [];
    const value = get(props, "metadata", "labels", ENFORCE_LABEL);
    if (isUnknown(value) || value === "restricted" || value === "baseline") return [];
    const problem =
        value === undefined
            ? `has no ${ENFORCE_LABEL} label`
            : value === "privileged"
              ? `enforces "privileged"`
              : `has ${ENFORCE_LABEL}: ${show(value)}, which is no Pod Security level`;
    return [
        `${subject(type, props)} ${problem}: the API server then admits any pod into it, ` +
            `privileged ones and those that mount the node's files included. Fix: label it ` +
            `${ENFORCE_LABEL}: restricted (or baseline for a workload that needs root), with ` +
            `${ENFORCE_LABEL}-version: latest.`,
    ];
}

interface PodInStack {
    readonly subject: string;
    readonly namespace: unknown;
    readonly level: PodLevel;
}

function podsOf(resources: readonly StackResource[]): PodInStack[] {
    return resources.flatMap(({ type, props }) => {
        const pod = podSpecOf(type, props);
        return pod === undefined ? [] : [{ ...pod, level: podLevel(pod.spec, pod.metadata) }];
    });
}

// Whether findings keep a pod out of `level`: a finding breaks its level and every stricter one.
const keepsOut = (level: Level) => (f: Finding) => !weaker(level, f.breaks);

/** Every pod (or pod template) meets the level its namespace enforces, so the API server admits it. */
export function namespaceAdmitsItsPods(resources: readonly StackResource[]): string[] {
    const levels = new Map<string, Level | Unknown | undefined>();
    let allNamed = true;
    for (const { props } of resources.filter((r) => r.type === TYPES.namespace)) {
        const name = get(props, "metadata", "name");
        if (typeof name === "string") levels.set(name, enforcedLevel(props));
        else allNamed = false;
    }
    return podsOf(resources).flatMap((pod) => {
        if (isUnknown(pod.namespace)) return [];
        const name = typeof pod.namespace === "string" ? pod.namespace : undefined;
        const managed = name !== undefined && levels.has(name);
        // A namespace whose name is not known yet may be the pod's: no conclusion then.
        if (!managed && !allNamed) return [];
        const required = managed ? levels.get(name) : "restricted";
        if (required === undefined || isUnknown(required)) return [];
        if (!weaker(pod.level.level, required)) return [];
        const findings = pod.level.findings.filter(keepsOut(required));
        const does = findings.map((f) => f.what).join("; ");
        const fixes = [...new Set(findings.map((f) => f.fix))].join("; ");
        const only = `${pod.subject} meets only Pod Security level "${pod.level.level}" (${does})`;
        const relabel =
            pod.level.level === "baseline"
                ? `, or, if the workload truly needs it, label the namespace ${ENFORCE_LABEL}: baseline`
                : "";
        if (!managed) {
            const where = name === undefined ? "(the provider's default)" : `"${name}"`;
            return [
                `${only}, but its namespace ${where} is not managed by this stack, so the pack ` +
                    `cannot see what it enforces and holds the pod to "restricted". Fix: ${fixes}, ` +
                    `or manage the namespace in this stack with the level the pod needs.`,
            ];
        }
        return [
            `${only}, but namespace "${text(name)}" enforces "${required}": the API server will ` +
                `refuse to create it, and the update fails partway. Fix: ${fixes}${relabel}.`,
        ];
    });
}

/** A namespace enforces no weaker a level than the pods of this stack in it meet. */
export function namespaceNotWeakerThanItsPods(resources: readonly StackResource[]): string[] {
    const pods = podsOf(resources);
    // A pod whose namespace is not known yet may be in any of them, and lower what it needs.
    if (pods.some((pod) => isUnknown(pod.namespace))) return [];
    return resources
        .filter((r) => r.type === TYPES.namespace)
        .flatMap(({ type, props }) => {
            const name = get(props, "metadata", "name");
            const level = enforcedLevel(props);
            if (typeof name !== "string" || level === undefined || isUnknown(level)) return [];
            const inside = pods.filter((pod) => pod.namespace === name);
            // Every pod's level must be exact: an unknown value might lower it.
            if (inside.length === 0 || inside.some((pod) => !pod.level.exact)) return [];
            const needed = inside
                .map((pod) => pod.level.level)
                .reduce((a, b) => (weaker(a, b) ? a : b));
            if (!weaker(level, needed)) return [];
            return [
                `${subject(type, props)} enforces "${level}", but every pod of this stack in it ` +
                    `meets "${needed}" (${inside.map((pod) => pod.subject).join(", ")}): the ` +
                    `weaker level would admit a pod that runs as root or adds capabilities, e.g. ` +
                    `one created later through the API, without anyone reviewing it. Fix: label ` +
                    `the namespace ${ENFORCE_LABEL}: ${needed}.`,
            ];
        });
}
