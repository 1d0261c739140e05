import * as assert from "node:assert/strict";

import {
    ruleAccesses,
    ruleAllows,
    undeclaredGrants,
    undeclaredUrls,
} from "../../scripts/lib/verify";
import { formatTable } from "../../scripts/lib/verify-table";

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
