import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
    clusterIdentity,
    clusterUid,
    kubeClient,
    kubeconfigFiles,
    loadKubeConfig,
    unusableCurrentContext,
} from "../../components/kube-context";
import { fakeApiServer, KUBE_SYSTEM, kubeconfig } from "../helpers/fake-api-server";
import { tempDir } from "../helpers/temp-dirs";

describe("kubeconfig files, as kubectl reads them", () => {
    const all = () => true;

    it("splits a POSIX KUBECONFIG list on ':'", () => {
        assert.deepEqual(kubeconfigFiles("/a/config:/b/config", "/home/u", "linux", all), [
            "/a/config",
            "/b/config",
        ]);
    });

    it("splits a Windows KUBECONFIG list on ';', keeping the drive letters", () => {
        const list = "C:\\Users\\u\\.kube\\config;D:\\kube\\other";
        assert.deepEqual(kubeconfigFiles(list, "C:\\Users\\u", "win32", all), [
            "C:\\Users\\u\\.kube\\config",
            "D:\\kube\\other",
        ]);
    });

    it("falls back to ~/.kube/config, on each platform's own paths", () => {
        assert.deepEqual(kubeconfigFiles(undefined, "/home/u", "linux", all), [
            "/home/u/.kube/config",
        ]);
        assert.deepEqual(kubeconfigFiles("", "C:\\Users\\u", "win32", all), [
            "C:\\Users\\u\\.kube\\config",
        ]);
    });

    it("skips listed files that do not exist", () => {
        const exists = (f: string) => f === "/b/config";
        assert.deepEqual(kubeconfigFiles("/a/config:/b/config", "/h", "linux", exists), [
            "/b/config",
        ]);
    });

    it("merges a list: the first file's current context, every file's contexts", () => {
        const dir = tempDir("sa-kubeconfig-");
        const a = kubeconfig(dir, "minikube", "https://192.168.49.2:8443");
        const b = kubeconfig(dir, "kind-other", "https://127.0.0.1:40000");
        const merged = loadKubeConfig(undefined, [a, join(dir, "missing"), b].join(":"));
        assert.equal(merged?.getCurrentContext(), "minikube");
        assert.equal(
            loadKubeConfig("kind-other", `${a}:${b}`)?.getCurrentCluster()?.name,
            "kind-other",
        );
    });

    it("finds no context without a kubeconfig file, or without a current context", () => {
        const dir = tempDir("sa-kubeconfig-");
        assert.equal(loadKubeConfig(undefined, join(dir, "none")), undefined);
        assert.equal(
            loadKubeConfig(undefined, kubeconfig(dir, "x", "https://h:1", false)),
            undefined,
        );
        assert.equal(loadKubeConfig("nope", kubeconfig(dir, "y", "https://h:1")), undefined);
    });

    it("tells a current context that names nothing from none at all", () => {
        const dir = tempDir("sa-kubeconfig-");
        const good = kubeconfig(dir, "minikube", "https://h:1");
        const none = kubeconfig(dir, "unset", "https://h:1", false);
        const stale = join(dir, "stale.json");
        writeFileSync(
            stale,
            JSON.stringify({
                ...JSON.parse(readFileSync(good, "utf8")),
                "current-context": "gone",
            }),
        );
        assert.equal(unusableCurrentContext(stale), "gone");
        assert.equal(unusableCurrentContext(good), undefined);
        assert.equal(unusableCurrentContext(none), undefined);
        assert.equal(unusableCurrentContext(join(dir, "missing")), undefined);
    });

    it("identifies a cluster by its name and host, not its port", () => {
        const at = (server: string) =>
            clusterIdentity({ context: "c", cluster: "kwok-sa-workload", server });
        assert.equal(at("https://127.0.0.1:32001"), at("https://127.0.0.1:40511"));
        assert.notEqual(at("https://127.0.0.1:32001"), at("https://10.0.0.2:32001"));
    });

    describe("tells clusters of the same name and host apart", () => {
        /** clusterUid() of a context on a server that answers kube-system's read with `route`. */
        async function uidFrom(
            route: { status: number; body: object } | "silent",
            timeoutMs?: number,
        ): Promise<unknown> {
            const api = await fakeApiServer({ [KUBE_SYSTEM]: route });
            try {
                const file = kubeconfig(tempDir("sa-uid-"), "minikube", api.url, true, api.cluster);
                return await clusterUid(loadKubeConfig(undefined, file)!, timeoutMs);
            } finally {
                api.close();
            }
        }

        it("by the UID of the kube-system namespace made with each", async () => {
            const namespace = (uid: string) => ({
                status: 200,
                body: {
                    apiVersion: "v1",
                    kind: "Namespace",
                    metadata: { name: "kube-system", uid },
                },
            });
            assert.equal(await uidFrom(namespace("0b9d7f52-a")), "0b9d7f52-a");
            assert.equal(await uidFrom(namespace("41c0e3aa-b")), "41c0e3aa-b");
        });

        it("and says it cannot tell where the credentials may not read that namespace", async () => {
            const forbidden = { kind: "Status", status: "Failure", reason: "Forbidden", code: 403 };
            assert.equal(await uidFrom({ status: 403, body: forbidden }), undefined);
            // A cluster without one (no cluster made by Kubernetes' own tools has none).
            assert.equal(
                await uidFrom({ status: 404, body: { kind: "Status", code: 404 } }),
                undefined,
            );
        });

        it("and fails within its time where the API server does not answer", async () => {
            await assert.rejects(uidFrom("silent", 200), /no answer in 200 ms/);
        });

        it("and fails, rather than guess, when the API server errs", async () => {
            const failure = { kind: "Status", status: "Failure", code: 500 };
            await assert.rejects(uidFrom({ status: 500, body: failure }), (error: unknown) => {
                assert.equal((error as { code?: number }).code, 500);
                return true;
            });
        });
    });
});

describe("connections to an API server", () => {
    it("are opened once per TLS setup and reused by the requests that follow", async () => {
        const dir = mkdtempSync(join(tmpdir(), "sa-tls-"));
        try {
            const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
            execFileSync(
                "openssl",
                [
                    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
                    ...["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
                    ...["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                ],
                { stdio: "ignore" },
            );
            let connections = 0;
            const server = createServer(
                { cert: readFileSync(cert), key: readFileSync(key) },
                (_, res) => {
                    res.setHeader("content-type", "application/json");
                    res.end('{"gitVersion": "v1.99.0"}');
                },
            );
            server.on("secureConnection", () => connections++);
            await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
            try {
                const { port } = server.address() as AddressInfo;
                const file = kubeconfig(dir, "c", `https://127.0.0.1:${port}`, true, {
                    "certificate-authority-data": readFileSync(cert).toString("base64"),
                });
                const lib = kubeClient();
                for (const config of [
                    loadKubeConfig(undefined, file),
                    loadKubeConfig(undefined, file),
                ]) {
                    const api = config!.makeApiClient(lib.VersionApi);
                    for (let i = 0; i < 5; i++) {
                        assert.equal((await api.getCode()).gitVersion, "v1.99.0");
                    }
                }
                // A connection per request without reuse; undici may open a second early on.
                assert.ok(connections <= 2, `${connections} connections for ten requests`);
            } finally {
                server.closeAllConnections();
                server.close();
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
