/**
 * Typed, least-privilege RBAC rules for a namespaced Role.
 *
 * Rules are plain data so they can be validated before anything is registered and compared in
 * tests; the helpers spell out intent (`allowRead`) instead of raw verb lists.
 */
import type { PolicyRule } from "./workload-schema";

/** The verbs the Kubernetes API server authorizes on resources (not `*`: see `WILDCARD`). */
export const KNOWN_VERBS = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "bind",
    "escalate",
    "impersonate",
    "use",
    "approve",
    "sign",
] as const;

/** A verb the API server knows. */
export type Verb = (typeof KNOWN_VERBS)[number];

/** Matches every verb, resource or API group: refused unless a workload opts in. */
export const WILDCARD = "*";

// Whether an entry of a rule's `field` is a wildcard: `*`, or in resources `*/<subresource>` too,
// which the API server's authorizer matches against that subresource of every resource (`*/exec`
// is pods/exec, `*/token` is serviceaccounts/token). Line comments: `*/` would end a block one.
export function isWildcard(field: string, entry: unknown): boolean {
    if (entry === WILDCARD) return true;
    return field === "resources" && typeof entry === "string" && entry.startsWith(`${WILDCARD}/`);
}

/** Whether a rule's `resources` match `resource` (`pods/exec`) as the authorizer's do. */
export function resourcesMatch(
    resources: readonly string[] | undefined,
    resource: string,
): boolean {
    const sub = resource.split("/")[1];
    return (resources ?? []).some(
        (r) =>
            r === WILDCARD || r === resource || (sub !== undefined && r === `${WILDCARD}/${sub}`),
    );
}

/** The read-only verbs. */
export const READ_VERBS: readonly Verb[] = ["get", "list", "watch"];

export type { PolicyRule } from "./workload-schema";

/** Options shared by the helpers. */
export interface RuleOptions {
    /** API group of the resources. @default "" (the core group) */
    readonly apiGroup?: string;
    /** Restricts the rule to these object names. @default every object of the resources */
    readonly resourceNames?: readonly string[];
}

/** Allows exactly `verbs` on `resources`. */
export function allow(
    verbs: readonly Verb[],
    resources: readonly string[],
    options: RuleOptions = {},
): PolicyRule {
    return {
        apiGroups: [options.apiGroup ?? ""],
        resources: [...resources],
        verbs: [...verbs],
        ...(options.resourceNames ? { resourceNames: [...options.resourceNames] } : {}),
    };
}

/** Allows `get`, `list` and `watch` on `resources`. */
export function allowRead(resources: readonly string[], options: RuleOptions = {}): PolicyRule {
    return allow(READ_VERBS, resources, options);
}

/** The default grant: read pods in the workload's own namespace. */
export function readPods(): PolicyRule {
    return allowRead(["pods"]);
}
