import * as assert from "node:assert/strict";

import type * as k8s from "@kubernetes/client-node";

import {
    Check,
    errorMessage,
    verifyWorkload,
    verifyWorkloads,
    WorkloadNames,
} from "../../scripts/lib/verify";
import {
    ruleAccesses,
    ruleAllows,
    undeclaredGrants,
    undeclaredUrls,
} from "../../scripts/lib/verify-rules";
import { formatReport, formatTable } from "../../scripts/lib/verify-table";
import {
    fakeRbacCluster,
    FakeRbacClusterArgs,
    workloadObjects,
} from "../helpers/fake-rbac-cluster";

const readPods = { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] };

describe("verify's expectations", () => {
    it("allows what a rule grants and nothing else", () => {
        const pods = { group: "", resource: "pods", namespace: "my-ns" };
        assert.equal(ruleAllows([readPods], { ...pods, verb: "list" }), true);
        assert.equal(ruleAllows([readPods], { ...pods, verb: "delete" }), false);
        assert.equal(ruleAllows([readPods], { ...pods, resource: "secrets", verb: "get" }), false);
    });

    it("honours wildcards in rules", () => {
        const all = { apiGroups: ["*"], resources: ["*"], verbs: ["*"] };
        assert.equal(
            ruleAllows([all], { verb: "delete", group: "apps", resource: "deployments" }),
            true,
        );
    });

    it("reads */<subresource> as that subresource of every resource, as the authorizer does", () => {
        const exec = { apiGroups: [""], resources: ["*/exec"], verbs: ["create"] };
        const access = { verb: "create", group: "", resource: "pods/exec" };
        assert.equal(ruleAllows([exec], access), true);
        assert.equal(ruleAllows([exec], { ...access, resource: "pods/log" }), false);
        assert.equal(ruleAllows([exec], { ...access, resource: "pods" }), false);
        assert.deepEqual(ruleAccesses([exec], "my-ns"), []);
    });

    it("never counts a rule limited to named objects as a general grant", () => {
        const named = { ...readPods, resourceNames: ["web"] };
        assert.equal(ruleAllows([named], { verb: "get", group: "", resource: "pods" }), false);
    });

    it("probes every everyday verb a granted resource lacks", () => {
        const verbs = ruleAccesses([readPods], "my-ns").map((a) => a.verb);
        assert.deepEqual([...new Set(verbs)].sort(), [
            "create",
            "delete",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]);
    });

    describe("the API server's list of what the token may do", () => {
        const basicUser = [
            {
                apiGroups: ["authorization.k8s.io"],
                resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                verbs: ["create"],
            },
            {
                apiGroups: ["authentication.k8s.io"],
                resources: ["selfsubjectreviews"],
                verbs: ["create"],
            },
        ];

        it("holds nothing more for the declared rules and what every account may", () => {
            assert.deepEqual(undeclaredGrants([readPods, ...basicUser], [readPods]), []);
        });

        it("names each grant past them: a verb, a resource, a cluster role's wildcard", () => {
            const listed = [
                { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "delete"] },
                { apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] },
                { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
            ];
            assert.deepEqual(undeclaredGrants(listed, [readPods]), [
                "delete pods",
                "create pods/exec",
                "* *.*",
            ]);
        });

        it("holds no URL beyond the discovery and health ones every account may get", () => {
            const discovery = {
                nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/version/"],
                verbs: ["get"],
            };
            const issuer = { nonResourceURLs: ["/openid/v1/jwks"], verbs: ["get"] };
            assert.deepEqual(undeclaredUrls([discovery, issuer]), []);
        });

        it("names each URL past them, and each verb but get on theirs", () => {
            const listed = [
                { nonResourceURLs: ["/metrics", "/healthz"], verbs: ["get"] },
                { nonResourceURLs: ["/api"], verbs: ["post"] },
                { nonResourceURLs: ["*"], verbs: ["*"] },
            ];
            assert.deepEqual(undeclaredUrls(listed), ["get /metrics", "post /api", "* *"]);
        });

        it("covers a named grant only by a rule for that name, or one for every name", () => {
            const named = {
                apiGroups: [""],
                resources: ["configmaps"],
                verbs: ["get"],
                resourceNames: ["app"],
            };
            const listed = [{ ...named, resourceNames: ["app", "other"] }];
            assert.deepEqual(undeclaredGrants(listed, [named]), ["get configmaps/other"]);
            assert.deepEqual(undeclaredGrants(listed, [{ ...named, resourceNames: [] }]), []);
        });
    });

    it("prints an aligned table that marks mismatches", () => {
        const table = formatTable([
            { workload: "my-ns", check: "a", expected: "x", actual: "x", ok: true },
            {
                workload: "my-ns",
                check: "longer check",
                expected: "denied",
                actual: "allowed",
                ok: false,
            },
        ]).split("\n");
        assert.match(table[0], /^WORKLOAD\s+CHECK\s+EXPECTED\s+ACTUAL\s+RESULT$/);
        assert.match(table[1], /\sok$/);
        assert.match(table[2], /\sMISMATCH$/);
        assert.equal(table[1].indexOf("x"), table[2].indexOf("denied"));
    });
});

