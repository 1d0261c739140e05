import * as assert from "node:assert/strict";

import { allow, allowRead, readPods } from "../../components";
import { only, TYPES } from "../helpers/outputs";
import { newWorkload } from "../helpers/workload";

describe("rule helpers", () => {
    it("allowRead grants get, list and watch in the core group", () => {
        assert.deepEqual(allowRead(["configmaps"]), {
            apiGroups: [""],
            resources: ["configmaps"],
            verbs: ["get", "list", "watch"],
        });
    });

    it("allow restricts a rule to named objects in a named group", () => {
        assert.deepEqual(
            allow(["get"], ["deployments"], { apiGroup: "apps", resourceNames: ["web"] }),
            {
                apiGroups: ["apps"],
                resources: ["deployments"],
                verbs: ["get"],
                resourceNames: ["web"],
            },
        );
    });

    it("gives a workload without rules readPods: get, list and watch on pods, nothing more", async () => {
        await newWorkload();
        const expected = [
            { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
        ];
        assert.deepEqual(only(TYPES.role).inputs.rules, expected);
        assert.deepEqual([readPods()], expected);
    });

    it("writes the caller's rules into the role unchanged", async () => {
        const rules = [
            allowRead(["pods", "pods/log"]),
            allow(["get"], ["configmaps"], { resourceNames: ["app"] }),
        ];
        await newWorkload({ rules });
        assert.deepEqual(only(TYPES.role).inputs.rules, rules);
    });

    it("creates a role with no rules when the caller grants nothing", async () => {
        await newWorkload({ rules: [] });
        assert.deepEqual(only(TYPES.role).inputs.rules, []);
    });

    it("accepts wildcards that imply no sensitive grant once the workload opts in", async () => {
        await newWorkload({
            allowWildcards: true,
            rules: [{ apiGroups: ["*"], resources: ["configmaps", "*/status"], verbs: ["*"] }],
        });
        assert.deepEqual(only(TYPES.role).inputs.rules[0].verbs, ["*"]);
    });
});
