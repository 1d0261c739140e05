import * as assert from "node:assert/strict";

import { POD_SECURITY_LEVELS } from "../../components/defaults";
import { TOKEN_MODES } from "../../components/token";
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
});
