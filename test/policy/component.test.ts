import * as assert from "node:assert/strict";

import { POD_SECURITY_LEVELS } from "../../components/defaults";
import { KNOWN_VERBS } from "../../components/rbac";
import { TOKEN_MODES } from "../../components/token";
import { type PolicyRule, workloadProblems } from "../../components/workload-schema";
import { POLICIES } from "../../policy/policies";
import { StackResource } from "../../policy/rules/values";
import { newWorkload } from "../helpers/workload";
import { renderedStack } from "./fixtures";

/** Every violation of the stack, keyed by policy name, for the policies of one level. */
function violations(stack: readonly StackResource[], level: string): Record<string, string[]> {
    const found: Record<string, string[]> = {};
    for (const policy of POLICIES.filter((p) => p.enforcementLevel === level)) {
        const messages =
            policy.kind === "stack"
                ? policy.check(stack)
                : stack.flatMap((r) => policy.check(r.type, r.props));
        if (messages.length > 0) found[policy.name] = messages;
    }
    return found;
}

describe("the policy pack on the component's own output", () => {
    for (const podSecurity of POD_SECURITY_LEVELS) {
        for (const mode of TOKEN_MODES) {
            for (const legacyTokenSecret of [false, true]) {
                const args = { podSecurity, token: { mode }, legacyTokenSecret };
                it(`passes every mandatory policy with ${JSON.stringify(args)}`, async () => {
                    await newWorkload(args);
                    const stack = renderedStack();
                    // Namespace, ServiceAccount, Role, RoleBinding, Pod and maybe the Secret.
                    assert.equal(stack.length, legacyTokenSecret ? 6 : 5);
                    assert.deepEqual(violations(stack, "mandatory"), {});
                });
            }
        }
    }

    it("gives the restricted profile's output no advice either", async () => {
        await newWorkload();
        assert.deepEqual(violations(renderedStack(), "advisory"), {});
    });

    it("advises that the baseline profile's pod may run as root", async () => {
        await newWorkload({ podSecurity: "baseline" });
        const advice = violations(renderedStack(), "advisory");
        assert.deepEqual(Object.keys(advice), ["pod-runs-as-non-root"]);
        assert.ok(advice["pod-runs-as-non-root"][0].includes("may run as root"));
    });

    it("passes two workloads of different profiles in one stack", async () => {
        await newWorkload({ namespace: "team-a" }, "a");
        await newWorkload({ namespace: "team-b", podSecurity: "baseline" }, "b");
        assert.deepEqual(violations(renderedStack(), "mandatory"), {});
    });

    describe("for every config the schema accepts, nothing the commands' pack would block", () => {
        // Rules from every verb (and "*") on resources that matter to the pack: each rule the
        // schema takes goes into one Role, whose output must pass every mandatory policy but
        // rbac-no-wildcards, which allowWildcards leaves to the pack.
        const targets: [string, string][] = [
            ["", "pods"],
            ["", "pods/log"],
            ["", "pods/exec"],
            ["", "pods/attach"],
            ["", "pods/ephemeralcontainers"],
            ["", "secrets"],
            ["", "configmaps"],
            ["", "serviceaccounts"],
            ["", "serviceaccounts/token"],
            ["", "replicationcontrollers"],
            ["", "*"],
            ["", "*/exec"],
            ["", "*/status"],
            ["apps", "deployments"],
            ["batch", "jobs"],
            ["rbac.authorization.k8s.io", "roles"],
            ["rbac.authorization.k8s.io", "rolebindings"],
            ["authentication.k8s.io", "users"],
            ["*", "configmaps"],
            ["*", "*"],
        ];
        const candidates: PolicyRule[] = targets.flatMap(([group, resource]) =>
            [...KNOWN_VERBS, "*" as const].map((verb) => ({
                apiGroups: [group],
                resources: [resource],
                verbs: [verb],
            })),
        );

        for (const allowWildcards of [false, true]) {
            it(`passes every rule it takes${allowWildcards ? " with allowWildcards" : ""}`, async () => {
                const taken = candidates.filter(
                    (rule) => workloadProblems({ rules: [rule], allowWildcards }, "w").length === 0,
                );
                // Enough taken and refused that the property says something either way.
                assert.ok(
                    taken.length >= 60 && taken.length < candidates.length - 60,
                    String(taken.length),
                );
                await newWorkload({ rules: taken, allowWildcards });
                const found = violations(renderedStack(), "mandatory");
                if (allowWildcards) {
                    assert.ok(found["rbac-no-wildcards"], "no wildcard rule was taken");
                    delete found["rbac-no-wildcards"];
                }
                assert.deepEqual(found, {});
            });
        }

        it("refuses each config that the mandatory policies would block in the middle of npm run up", () => {
            const rule = (fields: Partial<PolicyRule>): PolicyRule => ({
                apiGroups: [""],
                resources: ["pods"],
                verbs: ["get"],
                ...fields,
            });
            const blocked = [
                { rules: [rule({ resources: ["secrets"] })] },
                {
                    rules: [
                        rule({
                            apiGroups: ["rbac.authorization.k8s.io"],
                            resources: ["roles"],
                            verbs: ["escalate"],
                        }),
                    ],
                },
                {
                    rules: [
                        rule({
                            apiGroups: ["rbac.authorization.k8s.io"],
                            resources: ["roles"],
                            verbs: ["bind"],
                        }),
                    ],
                },
                { rules: [rule({ resources: ["serviceaccounts"], verbs: ["impersonate"] })] },
                { rules: [rule({ resources: ["pods/exec"], verbs: ["create"] })] },
                { rules: [rule({ verbs: ["create"] })] },
                {
                    rules: [
                        rule({
                            apiGroups: ["apps"],
                            resources: ["deployments"],
                            verbs: ["create"],
                        }),
                    ],
                },
                { rules: [rule({ resources: ["serviceaccounts/token"], verbs: ["create"] })] },
                { rules: [rule({ verbs: ["*"] })], allowWildcards: true },
                { resources: { limits: { memory: "512Mi" } } },
                { resources: { limits: { cpu: "100m", memory: "64Mi" } } },
                { resources: { requests: { cpu: "100m", memory: "64Mi" } } },
                { resources: {} },
                { resources: { requests: { memory: "64Mi" }, limits: { memory: "64Mi" } } },
            ];
            for (const args of blocked) {
                // What the policies make of it, had the schema let it through...
                const blocking = policiesBlocking(args);
                assert.ok(blocking.length > 0, `no policy blocks ${JSON.stringify(args)}`);
                // ...is refused before anything is registered.
                assert.ok(workloadProblems(args, "w").length > 0, JSON.stringify(args));
            }
        });
    });
});

/**
 * The mandatory policies that block `args`, judged on the Role and Pod the component would make of
 * them (built here from the args, since the component refuses them).
 */
function policiesBlocking(args: { rules?: readonly PolicyRule[]; resources?: object }): string[] {
    const props = {
        metadata: { name: "my-sa", namespace: "my-ns" },
        rules: args.rules ?? [],
    };
    const pod = {
        metadata: { name: "my-pod", namespace: "my-ns" },
        spec: { containers: [{ name: "my-pod", resources: args.resources ?? {} }] },
    };
    const stack: StackResource[] = [
        { type: "kubernetes:rbac.authorization.k8s.io/v1:Role", name: "role", props },
        ...(args.resources ? [{ type: "kubernetes:core/v1:Pod", name: "pod", props: pod }] : []),
    ];
    return Object.keys(violations(stack, "mandatory"));
}
