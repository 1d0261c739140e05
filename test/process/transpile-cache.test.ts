import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { TRANSPILE_CACHE } from "../helpers/node-eval";

const SOURCE_MAPS = join(REPO_ROOT, "scripts", "lib", "source-maps.ts");

/** A program of three files: main.ts imports a file and a folder, both without an extension. */
const FILES: Record<string, string> = {
    "main.ts": `import { times } from "./lib";
import { name } from "./pkg";
// TypeScript itself, not the cache's stand-in for it.
const loaded = Object.entries(require.cache).some(([f, m]) =>
    /node_modules[\\\\/]typescript[\\\\/]/.test(f) && !(m as unknown as Record<symbol, boolean> | undefined)?.[Symbol.for("sa-workload.stand-in")]);
const answer: number = times(21);
console.log(JSON.stringify({ answer, name, loaded }));
`,
    "own.ts": `const transpiled = (globalThis as Record<symbol, unknown>)[Symbol.for("sa-workload.transpile-cache")];
console.log(JSON.stringify({ args: process.argv.slice(2), pid: process.pid, cache: process.env.SA_WORKLOAD_CACHE, transpiled }));
process.exitCode = 3;
`,
    "lib.ts": "export const times = (x: number): number => x * 2;\n",
    "pkg/index.ts": 'export const name: string = "pkg";\n',
    "broken.ts": `export function half(x: number): number {
    return x / 2;
`,
    "fails.ts": `interface Unused { readonly a: string }

function fail(): never {
    throw new Error("failed on purpose");
}
fail();
`,
};

describe("the command path's transpile cache (scripts/lib/transpile-cache.cjs)", () => {
    let dir: string;
    let cache: string;
    before(() => {
        dir = mkdtempSync(join(tmpdir(), "sa-transpile-"));
        cache = join(dir, "cache");
        mkdirSync(join(dir, "pkg"));
        for (const [file, text] of Object.entries(FILES)) writeFileSync(join(dir, file), text);
        // A file named by its absolute path, without the extension, as a script may do.
        const lib = JSON.stringify(join(dir, "lib"));
        writeFileSync(
            join(dir, "absolute.ts"),
            `import { times } from ${lib};\nconsole.log(times(1));\n`,
        );
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** Runs a file as scripts/run.mjs does on Node.js with module.registerHooks. */
    function run(
        file: string,
        cacheRoot = cache,
    ): { status: number | null; stdout: string; stderr: string } {
        const result = spawnSync(
            process.execPath,
            ["-r", TRANSPILE_CACHE, "-r", SOURCE_MAPS, join(dir, file)],
            {
                encoding: "utf8",
                env: { ...process.env, SA_WORKLOAD_CACHE: cacheRoot, NODE_COMPILE_CACHE: "" },
            },
        );
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    it("runs TypeScript that imports a file and a folder without extensions, relative or absolute", () => {
        const result = run("main.ts");
        assert.equal(result.status, 0, result.stderr);
        const out = JSON.parse(result.stdout) as { answer: number; name: string };
        assert.equal(out.answer, 42);
        assert.equal(out.name, "pkg");
        const absolute = run("absolute.ts");
        assert.equal(absolute.stdout.trim(), "2", absolute.stderr);
    });

    it("runs a file in scripts/run.mjs's own process on this Node.js, with its arguments, the cache and its exit code", () => {
        const result = spawnSync(
            process.execPath,
            [join(REPO_ROOT, "scripts", "run.mjs"), join(dir, "own.ts"), "a", "b"],
            { encoding: "utf8", env: { ...process.env, SA_WORKLOAD_CACHE: cache } },
        );
        assert.equal(result.status, 3, result.stderr);
        const out = JSON.parse(result.stdout) as Record<string, unknown>;
        assert.deepEqual(out, { args: ["a", "b"], pid: result.pid, cache, transpiled: true });
    });

    it("loads TypeScript only for files it has not transpiled before", () => {
        rmSync(cache, { recursive: true, force: true });
        const first = JSON.parse(run("main.ts").stdout) as { loaded: boolean };
        const second = JSON.parse(run("main.ts").stdout) as { loaded: boolean };
        assert.equal(first.loaded, true);
        assert.equal(second.loaded, false);
        // main.ts, lib.ts, pkg/index.ts and the preloaded source-maps.ts: one file each.
        assert.equal(readdirSync(join(cache, "transpiled")).length, 4);
    });

    it("transpiles a file again once its content changes", () => {
        writeFileSync(join(dir, "lib.ts"), "export const times = (x: number): number => x * 3;\n");
        const out = JSON.parse(run("main.ts").stdout) as { answer: number; loaded: boolean };
        assert.equal(out.answer, 63);
        assert.equal(out.loaded, true);
    });

    it("names the TypeScript line in a stack trace", () => {
        const result = run("fails.ts");
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /failed on purpose/);
        assert.ok(result.stderr.includes(`${join(dir, "fails.ts")}:4:`), result.stderr);
    });

    it("maps the project's files only, not those of node_modules that name maps of their own", () => {
        // scripts/lib/source-maps.ts: reading every SDK file's map cost each command 0.26 s.
        const sdk = require.resolve("@pulumi/pulumi/log");
        assert.match(readFileSync(sdk, "utf8"), /sourceMappingURL=index\.js\.map/);
        writeFileSync(
            join(dir, "maps.ts"),
            `import { findSourceMap } from "node:module";
require(${JSON.stringify(sdk)});
const mapped = (file: string): boolean => findSourceMap(file) !== undefined;
console.log(JSON.stringify([mapped(${JSON.stringify(sdk)}), mapped(__filename)]));
`,
        );
        const result = run("maps.ts");
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(JSON.parse(result.stdout), [false, true]);
    });

    it("fails on a syntax error, as ts-node does, instead of running the mended file", () => {
        const result = run("broken.ts");
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /broken\.ts\(\d+,\d+\): error TS1005: '\}' expected/);
    });

    it("still runs the program when the cache cannot be written", () => {
        const notAFolder = join(dir, "a-file");
        writeFileSync(notAFolder, "");
        const result = run("main.ts", notAFolder);
        assert.equal(result.status, 0, result.stderr);
        assert.equal((JSON.parse(result.stdout) as { name: string }).name, "pkg");
    });

    it("keeps nothing without the project's cache folder, and runs the program all the same", () => {
        const result = run("main.ts", "");
        assert.equal(result.status, 0, result.stderr);
        assert.equal((JSON.parse(result.stdout) as { loaded: boolean }).loaded, true);
    });

    it("maps a repository file to itself, not to a path under tsconfig's outDir", () => {
        // source-maps.ts, preloaded by every run above, is the repository's own.
        const maps = readdirSync(join(cache, "transpiled")).map((entry) => {
            const text = readFileSync(join(cache, "transpiled", entry), "utf8");
            const inline = /sourceMappingURL=data:application\/json;base64,(\S+)/.exec(text);
            return JSON.parse(Buffer.from(inline?.[1] ?? "", "base64").toString()) as {
                file: string;
                sources: string[];
            };
        });
        const map = maps.find((m) => m.file === "source-maps.js");
        assert.ok(map, "source-maps.ts is in the cache");
        assert.equal(resolve(dirname(SOURCE_MAPS), map.sources[0]), SOURCE_MAPS);
    });
});
