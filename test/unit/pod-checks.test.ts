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

/** The token volume of the component's projected mode: `token`, for an hour, for `audience`. */
const projectedToken = (audience?: string): k8s.V1Volume => ({
    name: "service-account-token",
    projected: {
        sources: [
            {
                serviceAccountToken: {
                    path: "token",
                    expirationSeconds: 3600,
                    ...(audience ? { audience } : {}),
                },
            },
        ],
    },
});

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

    it("reads the kube-api-access volume the API server adds for automount as automount, not as a projected token", () => {
        // As the ServiceAccount admission plugin writes an automounted token into the Pod.
        const volume = "kube-api-access-5x7k2";
        const placement = tokenPlacement(
            pod({
                volumes: [
                    {
                        name: volume,
                        projected: {
                            defaultMode: 420,
                            sources: [
                                { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
                                {
                                    configMap: {
                                        name: "kube-root-ca.crt",
                                        items: [{ key: "ca.crt", path: "ca.crt" }],
                                    },
                                },
                                {
                                    downwardAPI: {
                                        items: [
                                            {
                                                path: "namespace",
                                                fieldRef: {
                                                    apiVersion: "v1",
                                                    fieldPath: "metadata.namespace",
                                                },
                                            },
                                        ],
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
                            {
                                name: volume,
                                mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
                                readOnly: true,
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
                volumes: [projectedToken("vault")],
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
    const AUTOMOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    /**
     * A pod whose /proc/1/status and /proc/mounts read `status`, which holds exactly `files`
     * (path: content), and whose nginx answers.
     */
    const inPod = (status: string, files: Record<string, string>) => (): PodExec => (command) => {
        const [program, ...args] = command;
        if (program === "cat" && args[0] === "/proc/1/status") return Promise.resolve(ok(status));
        if (program === "cat") {
            const text = files[args[0]];
            return Promise.resolve(
                text === undefined
                    ? { code: 1, stdout: "", stderr: `cat: can't open '${args[0]}'` }
                    : ok(`${text}\n`),
            );
        }
        if (program === "wget") return Promise.resolve(ok(""));
        // sh -c "ls <files> 2>/dev/null; true": the ones that exist, one a line.
        const listed = /^ls (.*?) 2>/.exec(args[1] ?? "")?.[1].split(" ") ?? [];
        return Promise.resolve(ok(listed.filter((f) => f in files).join("\n")));
    };
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
            result.map((r) => [r.check, r.expected, r.actual]),
            [
                ["nginx runs as user (inside the pod)", "101", "101"],
                ["root filesystem (inside the pod)", "read-only", "read-only"],
                ["effective capabilities (inside the pod)", "0000000000000000", "0000000000000000"],
                [
                    "no new privileges, seccomp filter (inside the pod)",
                    "NoNewPrivs 1, Seccomp 2",
                    "NoNewPrivs 1, Seccomp 2",
                ],
                ["nginx answers on port 8080 (inside the pod)", "200 OK", "200 OK"],
                [
                    "automount token file at /var/run/secrets/kubernetes.io/serviceaccount/token",
                    "present",
                    "present",
                ],
                [
                    "token audience (JWT aud)",
                    "https://kubernetes.default.svc",
                    "https://kubernetes.default.svc",
                ],
                [
                    "the pod's own token authenticates as",
                    "system:serviceaccount:my-ns:my-sa",
                    "system:serviceaccount:my-ns:my-sa",
                ],
                ["the pod's own token lists secrets in my-ns", "403 Forbidden", "403 Forbidden"],
            ],
        );
    });

    it("fails the no-new-privileges row alone when only NoNewPrivs is 0", async () => {
        const escalating = proc.replace("NoNewPrivs:\t1", "NoNewPrivs:\t0");
        const failed = (await rows(inPodWith(escalating))).filter((r) => r.expected !== r.actual);
        assert.deepEqual(
            failed.map((r) => [r.check, r.expected, r.actual]),
            [
                [
                    "no new privileges, seccomp filter (inside the pod)",
                    "NoNewPrivs 1, Seccomp 2",
                    "NoNewPrivs 0, Seccomp 2",
                ],
            ],
        );
    });

    it("reads a writable root as writable, whatever its other mount options spell", async () => {
        const writable = proc.replace(
            "overlay / overlay ro,relatime 0 0",
            "overlay / overlay rw,relatime,lowerdir=/var/lib/ro-layers,errors=remount-ro 0 0",
        );
        const result = await rows(inPodWith(writable));
        const root = result.find((r) => r.check === "root filesystem (inside the pod)");
        assert.deepEqual([root?.expected, root?.actual], ["read-only", "writable"]);
    });

    it("fails the audience row for an automounted token that is not for this API server", async () => {
        const result = await inPodRows(
            admin,
            running,
            ["https://kubernetes.default.svc"],
            "403 Forbidden",
            use,
            inPod(proc, {
                [AUTOMOUNT_TOKEN]: jwt({ aud: ["https://elsewhere"], iat: 0, exp: 3607 }),
            }),
        );
        const audience = result.find((r) => r.check === "token audience (JWT aud)");
        assert.deepEqual(
            [audience?.expected, audience?.actual],
            ["https://kubernetes.default.svc", "https://elsewhere"],
        );
    });

    describe("a projected token", () => {
        const projected = (audience?: string): k8s.V1Pod => ({
            ...running,
            spec: {
                ...running.spec!,
                automountServiceAccountToken: false,
                volumes: [projectedToken(audience)],
                containers: [
                    {
                        ...running.spec!.containers[0],
                        volumeMounts: [
                            { name: "service-account-token", mountPath: "/var/run/secrets/tokens" },
                        ],
                    },
                ],
            },
        });
        const PROJECTED_TOKEN = "/var/run/secrets/tokens/token";
        const tokenRows = async (pod: k8s.V1Pod, claims: object, tokenUse = use) =>
            (
                await inPodRows(
                    admin,
                    pod,
                    ["https://kubernetes.default.svc"],
                    "403 Forbidden",
                    tokenUse,
                    inPod(proc, { [PROJECTED_TOKEN]: jwt(claims) }),
                )
            )
                .slice(SECURITY_CHECKS.length + 1)
                .map((r) => [r.check, r.expected, r.actual]);

        it("is read at its projected path, for the API server, with the lifetime it asked for", async () => {
            const aud = ["https://kubernetes.default.svc"];
            assert.deepEqual(await tokenRows(projected(), { aud, iat: 100, exp: 3700 }), [
                [`projected token file at ${PROJECTED_TOKEN}`, "present", "present"],
                [
                    "token audience (JWT aud)",
                    "https://kubernetes.default.svc",
                    "https://kubernetes.default.svc",
                ],
                ["token lifetime (JWT exp - iat)", "3600 s", "3600 s"],
                [
                    "the pod's own token authenticates as",
                    "system:serviceaccount:my-ns:my-sa",
                    "system:serviceaccount:my-ns:my-sa",
                ],
                ["the pod's own token lists secrets in my-ns", "403 Forbidden", "403 Forbidden"],
            ]);
        });

        it("is expected for its own audience, which the API server refuses, and fails a lifetime it did not ask for", async () => {
            // As the API server answers a token for another audience.
            const refused = {
                whoAmI: () => Promise.resolve("401 Unauthorized (not for the API server)"),
                listSecrets: () => Promise.reject(new Error("not asked")),
            };
            const claims = { aud: ["vault"], iat: 100, exp: 100 + 7200 };
            const result = await tokenRows(projected("vault"), claims, refused);
            assert.deepEqual(result, [
                [`projected token file at ${PROJECTED_TOKEN}`, "present", "present"],
                ["token audience (JWT aud)", "vault", "vault"],
                ["token lifetime (JWT exp - iat)", "3600 s", "7200 s"],
                [
                    "the pod's own token authenticates as",
                    "401 Unauthorized (not for the API server)",
                    "401 Unauthorized (not for the API server)",
                ],
            ]);
        });
    });

    describe("a pod that mounts no token", () => {
        const tokenless: k8s.V1Pod = {
            ...running,
            spec: {
                ...running.spec!,
                automountServiceAccountToken: false,
                containers: [{ ...running.spec!.containers[0], volumeMounts: [] }],
            },
        };
        const noTokenRow = async (files: Record<string, string>) =>
            (await inPodRows(admin, tokenless, [], "403 Forbidden", use, inPod(proc, files))).slice(
                SECURITY_CHECKS.length + 1,
            );

        it("passes where neither the standard nor the projected token file exists", async () => {
            assert.deepEqual(await noTokenRow({}), [
                { check: "no token file (inside the pod)", expected: "none", actual: "none" },
            ]);
        });

        it("fails where a token file is there after all, at the standard or the projected path", async () => {
            for (const file of [AUTOMOUNT_TOKEN, "/var/run/secrets/tokens/token"]) {
                assert.deepEqual(await noTokenRow({ [file]: "x" }), [
                    { check: "no token file (inside the pod)", expected: "none", actual: file },
                ]);
            }
        });
    });

    it("fails the in-pod checks when reading /proc in the pod exits non-zero", async () => {
        const result = await rows(
            answers({
                cat: { code: 1, stdout: "", stderr: "cat: /proc/mounts: Permission denied\n" },
            }),
        );
        assert.deepEqual(result, [
            {
                check: "in-pod checks (exec)",
                expected: "run",
                actual: "failed: cat in my-ns/my-pod: cat: /proc/mounts: Permission denied",
            },
        ]);
    });

    it("expects no effective capabilities for a non-root user, whatever the container adds", async () => {
        const adding: k8s.V1Pod = {
            ...running,
            spec: {
                ...running.spec!,
                containers: [
                    {
                        ...running.spec!.containers[0],
                        securityContext: {
                            ...running.spec!.containers[0].securityContext,
                            capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
                        },
                    },
                ],
            },
        };
        const result = await inPodRows(
            admin,
            adding,
            ["https://kubernetes.default.svc"],
            "403 Forbidden",
            use,
            inPodWith(proc),
        );
        const caps = result.find((r) => r.check === "effective capabilities (inside the pod)");
        assert.deepEqual([caps?.expected, caps?.actual], ["0000000000000000", "0000000000000000"]);
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
