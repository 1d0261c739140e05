import * as assert from "node:assert/strict";

import { type PolicyRule, workloadProblems } from "../../components/workload-schema";
import { refuses } from "../helpers/refuses";
import { newWorkload } from "../helpers/workload";

const rule: PolicyRule = { apiGroups: [""], resources: ["pods"], verbs: ["get"] };

describe("validation", () => {
    describe("what the policy pack would stop in the middle of npm run up", () => {
        const sensitive: [string, object, string][] = [
            ["any verb on secrets", { resources: ["secrets"], verbs: ["watch"] }, "secrets"],
            [
                "escalate",
                {
                    apiGroups: ["rbac.authorization.k8s.io"],
                    resources: ["roles"],
                    verbs: ["escalate"],
                },
                `remove "escalate"`,
            ],
            [
                "bind",
                { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["bind"] },
                `remove "bind"`,
            ],
            [
                "impersonate",
                { resources: ["serviceaccounts"], verbs: ["impersonate"] },
                `remove "impersonate"`,
            ],
            ["create on pods/exec", { resources: ["pods/exec"], verbs: ["create"] }, "pods/exec"],
            ["create on pods", { resources: ["pods"], verbs: ["create"] }, "create on pods"],
            [
                "create on deployments",
                { apiGroups: ["apps"], resources: ["deployments"], verbs: ["create"] },
                "create on deployments",
            ],
            [
                "create on serviceaccounts/token",
                { resources: ["serviceaccounts/token"], verbs: ["create"] },
                "serviceaccounts/token",
            ],
        ];
        for (const [what, fields, fix] of sensitive) {
            it(`refuses a rule granting ${what}, with the policy's reason and fix`, () => {
                const bad = { ...rule, ...fields };
                const error = refuses({ rules: [bad] }, "rules[0]", bad, fix);
                assert.match(error.message, /rbac-no-sensitive-access, mandatory/);
            });
        }

        it("refuses a sensitive grant that a wildcard implies, even with allowWildcards", () => {
            const bad = { ...rule, verbs: ["*"] };
            refuses({ rules: [bad], allowWildcards: true }, "rules[0]", bad, "create on pods");
        });

        it("says that allowWildcards does not get a wildcard past the pack that npm run up runs", () => {
            const bad = { ...rule, verbs: ["get", "*"] };
            const error = refuses({ rules: [bad] }, "rules[0].verbs", bad.verbs, "allowWildcards");
            const line = error.message.split("\n").find((l) => l.includes("rules[0].verbs"));
            assert.match(line ?? "", /rbac-no-wildcards, mandatory/);
            assert.match(line ?? "", /so they refuse it before anything is created/);
            assert.match(line ?? "", /--policy-pack-config/);
        });

        it("refuses resources that leave out cpu or memory, since they replace the defaults", () => {
            const limits = { memory: "512Mi" };
            const error = refuses(
                { resources: { limits } },
                "resources.limits",
                limits,
                "cpu and memory in both",
            );
            assert.match(error.message, /resources\.limits is \{"memory":"512Mi"\}: without cpu:/);
            assert.match(error.message, /resources\.requests is nothing: without cpu or memory/);
            assert.match(error.message, /pod-has-resources, mandatory/);
        });

        it("takes resources that give cpu and memory in both requests and limits", async () => {
            const both = { cpu: "100m", memory: "64Mi" };
            await newWorkload({ resources: { requests: both, limits: both } });
        });
    });

    describe("RBAC rules that can never grant anything", () => {
        it(`refuses an API version given as the group ("v1")`, () => {
            refuses(
                { rules: [{ ...rule, apiGroups: ["v1"] }] },
                "rules[0].apiGroups",
                ["v1"],
                `[""]`,
            );
            assert.equal(
                workloadProblems({ rules: [{ ...rule, apiGroups: ["v1beta1"] }] }, "w").length,
                1,
            );
        });

        for (const glob of ["po*", "*s", "pods/*"]) {
            it(`refuses the glob ${glob}, which RBAC reads as written`, () => {
                const bad = { ...rule, resources: [glob] };
                refuses({ rules: [bad] }, "rules[0].resources", [glob], `"*" only alone`);
            });
        }

        for (const [group, resource] of [
            ["", "nodes"],
            ["", "persistentvolumes"],
            ["rbac.authorization.k8s.io", "clusterroles"],
            ["storage.k8s.io", "storageclasses"],
        ]) {
            it(`refuses the cluster-scoped ${resource} in the workload's namespaced Role`, () => {
                const bad = { apiGroups: [group], resources: ["pods", resource], verbs: ["get"] };
                refuses({ rules: [bad] }, "rules[0].resources", resource, "own namespace");
            });
        }

        it("takes namespaces, which a Role grants on its own namespace", async () => {
            await newWorkload({ rules: [{ ...rule, resources: ["namespaces"] }] });
        });

        it("refuses resourceNames beside create or deletecollection, which no name limits", () => {
            const bad = { ...rule, verbs: ["get", "deletecollection"], resourceNames: ["a"] };
            refuses(
                { rules: [bad] },
                "rules[0].verbs",
                ["deletecollection"],
                "a rule of their own without resourceNames",
            );
        });

        it("takes a named create on a subresource, whose path names the object (port-forward to one pod)", async () => {
            const forward = {
                ...rule,
                resources: ["pods/portforward"],
                verbs: ["get", "create"] as const,
            };
            await newWorkload({ rules: [{ ...forward, resourceNames: ["my-pod"] }] });
        });

        it("takes resourceNames with verbs a name can limit, list and watch among them", async () => {
            const verbs = ["get", "list", "watch", "update"] as const;
            await newWorkload({ rules: [{ ...rule, verbs, resourceNames: ["a"] }] });
        });
    });
});
