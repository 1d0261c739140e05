/**
 * RBAC: a workload's rights stay inside its namespace and within what it was reviewed for.
 * A deliberate exception is made with the framework's own switch, the policy's enforcement level
 * in the pack config (e.g. { "rbac-no-wildcards": "advisory" }): one visible decision, per policy,
 * rather than a silent one in a Role. None of these rules has an opt-out narrower than that.
 */
import { TYPES } from "./pod-spec";
import { get, includes, isUnknown, items, Props, show, subject, text } from "./values";

/** How a message says that a deliberate exception is the pack config's to make. */
const deliberate = (policy: string, what: string): string =>
    `or, if the ${what} is reviewed and intended, set this policy's enforcement level in the ` +
    `pack config: { "${policy}": "advisory" } (or "disabled")`;

const RBAC_GROUP = "rbac.authorization.k8s.io";
const ROLES: readonly string[] = [TYPES.role, TYPES.clusterRole];
const BINDINGS: readonly string[] = [TYPES.roleBinding, TYPES.clusterRoleBinding];

/** The rules of a Role or ClusterRole, each with how messages name it. */
function rulesOf(type: string, props: Props): { rule: unknown; at: string }[] {
    if (!ROLES.includes(type)) return [];
    return items(get(props, "rules")).map((rule, i) => ({
        rule,
        at: `${subject(type, props)} rule ${i}`,
    }));
}

const WILDCARD_FIELDS = [
    { field: "verbs", noun: "verb", example: `["get", "list", "watch"]` },
    { field: "resources", noun: "resource", example: `["pods"]` },
    { field: "apiGroups", noun: "API group", example: `[""] for the core group` },
];

// A wildcard entry: "*", or in resources "*/<subresource>", which the API server's authorizer
// matches against that subresource of every resource ("*/exec" is pods/exec).
const wildcardIn = (field: string, list: unknown): string | undefined =>
    items(list).find(
        (e) => e === "*" || (field === "resources" && typeof e === "string" && e.startsWith("*/")),
    ) as string | undefined;

/** No `*` in the verbs, resources or API groups of a Role or ClusterRole. */
export function rbacNoWildcards(type: string, props: Props): string[] {
    return rulesOf(type, props).flatMap(({ rule, at }) =>
        WILDCARD_FIELDS.flatMap(({ field, noun, example }) => {
            const entry = wildcardIn(field, get(rule, field));
            if (entry === undefined) return [];
            return [
                `${at} has "${entry}" in ${field}: a wildcard grants every ${noun} there is, including ` +
                    `those that later Kubernetes versions and CRDs add, so the grant grows without ` +
                    `anyone changing it. Fix: list exactly the ${noun}s the workload needs (e.g. ` +
                    `${example}), ${deliberate("rbac-no-wildcards", "wildcard")}.`,
            ];
        }),
    );
}

/** No ClusterRoleBinding grants a ServiceAccount anything cluster-wide. */
export function rbacNoClusterBindingOfServiceAccounts(type: string, props: Props): string[] {
    if (type !== TYPES.clusterRoleBinding) return [];
    return items(get(props, "subjects"))
        .filter((s) => get(s, "kind") === "ServiceAccount")
        .map(
            (s) =>
                `${subject(type, props)} binds ServiceAccount ` +
                `"${text(get(s, "namespace"))}/${text(get(s, "name"))}" cluster-wide: its ` +
                `rights then hold in every namespace, so one workload's stolen token reaches all ` +
                `of them. Fix: grant the rights with a Role and a RoleBinding in the workload's ` +
                `own namespace (a RoleBinding may reference a ClusterRole to reuse its rules there).`,
        );
}

const ADMIN_ROLES: Readonly<Record<string, string>> = {
    "cluster-admin": "which allows every action on every resource",
    admin: "which allows reading Secrets and granting any right within the namespace",
    edit: "which allows reading Secrets and running pods as any ServiceAccount of the namespace, and so taking over their rights",
};

/** No binding to the built-in ClusterRoles cluster-admin, admin or edit. */
export function rbacNoBuiltinAdminRoles(type: string, props: Props): string[] {
    if (!BINDINGS.includes(type) || get(props, "roleRef", "kind") !== "ClusterRole") return [];
    const name = get(props, "roleRef", "name");
    if (typeof name !== "string" || !Object.hasOwn(ADMIN_ROLES, name)) return [];
    return [
        `${subject(type, props)} grants the built-in ClusterRole "${name}", ${ADMIN_ROLES[name]}: ` +
            `far more than one workload needs, and a stolen token gets all of it. Fix: bind a ` +
            `Role that lists only the verbs and resources the workload uses.`,
    ];
}

/** A grant that reaches beyond the workload's own identity. */
export interface Sensitive {
    /** The verb that makes it sensitive; any verb when absent. */
    readonly verb?: string;
    /** Whether naming the verb is flagged whatever the resources, as no workload should. */
    readonly anyResource?: boolean;
    readonly apiGroups: readonly string[];
    readonly resources: readonly string[];
    readonly grants: string;
    readonly why: string;
    readonly fix: string;
}