describe("verify against an API server", () => {
    const w: WorkloadNames = {
        namespace: "my-ns",
        serviceAccount: "my-sa",
        pod: "my-pod",
        rules: [readPods],
    };
    const asDeclared = { ...workloadObjects(w), rules: { "my-ns": [readPods] } };
    let close: (() => void) | undefined;
    afterEach(() => close?.());

    /** The admin's kubeconfig of a fake cluster set up with `args`, closed after the test. */
    async function adminOf(args: FakeRbacClusterArgs): Promise<k8s.KubeConfig> {
        const cluster = await fakeRbacCluster(args);
        close = cluster.close;
        return cluster.admin;
    }
    /** verifyWorkload's checks of `workload` on a fake cluster set up with `args`. */
    async function checksOn(
        args: FakeRbacClusterArgs,
        workload: WorkloadNames = w,
    ): Promise<Check[]> {
        return verifyWorkload(await adminOf(args), workload);
    }
    const row = (checks: readonly Check[], check: string): Check => {
        const found = checks.find((c) => c.check === check);
        assert.ok(found, `no row "${check}" in ${checks.map((c) => c.check).join("; ")}`);
        return found;
    };
    const failures = (checks: readonly Check[]) =>
        checks.filter((c) => !c.ok).map((c) => [c.check, c.expected, c.actual]);

    it("passes a workload whose token may do exactly what its rules declare", async () => {
        const checks = await checksOn(asDeclared);
        assert.deepEqual(failures(checks), []);
        assert.deepEqual(
            checks.filter((c) => c.note).map((c) => c.actual),
            ["skipped: it runs on node-000000, a kwok node that runs no containers"],
        );
        assert.equal(checks.filter((c) => !c.note).length, 27);
    });

    it("fails a verb the cluster grants past the declared rules, and lists it", async () => {
        const widened = { ...readPods, verbs: [...readPods.verbs, "delete"] };
        const checks = await checksOn({ ...asDeclared, rules: { "my-ns": [widened] } });
        assert.deepEqual(failures(checks), [
            ["token may delete pods in my-ns", "denied", "allowed"],
            [
                "token's rules in my-ns, as the API server lists them",
                "the declared ones only",
                "also delete pods",
            ],
        ]);
    });

    it("fails a declared grant the cluster does not give", async () => {
        const checks = await checksOn({ ...asDeclared, rules: {} });
        assert.deepEqual(
            failures(checks).map(([check]) => check),
            [
                "token may get pods in my-ns",
                "token may list pods in my-ns",
                "token may watch pods in my-ns",
                "token lists pods in my-ns (real request)",
            ],
        );
    });

    it("fails the rules review on a grant no probe asks about", async () => {
        const configmaps = { apiGroups: [""], resources: ["configmaps"], verbs: ["get"] };
        const checks = await checksOn({
            ...asDeclared,
            rules: { "my-ns": [readPods, configmaps] },
        });
        assert.deepEqual(failures(checks), [
            [
                "token's rules in my-ns, as the API server lists them",
                "the declared ones only",
                "also get configmaps",
            ],
        ]);
    });

    it("says, counted neither way, that an incomplete rules review proves nothing", async () => {
        const checks = await checksOn({ ...asDeclared, incomplete: "webhook" });
        const listed = row(checks, "token's rules in my-ns, as the API server lists them");
        assert.deepEqual(
            [listed.actual, listed.note, listed.ok],
            ["not proven: the list is incomplete (webhook)", true, true],
        );
    });

    it("fails a group's cluster-wide grant in kube-system's list too", async () => {
        // A ClusterRoleBinding of system:serviceaccounts to cluster-admin grants everywhere.
        const checks = await checksOn({
            ...asDeclared,
            clusterRules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
        });
        const kubeSystem = row(
            checks,
            "token's rules in kube-system, as the API server lists them",
        );
        assert.deepEqual(
            [kubeSystem.expected, kubeSystem.actual, kubeSystem.ok],
            ["only what every account may", "also * *.*", false],
        );
    });

    it("fails a URL granted past what every account may, in both lists", async () => {
        const checks = await checksOn({
            ...asDeclared,
            urls: [{ nonResourceURLs: ["/metrics"], verbs: ["get"] }],
        });
        assert.deepEqual(
            failures(checks).map(([check, , actual]) => `${check}: ${actual}`),
            [
                "token's rules in my-ns, as the API server lists them: also get /metrics",
                "token's rules in kube-system, as the API server lists them: also get /metrics",
            ],
        );
    });

    describe("bindings of the service account elsewhere", () => {
        const check = "bindings of the service account outside my-ns";
        const binding = (
            namespace: string | undefined,
            name: string,
            subject: k8s.RbacV1Subject,
        ): k8s.V1RoleBinding => ({
            metadata: { name, namespace },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
            subjects: [subject],
        });
        const sa = { kind: "ServiceAccount", name: "my-sa", namespace: "my-ns" };

        it("names each binding of the service account outside its namespace", async () => {
            const checks = await checksOn({
                ...asDeclared,
                roleBindings: [
                    binding("prod", "leak", sa),
                    binding("my-ns", "my-sa", { ...sa, namespace: undefined }),
                    binding("other", "own-sa", { ...sa, namespace: undefined }),
                    binding("other", "someone", { ...sa, name: "other-sa" }),
                ],
                clusterRoleBindings: [
                    binding(undefined, "as-user", {
                        kind: "User",
                        name: "system:serviceaccount:my-ns:my-sa",
                    }),
                    binding(undefined, "everyone", {
                        kind: "Group",
                        name: "system:serviceaccounts",
                    }),
                ],
            });
            const found = row(checks, check);
            assert.deepEqual(
                [found.expected, found.actual, found.ok],
                [
                    "none",
                    "RoleBinding prod/leak -> ClusterRole admin, ClusterRoleBinding as-user -> ClusterRole admin",
                    false,
                ],
            );
        });

        it("passes when the only binding is the one in its namespace", async () => {
            const checks = await checksOn({
                ...asDeclared,
                roleBindings: [binding("my-ns", "my-sa", sa)],
            });
            assert.deepEqual([row(checks, check).actual, row(checks, check).ok], ["none", true]);
        });

        it("reviews the token's rules in each namespace where a RoleBinding names a group it is in", async () => {
            const group = (name: string) => ({ kind: "Group", name });
            const checks = await checksOn({
                ...asDeclared,
                rules: {
                    ...asDeclared.rules,
                    other: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["update"] }],
                },
                roleBindings: [
                    binding("other", "namespace-accounts", group("system:serviceaccounts:my-ns")),
                    binding("quiet", "all-accounts", group("system:serviceaccounts")),
                    binding("users", "everyone", group("system:authenticated")),
                    binding("ignored", "people", group("developers")),
                    binding("ignored", "elsewhere", group("system:serviceaccounts:ignored")),
                ],
            });
            const other = row(checks, "token's rules in other, as the API server lists them");
            assert.deepEqual([other.actual, other.ok], ["also update configmaps", false]);
            for (const namespace of ["quiet", "users"]) {
                const review = row(
                    checks,
                    `token's rules in ${namespace}, as the API server lists them`,
                );
                assert.deepEqual([review.actual, review.ok], ["only what every account may", true]);
            }
            assert.ok(!checks.some((c) => c.check.includes("token's rules in ignored")));
        });

        it("says, counted neither way, that they are not proven where listing is forbidden", async () => {
            const checks = await checksOn({
                ...asDeclared,
                forbidden: ["GET /apis/rbac.authorization.k8s.io/v1/rolebindings"],
            });
            const found = row(checks, check);
            assert.deepEqual(
                [found.actual, found.note, found.ok],
                ["not proven: may not list rolebindings in all namespaces", true, true],
            );
        });
    });

    describe("grants limited to names", () => {
        const appConfig = {
            apiGroups: [""],
            resources: ["configmaps"],
            verbs: ["get", "update"],
            resourceNames: ["app-config"],
        };
        const named = { ...w, rules: [readPods, appConfig] };

        it("checks each declared verb on each name, and the common verbs a name may not have", async () => {
            const checks = await checksOn(
                { ...asDeclared, rules: { "my-ns": [readPods, appConfig] } },
                named,
            );
            assert.deepEqual(failures(checks), []);
            const onName = checks
                .filter((c) => c.check.includes("configmaps/app-config"))
                .map((c) => `${c.check}: ${c.expected}`);
            assert.deepEqual(onName, [
                "token may get configmaps/app-config in my-ns: allowed",
                "token may update configmaps/app-config in my-ns: allowed",
                "token may patch configmaps/app-config in my-ns: denied",
                "token may delete configmaps/app-config in my-ns: denied",
            ]);
            assert.equal(row(checks, "token may get configmaps in my-ns").expected, "denied");
        });

        it("fails a named grant the cluster does not give", async () => {
            const checks = await checksOn(asDeclared, named);
            assert.deepEqual(failures(checks), [
                ["token may get configmaps/app-config in my-ns", "allowed", "denied"],
                ["token may update configmaps/app-config in my-ns", "allowed", "denied"],
            ]);
        });
    });

    it("asks about a subresource apart from its resource, as the authorizer matches */exec", async () => {
        const everyExec = { apiGroups: [""], resources: ["*/exec"], verbs: ["create"] };
        const checks = await checksOn({ ...asDeclared, clusterRules: [everyExec] });
        assert.deepEqual(failures(checks)[0], [
            "token may create pods/exec in my-ns",
            "denied",
            "allowed",
        ]);
    });

    it("probes what an escalation would use, each denied unless declared", async () => {
        const exec = { apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] };
        const declared = { ...w, rules: [readPods, exec] };
        const checks = await checksOn(
            { ...asDeclared, rules: { "my-ns": [readPods, exec] } },
            declared,
        );
        assert.deepEqual(failures(checks), []);
        const expected = (check: string): string => row(checks, `token may ${check}`).expected;
        assert.deepEqual(
            [
                "create pods/exec in my-ns",
                "create serviceaccounts/token in my-ns",
                "impersonate serviceaccounts in my-ns",
                "bind roles.rbac.authorization.k8s.io in my-ns",
                "escalate roles.rbac.authorization.k8s.io in my-ns",
                "list secrets in my-ns",
            ].map(expected),
            ["allowed", "denied", "denied", "denied", "denied", "denied"],
        );
    });

    describe("every workload of a stack", () => {
        const gone: WorkloadNames = {
            namespace: "gone-ns",
            serviceAccount: "gone-sa",
            pod: "gone-pod",
            rules: [readPods],
        };

        it("turns a workload whose pod is gone into one failed row and checks the next", async () => {
            const admin = await adminOf({
                ...asDeclared,
                serviceAccounts: [
                    ...(asDeclared.serviceAccounts ?? []),
                    ...(workloadObjects(gone).serviceAccounts ?? []),
                ],
            });
            const { checks, exitCode } = await verifyWorkloads(admin, [gone, w]);
            assert.deepEqual(
                checks.filter((c) => c.workload === "gone-ns"),
                [
                    {
                        workload: "gone-ns",
                        check: "checks could run",
                        expected: "yes",
                        actual: 'no: pods "gone-pod" not found (HTTP 404)',
                        ok: false,
                    },
                ],
            );
            assert.deepEqual(
                checks.filter((c) => c.workload === "my-ns" && !c.ok),
                [],
            );
            assert.equal(checks.filter((c) => c.workload === "my-ns").length, 28);
            assert.equal(exitCode, 1);
        });

        it("keeps a workload's rows up to a refused token request, and says why it stopped", async () => {
            const tokenPath = "/api/v1/namespaces/my-ns/serviceaccounts/my-sa/token";
            const admin = await adminOf({
                ...asDeclared,
                forbidden: [`POST ${tokenPath}`],
            });
            const { checks, exitCode } = await verifyWorkloads(admin, [w]);
            assert.deepEqual(
                checks.map((c) => c.check),
                [
                    "pod my-pod is running and ready",
                    "pod my-pod runs as the service account",
                    "standard API token mounted by admission",
                    "service account does not automount tokens",
                    "checks could run",
                ],
            );
            assert.equal(
                checks.at(-1)?.actual,
                `no: ${tokenPath} is forbidden to the admin (HTTP 403)`,
            );
            assert.equal(exitCode, 1);
        });

        it("lists the cluster's bindings once for all workloads", async () => {
            const other: WorkloadNames = { ...w, namespace: "other-ns" };
            const cluster = await fakeRbacCluster({
                pods: [...workloadObjects(w).pods!, ...workloadObjects(other).pods!],
                serviceAccounts: [
                    ...workloadObjects(w).serviceAccounts!,
                    ...workloadObjects(other).serviceAccounts!,
                ],
                nodes: workloadObjects(w).nodes,
                rules: { "my-ns": [readPods], "other-ns": [readPods] },
            });
            close = cluster.close;
            const { checks, exitCode } = await verifyWorkloads(cluster.admin, [w, other]);
            assert.deepEqual(failures(checks), []);
            assert.equal(exitCode, 0);
            const lists = cluster.requests.filter((r) => r.endsWith("rolebindings"));
            assert.deepEqual(lists, [
                "GET /apis/rbac.authorization.k8s.io/v1/rolebindings",
                "GET /apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            ]);
        });

        it("exits zero when every workload passes", async () => {
            const admin = await adminOf(asDeclared);
            const { checks, exitCode } = await verifyWorkloads(admin, [w]);
            assert.equal(checks.length, 28);
            assert.equal(exitCode, 0);
        });

        it("exits one when a single check fails", async () => {
            const admin = await adminOf({ ...asDeclared, rules: {} });
            assert.equal((await verifyWorkloads(admin, [w])).exitCode, 1);
        });
    });
});

