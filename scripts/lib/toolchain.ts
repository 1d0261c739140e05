/**
 * Finds the Pulumi CLI and the Kubernetes provider plugin the way a Pulumi user has them: the
 * `pulumi` on PATH, and the plugin as `pulumi plugin install` puts it. Only where there is no
 * `pulumi` at all, or the plugin cannot be downloaded (offline), and Go is installed (Linux), are
 * they built from Go modules by scripts/toolchain/build.sh, and the output says so and why.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
    closeSync,
    existsSync,
    mkdirSync,
    openSync,
    readdirSync,
    readFileSync,
    readSync,
    realpathSync,
    renameSync,
    statSync,
    writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { basename, delimiter, dirname, join } from "node:path";

export const REPO_ROOT = join(__dirname, "..", "..");
const TOOLCHAIN_SRC = join(REPO_ROOT, "scripts", "toolchain");
const BUILD = join(TOOLCHAIN_SRC, "build.sh");
const EXE = process.platform === "win32" ? ".exe" : "";

/** The pinned versions of scripts/toolchain/versions.env, by name. */
export function pinnedVersions(): Record<string, string> {
    const text = readFileSync(join(REPO_ROOT, "scripts", "toolchain", "versions.env"), "utf8");
    return Object.fromEntries([...text.matchAll(/^([A-Z0-9_]+)=(\S+)/gm)].map((m) => [m[1], m[2]]));
}

/** Runs a toolchain or cluster script, its progress on stderr; throws if it fails. */
export function runScript(script: string, ...args: string[]): string {
    const result = spawnSync("bash", [script, ...args], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "inherit"],
        encoding: "utf8",
    });
    if (result.status !== 0) {
        throw new Error(
            `${script} ${args.join(" ")} failed (exit ${result.status ?? result.signal})`,
        );
    }
    return result.stdout;
}

/** The first `command` on `path`, outside the directories of `skip`. */
export function findOnPath(command: string, path: string, skip: string[] = []): string | undefined {
    for (const dir of path.split(delimiter)) {
        if (!dir || skip.includes(dir)) continue;
        const file = join(dir, command + EXE);
        if (existsSync(file)) return file;
    }
    return undefined;
}

/** -1, 0 or 1 as version `a` is older than, the same as or newer than `b` (x.y.z, a leading v). */
export function compareVersions(a: string, b: string): number {
    const parts = (v: string) => v.replace(/^v/, "").split(/[.+-]/).slice(0, 3).map(Number);
    const [x, y] = [parts(a), parts(b)];
    for (let i = 0; i < 3; i++) {
        if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0) ? -1 : 1;
    }
    return 0;
}

/** The message for a `pulumi` older than the SDK needs: both versions, and how to upgrade. */
export function tooOldMessage(file: string, version: string, required: string): string {
    return (
        `The Pulumi CLI on PATH (${file}) is ${version}, older than ${required}, which this ` +
        `project's @pulumi/pulumi needs. Upgrade it (macOS: brew upgrade pulumi; Windows: ` +
        `winget upgrade pulumi or choco upgrade pulumi; Linux: curl -fsSL https://get.pulumi.com ` +
        `| sh, or pulumi self-update where it is offered), then run the command again.`
    );
}

/** Where the project caches what it builds (scripts/toolchain/lib.sh's CACHE_ROOT). */
export function cacheRoot(): string {
    // scripts/run.mjs sets it for every project command.
    return process.env.SA_WORKLOAD_CACHE ?? join(homedir(), ".cache", "sa-workload");
}

/**
 * Whether `file` is the Pulumi CLI itself rather than a version manager's shim, which starts
 * another version in each folder as its config says: mise links its own binary, asdf writes a
 * script. Only the CLI itself has a version to remember, and only where it can be told apart.
 */
