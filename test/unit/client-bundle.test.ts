import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { nodeEval, TRANSPILE_CACHE } from "../helpers/node-eval";

const BUNDLE = join(REPO_ROOT, "scripts", "lib", "client-bundle.cjs");

/** The output of CommonJS `script`, run in a Node.js process of its own with `preload`. */
function node(script: string, preload: string[] = ["-r", TRANSPILE_CACHE]): string {
    const run = nodeEval(script, { preload });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout;
}

describe("the Kubernetes client on the command path (scripts/lib/client-bundle.cjs)", () => {
    it("loads from one bundled file that exports what the package does and talks to an API server", () => {
        const out = node(`
            const http = require("node:http");
            const k8s = require("@kubernetes/client-node");
            const server = http.createServer((_, res) => { res.setHeader("content-type", "application/json"); res.end('{"gitVersion": "v1.99.0"}'); });
            server.listen(0, "127.0.0.1", async () => {
                const kc = new k8s.KubeConfig();
                kc.loadFromOptions({
                    clusters: [{ name: "c", server: "http://127.0.0.1:" + server.address().port, skipTLSVerify: true }],
                    users: [{ name: "u" }],
                    contexts: [{ name: "x", cluster: "c", user: "u" }],
                    currentContext: "x",
                });
                const version = await kc.makeApiClient(k8s.VersionApi).getCode();
                const packaged = await import("@kubernetes/client-node");
                const same = Object.keys(packaged).filter((k) => k !== "default").sort().join() ===
                    Object.keys(k8s).filter((k) => k !== "__esModule").sort().join();
                server.close();
                const bundled = Object.keys(require.cache).filter((f) => f.includes("sa-workload-bundle-"));
                process.stdout.write(JSON.stringify([bundled.length, version.gitVersion, same]));
            });`);
        assert.deepEqual(JSON.parse(out), [1, "v1.99.0", true]);
    });

    it("bundles a package once, beside it, in place of older bundles, and leaves it as it is when it cannot", () => {
        const dir = mkdtempSync(join(tmpdir(), "sa-bundle-"));
        try {
            const dist = (name: string): string => join(dir, name, "dist");
            for (const [name, source] of [
                ["good", "export const answer = 42;\n"],
                ["broken", "export const answer = ;\n"],
            ]) {
                mkdirSync(dist(name), { recursive: true });
                writeFileSync(join(dir, name, "package.json"), `{"name": "${name}"}`);
                writeFileSync(join(dist(name), "index.js"), source);
            }
            const load = (name: string): string =>
                node(
                    `const { bundledClientNode } = require(${JSON.stringify(BUNDLE)});
                    const m = bundledClientNode(${JSON.stringify(join(dist(name), "index.js"))});
                    process.stdout.write(JSON.stringify(m === undefined ? null : m.answer));`,
                    [],
                );
            const bundles = (): string[] =>
                readdirSync(dist("good")).filter((f) => f.endsWith(".cjs"));
            writeFileSync(join(dist("good"), "sa-workload-bundle-0123456789abcdef.cjs"), "");
            assert.equal(load("good"), "42");
            const made = bundles();
            assert.equal(made.length, 1, "one bundle, an earlier version's removed");
            assert.equal(load("good"), "42");
            assert.deepEqual(bundles(), made, "made once");
            assert.equal(load("broken"), "null", "no bundle: the package loads as it is");
            assert.deepEqual(readdirSync(dist("broken")), ["index.js"], "nothing half-written");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
