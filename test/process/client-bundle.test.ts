import * as assert from "node:assert/strict";
import {
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { nodeEval, TRANSPILE_CACHE } from "../helpers/node-eval";

const BUNDLE = join(REPO_ROOT, "scripts", "lib", "client-bundle.cjs");

/**
 * The names the client's bundle holds, and the packages bundled whole (client-bundle.cjs's
 * CLIENT_NAMES and WHOLE_PACKAGES).
 */
const { CLIENT_NAMES, WHOLE_PACKAGES } = JSON.parse(
    node(
        `const { CLIENT_NAMES, WHOLE_PACKAGES } = require(${JSON.stringify(BUNDLE)});
        process.stdout.write(JSON.stringify({ CLIENT_NAMES, WHOLE_PACKAGES }));`,
        [],
    ),
) as { CLIENT_NAMES: string[]; WHOLE_PACKAGES: string[] };

/** The output of CommonJS `script`, run in a Node.js process of its own with `preload`. */
function node(script: string, preload: string[] = ["-r", TRANSPILE_CACHE]): string {
    const run = nodeEval(script, { preload });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout;
}

/** The project's TypeScript files, tests included (not node_modules, not dot folders). */
function sources(dir = REPO_ROOT): string[] {
    return readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        if (name.startsWith(".") || name === "node_modules") return [];
        if (statSync(path).isDirectory()) return sources(path);
        return name.endsWith(".ts") ? [path] : [];
    });
}

/** Capitalised names each file reaches the client by: `k8s.X`, `lib.X`, `kubeClient().X`, imports. */
function namesUsed(source: string): string[] {
    const names = [...source.matchAll(/\b(?:k8s|lib|kubeClient\(\))\.([A-Z]\w*)/g)].map(
        (m) => m[1],
    );
    for (const m of source.matchAll(/import \{([^}]*)\} from "@kubernetes\/client-node"/g)) {
        names.push(
            ...m[1]
                .split(",")
                .map((n) => n.trim().split(/\s+/)[0])
                .filter(Boolean),
        );
    }
    return names;
}