function isPulumiItself(real: string): boolean {
    // Windows' shims (scoop, Chocolatey, mise) are executables of their own, copied with their
    // times: nothing tells one from the CLI there, so its version is asked every time.
    if (process.platform === "win32") return false;
    if (!/^pulumi$/.test(basename(real))) return false;
    const head = Buffer.alloc(2);
    const fd = openSync(real, "r");
    try {
        readSync(fd, head, 0, 2, 0);
    } finally {
        closeSync(fd);
    }
    return head.toString("latin1") !== "#!";
}

/**
 * `pulumi version` of a binary, remembered by its real path, size and time (it costs 0.15 s a
 * run); a shim's is asked every time.
 */
export function pulumiVersion(file: string): string {
    const real = realpathSync(file);
    const { size, mtimeMs } = statSync(real);
    // A file of its own: the one before kept shims' versions too, under the path on PATH.
    const memo = join(cacheRoot(), "pulumi-cli-versions.json");
    let known: Record<string, { size: number; mtimeMs: number; version: string }> = {};
    try {
        known = JSON.parse(readFileSync(memo, "utf8")) as typeof known;
    } catch {
        // first run, or a damaged file: ask the binary
    }
    // Only the CLI itself is ever remembered, so a hit needs no second look at the file.
    const hit = known[real];
    if (hit?.size === size && hit.mtimeMs === mtimeMs) return hit.version;
    const result = spawnSync(file, ["version"], { encoding: "utf8" });
    const version = result.stdout?.trim().replace(/^v/, "");
    if (result.status !== 0 || !version) {
        throw new Error(`${file} version failed (exit ${result.status}): ${result.stderr}`);
    }
    if (!isPulumiItself(real)) return version;
    known[real] = { size, mtimeMs, version };
    mkdirSync(dirname(memo), { recursive: true });
    writeFileSync(memo, JSON.stringify(known));
    return version;
}

/**
 * The Pulumi CLI's own folder (plugins, logs, credentials): PULUMI_HOME, else ~/.pulumi (an empty
 * PULUMI_HOME counts as unset, as the CLI reads it).
 */
export function pulumiHome(): string {
    return process.env.PULUMI_HOME || join(homedir(), ".pulumi");
}

/** Where `pulumi plugin install` puts the Kubernetes provider of `version`. */
export function providerPluginFile(version: string): string {
    const dir = join(pulumiHome(), "plugins", `resource-kubernetes-v${version}`);
    return join(dir, `pulumi-resource-kubernetes${EXE}`);
}

function canBuild(): boolean {
    return process.platform === "linux" && findOnPath("go", process.env.PATH ?? "") !== undefined;
}

/**
 * Whether this machine resolves the host Pulumi downloads from (SA_WORKLOAD_DOWNLOAD_HOST, for the
 * tests): one that does is online, and gets what it lacks as a user would, never from a Go build.
 * Only asked where something is missing.
 */
function online(): boolean {
    const host = process.env.SA_WORKLOAD_DOWNLOAD_HOST || "get.pulumi.com";
    const lookup = `require("node:dns").lookup(${JSON.stringify(host)}, (e) => process.exit(e ? 1 : 0))`;
    const run = spawnSync(process.execPath, ["-e", lookup], { stdio: "ignore", timeout: 10_000 });
    return run.status === 0;
}

let knownDirs: ToolchainDirs | undefined;

/** The directories build.sh builds into, asked once per process. */
function builtDirs(): ToolchainDirs {
    return (knownDirs ??= toolchainDirs());
}

/** Where build.sh puts the Pulumi CLI, and the cluster's binaries (':'-separated). */
export interface ToolchainDirs {
    readonly pulumi: string;
    readonly cluster: string;
}

/**
 * The directories as `build.sh env` prints them, kept in the cache under the hash of everything
 * it reads: bash runs it only when that changed (it hashes every piece's Go module with 24
 * processes: 0.05-0.1 s of each command, before the engine can start).
 */
