// The command path's TypeScript, run from JavaScript transpiled once per file content and kept in
// the project's cache (scripts/run.mjs preloads this on Node.js with module.registerHooks, 22.15
// and newer; on older ones ts-node transpiles as before; the test suites' mocha gets the same
// choice, test/helpers/transpile.cjs). Like ts-node's transpileOnly: TypeScript's transpileModule
// with tsconfig.json's compiler options and an inline source map, so stack traces name the .ts
// lines (scripts/lib/source-maps.ts); no type checking, which is `npm run build`'s. A file seen
// before never loads TypeScript: measured, ts-node cost `npm run up` about 1.3 s of CPU a run
// (loading TypeScript, transpiling every file again).
//
// Plain JavaScript, like scripts/run.mjs: it is what runs before any TypeScript can.
"use strict";
const { createHash } = require("node:crypto");
const {
    existsSync,
    mkdirSync,
    readFileSync,
    renameSync,
    rmSync,
    writeFileSync,
} = require("node:fs");
const { registerHooks } = require("node:module");
const { dirname, isAbsolute, join, sep } = require("node:path");
const { fileURLToPath, pathToFileURL } = require("node:url");

const { realModule, standInGroup } = require("./stand-ins.cjs");

const ROOT = join(__dirname, "..", "..");
// The project's cache folder, which scripts/run.mjs decides and passes down (to the policy pack
// too, through the engine). Without it, nothing is kept: each file is transpiled in memory.
const CACHE = process.env.SA_WORKLOAD_CACHE
    ? join(process.env.SA_WORKLOAD_CACHE, "transpiled")
    : undefined;
const TSCONFIG = readFileSync(join(ROOT, "tsconfig.json"), "utf8");
// This file is part of the key too: a change to how it transpiles makes every entry new.
const SELF = readFileSync(__filename, "utf8");
// Read, not required: a cache hit loads nothing of TypeScript's.
const TS_VERSION = JSON.parse(
    readFileSync(require.resolve("typescript/package.json"), "utf8"),
).version;
const TS_PATH = require.resolve("typescript");
// What every key starts with, hashed once.
const KEY_PREFIX = createHash("sha256").update([TS_VERSION, TSCONFIG, SELF, ""].join("\0"));

let ts;
/** TypeScript itself, loaded on first use (past its stand-in below, if it is in place). */
function typescript() {
    ts ??= realModule(TS_PATH);
    return ts;
}
let compilerOptions;
// What ts-node leaves out of its errors too: diagnostics about options, not about the code.
const IGNORED_DIAGNOSTICS = new Set([6059, 18002, 18003]);

/** TypeScript's own transpilation of one file, as ts-node's transpileOnly does it. */
function transpile(file, source) {
    typescript();
    if (!compilerOptions) {
        const { config, error } = ts.parseConfigFileTextToJson("tsconfig.json", TSCONFIG);
        if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
        // No outDir: the source map then names the .ts file beside the JavaScript, which Node.js
        // reads as the module's own path (with outDir it would point into bin/).
        const converted = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT);
        if (converted.errors.length) throw new Error(format(converted.errors));
        const { outDir: _, ...options } = converted.options;
        compilerOptions = {
            ...options,
            sourceMap: false,
            inlineSourceMap: true,
            inlineSources: true,
            declaration: false,
            noEmit: false,
        };
    }
    // A syntax error fails the command, as under ts-node: TypeScript's parser would otherwise
    // mend the file (a missing brace added at its end) and the mended program would run.
    const result = ts.transpileModule(source, {
        fileName: file,
        compilerOptions,
        reportDiagnostics: true,
    });
    const errors = (result.diagnostics ?? []).filter(
        (d) => d.category === ts.DiagnosticCategory.Error && !IGNORED_DIAGNOSTICS.has(d.code),
    );
    if (errors.length) throw new Error(`TypeScript cannot compile ${file}:\n${format(errors)}`);
    return result.outputText;
}

function format(diagnostics) {
    return ts.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => process.cwd(),
        getNewLine: () => "\n",
    });
}

