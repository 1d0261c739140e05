/**
 * The checks of one RBAC rule that read it whole, beside the schema's checks of each field: what
 * the API server would never grant (a cluster-scoped resource in a namespaced Role, resourceNames
 * with verbs that name no object) and what the policy pack would block mid-up (a sensitive grant,
 * one predicate with its rbac-no-sensitive-access; a wildcard without allowWildcards).
 */
import type * as z from "zod";

import { sensitiveGrants } from "../policy/rules/rbac";
import { DEPLOY_ONLY, isObject } from "./problems";
import { isWildcard, WILDCARD } from "./rbac";

/** Every refusal here: "<problem> | <fix>". */
const M = {
    version: `names a version, not an API group, so the rule grants nothing | use [""] for the core group (pods, secrets), "apps" for deployments (not "v1" or "apps/v1")`,
    glob: `must be a non-empty list of resource types | use plural, lower-case types, e.g. ["pods", "pods/log"], and "*" only alone or as "*/<subresource>": RBAC reads any other "*" ("po*", "*s") as written, so it matches nothing`,
    wildcard:
        "contains the wildcard `*` (alone, or in resources as `*/<subresource>`), which grants everything it matches now and in the future | " +
        "list exactly what the workload needs. allowWildcards: true takes it past this check only: the policy pack, which npm run up and preview run, " +
        "blocks the Role (rbac-no-wildcards, mandatory), so they refuse it before anything is created; " +
        `pulumi up --policy-pack policy --policy-pack-config <file> deploys it, the file holding { "rbac-no-wildcards": "advisory" }`,
    clusterScoped: `names a cluster-scoped resource, which a namespaced Role never grants | remove it: the workload's rights stay inside its own namespace`,
    unnamed: `with resourceNames, which RBAC cannot apply to create or deletecollection of a resource (neither request names one object; a subresource's create does), so the rule never grants them | move them to a rule of their own without resourceNames`,
};

/**
 * Cluster-scoped resources by API group: a namespaced Role that names one grants nothing. Not
 * `namespaces`: a Role grants its own namespace's object (the authorizer reads a request for
 * /namespaces/<name> as one in that namespace).
 */
const CLUSTER_SCOPED: Readonly<Record<string, readonly string[]>> = {
    "": ["nodes", "persistentvolumes", "componentstatuses"],
    "rbac.authorization.k8s.io": ["clusterroles", "clusterrolebindings"],
    "storage.k8s.io": ["storageclasses", "csidrivers", "csinodes", "volumeattachments"],
    "apiextensions.k8s.io": ["customresourcedefinitions"],
    "certificates.k8s.io": ["certificatesigningrequests"],
    "scheduling.k8s.io": ["priorityclasses"],
    "node.k8s.io": ["runtimeclasses"],
    "admissionregistration.k8s.io": [
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
        "validatingadmissionpolicies",
        "validatingadmissionpolicybindings",
    ],
    "apiregistration.k8s.io": ["apiservices"],
};

/** The fields of one raw rule that hold the wildcard (alone, or in resources before a subresource). */
export function wildcardFields(r: unknown): string[] {
    if (!isObject(r)) return [];
    return ["apiGroups", "resources", "verbs"].filter((field) => {
        const list = r[field];
        return Array.isArray(list) && list.some((entry) => isWildcard(field, entry));
    });
}

/** What the API server or the policy pack would make of one rule, read from the raw input. */
export function ruleProblems(r: unknown, allowWildcards: boolean, i: number): z.core.$ZodIssue[] {
    if (!isObject(r)) return [];
    // Each refused only where objects are made: a stack deployed before these checks may hold it.
    const issue = (input: unknown, message: string, ...path: PropertyKey[]): z.core.$ZodIssue => ({
        code: "custom",
        input,
        message,
        path: ["rules", i, ...path],
        params: DEPLOY_ONLY,
    });
    const listOf = (field: string): unknown[] => (Array.isArray(r[field]) ? r[field] : []);
    const issues: z.core.$ZodIssue[] = [];
    if (!allowWildcards)
        for (const field of wildcardFields(r)) issues.push(issue(r[field], M.wildcard, field));
    // One predicate with the pack's rbac-no-sensitive-access, so what one blocks the other refuses.
    for (const s of sensitiveGrants(r))
        issues.push(
            issue(
                r,
                `grants ${s.grants}: ${s.why}, which reaches beyond the workload's own identity. The component grants it to no workload, whatever the policy pack's config says (its rbac-no-sensitive-access, mandatory, blocks it too) | ${s.fix}`,
            ),
        );
    // A version where the group belongs ("v1", copied from apiVersion) names no group.
    if (
        listOf("apiGroups").some(
            (g) => typeof g === "string" && /^v[0-9]+((alpha|beta)[0-9]+)?$/.test(g),
        )
    )
        issues.push(issue(r.apiGroups, M.version, "apiGroups"));
    // RBAC matches "*" alone or as "*/<subresource>", any other glob only as written ("x/*" is
    // the schema's to refuse).
    const glob = (res: unknown) =>
        typeof res === "string" &&
        res.includes(WILDCARD) &&
        !/\/\*$/.test(res) &&
        !/^\*(\/[a-z0-9][A-Za-z0-9._-]*)?$/.test(res);
    if (listOf("resources").some(glob)) issues.push(issue(r.resources, M.glob, "resources"));
    const scoped = listOf("resources").filter(
        (res) =>
            typeof res === "string" &&
            listOf("apiGroups").some(
                (g) =>
                    typeof g === "string" &&
                    Object.hasOwn(CLUSTER_SCOPED, g) &&
                    CLUSTER_SCOPED[g].includes(res.split("/")[0]),
            ),
    );
    for (const res of scoped) issues.push(issue(res, M.clusterScoped, "resources"));
    // A subresource's create names its object in the path (POST .../pods/my-pod/portforward),
    // which resourceNames matches: only a top-level resource's create names none.
    const topLevel = listOf("resources").some(
        (res) => typeof res === "string" && !res.includes("/"),
    );
    const unnamed = listOf("verbs").filter((v) => v === "create" || v === "deletecollection");
    if (listOf("resourceNames").length > 0 && unnamed.length > 0 && topLevel)
        issues.push(
            issue(
                unnamed,
                `${unnamed.map((v) => `"${String(v)}"`).join(" and ")} ${M.unnamed}`,
                "verbs",
            ),
        );
    return issues;
}
