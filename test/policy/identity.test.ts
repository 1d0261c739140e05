import * as assert from "node:assert/strict";

import { assertViolation, check, pod, serviceAccount, TYPES } from "./fixtures";

describe("service-account-no-automount", () => {
    const name = "service-account-no-automount";

    it("passes the component's service account", () => {
        assert.deepEqual(check(name, TYPES.serviceAccount, serviceAccount()), []);
    });

    it("flags a service account that automounts its token", () => {
        const sa = serviceAccount();
        sa.automountServiceAccountToken = true;
        assertViolation(
            check(name, TYPES.serviceAccount, sa),
            "automountServiceAccountToken is true",
        );
    });

    it("flags a service account that leaves automount to the default, which is true", () => {
        const sa = serviceAccount();
        delete sa.automountServiceAccountToken;
        assertViolation(
            check(name, TYPES.serviceAccount, sa),
            "automountServiceAccountToken is unset",
        );
    });
});

describe("pod-has-own-service-account", () => {
    const name = "pod-has-own-service-account";

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it(`flags a pod that runs as "default"`, () => {
        const p = pod();
        p.spec.serviceAccountName = "default";
        assertViolation(check(name, TYPES.pod, p), `serviceAccountName is "default"`);
    });

    it("flags a pod that names no service account", () => {
        const p = pod();
        delete p.spec.serviceAccountName;
        assertViolation(check(name, TYPES.pod, p), "serviceAccountName is unset");
    });
});

describe("pod-sets-token-automount", () => {
    const name = "pod-sets-token-automount";

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it("flags a pod that leaves the choice to its service account", () => {
        const p = pod();
        delete p.spec.automountServiceAccountToken;
        assertViolation(check(name, TYPES.pod, p), "leaves automountServiceAccountToken unset");
    });
});

describe("pod-projects-token-only-without-automount", () => {
    const name = "pod-projects-token-only-without-automount";
    const tokenVolume = {
        name: "service-account-token",
        projected: {
            sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 3600 } }],
        },
    };

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it("passes a projected token with automount off, as the projected token mode does", () => {
        const p = pod();
        p.spec.automountServiceAccountToken = false;
        p.spec.volumes.push(tokenVolume);
        assert.deepEqual(check(name, TYPES.pod, p), []);
    });

    it("flags a projected token on top of the automounted one", () => {
        const p = pod();
        p.spec.volumes.push(tokenVolume);
        assertViolation(
            check(name, TYPES.pod, p),
            `projected serviceAccountToken volume ("service-account-token")`,
            "automountServiceAccountToken is true",
        );
    });
});