/** The JavaScript of a .ts file: from the cache, keyed by everything the output depends on. */
function javascript(file) {
    const source = readFileSync(file, "utf8");
    const key = KEY_PREFIX.copy().update([file, source].join("\0")).digest("hex");
    if (!CACHE) return transpile(file, source);
    const cached = join(CACHE, `${key}.js`);
    // Every entry ends with its source map: one without (cut short by a crash) is made again.
    let hit = "";
    try {
        hit = readFileSync(cached, "utf8");
    } catch {
        // not made yet
    }
    if (hit.includes("//# sourceMappingURL=")) return hit;
    const output = transpile(file, source);
    // Written whole, then renamed: two commands at once never read half a file. A cache that
    // cannot be written (read-only, full, made by another user) only costs the next run the time.
    const partial = `${cached}.${process.pid}`;
    try {
        mkdirSync(CACHE, { recursive: true });
        writeFileSync(partial, output);
        renameSync(partial, cached);
    } catch {
        try {
            rmSync(partial, { force: true });
        } catch {
            // nothing was written
        }
    }
    return output;
}

const isProjectTypeScript = (file) =>
    file.endsWith(".ts") && !file.endsWith(".d.ts") && !file.includes(`${sep}node_modules${sep}`);

/**
 * Packages served from a bundle of their own (client-bundle.cjs): the entry point's file URL, and
 * its bundle's, made on first use (undefined where there is none to be had).
 */
const BUNDLED = new Map();
function bundled(resolved) {
    const bundle = BUNDLED.get(resolved.url);
    const url = bundle?.();
    return url ? { ...resolved, url } : resolved;
}

const HOOKS = {
    // `import "./lib/stack"` and `import "../components"` name .ts files without the extension
    // (relative, or absolute as a script may write them).
    resolve(specifier, context, nextResolve) {
        try {
            return bundled(nextResolve(specifier, context));
        } catch (error) {
            const parent = context.parentURL;
            let base;
            const from = parent?.startsWith("file:") ? fileURLToPath(parent) : "";
            // Only for the project's own files: a library's requires stay Node.js's alone.
            if (!isProjectTypeScript(from)) throw error;
            if (isAbsolute(specifier)) base = specifier;
            else if (specifier.startsWith(".")) base = join(dirname(from), specifier);
            else throw error;
            for (const file of [`${base}.ts`, join(base, "index.ts")]) {
                if (existsSync(file)) return { url: pathToFileURL(file).href, shortCircuit: true };
            }
            throw error;
        }
    },
    load(url, context, nextLoad) {
        const file = url.startsWith("file:") ? fileURLToPath(url) : "";
        if (!isProjectTypeScript(file)) return nextLoad(url, context);
        return { format: "commonjs", source: javascript(file), shortCircuit: true };
    },
};

/** Where `request` resolves (from package `pkg`, if given), or nothing if it is not there. */
function resolveFrom(request, pkg) {
    try {
        const paths = pkg ? [dirname(require.resolve(`${pkg}/package.json`))] : undefined;
        return require.resolve(request, { paths });
    } catch {
        return undefined;
    }
}

