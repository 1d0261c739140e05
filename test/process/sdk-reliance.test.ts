/**
 * Speed-ups that lean on how an SDK does something, not on an interface it offers. These tests fail
 * the day an upgrade stops doing it that way, instead of letting the cost come back unnoticed.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
    chmodSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";

import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";

import { policyPackNodeOptions } from "../../scripts/lib/policy";
import { knownPulumiCommand } from "../../scripts/lib/pulumi-command";
import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { nodeEval, NodeRun, TRANSPILE_CACHE } from "../helpers/node-eval";

describe("what the speed-ups rely on in the SDKs", () => {
    it("Stack.up() and destroy() read outputs and info after the engine, which operations.ts skips", () => {
        // scripts/lib/operations.ts overrides exactly these two methods on a view of the stack.
        const up = Stack.prototype.up.toString();
        assert.match(up, /await this\.outputs\(\)/);
        assert.match(up, /await this\.info\(/);
        assert.match(Stack.prototype.destroy.toString(), /await this\.info\(/);
    });

    /** The source of Stack's runPulumiCmd, through which it starts every CLI (private in its types). */
    function stackRunSource(): string {
        const stackRun: unknown = Reflect.get(Stack.prototype, "runPulumiCmd");
        assert.ok(typeof stackRun === "function");
        return stackRun.toString();
    }

    it("a stack starts the CLI through its workspace's PulumiCommand's run()", () => {
        // operations.ts tells its caller the engine has started when that run() is called.
        assert.match(stackRunSource(), /this\.workspace\.pulumiCommand\.run\(/);
    });

    it("Stack.destroy() serves the workspace's program as it finds it at the call", () => {
        // operations.ts's destroy swaps in a program that first waits for `down`'s check.
        assert.match(
            Stack.prototype.destroy.toString(),
            /new server_1\.LanguageServer\(this\.workspace\.program\)/,
        );
    });

    it("every CLI run for a stack names it, so an existing one needs no `pulumi stack select`", () => {
        // scripts/lib/stack.ts skips the select when the state file is there.
        assert.match(stackRunSource(), /"--stack", this\.name/);
        assert.match(LocalWorkspace.prototype.exportStack.toString(), /"--stack", stackName/);
    });

    it("a PulumiCommand of a known CLI is what PulumiCommand.get() makes of it, without running `pulumi version`", async () => {
        // scripts/lib/pulumi-command.ts builds one from the class's prototype. A stand-in CLI
        // counts its runs and echoes its arguments.
        const dir = mkdtempSync(join(tmpdir(), "sa-cli-"));
        const path = process.env.PATH;
        try {
            const file = join(dir, "pulumi");
            const runs = join(dir, "runs");
            writeFileSync(
                file,
                `#!/bin/sh\necho "$*" >> "${runs}"\n` +
                    `if [ "$1" = version ]; then echo v3.274.1; else echo '{"user": "stand-in"}'; fi\n`,
            );
            chmodSync(file, 0o755);
            process.env.PATH = [dir, path].join(delimiter);
            const got = await PulumiCommand.get();
            writeFileSync(runs, "");
            const known = knownPulumiCommand({ file, version: "3.274.1" });
            assert.ok(known);
            assert.equal(readFileSync(runs, "utf8"), "", "no CLI run to make it");
            assert.equal(Object.getPrototypeOf(known), Object.getPrototypeOf(got));
            assert.deepEqual(Object.keys(known).sort(), Object.keys(got).sort());
            assert.ok(got.version && known.version);
            assert.equal(known.version.constructor, got.version.constructor, "the SDK's SemVer");
            assert.equal(known.version.compare(got.version), 0);
            // A workspace runs its commands through it.
            const ws = await LocalWorkspace.create({ workDir: dir, pulumiCommand: known });
            assert.equal(ws.pulumiVersion, "3.274.1");
            assert.equal((await ws.whoAmI()).user, "stand-in");
            assert.match(readFileSync(runs, "utf8"), /^whoami /);
        } finally {
            process.env.PATH = path;
            rmSync(dir, { recursive: true, force: true });
        }
    });

    /** The options ts-node's register got when run-policy-pack called it, in a process of its own. */
    function runnerRegistrations(preload: string[]): unknown[] {
        const script = `
            const tsNode = require("ts-node");
            const seen = [];
            tsNode.register = (options) => seen.push(options);
            import(${JSON.stringify(join(REPO_ROOT, "policy", "transpile-only.mjs"))}).then(() => {
                const sdk = require.resolve("@pulumi/pulumi/cmd/run-policy-pack/run.js");
                const source = require("fs").readFileSync(sdk, "utf8");
                const { tsnodeRequire } = require("@pulumi/pulumi/tsutils").typeScriptRequireStrings();
                // The runner's call, as its source writes it, on the module it requires.
                if (!/tsn\\.register\\(\\{\\s*typeCheck: true/.test(source)) throw new Error("runner changed");
                require(tsnodeRequire).register({ typeCheck: true });
                process.stdout.write(JSON.stringify(seen));
            });`;
        const run = nodeEval(script, { preload });
        assert.equal(run.status, 0, run.stderr);
        return JSON.parse(run.stdout) as unknown[];
    }

    it("run-policy-pack registers the ts-node that policy/transpile-only.mjs patches", () => {
        // Without the transpile cache: the pack's runner gets transpileOnly, never a type check.
        assert.deepEqual(runnerRegistrations([]), [{ typeCheck: false, transpileOnly: true }]);
    });

    it("with the transpile cache preloaded, as pulumi-analyzer-policy does, ts-node neither loads nor registers", () => {
        const shim = readFileSync(join(REPO_ROOT, "policy", "pulumi-analyzer-policy"), "utf8");
        const cache = "../scripts/lib/transpile-cache.cjs";
        assert.ok(shim.includes(`cache="-r ${cache}"`), "the shim names the cache");
        assert.match(
            shim,
            /^exec node \$cache --import \.\/transpile-only\.mjs /m,
            "and preloads it",
        );
        // The runner's two uses of ts-node, on the module it requires: its version (for a debug
        // line) and register(), which the stand-in answers without loading ts-node.
        const script = `
            import(${JSON.stringify(join(REPO_ROOT, "policy", "transpile-only.mjs"))}).then(() => {
                const sdk = require.resolve("@pulumi/pulumi/cmd/run-policy-pack/run.js");
                const source = require("fs").readFileSync(sdk, "utf8");
                const { tsnodeRequire } = require("@pulumi/pulumi/tsutils").typeScriptRequireStrings();
                if (!/tsn\\.register\\(\\{\\s*typeCheck: true/.test(source)) throw new Error("runner changed");
                const tsn = require(tsnodeRequire);
                tsn.register({ typeCheck: true });
                const entry = require.cache[require.resolve("ts-node")];
                process.stdout.write(JSON.stringify({
                    version: tsn.VERSION,
                    standIn: entry?.[Symbol.for("sa-workload.stand-in")] === true,
                    registered: process[Symbol.for("ts-node.register.instance")] !== undefined,
                }));
            });`;
        const run = nodeEval(script, { preload: ["-r", join(REPO_ROOT, "policy", cache)] });
        assert.equal(run.status, 0, run.stderr);
        const tsNodePackage = readFileSync(require.resolve("ts-node/package.json"), "utf8");
        const { version } = JSON.parse(tsNodePackage) as { version: string };
        assert.deepEqual(JSON.parse(run.stdout), { version, standIn: true, registered: false });
    });

    const TYPESCRIPT = JSON.stringify(require.resolve("typescript"));
    /** Where @pulumi/pulumi finds `request` (one of its own dependencies), as code to embed. */
    const fromSdk = (request: string): string =>
        JSON.stringify(
            require.resolve(request, {
                paths: [dirname(require.resolve("@pulumi/pulumi/package.json"))],
            }),
        );

    /** The shim's preloads (policy/pulumi-analyzer-policy), from policy/. */
    const SHIM_PRELOAD = ["-r", TRANSPILE_CACHE, "--import", "./transpile-only.mjs"];

    /**
     * Serves a pack with run-policy-pack's entry point, in policy/, as the shim starts it (its hooks
     * first) unless `preload` says otherwise; `pack` is the pack's code.
     */
    function servePack(
        pack: string,
        env: Record<string, string> = {},
        preload: string[] = SHIM_PRELOAD,
    ): NodeRun {
        const dir = mkdtempSync(join(tmpdir(), "sa-runner-"));
        try {
            writeFileSync(join(dir, "pack.js"), pack);
            const runner = JSON.stringify(require.resolve("@pulumi/pulumi/cmd/run-policy-pack"));
            const script = `process.argv.splice(1, Infinity, ${runner}, "127.0.0.1:1",
                ${JSON.stringify(join(dir, "pack.js"))}); require(${runner});`;
            return nodeEval(script, { preload, cwd: join(REPO_ROOT, "policy"), env });
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }

    it("with the transpile cache, run-policy-pack starts a pack without loading TypeScript", () => {
        // The transpile cache stands in for TypeScript: the runner reads only its version and the
        // pack's tsconfig.json. The day it reads more, the real TypeScript loads and this fails.
        const run = servePack(`
            const entry = require.cache[${TYPESCRIPT}];
            process.stdout.write(String(entry?.[Symbol.for("sa-workload.stand-in")] === true));
            process.exit(0);`);
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout, "true", run.stderr);
    });

    it("started as the Node.js language host starts it, a pack gets the shim's preloads from NODE_OPTIONS, so ts-node never type-checks it", () => {
        // The language host runs run-policy-pack itself, with the CLI's environment and no options
        // of ours: NODE_OPTIONS from the commands' stack (scripts/lib/policy.ts) brings the cache.
        const { NODE_OPTIONS } = policyPackNodeOptions({}, true);
        assert.ok(NODE_OPTIONS, "a CLI with the language host gets preloads");
        const pack = `
            const typescript = require.cache[${TYPESCRIPT}];
            process.stdout.write(JSON.stringify({
                typescriptStandIn: typescript?.[Symbol.for("sa-workload.stand-in")] === true,
                tsNodeRegistered: process[Symbol.for("ts-node.register.instance")] !== undefined,
            }));
            process.exit(0);`;
        const run = servePack(pack, { NODE_OPTIONS }, []);
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(JSON.parse(run.stdout), {
            typescriptStandIn: true,
            tsNodeRegistered: false,
        });
        // Without them (before), the runner registers ts-node with its type check.
        const before = servePack(pack, {}, []);
        assert.equal(before.status, 0, before.stderr);
        assert.deepEqual(JSON.parse(before.stdout), {
            typescriptStandIn: false,
            tsNodeRegistered: true,
        });
    });

    it("the stand-in gives the real TypeScript to whatever needs more, reflection included", () => {
        const run = servePack(`
            const ts = require(${TYPESCRIPT});
            const out = ts.transpileModule("const a: number = 1;", {}).outputText;
            const copy = { ...ts }; // as import * as ts compiles, through every property
            process.stdout.write(JSON.stringify([typeof copy.createProgram, out.trim(), ts.version]));
            process.exit(0);`);
        assert.equal(run.status, 0, run.stderr);
        const version = (
            JSON.parse(readFileSync(require.resolve("typescript/package.json"), "utf8")) as {
                version: string;
            }
        ).version;
        assert.deepEqual(JSON.parse(run.stdout), ["function", "var a = 1;", version]);
    });

    it("with the transpile cache, run-policy-pack serves a pack without the debugger hooks it never uses", () => {
        // The runner connects an inspector session and loads v8Hooks, which sets a V8 flag (here
        // seen as V8's native syntax parsing) before the pack loads. The stand-in answers its wait;
        // any other use loads the real module, flag and all.
        const v8Hooks = JSON.stringify(require.resolve("@pulumi/pulumi/runtime/closure/v8Hooks"));
        const pack = `
            const natives = () => { try { new Function("return %IsSmi(1)"); return true; } catch { return false; } };
            const standIn = () => require.cache[${v8Hooks}]?.[Symbol.for("sa-workload.stand-in")] === true;
            const before = [standIn(), natives()];
            require(${v8Hooks}).getScriptUrl(0);
            process.stdout.write(JSON.stringify([before, [standIn(), natives()]]));
            process.exit(0);`;
        const run = servePack(pack);
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(JSON.parse(run.stdout), [
            [true, false],
            [false, true],
        ]);
        const eager = servePack(pack, { SA_WORKLOAD_EAGER_MODULES: "1" });
        assert.equal(eager.status, 0, eager.stderr);
        assert.deepEqual((JSON.parse(eager.stdout) as unknown[])[0], [false, true], "as packaged");
    });

    it("with the transpile cache, a pack serves without @pulumi/pulumi's Automation API, which loads on first use", () => {
        // @pulumi/pulumi's index loads its Automation API; the pack never uses it. Whatever does
        // (the commands) gets the real module from the stand-in, classes and all.
        const automation = JSON.stringify(require.resolve("@pulumi/pulumi/automation"));
        const execa = fromSdk("execa");
        const sdk = JSON.stringify(require.resolve("@pulumi/pulumi"));
        const pack = `
            const pulumi = require(${sdk});
            const loaded = () => [require.cache[${automation}]?.[Symbol.for("sa-workload.stand-in")] === true, ${execa} in require.cache];
            const before = loaded();
            const error = new pulumi.automation.ConcurrentUpdateError(new Error("held"));
            const real = error instanceof require(${automation}).ConcurrentUpdateError;
            process.stdout.write(JSON.stringify([before, loaded(), real]));
            process.exit(0);`;
        const run = servePack(pack);
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(JSON.parse(run.stdout), [[true, false], [false, true], true]);
    });

    it("with the transpile cache, a pack's stack traces name its TypeScript lines, and run-policy-pack's source-map-support never loads", () => {
        // A rule's error reaches the user with its stack (@pulumi/policy's asGrpcError). The
        // runner's source-map-support named the transpiled lines; Node.js's source maps name the
        // .ts ones. Three type-only declarations put the throw on line 9 of the .ts file and on
        // line 5 of what the cache serves.
        const register = fromSdk("source-map-support/register");
        const rule = [
            "interface Side {",
            "    readonly length: number;",
            "}",
            "type Square = Side;",
            "export type Shape = Square;",
            "",
            "",
            "export function judge(shape: Shape): never {",
            "    throw new Error(`side ${shape.length}`);",
            "}",
        ].join("\n");
        const pack = `
            const file = require("path").join(__dirname, "rule.ts");
            require("fs").writeFileSync(file, ${JSON.stringify(rule)});
            let stack = "";
            try { require(file).judge({ length: 1 }); } catch (e) { stack = e.stack; }
            const line = /rule\\.ts:(\\d+):/.exec(stack)?.[1];
            const standIn = require.cache[${register}]?.[Symbol.for("sa-workload.stand-in")] === true;
            process.stdout.write(JSON.stringify({ line, standIn }));
            process.exit(0);`;
        const run = servePack(pack);
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(JSON.parse(run.stdout), { line: "9", standIn: true });
    });

    it("the policy pack writes its compile cache once it serves, since the engine ends it with a kill", async () => {
        // Node.js writes the cache NODE_COMPILE_CACHE names at exit, which a killed process never
        // reaches: policy/index.ts writes it itself. Without that, this folder stays empty, and
        // the next start compiles every module again.
        const cache = mkdtempSync(join(tmpdir(), "sa-pack-cache-"));
        /** Starts the pack as the engine does, kills it once it serves, and says what it printed. */
        const serveOnce = async (env: NodeJS.ProcessEnv = {}) => {
            const pack = spawn("sh", ["pulumi-analyzer-policy", "127.0.0.1:1"], {
                cwd: join(REPO_ROOT, "policy"),
                env: { ...process.env, NODE_COMPILE_CACHE: cache, ...env },
                stdio: ["ignore", "pipe", "pipe"],
            });
            let stderr = "";
            pack.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
            const exited = new Promise((done) => pack.once("exit", done));
            const port = await new Promise<string>((served, failed) => {
                pack.stdout.once("data", (data: Buffer) => served(data.toString().trim()));
                pack.once("exit", (code) =>
                    failed(new Error(`the pack exited (${code}): ${stderr}`)),
                );
            });
            pack.kill("SIGKILL"); // as the engine ends it
            await exited;
            return { port, stderr };
        };
        try {
            assert.match((await serveOnce()).port, /^\d+$/, "the pack served");
            const files = readdirSync(cache, { recursive: true, withFileTypes: true });
            assert.ok(
                files.some((f) => f.isFile()),
                "compiled modules were kept",
            );
            // The next start finds every module it compiles in that cache (Node.js's own account
            // of it: "cache for <file> was accepted", else "was not initialized" or rejected).
            const { stderr } = await serveOnce({ NODE_DEBUG_NATIVE: "COMPILE_CACHE" });
            const lookups = stderr
                .split("\n")
                .filter((l) => /\[compile cache\] cache for /.test(l));
            assert.ok(lookups.length > 0, stderr);
            assert.deepEqual(
                lookups.filter((l) => !l.endsWith("was accepted, keeping the in-memory entry")),
                [],
            );
        } finally {
            rmSync(cache, { recursive: true, force: true });
        }
    });

    it("with the transpile cache, the SDK loads npm's Arborist only once a function's code paths are computed", () => {
        // @pulumi/pulumi's runtime requires @npmcli/arborist and normalize-package-data for
        // computeCodePaths alone; the cache's stand-ins keep them unloaded until it runs (whatever
        // else loads), and it still finds a program's dependencies then.
        const dir = mkdtempSync(join(tmpdir(), "sa-code-paths-"));
        try {
            const dependency = join(dir, "node_modules", "left");
            mkdirSync(dependency, { recursive: true });
            writeFileSync(join(dir, "package.json"), '{"dependencies": {"left": "1.0.0"}}');
            writeFileSync(join(dependency, "package.json"), '{"name": "left", "version": "1.0.0"}');
            const sdk = JSON.stringify(require.resolve("@pulumi/pulumi"));
            const arborist = fromSdk("@npmcli/arborist");
            const script = `
                const standIn = () => require.cache[${arborist}]?.[Symbol.for("sa-workload.stand-in")] === true;
                const pulumi = require(${sdk});
                // A file the cache has not seen loads TypeScript: that leaves these alone.
                require(${TYPESCRIPT}).transpileModule("", {});
                const before = standIn();
                pulumi.runtime.computeCodePaths().then((paths) => {
                    process.stdout.write(JSON.stringify([before, [...paths.keys()], standIn()]));
                });`;
            const run = nodeEval(script, { preload: ["-r", TRANSPILE_CACHE], cwd: dir });
            assert.equal(run.status, 0, run.stderr);
            assert.deepEqual(JSON.parse(run.stdout), [true, ["node_modules/left"], false]);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
