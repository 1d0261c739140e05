/**
 * Proof that a deployed workload's identity works, against any cluster: the Pod runs as its
 * ServiceAccount, and a token issued for that ServiceAccount (TokenRequest) may do what its Role
 * allows and nothing else. Every check asks the API server. The rules it holds the cluster to are the
 * stack's intended ones when the caller has them (so a Role widened behind Pulumi's back shows up
 * as a mismatch), otherwise those of the Roles bound to the ServiceAccount.
 */
import * as k8s from "@kubernetes/client-node";

import { resourcesMatch } from "../../components/rbac";

import { inPodRows, Row } from "./pod-checks";

/** The names of one deployed workload (the stack outputs of index.ts). */
export interface WorkloadNames {
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly pod: string;
    /** The Role's intended rules (a stack output); when absent, the live bound Roles' rules. */
    readonly rules?: readonly Rule[];
}

/** One line of the verify table: a row of one workload, and whether it holds. */
export interface Check extends Row {
    readonly workload: string;
    readonly ok: boolean;
}

interface Access {
    readonly verb: string;
    readonly group: string;
    readonly resource: string;
    readonly namespace?: string;
}

type Rule = k8s.V1PolicyRule;

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

/** Whether one of `rules` grants `access` (names aside: rules limited to names never match). */
export function ruleAllows(rules: readonly Rule[], access: Access): boolean {
    return rules.some((r) => grants(r, access));
}

function describeAccess(a: Access): string {
    const resource = a.group ? `${a.resource}.${a.group}` : a.resource;
    return `${a.verb} ${resource} ${a.namespace ? `in ${a.namespace}` : "cluster-wide"}`;
}

/** The everyday verbs: each one a rule's resource is not granted is probed, and must be denied. */
const COMMON_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