// Modules the command's processes load and never use, or load slowly, stand in until used
// (stand-ins.cjs); SA_WORKLOAD_EAGER_MODULES=1 loads them all up front, as packaged (npm run bench
// measures the difference).
function installStandIns() {
    // Where this serves the TypeScript, others still require TypeScript for what needs no
    // compiler: @pulumi/pulumi's run-policy-pack (the policy pack's runner) loads it (0.4 s) to
    // read its version and to parse a tsconfig.json for ts-node, which then does not register
    // (policy/transpile-only.mjs). The stand-in answers those two.
    const parseConfigFileTextToJson = (file, text) => {
        try {
            return { config: JSON.parse(text) };
        } catch {
            return typescript().parseConfigFileTextToJson(file, text);
        }
    };
    standInGroup(new Map([[TS_PATH, { version: TS_VERSION, parseConfigFileTextToJson }]]));
    // @pulumi/pulumi's runtime loads npm's Arborist and normalize-package-data for
    // computeCodePaths (packing a function's dependencies into an archive, e.g. for a cloud
    // function), which nothing here calls: measured, 0.3 s of the policy pack's start and 0.5 s
    // of the command's module loading, both before the engine can run the program.
    const codePaths = ["@npmcli/arborist", "normalize-package-data"]
        .map((request) => resolveFrom(request, "@pulumi/pulumi"))
        .filter((path) => path !== undefined);
    standInGroup(new Map(codePaths.map((path) => [path, {}])));
    // @pulumi/pulumi's index loads its Automation API (52 modules: execa and the CLI's runners),
    // which only the commands use, never the policy pack (measured: the pack serving 0.156 ->
    // 0.144 s into its process, medians of 12 paired starts).
    const automation = resolveFrom("@pulumi/pulumi/automation");
    if (automation) standInGroup(new Map([[automation, {}]]));
    // @pulumi/pulumi's runner of the policy pack first connects an inspector session and enables
    // the debugger (runtime/closure/v8Hooks), for serializing functions into closures, which a
    // policy pack never does; the debugger then hears of every script the pack parses. Measured
    // on the pack's start to serving, each with a warm compile cache of its own: 0.15 s. The
    // runner's wait answers at once; anything else loads the real module (and sets its V8 flag,
    // which is why the pack's compile cache is a folder of its own: stack.ts, pluginCompileCache).
    const v8Hooks = resolveFrom("@pulumi/pulumi/runtime/closure/v8Hooks");
    if (v8Hooks) {
        standInGroup(new Map([[v8Hooks, { isInitializedAsync: () => Promise.resolve() }]]));
    }
    // @pulumi/pulumi's runner of the policy pack loads source-map-support/register to map the
    // pack's stack traces (which a rule's error shows the user), and cannot: it looks for a map
    // in the .ts file itself, where the map of what this cache serves is in the JavaScript, so
    // the traces named the transpiled lines. Node.js's own source maps map them instead
    // (policy/transpile-only.mjs). Nothing reads from the module, which is required for what
    // loading it does: it never loads (its 9 modules, about 10 ms by a require timer; the pack's
    // start to serving was within its spread either way, 20 alternating starts).
    const sourceMapSupport = resolveFrom("source-map-support/register", "@pulumi/pulumi");
    if (sourceMapSupport) standInGroup(new Map([[sourceMapSupport, {}]]));
    // Packages that @pulumi/pulumi loads in every process, the policy pack's too, as files by the
    // dozen (semver 68, @grpc/grpc-js 64, @opentelemetry/api 44, js-yaml 25), load from a bundle
    // each, whole: where @pulumi/pulumi's files require them (by their names only) Node.js finds
    // the bundle. Measured, the four in a new process: 124 -> 76 ms (means of 8); `npm run up`
    // with nothing to change 2.83 -> 2.58 s (8 paired rounds), creating 3.00 -> 2.94 s (6),
    // `preview` 2.90 -> 2.85 s (6).
    const bundles = require("./client-bundle.cjs");
    for (const name of bundles.WHOLE_PACKAGES) {
        const entry = resolveFrom(name, "@pulumi/pulumi");
        if (!entry) continue;
        let url;
        BUNDLED.set(pathToFileURL(entry).href, () => {
            if (url === undefined) {
                const file = bundles.bundledPackage(entry);
                url = file ? pathToFileURL(file).href : "";
            }
            return url;
        });
    }
    // The Kubernetes client, when it is used, loads from its bundle (made only then: processes
    // that never use the client, the policy pack's, skip it).
    const client = resolveFrom("@kubernetes/client-node");
    if (client) {
        const fromBundle = (path) => bundles.bundledClientNode(path);
        standInGroup(new Map([[client, {}]]), (path) => fromBundle(path) ?? require(path));
    }
}

// Node.js without module.registerHooks (older than 22.15): nothing registered, ts-node serves.
if (typeof registerHooks === "function") {
    registerHooks(HOOKS);
    if (process.env.SA_WORKLOAD_EAGER_MODULES !== "1") installStandIns();
    // For policy/transpile-only.mjs: the pack's files are served here, ts-node need not register.
    globalThis[Symbol.for("sa-workload.transpile-cache")] = true;
}
