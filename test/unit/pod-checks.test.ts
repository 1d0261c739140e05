import * as assert from "node:assert/strict";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";

import type * as k8s from "@kubernetes/client-node";
import { KubeConfig } from "@kubernetes/client-node";

import {
    capabilityMask,
    ExecResult,
    inPodRows,
    jwtClaims,
    PodExec,
    podExec,
    tokenPlacement,
} from "../../scripts/lib/pod-checks";

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

describe("in-pod checks against a pod", () => {
    // No API server answers here: reading the node fails, and the checks go on to exec.
    const admin = new KubeConfig();
    admin.loadFromClusterAndUser(
        { name: "closed", server: "https://127.0.0.1:1", skipTLSVerify: true },
        { name: "nobody" },
    );
    const running: k8s.V1Pod = {
        metadata: { name: "my-pod", namespace: "my-ns" },
        spec: {
            nodeName: "node-1",
            serviceAccountName: "my-sa",
            securityContext: { runAsUser: 101 },
            containers: [
                {
                    name: "my-pod",
                    ports: [{ name: "http", containerPort: 8080 }],
                    securityContext: {
                        readOnlyRootFilesystem: true,
                        allowPrivilegeEscalation: false,
                        capabilities: { drop: ["ALL"] },
                    },
                    volumeMounts: [
                        {
                            name: "kube-api-access-x",
                            mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
                        },
                    ],
                },
            ],
        },
        status: { phase: "Running" },
    };
    const proc = [
        "Uid:\t101\t101\t101\t101",
        "CapEff:\t0000000000000000",
        "NoNewPrivs:\t1",
        "Seccomp:\t2",
        "overlay / overlay ro,relatime 0 0",
    ].join("\n");
    const token = jwt({ aud: ["https://kubernetes.default.svc"], iat: 0, exp: 3607 });
    const use = {
        whoAmI: () => Promise.resolve("system:serviceaccount:my-ns:my-sa"),
        listSecrets: () => Promise.resolve("403 Forbidden"),
    };
    const answers = (byCommand: Record<string, ExecResult | Error>) => (): PodExec => (command) => {
        const answer = byCommand[command[0]];
        if (answer instanceof Error) return Promise.reject(answer);
        return Promise.resolve(answer ?? { code: 127, stdout: "", stderr: "not found" });
    };
    const ok = (stdout: string): ExecResult => ({ code: 0, stdout, stderr: "" });
    /** A pod whose /proc/1/status and /proc/mounts read `status`, its token file `token`. */
    const inPodWith = (status: string) => (): PodExec => (command) =>
        Promise.resolve(
            command[0] === "cat"
                ? ok(command[1] === "/proc/1/status" ? status : `${token}\n`)
                : command[0] === "wget"
                  ? ok("")
                  : { code: 1, stdout: "", stderr: "" },
        );
    const SECURITY_CHECKS = [
        "nginx runs as user (inside the pod)",
        "root filesystem (inside the pod)",
        "effective capabilities (inside the pod)",
        "no new privileges, seccomp filter (inside the pod)",
    ];
    const rows = (makeExec: () => PodExec) =>
        inPodRows(
            admin,
            running,
            ["https://kubernetes.default.svc"],
            "403 Forbidden",
            use,
            makeExec,
        );

    it("says why, in one skipped row, when the pod cannot be exec'd into", async () => {
        const result = await rows(answers({ cat: new Error("upgrade request forbidden") }));
        assert.equal(result.length, 1);
        assert.equal(result[0].note, true);
        assert.match(
            result[0].actual,
            /^skipped: cannot exec into my-ns\/my-pod: upgrade request forbidden$/,
        );
    });

    it("fails, not skips, the in-pod checks when exec into a running pod breaks otherwise", async () => {
        const result = await rows(answers({ cat: new Error("connection reset by peer") }));
        assert.equal(result.length, 1);
        assert.ok(!result[0].note, "left out of the count as a note");
        assert.equal(
            result[0].actual,
            "failed: cannot exec into my-ns/my-pod: connection reset by peer",
        );
    });

    it("skips a pod that is not running, without trying exec", async () => {
        const result = await inPodRows(
            admin,
            { ...running, status: { phase: "Pending" } },
            [],
            "403 Forbidden",
            use,
            answers({}),
        );
        assert.deepEqual(
            result.map((r) => r.actual),
            ["skipped: the pod is Pending"],
        );
    });

    it("turns a later exec that fails into a failed row, not a crash", async () => {
        const result = await rows(
            answers({ cat: ok(proc), wget: new Error("no answer within 15 s") }),
        );
        const http = result.find((r) => r.check.startsWith("nginx answers"));
        assert.equal(http?.actual, "failed: no answer within 15 s");
    });

    it("fails each in-pod check that /proc contradicts: root, a writable root, capabilities, no seccomp", async () => {
        const root = [
            "Uid:\t0\t0\t0\t0",
            "CapEff:\t00000000a80425fb",
            "NoNewPrivs:\t0",
            "Seccomp:\t0",
            "overlay / overlay rw,relatime 0 0",
        ].join("\n");
        const failed = (await rows(inPodWith(root))).filter((r) => r.expected !== r.actual);
        assert.deepEqual(
            failed.map((r) => r.check),
            SECURITY_CHECKS,
        );
    });

    it("checks user, root, capabilities, the token file and the token's own identity", async () => {
        const result = await rows(inPodWith(proc));
        assert.deepEqual(
            result.filter((r) => r.expected !== r.actual),
            [],
        );
        assert.deepEqual(
            result.map((r) => r.check),
            [
                ...SECURITY_CHECKS,
                "nginx answers on port 8080 (inside the pod)",
                "automount token file at /var/run/secrets/kubernetes.io/serviceaccount/token",
                "token audience (JWT aud)",
                "the pod's own token authenticates as",
                "the pod's own token lists secrets in my-ns",
            ],
        );
    });
});

