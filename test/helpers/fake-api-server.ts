/**
 * Kubeconfig files and a stand-in API server for unit and process tests, which never read the
 * machine's own kubeconfig or talk to a real cluster.
 */
import { writeFileSync } from "node:fs";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { delimiter, join } from "node:path";

import { withEnv } from "./env";
import { tempDir } from "./temp-dirs";

/**
 * A kubeconfig file in `dir` with one context `name` on cluster `name` at `server`, with `cluster`'s
 * other fields if given (e.g. `certificate-authority-data`). Its current context is that one, none
 * (`false`), or the name given (which may name nothing in the file).
 */
export function kubeconfig(
    dir: string,
    name: string,
    server: string,
    current: boolean | string = true,
    cluster: Record<string, unknown> = {},
): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
        file,
        JSON.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name, cluster: { server, ...cluster } }],
            users: [{ name, user: { token: "t" } }],
            contexts: [{ name, context: { cluster: name, user: name } }],
            ...(current ? { "current-context": current === true ? name : current } : {}),
        }),
    );
    return file;
}

/** What a fake API server answers, by request path (its query string included). */
export type Routes = Record<string, { status: number; body: object } | "silent">;

/**
 * A plain-HTTP server on the loopback answering each path of `routes` with its status and JSON, or,
 * for "silent", never (an API server that hangs).
 */
export async function fakeApiServer(
    routes: Routes,
): Promise<{ url: string; cluster: Record<string, unknown>; server: Server; close(): void }> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const route = routes[req.url ?? ""] ?? { status: 404, body: { kind: "Status", code: 404 } };
        if (route === "silent") return;
        res.statusCode = route.status;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(route.body));
    });
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        /** The kubeconfig cluster fields the client needs for plain HTTP. */
        cluster: { "insecure-skip-tls-verify": true },
        server,
        close() {
            server.closeAllConnections();
            server.close();
        },
    };
}

/** An API server's discovery document of `groupVersion`, listing these resources. */
export function apiResources(
    groupVersion: string,
    resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[],
): { status: number; body: object } {
    return { status: 200, body: { kind: "APIResourceList", groupVersion, resources } };
}

/** The core API's discovery route, with the kinds a workload makes in it. */
export const CORE_API = {
    "/api/v1": apiResources("v1", [
        { name: "namespaces", kind: "Namespace", namespaced: false, verbs: ["get", "list"] },
        {
            name: "serviceaccounts",
            kind: "ServiceAccount",
            namespaced: true,
            verbs: ["get", "list"],
        },
        { name: "secrets", kind: "Secret", namespaced: true, verbs: ["get", "list"] },
        { name: "pods", kind: "Pod", namespaced: true, verbs: ["get", "list"] },
    ]),
};

/** The path of a cluster's kube-system namespace, whose UID tells clusters apart. */
export const KUBE_SYSTEM = "/api/v1/namespaces/kube-system";

/**
 * Runs `fn` with KUBECONFIG listing one context per entry of `clusters` (the first current), each
 * on a fake API server of its own that answers that entry's routes; the servers close after.
 */
export async function withKubeContexts<T>(
    clusters: Record<string, Routes>,
    fn: () => Promise<T>,
): Promise<T> {
    const servers = await Promise.all(Object.values(clusters).map((r) => fakeApiServer(r)));
    const dir = tempDir("sa-kube-contexts-");
    const files = Object.keys(clusters).map((name, i) =>
        kubeconfig(dir, name, servers[i].url, i === 0, servers[i].cluster),
    );
    try {
        return await withEnv({ KUBECONFIG: files.join(delimiter) }, fn);
    } finally {
        servers.forEach((s) => s.close());
    }
}