export function toolchainDirs(env: () => string = () => runScript(BUILD, "env")): ToolchainDirs {
    const key = toolchainEnvKey();
    const memo = join(cacheRoot(), "toolchain-dirs.json");
    try {
        const known = JSON.parse(readFileSync(memo, "utf8")) as {
            key?: string;
            dirs?: ToolchainDirs;
        };
        if (known.key === key && known.dirs) return known.dirs;
    } catch {
        // first run, or a damaged file: ask build.sh
    }
    const printed = env();
    const value = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(printed)?.[1];
    const pulumi = value("PULUMI_BIN_DIR");
    const cluster = value("CLUSTER_BIN_DIRS");
    if (!pulumi || !cluster) throw new Error(`${BUILD} env printed no directories`);
    // Written whole, then renamed: two commands at once never read half a file.
    const partial = `${memo}.${process.pid}`;
    mkdirSync(dirname(memo), { recursive: true });
    writeFileSync(partial, JSON.stringify({ key, dirs: { pulumi, cluster } }));
    renameSync(partial, memo);
    return { pulumi, cluster };
}

/**
 * The hash of what `build.sh env` reads in `src` (its scripts, versions.env, and every piece's
 * go.mod, go.sum and .go files, which name its folder) and of the variables that place the cache.
 */
export function toolchainEnvKey(src: string = TOOLCHAIN_SRC): string {
    const hash = createHash("sha256");
    for (const name of ["SA_WORKLOAD_CACHE", "XDG_CACHE_HOME", "HOME"]) {
        hash.update(`${name}=${process.env[name] ?? ""}\0`);
    }
    const read = /^go\.(mod|sum)$|\.(go|sh|env)$/;
    const files = readdirSync(src, { recursive: true, encoding: "utf8" })
        .filter((file) => read.test(basename(file)))
        .sort();
    for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(src, file)));
    return hash.digest("hex");
}

/** The pieces this process has already checked or built. */
const ensured = new Set<string>();

/** A Pulumi CLI binary and its version. */
export interface PulumiCli {
    readonly file: string;
    readonly version: string;
}
let cli: PulumiCli | undefined;

/** The `pulumi` that ensureToolchain() put first on PATH, with its version (undefined before). */
export function ensuredPulumi(): PulumiCli | undefined {
    return cli;
}

/** Makes a `pulumi` of at least the SDK's version the first on PATH; returns its path. */
function ensurePulumi(required: string, cliVersion: string): void {
    const built = process.platform === "linux" ? builtDirs() : undefined;
    const skip = built ? [built.pulumi] : [];
    const own = findOnPath("pulumi", process.env.PATH ?? "", skip);
    if (own) {
        const version = pulumiVersion(own);
        if (compareVersions(version, required) < 0) {
            throw new Error(tooOldMessage(own, version, required));
        }
        cli = { file: own, version };
        return;
    }
    // Built already (build.sh would say "cached" and return): used as it is, with no bash process
    // (0.1 s) and no question to the network (a Node.js process and a DNS lookup: 0.08-0.14 s of
    // every command here), which only decides whether to build.
    if (!built || !existsSync(join(built.pulumi, ".complete"))) {
        if (!built || !canBuild() || online()) {
            throw new Error(
                "The Pulumi CLI is not on PATH. Install it (https://www.pulumi.com/docs/install/), " +
                    "then run the command again.",
            );
        }
        console.error(
            `No Pulumi CLI on PATH: building Pulumi ${cliVersion} from its Go modules (about 10 ` +
                `minutes on 2 cores, once). Install the Pulumi CLI to use it instead.`,
        );
        runScript(BUILD, "pulumi");
    }
    process.env.PATH = [built.pulumi, process.env.PATH].join(delimiter);
    const file = join(built.pulumi, `pulumi${EXE}`);
    cli = { file, version: pulumiVersion(file) };
}