describe("in-pod checks where the API server refuses exec", () => {
    // An API server answers the exec's upgrade request of a user without pods/exec with 403 and a
    // Status; the client rejects with the `ws` library's ErrorEvent, which is not an Error.
    const server = createServer((_req, res) => {
        res.statusCode = 403;
        res.setHeader("content-type", "application/json");
        res.end(
            JSON.stringify({
                kind: "Status",
                status: "Failure",
                reason: "Forbidden",
                code: 403,
                message:
                    'pods "my-pod" is forbidden: User "dev" cannot create resource "pods/exec"',
            }),
        );
    });
    const admin = new KubeConfig();
    before(async () => {
        await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
        const { port } = server.address() as AddressInfo;
        admin.loadFromClusterAndUser(
            { name: "refusing", server: `http://127.0.0.1:${port}`, skipTLSVerify: true },
            { name: "dev", token: "t" },
        );
    });
    after(() => {
        server.closeAllConnections();
        server.close();
    });
    const running: k8s.V1Pod = {
        metadata: { name: "my-pod", namespace: "my-ns" },
        spec: { nodeName: "node-1", serviceAccountName: "my-sa", containers: [{ name: "my-pod" }] },
        status: { phase: "Running" },
    };
    const use = {
        whoAmI: () => Promise.reject(new Error("not reached")),
        listSecrets: () => Promise.reject(new Error("not reached")),
    };

    it("rejects with the message of the refused upgrade, not [object Object]", async () => {
        await assert.rejects(podExec(admin, "my-ns", "my-pod", "my-pod")(["true"]), {
            message: "Unexpected server response: 403",
        });
    });

    it("says, in one skipped row, that exec was refused", async () => {
        const rows = await inPodRows(admin, running, [], "403 Forbidden", use);
        assert.deepEqual(rows, [
            {
                check: "in-pod checks (exec)",
                expected: "run",
                actual: "skipped: cannot exec into my-ns/my-pod: Unexpected server response: 403",
                note: true,
            },
        ]);
    });
});
