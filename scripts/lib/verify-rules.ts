/**
 * What verify holds a workload's token to: the accesses its rules grant (each expected allowed),
 * the everyday verbs they do not and the probes of escalation (each expected denied), and what
 * every account may anyway, which the API server's own lists of the token's rules may hold beside
 * the declared ones. Pure: scripts/lib/verify.ts asks the API server.
 */
import type * as k8s from "@kubernetes/client-node";

import { resourcesMatch } from "../../components/rbac";

export interface Access {
    readonly verb: string;
    readonly group: string;
    /** A resource, or a resource and its subresource as RBAC rules name them (`pods/log`). */
    readonly resource: string;
    readonly namespace?: string;
    /** One object's name, for a grant limited to names (a rule's resourceNames). */
    readonly name?: string;
}

export type Rule = k8s.V1PolicyRule;

/**
 * Whether `rule` grants `access` to the object `name`, or, without a name, to every object (which
 * a rule limited to names never does).
 */
function grants(rule: Rule, access: Access, name?: string): boolean {
    const has = (list: string[] | undefined, value: string): boolean =>
        (list ?? []).some((v) => v === "*" || v === value);
    return (
        has(rule.apiGroups, access.group) &&
        resourcesMatch(rule.resources, access.resource) &&
        has(rule.verbs, access.verb) &&
        (!rule.resourceNames?.length || (name !== undefined && rule.resourceNames.includes(name)))
    );
}

/**
 * Whether one of `rules` grants `access`: to its named object, or without a name to every object
 * (which rules limited to names never do).
 */
export function ruleAllows(rules: readonly Rule[], access: Access): boolean {
    return rules.some((r) => grants(r, access, access.name));
}

/** `verb resource[.group][/name] in <namespace>`, or `cluster-wide`. */
export function describeAccess(a: Access): string {
    const resource = a.group ? `${a.resource}.${a.group}` : a.resource;
    const object = a.name === undefined ? resource : `${resource}/${a.name}`;
    return `${a.verb} ${object} ${a.namespace ? `in ${a.namespace}` : "cluster-wide"}`;
}

/** The everyday verbs: each one a rule's resource is not granted is probed, and must be denied. */
const COMMON_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

/**
 * Verbs whose requests carry no object name, so RBAC cannot limit them to names: a rule's
 * resourceNames say nothing about them, and asking about them by name would prove nothing.
 */
const UNNAMED_VERBS = ["list", "watch", "create", "deletecollection"];

/**
 * Every (verb, group, resource) the rules grant in `namespace`, and every common verb they do not;
 * for a rule limited to names, each of its verbs and the common ones on each name, and the common
 * ones on the resource as a whole (which the rule does not grant).
 */
export function ruleAccesses(rules: readonly Rule[], namespace: string): Access[] {
    return rules
        .flatMap((r) =>
            (r.apiGroups ?? []).flatMap((group) =>
                (r.resources ?? []).flatMap((resource) => {
                    const names = r.resourceNames ?? [];
                    const verbs = [...r.verbs, ...COMMON_VERBS];
                    const whole = names.length ? COMMON_VERBS : verbs;
                    const byName = verbs.filter((v) => !UNNAMED_VERBS.includes(v));
                    return [
                        ...whole.map((verb) => ({ verb, group, resource, namespace })),
                        ...names.flatMap((name) =>
                            byName.map((verb) => ({ verb, group, resource, namespace, name })),
                        ),
                    ];
                }),
            ),
        )
        .filter((a) => a.verb !== "*" && a.group !== "*" && !a.resource.startsWith("*"));
}