/** Installs the Kubernetes provider plugin as Pulumi does, building it only when that fails. */
function ensureProvider(version: string): void {
    if (existsSync(providerPluginFile(version))) return;
    console.error(`Installing the Kubernetes provider plugin ${version} (pulumi plugin install)`);
    // The CLI ensurePulumi() found (pulumi.exe on Windows): no shell, which would join the
    // arguments unquoted (and which Node.js 24 deprecates with an arguments list).
    const pulumi = cli?.file ?? "pulumi";
    const install = spawnSync(pulumi, ["plugin", "install", "resource", "kubernetes", version], {
        encoding: "utf8",
        timeout: 600_000,
    });
    if (install.status === 0 && existsSync(providerPluginFile(version))) return;
    const why =
        `${install.stderr ?? ""}${install.error?.message ?? ""}`.trim().split("\n").pop() ??
        "no output";
    if (!canBuild() || online()) {
        throw new Error(
            `pulumi plugin install resource kubernetes ${version} failed: ${why}. Check your ` +
                "network (or proxy) and run the command again.",
        );
    }
    console.error(
        `pulumi plugin install resource kubernetes ${version} failed (${why}): offline, so ` +
            "building the provider from its Go modules instead (about 15 minutes on 2 cores, once).",
    );
    runScript(BUILD, "provider");
}

/** The kubectl built with the bundled local cluster, if it is built. */
export function builtKubectl(): string | undefined {
    try {
        return builtDirs()
            .cluster.split(delimiter)
            .map((dir) => join(dir, "kubectl"))
            .find((file) => existsSync(file));
    } catch {
        return undefined; // build.sh could not say where: the printed commands name `kubectl`
    }
}

/** Whether the bundled local cluster's binaries are built (build.sh moves each folder in whole). */
export function clusterBuilt(): boolean {
    const dirs = builtDirs().cluster.split(delimiter);
    return CLUSTER_BINARIES.every((bin) => dirs.some((dir) => existsSync(join(dir, bin))));
}
const CLUSTER_BINARIES = ["kube-apiserver", "etcd", "kwokctl"];

/**
 * Before the bundled local cluster's first build: says what it costs and how to use a cluster of
 * one's own instead, or, with no Go to build it, stops with that.
 */
function announceClusterBuild(): void {
    const own =
        "start a cluster of your own (e.g. `minikube start`, which selects its context) and run " +
        "the command again";
    if (!canBuild()) {
        throw new Error(
            "The bundled local cluster (Linux; used where no kube context is set, or with " +
                "SA_WORKLOAD_CLUSTER=local) is built from Go modules on first use, but `go` is not " +
                `on PATH; nothing was changed. Either ${own}, or install Go to build the bundled ` +
                "cluster (about 15 minutes on 2 cores, once).",
        );
    }
    console.error(
        "Building the bundled local cluster (kube-apiserver, etcd, kwok) from Go modules: about " +
            `15 minutes on 2 cores, once. To use your own cluster instead, stop (Ctrl-C), ${own}.`,
    );
}

/**
 * Makes `pulumi` and its Kubernetes plugin available to this process and its children. `pieces`
 * may add the bundled local cluster's binaries (Linux; built from Go modules).
 */
export function ensureToolchain(pieces: "cluster"[] = []): void {
    const versions = pinnedVersions();
    if (!ensured.has("pulumi")) {
        ensurePulumi(versions.PULUMI_NPM_VERSION, versions.PULUMI_CLI_VERSION);
        ensured.add("pulumi");
    }
    if (!ensured.has("provider")) {
        ensureProvider(versions.K8S_PROVIDER_VERSION);
        ensured.add("provider");
    }
    if (pieces.includes("cluster") && !ensured.has("cluster")) {
        if (!clusterBuilt()) announceClusterBuild();
        runScript(BUILD, "cluster");
        process.env.PATH = [builtDirs().cluster, process.env.PATH].join(delimiter);
        ensured.add("cluster");
    }
    // The plugin is in place: a missing one is an error, never a download in the middle of a run.
    process.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION ??= "true";
    process.env.PULUMI_SKIP_UPDATE_CHECK ??= "true";
}