const SENSITIVE: readonly Sensitive[] = [
    {
        apiGroups: [""],
        resources: ["secrets"],
        grants: "access to Secrets",
        why: "Secrets hold the namespace's credentials, other ServiceAccounts' tokens among them",
        fix: "remove secrets from the rule, and mount the one Secret the pod needs as a volume",
    },
    ...["bind", "escalate"].map((verb) => ({
        verb,
        anyResource: true,
        apiGroups: [RBAC_GROUP],
        resources: ["roles", "clusterroles"],
        grants: `the verb "${verb}"`,
        why:
            verb === "bind"
                ? "it lets the workload bind roles with rights it does not hold itself"
                : "it lets the workload write roles with rights it does not hold itself",
        fix: `remove "${verb}" from the rule`,
    })),
    {
        verb: "impersonate",
        anyResource: true,
        apiGroups: ["", "authentication.k8s.io"],
        resources: ["users", "groups", "serviceaccounts"],
        grants: `the verb "impersonate"`,
        why: "it lets the workload act as other users, groups or ServiceAccounts, with their rights",
        fix: `remove "impersonate" from the rule`,
    },
    {
        verb: "create",
        apiGroups: [""],
        resources: ["serviceaccounts/token"],
        grants: "create on serviceaccounts/token",
        why: "it lets the workload mint tokens for other ServiceAccounts and act as them",
        fix: "remove serviceaccounts/token from the rule; the pod's own token comes from its spec",
    },
    {
        apiGroups: [""],
        resources: ["pods/exec", "pods/attach"],
        grants: "access to pods/exec or pods/attach",
        why: "it lets the workload run commands in the namespace's other pods and read their ServiceAccounts' tokens there",
        fix: "remove pods/exec and pods/attach from the rule",
    },
    ...["update", "patch"].map((verb) => ({
        verb,
        apiGroups: [""],
        resources: ["pods/ephemeralcontainers"],
        grants: `${verb} on pods/ephemeralcontainers`,
        why: "it lets the workload add a container of its choosing to the namespace's other pods, which runs with their ServiceAccounts' tokens",
        fix: `remove "${verb}" on pods/ephemeralcontainers from the rule`,
    })),
    ...[
        { group: "", resources: ["pods", "replicationcontrollers"] },
        { group: "apps", resources: ["deployments", "replicasets", "statefulsets", "daemonsets"] },
        { group: "batch", resources: ["jobs", "cronjobs"] },
    ].map(({ group, resources }) => ({
        verb: "create",
        apiGroups: [group],
        resources,
        grants: `create on ${resources.join(" or ")}`,
        why: "it lets the workload start pods as any ServiceAccount of the namespace, with their rights",
        fix: `remove create on ${resources.join(" and ")} from the rule`,
    })),
];

// Whether a rule's list covers `value`, itself or through "*" (a subresource also through
// "*/<subresource>"); an unknown element never does.
const covers = (list: unknown, value: string): boolean =>
    includes(list, value) === true ||
    includes(list, "*") === true ||
    (value.includes("/") && includes(list, `*/${value.split("/")[1]}`) === true);

function grants(rule: unknown, s: Sensitive): boolean {
    const verbs = get(rule, "verbs");
    if (s.verb !== undefined && s.anyResource === true && includes(verbs, s.verb) === true) {
        return true;
    }
    return (
        (s.verb === undefined ? items(verbs).length > 0 : covers(verbs, s.verb)) &&
        s.apiGroups.some((group) => covers(get(rule, "apiGroups"), group)) &&
        s.resources.some((resource) => covers(get(rule, "resources"), resource))
    );
}

/**
 * The sensitive grants of one rule, whether named or implied by a wildcard: what
 * rbac-no-sensitive-access blocks, and what the workload schema refuses before anything exists.
 */
export function sensitiveGrants(rule: unknown): readonly Sensitive[] {
    return SENSITIVE.filter((s) => grants(rule, s));
}

/**
 * No access to Secrets, no bind, escalate or impersonate, no create on serviceaccounts/token, no
 * exec or attach into pods, no ephemeral containers added to them, no create on pods or the
 * controllers that start them, whether named or implied by a wildcard, unless the pack's config allows sensitive access.
 */
export function rbacNoSensitiveAccess(type: string, props: Props): string[] {
    return rulesOf(type, props).flatMap(({ rule, at }) =>
        sensitiveGrants(rule).map(
            (s) =>
                `${at} grants ${s.grants}: ${s.why}, which reaches beyond the workload's own ` +
                `identity. Fix: ${s.fix}, ${deliberate("rbac-no-sensitive-access", "access")}.`,
        ),
    );
}

/** A RoleBinding grants its rights only to ServiceAccounts of its own namespace. */
export function rbacBindingSubjectsInOwnNamespace(type: string, props: Props): string[] {
    if (type !== TYPES.roleBinding) return [];
    const at = subject(type, props);
    const namespace = get(props, "metadata", "namespace");
    if (isUnknown(namespace)) return [];
    if (namespace === undefined) {
        return [
            `${at} sets no metadata.namespace: the namespace it grants rights in, and so the one ` +
                `its ServiceAccounts must belong to, then depends on the provider's default. Fix: ` +
                `set metadata.namespace to the workload's namespace.`,
        ];
    }
    return items(get(props, "subjects")).flatMap((s, i) => {
        const kind = get(s, "kind");
        const subjectNamespace = get(s, "namespace");
        const name = show(get(s, "name"));
        if (isUnknown(kind) || isUnknown(subjectNamespace)) return [];
        if (kind !== "ServiceAccount") {
            return [
                `${at} subject ${i} is ${show(kind)} ${name}: a workload's binding grants ` +
                    `rights to its ServiceAccount only, never to people or groups, whose ` +
                    `membership is managed outside the cluster. Fix: bind a ServiceAccount of ` +
                    `namespace "${text(namespace)}" instead.`,
            ];
        }
        // An unset namespace is the binding's own: the authorizer reads it that way.
        if (subjectNamespace === undefined || subjectNamespace === namespace) return [];
        return [
            `${at} subject ${i} is ServiceAccount ${name} of namespace ${show(subjectNamespace)}: ` +
                `a workload elsewhere then gains rights in namespace "${text(namespace)}", ` +
                `crossing the boundary namespaces draw. Fix: bind a ServiceAccount of namespace ` +
                `"${text(namespace)}", and grant the other workload rights in its own namespace.`,
        ];
    });
}
