/**
 * Proof that a deployed workload's identity works, against any cluster: the Pod runs as its
 * ServiceAccount, and a token issued for that ServiceAccount (TokenRequest) may do what its Role
 * allows and nothing else, in its namespace or elsewhere (no binding of it outside its namespace,
 * nothing past what every account may in kube-system). Every check asks the API server. The rules
 * it holds the cluster to are the stack's intended ones when the caller has them (so a Role widened
 * behind Pulumi's back shows up as a mismatch), otherwise those of the Roles bound to the
 * ServiceAccount.
 */
import * as k8s from "@kubernetes/client-node";

import { inPodRows, Row } from "./pod-checks";
import {
    accessesToCheck,
    describeAccess,
    resourceAttributes,
    Rule,
    ruleAllows,
    undeclaredGrants,
    undeclaredUrls,
} from "./verify-rules";

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

/** The HTTP status of the client's ApiException; undefined for any other error. */
function statusOf(error: unknown): number | undefined {
    if (typeof error !== "object" || error === null) return undefined;
    const code = (error as { code?: unknown }).code;
    return typeof code === "number" ? code : undefined;
}

/** The message of an API server's Status, from the client's error body (JSON text or parsed). */
function statusMessage(body: unknown): string | undefined {
    try {
        const status = (typeof body === "string" ? JSON.parse(body) : body) as {
            message?: unknown;
        };
        return typeof status?.message === "string" ? status.message : undefined;
    } catch {
        return undefined;
    }
}

/**
 * An error on one line. The client's ApiException prints its whole response (code, body,
 * headers) on several lines; of that, its Status message and HTTP code say what went wrong.
 */
