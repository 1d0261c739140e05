import * as assert from "node:assert/strict";

import { BASELINE_CAPABILITIES } from "../../policy/rules/pod-security";
import { only, TYPES } from "../helpers/outputs";
import { newWorkload } from "../helpers/workload";

describe("restricted profile", () => {
    it("runs as a non-root user with the runtime's seccomp profile", async () => {
        await newWorkload();
        assert.deepEqual(only(TYPES.pod).inputs.spec.securityContext, {
            runAsNonRoot: true,
            runAsUser: 101,
            runAsGroup: 101,
            fsGroup: 101,
            seccompProfile: { type: "RuntimeDefault" },
        });
    });

    it("drops every capability, privilege escalation and the writable root filesystem", async () => {
        await newWorkload();
        assert.deepEqual(only(TYPES.pod).inputs.spec.containers[0].securityContext, {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            privileged: false,
            capabilities: { drop: ["ALL"] },
        });
    });

    it("gives nginx an emptyDir at /tmp, the only path the unprivileged build writes", async () => {
        await newWorkload();
        const spec = only(TYPES.pod).inputs.spec;
        assert.deepEqual(spec.containers[0].volumeMounts, [
            { name: "writable-0", mountPath: "/tmp" },
        ]);
        assert.deepEqual(spec.volumes, [{ name: "writable-0", emptyDir: { sizeLimit: "64Mi" } }]);
    });

    it("audits and warns at restricted too", async () => {
        await newWorkload();
        const labels = only(TYPES.namespace).inputs.metadata.labels;
        assert.equal(labels["pod-security.kubernetes.io/audit"], "restricted");
        assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted");
    });

    it("runs as a user of the caller's choosing", async () => {
        await newWorkload({ runAsUser: 2000 });
        const context = only(TYPES.pod).inputs.spec.securityContext;
        assert.equal(context.runAsUser, 2000);
        assert.equal(context.runAsNonRoot, true);
    });
});

describe("baseline profile", () => {
    it("enforces baseline on the namespace and still audits and warns at restricted", async () => {
        await newWorkload({ podSecurity: "baseline" });
        const labels = only(TYPES.namespace).inputs.metadata.labels;
        assert.equal(labels["pod-security.kubernetes.io/enforce"], "baseline");
        assert.equal(labels["pod-security.kubernetes.io/audit"], "restricted");
        assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted");
    });

    it("runs stock nginx on port 80 as the image's own user", async () => {
        await newWorkload({ podSecurity: "baseline" });
        const spec = only(TYPES.pod).inputs.spec;
        assert.equal(spec.containers[0].image, "nginx:1.27.4-alpine");
        assert.equal(spec.containers[0].ports[0].containerPort, 80);
        assert.deepEqual(spec.securityContext, {
            runAsNonRoot: false,
            seccompProfile: { type: "RuntimeDefault" },
        });
    });

    it("adds back only capabilities that baseline allows", async () => {
        await newWorkload({ podSecurity: "baseline" });
        const capabilities = only(TYPES.pod).inputs.spec.containers[0].securityContext.capabilities;
        assert.deepEqual(capabilities.drop, ["ALL"]);
        // The Pod Security Standards' baseline list of capabilities that may be added.
        const allowed: readonly string[] = BASELINE_CAPABILITIES;
        for (const cap of capabilities.add!) assert.ok(allowed.includes(cap), cap);
    });

    it("gives stock nginx writable cache and run directories", async () => {
        await newWorkload({ podSecurity: "baseline" });
        const mounts = only(TYPES.pod).inputs.spec.containers[0].volumeMounts;
        assert.deepEqual(
            mounts.map((m) => m.mountPath),
            ["/var/cache/nginx", "/run"],
        );
    });
});