describe("the Kubernetes client on the command path (scripts/lib/client-bundle.cjs)", () => {
    it("bundles every export of the client that the project's code names", () => {
        const exported = JSON.parse(
            node(
                `import("@kubernetes/client-node").then((m) => process.stdout.write(JSON.stringify(Object.keys(m))))`,
                [],
            ),
        ) as string[];
        const named = new Set(sources().flatMap((file) => namesUsed(readFileSync(file, "utf8"))));
        // Names of other packages (k8s.Provider of @pulumi/kubernetes) and type-only ones are not
        // the client's exports.
        const missing = [...named].filter(
            (name) => exported.includes(name) && !CLIENT_NAMES.includes(name),
        );
        assert.deepEqual(missing, [], "named in the sources but not in CLIENT_NAMES");
        assert.deepEqual(
            CLIENT_NAMES.filter((name) => !exported.includes(name)),
            [],
            "in CLIENT_NAMES but not exported by the client",
        );
        assert.ok(
            named.has("KubeConfig") && named.has("KubernetesObjectApi"),
            "the scan finds uses",
        );
    });

    it("serves a name it does not bundle from the package as it is, loaded when read", () => {
        // The process that makes the bundle reads the package's names from the package itself.
        node(`require("@kubernetes/client-node").KubeConfig`);
        const out = node(`
            const { readFileSync } = require("node:fs");
            const k8s = require("@kubernetes/client-node");
            const listed = typeof k8s.KubeConfig;
            const bundle = Object.keys(require.cache).find((f) => f.includes("sa-workload-bundle-"));
            const packaged = () => Object.keys(require.cache).some((f) => f.endsWith("client-node/dist/index.js"));
            const other = "Apps" + "V1Api"; // not a name the project uses (the test above)
            // A class of the bundle, written as esbuild writes it, minified or not.
            const source = readFileSync(bundle, "utf8");
            const holds = (name) => source.includes("class " + name + " ") || source.includes(name + "=class");
            const bundled = [holds("CoreV1Api"), holds(other)];
            const before = packaged();
            const served = typeof k8s[other];
            process.stdout.write(JSON.stringify([listed, bundled, before, served, packaged()]));`);
        assert.deepEqual(JSON.parse(out), ["function", [true, false], false, "function", true]);
    });

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

    it("serves the packages @pulumi/pulumi loads by the dozen from one bundle each, exporting what they do", () => {
        const script = (preloaded: boolean): string => `
            const { createRequire } = require("node:module");
            const { join, sep } = require("node:path");
            // As @pulumi/pulumi's own files require them.
            const fromPulumi = createRequire(require.resolve("@pulumi/pulumi"));
            const out = {};
            for (const name of ${JSON.stringify(WHOLE_PACKAGES)}) {
                const entry = fromPulumi.resolve(name);
                const at = join("node_modules", name);
                const folder = entry.slice(0, entry.lastIndexOf(at) + at.length);
                const exported = Object.keys(fromPulumi(name)).sort();
                const files = Object.keys(require.cache).filter((f) => f.startsWith(folder + sep));
                out[name] = {
                    exported,
                    files: ${preloaded} ? files.map((f) => f.includes("sa-workload-bundle-") ? "bundle" : f) : undefined,
                };
            }
            process.stdout.write(JSON.stringify(out));`;
        // Made by the first process, loaded by the next.
        node(script(true));
        const served = JSON.parse(node(script(true))) as Record<
            string,
            { exported: string[]; files: string[] }
        >;
        const packaged = JSON.parse(node(script(false), [])) as Record<
            string,
            { exported: string[] }
        >;
        for (const [name, { exported, files }] of Object.entries(served)) {
            assert.deepEqual(files, ["bundle"], `${name}: its bundle, and no file of its own`);
            assert.deepEqual(
                exported,
                packaged[name].exported,
                `${name}: what the package exports`,
            );
        }
    });

    it("bundles a package and its dependencies once, beside it, anew after each npm install, and leaves it as it is when it cannot", () => {
        const dir = mkdtempSync(join(tmpdir(), "sa-bundle-"));
        try {
            const modules = join(dir, "node_modules");
            const dist = (name: string): string => join(modules, name, "dist");
            // npm's record of what it installed: without one, nothing tells a bundle's
            // dependencies are still those installed.
            const record = join(modules, ".package-lock.json");
            // The bundle holds the names the project uses: the stand-in package exports them all,
            // and a name of its dependency's.
            const good = CLIENT_NAMES.map((name) => `export const ${name} = "${name}";\n`).join("");
            for (const [name, source] of [
                ["good", `${good}export { answer } from "dep";\n`],
                ["broken", "export const KubeConfig = ;\n"],
            ]) {
                mkdirSync(dist(name), { recursive: true });
                writeFileSync(join(modules, name, "package.json"), `{"name": "${name}"}`);
                writeFileSync(join(dist(name), "index.js"), source);
            }
            mkdirSync(join(modules, "dep"));
            writeFileSync(
                join(modules, "dep", "package.json"),
                '{"name": "dep", "main": "index.js"}',
            );
            const depSource = (answer: number): void =>
                writeFileSync(join(modules, "dep", "index.js"), `exports.answer = ${answer};\n`);
            depSource(42);
            writeFileSync(record, '{"packages": {"node_modules/dep": {"version": "1.0.0"}}}');
            const load = (name: string): string =>
                node(
                    `const { bundledClientNode } = require(${JSON.stringify(BUNDLE)});
                    const m = bundledClientNode(${JSON.stringify(join(dist(name), "index.js"))});
                    const depLoaded = Object.keys(require.cache).some((f) => f.endsWith(${JSON.stringify(join("dep", "index.js"))}));
                    process.stdout.write(JSON.stringify(m === undefined ? null : [m.KubeConfig, m.answer, depLoaded]));`,
                    [],
                );
            const bundles = (): string[] =>
                readdirSync(dist("good")).filter((f) => f.endsWith(".cjs"));
            writeFileSync(join(dist("good"), "sa-workload-bundle-0123456789abcdef.cjs"), "");
            // The process that makes the bundle reads the package's names from the package itself.
            assert.equal(load("good"), '["KubeConfig",42,true]');
            const made = bundles();
            assert.equal(made.length, 1, "one bundle, an earlier version's removed");
            assert.equal(load("good"), '["KubeConfig",42,false]', "the dependency in the bundle");
            assert.deepEqual(bundles(), made, "made once");
            // npm installs another version of the dependency: its record changes with it.
            depSource(43);
            writeFileSync(record, '{"packages": {"node_modules/dep": {"version": "1.0.1"}}}');
            assert.equal(load("good"), '["KubeConfig",43,true]');
            assert.equal(load("good"), '["KubeConfig",43,false]', "the new version bundled");
            assert.equal(bundles().length, 1, "in place of the bundle of the old one");
            assert.notDeepEqual(bundles(), made);
            rmSync(record);
            assert.equal(load("good"), "null", "no record of the install: the package as it is");
            assert.equal(load("broken"), "null", "no bundle: the package loads as it is");
            assert.deepEqual(readdirSync(dist("broken")), ["index.js"], "nothing half-written");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
