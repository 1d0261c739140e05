/**
 * Identity: each workload runs as a ServiceAccount of its own, and a pod carries an API token
 * only because its own spec asks for one.
 */
import { podSpecOf, TYPES } from "./pod-spec";
import { get, isUnknown, items, Props, show, subject } from "./values";

/** A ServiceAccount sets automountServiceAccountToken: false, so pods opt in one by one. */
export function serviceAccountNoAutomount(type: string, props: Props): string[] {
    if (type !== TYPES.serviceAccount) return [];
    const automount = get(props, "automountServiceAccountToken");
    if (isUnknown(automount) || automount === false) return [];
    return [
        `${subject(type, props)} lets every pod that runs as it mount its API token ` +
            `(automountServiceAccountToken is ${show(automount)}, and unset means true): a pod ` +
            `that never calls the API then carries a credential for an attacker to steal. Fix: ` +
            `set automountServiceAccountToken: false on the ServiceAccount, and let each pod ` +
            `that needs the token opt in with automountServiceAccountToken: true or a projected ` +
            `serviceAccountToken volume.`,
    ];
}

/** A pod names its ServiceAccount, and not the namespace's `default` one. */
export function podHasOwnServiceAccount(type: string, props: Props): string[] {
    const pod = podSpecOf(type, props);
    if (pod === undefined) return [];
    // `serviceAccount` is the deprecated alias the API server still honours.
    const named = get(pod.spec, "serviceAccountName");
    const name = named === undefined ? get(pod.spec, "serviceAccount") : named;
    if (isUnknown(name) || (typeof name === "string" && name !== "" && name !== "default")) {
        return [];
    }
    return [
        `${pod.subject} runs as the namespace's "default" ServiceAccount (serviceAccountName is ` +
            `${show(name)}): every pod that names none shares it, so a right granted to it leaks ` +
            `to all of them, and the audit log cannot tell them apart. Fix: create a ` +
            `ServiceAccount for the workload and set spec.serviceAccountName to its name.`,
    ];
}

/** A pod sets automountServiceAccountToken itself, true or false. */
export function podSetsTokenAutomount(type: string, props: Props): string[] {
    const pod = podSpecOf(type, props);
    if (pod === undefined) return [];
    const automount = get(pod.spec, "automountServiceAccountToken");
    if (isUnknown(automount) || typeof automount === "boolean") return [];
    return [
        `${pod.subject} leaves automountServiceAccountToken ${show(automount)}: whether it gets ` +
            `an API token then depends on its ServiceAccount, which can change without the pod ` +
            `changing. Fix: set spec.automountServiceAccountToken: true if the pod calls the ` +
            `Kubernetes API with the standard token, false otherwise.`,
    ];
}

/** A projected serviceAccountToken volume replaces the standard token: automount must be false. */
export function podProjectsTokenOnlyWithoutAutomount(type: string, props: Props): string[] {
    const pod = podSpecOf(type, props);
    if (pod === undefined) return [];
    const automount = get(pod.spec, "automountServiceAccountToken");
    if (isUnknown(automount) || automount === false) return [];
    // A source is a token source by its key, even while the key's value is unknown.
    const projecting = items(get(pod.spec, "volumes")).filter((volume) =>
        items(get(volume, "projected", "sources")).some(
            (source) =>
                typeof source === "object" && source !== null && "serviceAccountToken" in source,
        ),
    );
    return projecting.map(
        (volume) =>
            `${pod.subject} mounts a projected serviceAccountToken volume ` +
            `(${show(get(volume, "name"))}) while automountServiceAccountToken is ` +
            `${show(automount)}: the pod then carries the standard API token as well as the ` +
            `projected one, two credentials where one was meant. Fix: set ` +
            `spec.automountServiceAccountToken: false, or drop the projected volume and use the ` +
            `standard token.`,
    );
}