/** What every account may do in any namespace: ask who it is and what it may (system:basic-user). */
const EVERY_ACCOUNT: readonly Rule[] = [
    {
        apiGroups: ["authorization.k8s.io"],
        resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        verbs: ["create"],
    },
    { apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"], verbs: ["create"] },
];

/**
 * The URLs outside the API's resources that every ServiceAccount may get, from the API server's
 * bootstrap roles: system:discovery, system:public-info-viewer, and the ServiceAccount issuer's
 * discovery documents (system:service-account-issuer-discovery, bound to system:serviceaccounts).
 * A Role grants no such URL; one listed beyond these comes from a ClusterRole bound elsewhere.
 */
const EVERY_ACCOUNT_URLS: readonly string[] = [
    ...["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*"],
    ...["/healthz", "/livez", "/readyz", "/version", "/version/"],
    ...["/.well-known/openid-configuration", "/.well-known/openid-configuration/"],
    ...["/openid/v1/jwks", "/openid/v1/jwks/"],
];

/** What `listed` non-resource rules allow past EVERY_ACCOUNT_URLS, one `verb url` each. */
export function undeclaredUrls(listed: readonly k8s.V1NonResourceRule[]): string[] {
    return listed.flatMap((r) =>
        (r.nonResourceURLs ?? []).flatMap((url) =>
            r.verbs
                .filter((verb) => verb !== "get" || !EVERY_ACCOUNT_URLS.includes(url))
                .map((verb) => `${verb} ${url}`),
        ),
    );
}

/**
 * What `listed` (the API server's SelfSubjectRulesReview) grants past the `declared` rules and
 * what every account may, one `verb resource[.group][/name]` each: nothing, for an identity
 * that may do exactly what its Role allows.
 */
export function undeclaredGrants(
    listed: readonly k8s.V1ResourceRule[],
    declared: readonly Rule[],
): string[] {
    const known = [...declared, ...EVERY_ACCOUNT];
    const extra = new Set<string>();
    for (const r of listed) {
        for (const group of r.apiGroups ?? [""]) {
            for (const resource of r.resources ?? []) {
                for (const verb of r.verbs) {
                    const access = { verb, group, resource };
                    for (const name of r.resourceNames?.length ? r.resourceNames : [undefined]) {
                        if (known.some((k) => grants(k, access, name))) continue;
                        const what = `${verb} ${group ? `${resource}.${group}` : resource}`;
                        extra.add(name === undefined ? what : `${what}/${name}`);
                    }
                }
            }
        }
    }
    return [...extra];
}

/** The accesses of `rules` and the probes, each once. */
export function accessesToCheck(rules: readonly Rule[], namespace: string): Access[] {
    const seen = new Set<string>();
    return [...ruleAccesses(rules, namespace), ...probes(namespace)].filter((a) => {
        const key = describeAccess(a);
        return !seen.has(key) && seen.add(key);
    });
}

/** Requests the API server may answer in the ServiceAccount's name, beyond its own Role. */
function probes(namespace: string): Access[] {
    const rbac = "rbac.authorization.k8s.io";
    return [
        { verb: "get", group: "", resource: "secrets", namespace },
        { verb: "list", group: "", resource: "secrets", namespace },
        { verb: "create", group: "", resource: "pods", namespace },
        { verb: "delete", group: rbac, resource: "rolebindings", namespace },
        // What an escalation would use: a shell in another pod, a token of another account,
        // acting as another account, binding or widening a Role past one's own rights.
        { verb: "create", group: "", resource: "pods/exec", namespace },
        { verb: "create", group: "", resource: "serviceaccounts/token", namespace },
        { verb: "impersonate", group: "", resource: "serviceaccounts", namespace },
        { verb: "bind", group: rbac, resource: "roles", namespace },
        { verb: "escalate", group: rbac, resource: "roles", namespace },
        { verb: "list", group: "", resource: "pods", namespace: "kube-system" },
        { verb: "list", group: "", resource: "namespaces" },
    ];
}

/**
 * What a SelfSubjectAccessReview asks about `access`. `pods/log` is the resource pods and its
 * subresource log, as kubectl auth can-i sends it: the authorizer matches a rule for the log of
 * every resource only against a subresource given apart.
 */
export function resourceAttributes(access: Access): k8s.V1ResourceAttributes {
    const slash = access.resource.indexOf("/");
    return {
        verb: access.verb,
        group: access.group,
        resource: slash < 0 ? access.resource : access.resource.slice(0, slash),
        subresource: slash < 0 ? undefined : access.resource.slice(slash + 1),
        name: access.name,
        namespace: access.namespace,
    };
}