/** Every (verb, group, resource) the rules grant in `namespace`, and every common verb they do not. */
export function ruleAccesses(rules: readonly Rule[], namespace: string): Access[] {
    return rules
        .filter((r) => !r.resourceNames?.length)
        .flatMap((r) =>
            (r.apiGroups ?? []).flatMap((group) =>
                (r.resources ?? []).flatMap((resource) =>
                    [...r.verbs, ...COMMON_VERBS].map((verb) => ({
                        verb,
                        group,
                        resource,
                        namespace,
                    })),
                ),
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

/** Requests the API server may answer in the ServiceAccount's name, beyond its own Role. */
function probes(namespace: string): Access[] {
    return [
        { verb: "get", group: "", resource: "secrets", namespace },
        { verb: "create", group: "", resource: "pods", namespace },
        { verb: "delete", group: "rbac.authorization.k8s.io", resource: "rolebindings", namespace },
        { verb: "list", group: "", resource: "pods", namespace: "kube-system" },
        { verb: "list", group: "", resource: "namespaces" },
    ];
}

function statusOf(error: unknown): number | undefined {
    const code = (error as { code?: unknown }).code;
    return typeof code === "number" ? code : undefined;
}

/** Who the API server takes `config`'s credentials for (a token for another audience: 401). */
async function whoAmI(config: k8s.KubeConfig): Promise<string> {
    try {
        const review = await config.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({
            body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
        });
        return review.status?.userInfo?.username ?? "(anonymous)";
    } catch (error) {
        if (statusOf(error) === 401) return "401 Unauthorized (not for the API server)";
        throw error;
    }
}

/** A real request's outcome as the table shows it: 200 OK, 403 Forbidden or HTTP <code>. */
async function requestStatus(call: () => Promise<unknown>): Promise<string> {
    try {
        await call();
        return "200 OK";
    } catch (error) {
        const status = statusOf(error);
        if (status === undefined) throw error;
        return status === 403 ? "403 Forbidden" : `HTTP ${status}`;
    }
}

/** The rules of the Roles bound to the workload's ServiceAccount, as the cluster has them. */
async function boundRoleRules(admin: k8s.KubeConfig, w: WorkloadNames): Promise<Rule[]> {
    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    const bindings = await rbac.listNamespacedRoleBinding({ namespace: w.namespace });
    const rules: Rule[] = [];
    for (const binding of bindings.items) {
        const boundHere = binding.subjects?.some(
            (s) => s.kind === "ServiceAccount" && s.name === w.serviceAccount,
        );
        if (!boundHere || binding.roleRef.kind !== "Role") continue;
        const role = await rbac.readNamespacedRole({
            name: binding.roleRef.name,
            namespace: w.namespace,
        });
        rules.push(...(role.rules ?? []));
    }
    return rules;
}

/** Runs every check for one workload with the admin credentials of `admin`. */
export async function verifyWorkload(admin: k8s.KubeConfig, w: WorkloadNames): Promise<Check[]> {
    const checks: Check[] = [];
    const add = (check: string, expected: string, actual: string): void => {
        checks.push({ workload: w.namespace, check, expected, actual, ok: expected === actual });
    };
    const core = admin.makeApiClient(k8s.CoreV1Api);

    const pod = await core.readNamespacedPod({ name: w.pod, namespace: w.namespace });
    const ready = pod.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    add(
        `pod ${w.pod} is running and ready`,
        "Running, Ready",
        `${pod.status?.phase}, ${ready ? "Ready" : "not Ready"}`,
    );
    add(
        `pod ${w.pod} runs as the service account`,
        w.serviceAccount,
        pod.spec?.serviceAccountName ?? "(none)",
    );

    // The ServiceAccount admission plugin injects the token volume only into pods that opt in.
    const optedIn = pod.spec?.automountServiceAccountToken === true;
    const injected = (pod.spec?.volumes ?? []).some((v) => v.name.startsWith("kube-api-access-"));
    add("standard API token mounted by admission", optedIn ? "yes" : "no", injected ? "yes" : "no");

    const sa = await core.readNamespacedServiceAccount({
        name: w.serviceAccount,
        namespace: w.namespace,
    });
    add(
        "service account does not automount tokens",
        "false",
        String(sa.automountServiceAccountToken),
    );

    const tokenRequest = await core.createNamespacedServiceAccountToken({
        name: w.serviceAccount,
        namespace: w.namespace,
        body: { spec: { expirationSeconds: 600, audiences: [] } },
    });
    const token = tokenRequest.status?.token;
    if (!token)
        throw new Error(`TokenRequest for ${w.namespace}/${w.serviceAccount} returned no token`);
    const cluster = admin.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    const kubeAs = (bearer: string): k8s.KubeConfig => {
        const config = new k8s.KubeConfig();
        config.loadFromClusterAndUser(cluster, {
            name: `${w.serviceAccount}-token`,
            token: bearer,
        });
        return config;
    };
    const asSa = kubeAs(token);

    add(
        "a requested token authenticates as the service account",
        `system:serviceaccount:${w.namespace}:${w.serviceAccount}`,
        await whoAmI(asSa),
    );

    // What the rules grant must be allowed; every other probe denied.
    const rules = w.rules ?? (await boundRoleRules(admin, w));
    const seen = new Set<string>();
    const accesses = [...ruleAccesses(rules, w.namespace), ...probes(w.namespace)].filter((a) => {
        const key = describeAccess(a);
        return !seen.has(key) && seen.add(key);
    });
    const authz = asSa.makeApiClient(k8s.AuthorizationV1Api);
    for (const access of accesses) {
        const answer = await authz.createSelfSubjectAccessReview({
            body: {
                spec: {
                    resourceAttributes: {
                        verb: access.verb,
                        group: access.group,
                        resource: access.resource,
                        namespace: access.namespace,
                    },
                },
            },
        });
        // A Role grants nothing outside its own namespace.
        const inScope = access.namespace === w.namespace;
        const expected = inScope && ruleAllows(rules, access) ? "allowed" : "denied";
        add(
            `token may ${describeAccess(access)}`,
            expected,
            answer.status?.allowed ? "allowed" : "denied",
        );
    }

    // Everything the token may do in its namespace, as the API server lists it: grants from any
    // binding (a ClusterRole's too), not only those the probes above ask about.
    const review = await authz.createSelfSubjectRulesReview({
        body: { spec: { namespace: w.namespace } },
    });
    const extra = [
        ...undeclaredGrants(review.status?.resourceRules ?? [], rules),
        ...undeclaredUrls(review.status?.nonResourceRules ?? []),
    ];
    const listedRules = {
        workload: w.namespace,
        check: `token's rules in ${w.namespace}, as the API server lists them`,
        expected: "the declared ones only",
        actual: extra.length ? `also ${extra.join(", ")}` : "the declared ones only",
    };
    // An authorizer that cannot list its rules (a webhook's) leaves the list incomplete: nothing
    // beyond it is proven then, and the row says so, counted neither way unless it found more.
    const incomplete = review.status?.incomplete === true && extra.length === 0;
    checks.push(
        incomplete
            ? {
                  ...listedRules,
                  actual: `not proven: the list is incomplete (${review.status?.evaluationError ?? "no reason given"})`,
                  note: true,
                  ok: true,
              }
            : { ...listedRules, ok: extra.length === 0 },
    );

    // One real request each way, not only the authorizer's opinion.
    const asSaCore = asSa.makeApiClient(k8s.CoreV1Api);
    const listPods = { verb: "list", group: "", resource: "pods", namespace: w.namespace };
    const secretsExpected = ruleAllows(rules, { ...listPods, resource: "secrets" })
        ? "200 OK"
        : "403 Forbidden";
    add(
        `token lists pods in ${w.namespace} (real request)`,
        ruleAllows(rules, listPods) ? "200 OK" : "403 Forbidden",
        await requestStatus(() => asSaCore.listNamespacedPod({ namespace: w.namespace })),
    );
    add(
        `token lists secrets in ${w.namespace} (real request)`,
        secretsExpected,
        await requestStatus(() => asSaCore.listNamespacedSecret({ namespace: w.namespace })),
    );

    // From inside the Pod, where the node runs its containers (kubectl exec's way in).
    const rows = await inPodRows(admin, pod, tokenRequest.spec?.audiences ?? [], secretsExpected, {
        whoAmI: (bearer) => whoAmI(kubeAs(bearer)),
        listSecrets: (bearer) =>
            requestStatus(() =>
                kubeAs(bearer)
                    .makeApiClient(k8s.CoreV1Api)
                    .listNamespacedSecret({ namespace: w.namespace }),
            ),
    });
    for (const row of rows) {
        checks.push({
            workload: w.namespace,
            ...row,
            ok: row.note === true || row.expected === row.actual,
        });
    }
    return checks;
}