describe("verify's report", () => {
    it("names an API error by its Status message and HTTP code, on one line", () => {
        const error = Object.assign(
            new Error("HTTP-Code: 404\nMessage: ...\nBody: ...\nHeaders: ..."),
            {
                code: 404,
                body: JSON.stringify({
                    kind: "Status",
                    message: 'pods "my-pod" not found',
                    code: 404,
                }),
            },
        );
        assert.equal(errorMessage(error), 'pods "my-pod" not found (HTTP 404)');
        assert.equal(
            errorMessage(Object.assign(new Error("x"), { code: 502, body: "<html>" })),
            "HTTP 502",
        );
        assert.equal(errorMessage(new Error("connect ECONNREFUSED")), "connect ECONNREFUSED");
    });

    it("prints each note as its workload, its check and what it says", () => {
        const report = formatReport([
            { workload: "my-ns", check: "a", expected: "x", actual: "x", ok: true },
            {
                workload: "my-ns",
                check: "in-pod checks (exec)",
                expected: "run",
                actual: "skipped: the pod is Pending",
                note: true,
                ok: true,
            },
        ]).split("\n");
        assert.deepEqual(report.slice(-2), [
            "verify: all 1 checks passed",
            "verify: my-ns: in-pod checks (exec): skipped: the pod is Pending",
        ]);
    });

    it("counts the failed checks, leaving notes out", () => {
        const report = formatReport([
            { workload: "my-ns", check: "a", expected: "x", actual: "y", ok: false },
            { workload: "my-ns", check: "b", expected: "x", actual: "x", ok: true },
        ]);
        assert.match(report, /\nverify: 1 of 2 checks failed$/);
    });
});
