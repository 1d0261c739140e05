/**
 * A stand-in API server for verify's unit tests: plain HTTP on the loopback, serving a workload's
 * objects to the admin and authorizing a ServiceAccount's token the way RBAC does, from rules the
 * test gives per namespace and cluster-wide. Its authorizer is its own (not verify's), so verify's
 * expectations are held to what an API server answers.
 */
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";

import * as k8s from "@kubernetes/client-node";

type Rule = k8s.V1PolicyRule;

/** The cluster the tests set up. Every field is optional: nothing granted, nothing bound. */
export interface FakeRbacClusterArgs {
    /** Pods, ServiceAccounts and Nodes the admin may read. @default none */
    readonly pods?: readonly k8s.V1Pod[];
    readonly serviceAccounts?: readonly k8s.V1ServiceAccount[];
    readonly nodes?: readonly k8s.V1Node[];
    /** What a ServiceAccount's token may do in each namespace (Roles bound there). @default none */
    readonly rules?: Readonly<Record<string, readonly Rule[]>>;
    /** What it may do in every namespace and cluster-wide (ClusterRoleBindings). @default none */
    readonly clusterRules?: readonly Rule[];
    /** URLs it may reach beyond those every account may. @default none */
    readonly urls?: readonly k8s.V1NonResourceRule[];
    /** The bindings the admin lists; they grant nothing here (see `rules`). @default none */
    readonly roleBindings?: readonly k8s.V1RoleBinding[];
    readonly clusterRoleBindings?: readonly k8s.V1ClusterRoleBinding[];
    /** Requests refused to the admin with 403, as `METHOD /path`. @default none */
    readonly forbidden?: readonly string[];
    /** Makes every SelfSubjectRulesReview incomplete, with this evaluation error. */
    readonly incomplete?: string;
}

