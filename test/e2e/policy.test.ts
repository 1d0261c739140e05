/**
 * The policy pack in the engine, as PR checks run it: the dev stack passes; a stack that opts in
 * to a wildcard rule (which the program then accepts) is stopped by the pack.
 */
import * as assert from "node:assert/strict";

import { Stack } from "@pulumi/pulumi/automation";

import { policyPack } from "../../scripts/lib/policy";
import { e2eStack, errorText, namespaceExists, objectExists, TempBackend } from "../helpers/e2e";

const POLICY_PACK = policyPack();

describe("the policy pack on a live API server", () => {
    const backend = new TempBackend();
    const stacks: Stack[] = [];

    after(async () => {
        for (const stack of stacks)
            await stack.destroy({ runProgram: true }).catch(() => undefined);
        backend.dispose();
    });

    it("passes the dev stack's preview and up", async () => {
        const stack = await e2eStack(backend, "dev");
        stacks.push(stack);
        const preview = await stack.preview({ policyPacks: [POLICY_PACK] });
        assert.match(preview.stdout, /Policies:[\s\S]*sa-workload@v0\.1\.0/);
        assert.doesNotMatch(preview.stdout, /mandatory/);
        const up = await stack.up({ policyPacks: [POLICY_PACK] });
        assert.equal(up.summary.result, "succeeded");
        await stack.destroy({ runProgram: true });
    });

    it("blocks a wildcard rule that the program was told to accept", async () => {
        const stack = await e2eStack(backend, "e2e-policy", {
            "sa-workload:workloads": [
                {
                    namespace: "e2e-policy",
                    allowWildcards: true,
                    // Every group, one resource: a wildcard that grants nothing the pack's
                    // rbac-no-sensitive-access (which the program refuses) would block.
                    rules: [{ apiGroups: ["*"], resources: ["configmaps"], verbs: ["get"] }],
                },
            ],
        });
        stacks.push(stack);
        // Without the pack the program accepts it (the opt-in is set)...
        await stack.preview();
        // ...with it, the preview that PR checks run fails on the Role, naming the policy.
        const previewError = await stack.preview({ policyPacks: [POLICY_PACK] }).then(
            () => "",
            (error: unknown) => errorText(error),
        );
        assert.match(previewError, /rbac-no-wildcards/);
        assert.match(previewError, /mandatory/);
        assert.match(previewError, /Fix:/);
        assert.ok(!namespaceExists("e2e-policy"), "a blocked preview created something");

        // And an update with the pack never creates the Role.
        const upError = await stack.up({ policyPacks: [POLICY_PACK] }).then(
            () => "",
            (error: unknown) => errorText(error),
        );
        assert.match(upError, /rbac-no-wildcards/);
        assert.ok(!objectExists("role", "my-sa", "e2e-policy"));
        await stack.destroy({ runProgram: true });
        assert.ok(!namespaceExists("e2e-policy"));
    });
});
