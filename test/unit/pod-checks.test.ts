import * as assert from "node:assert/strict";

import type * as k8s from "@kubernetes/client-node";

import { capabilityMask, jwtClaims, tokenPlacement } from "../../scripts/lib/pod-checks";

const jwt = (claims: object): string =>
    ["{}", JSON.stringify(claims), "sig"]
        .map((p) => Buffer.from(p).toString("base64url"))
        .join(".");

const pod = (spec: Partial<k8s.V1PodSpec>): k8s.V1Pod => ({
    spec: { containers: [{ name: "my-pod", volumeMounts: [] }], ...spec },
});

describe("in-pod checks", () => {
    it("reads a token's audience and times from its JWT payload", () => {
        const claims = jwtClaims(`${jwt({ aud: ["vault"], iat: 100, exp: 3700 })}\n`);
        assert.deepEqual(claims, { aud: ["vault"], iat: 100, exp: 3700 });
    });

    it("expects no effective capabilities when the profile adds none", () => {
        assert.equal(capabilityMask([]), "0000000000000000");
    });

    it("expects exactly the baseline profile's five capabilities, as /proc shows CapEff", () => {
        assert.equal(
            capabilityMask(["CHOWN", "DAC_OVERRIDE", "NET_BIND_SERVICE", "SETGID", "SETUID"]),
            "00000000000004c3",
        );
    });

    it("finds the standard token directory of an automounted token", () => {
        const placement = tokenPlacement(
            pod({
                containers: [
                    {
                        name: "my-pod",
                        volumeMounts: [
                            {
                                name: "kube-api-access-x",
                                mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
                            },
                        ],
                    },
                ],
            }),
        );
        assert.deepEqual(placement, {
            mode: "automount",
            dir: "/var/run/secrets/kubernetes.io/serviceaccount",
            file: "/var/run/secrets/kubernetes.io/serviceaccount/token",
        });
    });

    it("finds a projected token's path, audience and lifetime in the pod spec", () => {
        const placement = tokenPlacement(
            pod({
                volumes: [
                    {
                        name: "service-account-token",
                        projected: {
                            sources: [
                                {
                                    serviceAccountToken: {
                                        path: "token",
                                        audience: "vault",
                                        expirationSeconds: 3600,
                                    },
                                },
                            ],
                        },
                    },
                ],
                containers: [
                    {
                        name: "my-pod",
                        volumeMounts: [
                            { name: "service-account-token", mountPath: "/var/run/secrets/vault" },
                        ],
                    },
                ],
            }),
        );
        assert.deepEqual(placement, {
            mode: "projected",
            dir: "/var/run/secrets/vault",
            file: "/var/run/secrets/vault/token",
            audience: "vault",
            expirationSeconds: 3600,
        });
    });

    it("finds no token in a pod that mounts none", () => {
        assert.deepEqual(tokenPlacement(pod({})), { mode: "none" });
    });
});