/** What every authenticated account may, as the API server's bootstrap roles grant it. */
const BASIC_RULES: readonly Rule[] = [
    {
        apiGroups: ["authorization.k8s.io"],
        resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        verbs: ["create"],
    },
    { apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"], verbs: ["create"] },
];
const BASIC_URLS: readonly k8s.V1NonResourceRule[] = [
    {
        nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/version"],
        verbs: ["get"],
    },
    { nonResourceURLs: ["/.well-known/openid-configuration", "/openid/v1/jwks"], verbs: ["get"] },
];

/** The admin's bearer token; a ServiceAccount's is `sa:<namespace>:<name>`. */
const ADMIN_TOKEN = "admin";

interface Attributes {
    readonly verb: string;
    readonly group: string;
    readonly resource: string;
    readonly subresource?: string;
    readonly name?: string;
}

/** RBAC's rule match (plugin/pkg/auth/authorizer/rbac): subresources and names as it has them. */
function covers(rule: Rule, a: Attributes): boolean {
    const has = (list: readonly string[] | undefined, value: string): boolean =>
        (list ?? []).some((v) => v === "*" || v === value);
    const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const resource = (rule.resources ?? []).some(
        (r) => r === "*" || r === combined || (a.subresource && r === `*/${a.subresource}`),
    );
    const names = rule.resourceNames ?? [];
    return (
        has(rule.verbs, a.verb) &&
        has(rule.apiGroups, a.group) &&
        resource &&
        (names.length === 0 || (a.name !== undefined && names.includes(a.name)))
    );
}

function status(code: number, reason: string, message: string): k8s.V1Status {
    return { kind: "Status", apiVersion: "v1", status: "Failure", reason, message, code };
}

async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * Starts the fake cluster. `admin` is a kubeconfig for it with the admin's token; `requests`,
 * every request it answered, as `METHOD /path`.
 */
export async function fakeRbacCluster(
    args: FakeRbacClusterArgs,
): Promise<{ admin: k8s.KubeConfig; requests: readonly string[]; close: () => void }> {
    const requests: string[] = [];
    const rulesIn = (namespace?: string): Rule[] => [
        ...BASIC_RULES,
        ...(args.clusterRules ?? []),
        ...(namespace ? (args.rules?.[namespace] ?? []) : []),
    ];
    const allowed = (a: Attributes, namespace?: string): boolean =>
        rulesIn(namespace).some((r) => covers(r, a));

    /** The admin's answers: objects by path, lists, and a token for any ServiceAccount there. */
    const asAdmin = (method: string, path: string): [number, object] => {
        if (args.forbidden?.includes(`${method} ${path}`)) {
            return [403, status(403, "Forbidden", `${path} is forbidden to the admin`)];
        }
        const parts = path.split("/").filter(Boolean);
        const rbac = "/apis/rbac.authorization.k8s.io/v1";
        if (path === `${rbac}/rolebindings`) return [200, { items: args.roleBindings ?? [] }];
        if (path === `${rbac}/clusterrolebindings`) {
            return [200, { items: args.clusterRoleBindings ?? [] }];
        }
        const find = <T extends { metadata?: k8s.V1ObjectMeta }>(
            list: readonly T[] | undefined,
            plural: string,
            name: string | undefined,
            inNamespace?: string,
        ): [number, object] => {
            const found = (list ?? []).find(
                (o) => o.metadata?.name === name && o.metadata?.namespace === inNamespace,
            );
            return found
                ? [200, found]
                : [404, status(404, "NotFound", `${plural} "${name}" not found`)];
        };
        if (parts[0] === "api" && parts[2] === "nodes") return find(args.nodes, "nodes", parts[3]);
        const [, , ns, namespace, kind, name, sub] = parts;
        if (parts[0] !== "api" || ns !== "namespaces") return [404, status(404, "NotFound", path)];
        if (kind === "pods" && !sub) return find(args.pods, "pods", name, namespace);
        if (kind === "serviceaccounts" && !sub) {
            return find(args.serviceAccounts, "serviceaccounts", name, namespace);
        }
        if (kind === "serviceaccounts" && sub === "token" && method === "POST") {
            const [code, account] = find(args.serviceAccounts, "serviceaccounts", name, namespace);
            if (code !== 200) return [code, account];
            return [
                201,
                {
                    spec: { audiences: ["https://kubernetes.default.svc"] },
                    status: { token: `sa:${namespace}:${name}`, expirationTimestamp: new Date() },
                },
            ];
        }
        return [404, status(404, "NotFound", path)];
    };

    /** A ServiceAccount's answers: reviews of itself, and lists it may or may not make. */
    const asAccount = (
        user: string,
        method: string,
        path: string,
        body: Record<string, unknown>,
    ): [number, object] => {
        const spec = (body.spec ?? {}) as Record<string, unknown>;
        if (path === "/apis/authentication.k8s.io/v1/selfsubjectreviews") {
            return [201, { status: { userInfo: { username: user } } }];
        }
        if (path === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
            const a = spec.resourceAttributes as Attributes & { namespace?: string };
            return [201, { spec, status: { allowed: allowed(a, a.namespace) } }];
        }
        if (path === "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews") {
            const namespace = spec.namespace as string;
            const incomplete = args.incomplete !== undefined;
            return [
                201,
                {
                    spec,
                    status: {
                        resourceRules: rulesIn(namespace),
                        nonResourceRules: [...BASIC_URLS, ...(args.urls ?? [])],
                        incomplete,
                        ...(incomplete ? { evaluationError: args.incomplete } : {}),
                    },
                },
            ];
        }
        const [, , ns, namespace, resource] = path.split("/").filter(Boolean);
        if (method === "GET" && ns === "namespaces" && resource) {
            const list = { verb: "list", group: "", resource };
            return allowed(list, namespace)
                ? [200, { items: [] }]
                : [403, status(403, "Forbidden", `${resource} is forbidden: ${user}`)];
        }
        return [403, status(403, "Forbidden", `${method} ${path} is forbidden: ${user}`)];
    };

    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const method = req.method ?? "GET";
        const path = new URL(req.url ?? "/", "http://fake").pathname;
        requests.push(`${method} ${path}`);
        void bodyOf(req).then((body) => {
            const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
            const [kind, namespace, name] = token.split(":");
            const [code, answer] =
                token === ADMIN_TOKEN
                    ? asAdmin(method, path)
                    : kind === "sa"
                      ? asAccount(`system:serviceaccount:${namespace}:${name}`, method, path, body)
                      : [401, status(401, "Unauthorized", "Unauthorized")];
            res.statusCode = code;
            res.setHeader("content-type", "application/json");
            res.end(JSON.stringify(answer));
        });
    });
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    const { port } = server.address() as AddressInfo;
    const admin = new k8s.KubeConfig();
    admin.loadFromClusterAndUser(
        { name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true },
        { name: "admin", token: ADMIN_TOKEN },
    );
    return {
        admin,
        requests,
        close: () => {
            server.closeAllConnections();
            server.close();
        },
    };
}

/**
 * A healthy workload's objects as `npm run up` leaves them: its pod Running and Ready as its
 * ServiceAccount, no token mounted, on a kwok node (so the in-pod checks are one skipped note).
 */
export function workloadObjects(w: {
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly pod: string;
}): Pick<FakeRbacClusterArgs, "pods" | "serviceAccounts" | "nodes"> {
    return {
        pods: [
            {
                metadata: { name: w.pod, namespace: w.namespace },
                spec: {
                    serviceAccountName: w.serviceAccount,
                    nodeName: "node-000000",
                    containers: [{ name: w.pod, image: "nginx" }],
                },
                status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
            },
        ],
        serviceAccounts: [
            {
                metadata: { name: w.serviceAccount, namespace: w.namespace },
                automountServiceAccountToken: false,
            },
        ],
        nodes: [
            { metadata: { name: "node-000000", annotations: { "kwok.x-k8s.io/node": "fake" } } },
        ],
    };
}