export function errorMessage(error: unknown): string {
    const code = statusOf(error);
    if (code !== undefined) {
        const message = statusMessage((error as { body?: unknown }).body);
        return message ? `${message} (HTTP ${code})` : `HTTP ${code}`;
    }
    return error instanceof Error ? error.message : String(error);
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

/** A binding as the verify table names it: `RoleBinding prod/leak -> ClusterRole admin`. */
function describeBinding(b: k8s.V1RoleBinding | k8s.V1ClusterRoleBinding): string {
    const namespace = b.metadata?.namespace;
    const name = namespace ? `${namespace}/${b.metadata?.name}` : b.metadata?.name;
    return `${namespace ? "RoleBinding" : "ClusterRoleBinding"} ${name} -> ${b.roleRef.kind} ${b.roleRef.name}`;
}

/**
 * Whether a subject of a binding in `bindingNamespace` (none: a ClusterRoleBinding) names the
 * workload's ServiceAccount itself, as a ServiceAccount or by its user name.
 */
function namesAccount(
    s: k8s.RbacV1Subject,
    bindingNamespace: string | undefined,
    w: WorkloadNames,
): boolean {
    if (s.kind === "User") {
        return s.name === `system:serviceaccount:${w.namespace}:${w.serviceAccount}`;
    }
    // A RoleBinding's ServiceAccount subject without a namespace is one of the binding's own.
    const namespace = s.namespace ? s.namespace : bindingNamespace;
    return s.kind === "ServiceAccount" && s.name === w.serviceAccount && namespace === w.namespace;
}

/** The items `list` gives, or undefined where the admin credentials may not list them (403). */
async function listedOrForbidden<T>(list: () => Promise<{ items: T[] }>): Promise<T[] | undefined> {
    try {
        return (await list()).items;
    } catch (error) {
        if (statusOf(error) === 403) return undefined;
        throw error;
    }
}

/** Every RoleBinding and ClusterRoleBinding, each undefined where the admin may not list them. */
interface ClusterBindings {
    readonly roleBindings: k8s.V1RoleBinding[] | undefined;
    readonly clusterBindings: k8s.V1ClusterRoleBinding[] | undefined;
}

/** Lists the cluster's bindings once, on the first call, for every workload's checks. */
function bindingsOnce(admin: k8s.KubeConfig): () => Promise<ClusterBindings> {
    let listed: Promise<ClusterBindings> | undefined;
    return () =>
        (listed ??= (async () => {
            const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
            const [roleBindings, clusterBindings] = await Promise.all([
                listedOrForbidden(() => rbac.listRoleBindingForAllNamespaces()),
                listedOrForbidden(() => rbac.listClusterRoleBinding()),
            ]);
            return { roleBindings, clusterBindings };
        })());
}

/**
 * Groups every ServiceAccount of `namespace` is in: a RoleBinding of one grants it what no review
 * of its own namespace shows.
 */
function groupsOf(namespace: string): string[] {
    return [
        "system:authenticated",
        "system:serviceaccounts",
        `system:serviceaccounts:${namespace}`,
    ];
}

/**
 * Bindings of the ServiceAccount itself outside its namespace: a RoleBinding elsewhere or a
 * ClusterRoleBinding grants what no rules review of its own namespace shows. Those in its own
 * namespace are that review's; ClusterRoleBindings of groups it is in show in the review of
 * kube-system. `groupNamespaces`: the other namespaces where a RoleBinding names a group it is in
 * (every authenticated user, every ServiceAccount, or its namespace's), each for a review of its
 * own.
 */
function bindingsElsewhere(
    w: WorkloadNames,
    { roleBindings, clusterBindings }: ClusterBindings,
): { row: Check; groupNamespaces: string[] } {
    const groups = groupsOf(w.namespace);
    const groupNamespaces = [
        ...new Set(
            (roleBindings ?? [])
                .filter((b) =>
                    b.subjects?.some((s) => s.kind === "Group" && groups.includes(s.name)),
                )
                .map((b) => b.metadata?.namespace ?? "")
                .filter((ns) => ns !== "" && ns !== w.namespace && ns !== "kube-system"),
        ),
    ].sort();
    return { row: bindingsRow(w, roleBindings, clusterBindings), groupNamespaces };
}

/** The row of bindingsElsewhere(): the bindings found, or why none could be looked for. */
function bindingsRow(
    w: WorkloadNames,
    roleBindings: k8s.V1RoleBinding[] | undefined,
    clusterBindings: k8s.V1ClusterRoleBinding[] | undefined,
): Check {
    const found = [
        ...(roleBindings ?? []).filter((b) => b.metadata?.namespace !== w.namespace),
        ...(clusterBindings ?? []),
    ].filter((b) => b.subjects?.some((s) => namesAccount(s, b.metadata?.namespace, w)));
    const row = {
        workload: w.namespace,
        check: `bindings of the service account outside ${w.namespace}`,
        expected: "none",
    };
    if (found.length) return { ...row, actual: found.map(describeBinding).join(", "), ok: false };
    const unlisted = [
        ...(roleBindings ? [] : ["rolebindings in all namespaces"]),
        ...(clusterBindings ? [] : ["clusterrolebindings"]),
    ];
    // Like an incomplete rules review: nothing is proven, and the row says so, counted neither way.
    return unlisted.length
        ? {
              ...row,
              actual: `not proven: may not list ${unlisted.join(" or ")}`,
              note: true,
              ok: true,
          }
        : { ...row, actual: "none", ok: true };
}

/**
 * The API server's list of what the token may do in `namespace` (SelfSubjectRulesReview: grants
 * of every binding, a ClusterRole's too), held to `declared` and what every account may.
 */
async function rulesReviewRow(
    authz: k8s.AuthorizationV1Api,
    w: WorkloadNames,
    namespace: string,
    declared: readonly Rule[],
    expected: string,
): Promise<Check> {
    const review = await authz.createSelfSubjectRulesReview({ body: { spec: { namespace } } });
    const extra = [
        ...undeclaredGrants(review.status?.resourceRules ?? [], declared),
        ...undeclaredUrls(review.status?.nonResourceRules ?? []),
    ];
    const row = {
        workload: w.namespace,
        check: `token's rules in ${namespace}, as the API server lists them`,
        expected,
    };
    if (extra.length) return { ...row, actual: `also ${extra.join(", ")}`, ok: false };
    // An authorizer that cannot list its rules (a webhook's) leaves the list incomplete: nothing
    // beyond it is proven then, and the row says so, counted neither way unless it found more.
    if (review.status?.incomplete === true) {
        const why = review.status.evaluationError ?? "no reason given";
        return {
            ...row,
            actual: `not proven: the list is incomplete (${why})`,
            note: true,
            ok: true,
        };
    }
    return { ...row, actual: expected, ok: true };
}

/**
 * Runs every check for one workload with the admin credentials of `admin`, into `checks`;
 * `bindings` gives the cluster's bindings, listed once for all workloads.
 */
async function checkWorkload(
    admin: k8s.KubeConfig,
    w: WorkloadNames,
    checks: Check[],
    bindings: () => Promise<ClusterBindings>,
): Promise<void> {
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
    const authz = asSa.makeApiClient(k8s.AuthorizationV1Api);
    for (const access of accessesToCheck(rules, w.namespace)) {
        const answer = await authz.createSelfSubjectAccessReview({
            body: { spec: { resourceAttributes: resourceAttributes(access) } },
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

    // Everything the token may do, as the API server lists it: grants from any binding (a
    // ClusterRole's too), not only those the probes above ask about. In another namespace only
    // what every account may is expected; more there comes from a ClusterRoleBinding, of the
    // account or of a group it is in. Workloads may not use kube-system (RESERVED_NAMESPACES).
    const every = "only what every account may";
    const elsewhere = bindingsElsewhere(w, await bindings());
    checks.push(
        await rulesReviewRow(authz, w, w.namespace, rules, "the declared ones only"),
        await rulesReviewRow(authz, w, "kube-system", [], every),
        elsewhere.row,
    );
    // A RoleBinding of a group it is in grants there, which only that namespace's review shows.
    for (const namespace of elsewhere.groupNamespaces) {
        checks.push(await rulesReviewRow(authz, w, namespace, [], every));
    }

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
}

/** Every check for one workload; rejects on the first request that fails. */
export async function verifyWorkload(admin: k8s.KubeConfig, w: WorkloadNames): Promise<Check[]> {
    const checks: Check[] = [];
    await checkWorkload(admin, w, checks, bindingsOnce(admin));
    return checks;
}

/** What `npm run verify` found: every check, and the command's exit code. */
export interface Verification {
    readonly checks: readonly Check[];
    /** 1 when a check failed, or a workload's checks could not run; notes count neither way. */
    readonly exitCode: 0 | 1;
}

/**
 * Every check for each workload in turn. A request that fails (a pod deleted, a token request
 * forbidden) ends that workload's checks with one failed row saying why, and the next goes on.
 */
export async function verifyWorkloads(
    admin: k8s.KubeConfig,
    workloads: readonly WorkloadNames[],
): Promise<Verification> {
    const checks: Check[] = [];
    const bindings = bindingsOnce(admin);
    for (const w of workloads) {
        try {
            await checkWorkload(admin, w, checks, bindings);
        } catch (error) {
            checks.push({
                workload: w.namespace,
                check: "checks could run",
                expected: "yes",
                actual: `no: ${errorMessage(error)}`,
                ok: false,
            });
        }
    }
    return { checks, exitCode: checks.some((c) => !c.ok) ? 1 : 0 };
}
