/**
 * Opens a stack of this project with the Automation API and the program in index.ts as an inline
 * program: the real engine, with no language host binary to install. State goes to
 * PULUMI_BACKEND_URL when set, otherwise to a local file backend in .pulumi/ (no account needed).
 *
 * The engine runs in a workspace directory beside the state, not in the repository: it gets a copy
 * of Pulumi.yaml and a stack file whose config comes from the repository's Pulumi.<stack>.yaml (or
 * from the caller), while the secrets salt the engine writes stays with the state it belongs to.
 * So committed stack files never change, and any number of backends can share them.
 */
import { createHash, randomBytes } from "node:crypto";
import {
    copyFileSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { homedir, tmpdir } from "node:os";
import * as path from "node:path";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

import {
    type Deployment,
    LocalWorkspace,
    PulumiCommand,
    Stack,
    StackAlreadyExistsError,
    Workspace,
} from "@pulumi/pulumi/automation";

import { DEFAULTS } from "../../components/defaults";
import { isObject } from "../../components/problems";
import type * as ProgramConfig from "../../components/program-config";
import { policyPackNodeOptions } from "./policy";
import { knownPulumiCommand } from "./pulumi-command";
import { REPO_ROOT } from "./toolchain";

export const PROJECT = "sa-workload";

/** The local folder for state and workspaces: .pulumi/ in the repository. */
const DEFAULT_STATE = join(REPO_ROOT, ".pulumi");

export interface StackOptions {
    /** Stack name. @default "dev" */
    readonly stackName?: string;
    /** State backend URL. @default PULUMI_BACKEND_URL, else file://<repo>/.pulumi */
    readonly backendUrl?: string;
    /**
     * Stack config (keys like "sa-workload:workloads").
     * @default Pulumi.<stack>.yaml's config, else the config the stack's workspace already has
     */
    readonly config?: Record<string, unknown>;
    /**
     * Whether a stack the backend does not hold is created; without, its absence is an error
     * naming the stack and the backend (a mistyped STACK never adds an empty stack). @default true
     */
    readonly create?: boolean;
}

/**
 * The config of a workspace's stack file (Pulumi.<stack>.yaml, .yml or .json), read by the SDK:
 * undefined without one, as the CLI sees it; a stack file that cannot be read fails.
 */
async function stackConfig(
    ws: Workspace,
    stackName: string,
): Promise<Record<string, unknown> | undefined> {
    const exists = [".yaml", ".yml", ".json"].some((ext) =>
        existsSync(join(ws.workDir, `Pulumi.${stackName}${ext}`)),
    );
    return exists ? ((await ws.stackSettings(stackName)).config ?? {}) : undefined;
}

/**
 * A stack's config as its workspace's stack file holds it (secure values as `{ secure }`), read by
 * the SDK: no CLI run, unlike `stack.getAllConfig()`.
 */
export async function stackFileConfig(stack: Stack): Promise<Record<string, unknown>> {
    return (await stackConfig(stack.workspace, stack.name)) ?? {};
}

/**
 * The kube context a stack's config names (`sa-workload:kubeContext`), as the CLI would give it
 * (a YAML number or boolean as text); unset or empty: none. Anything else (a secret, a list)
 * fails, naming the key: the commands would otherwise check another cluster than the program's.
 */
export function kubeContextOf(config: Record<string, unknown>): string | undefined {
    const key = `${PROJECT}:kubeContext`;
    const value = config[key];
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    throw new Error(
        `Invalid configuration: ${key} is ${JSON.stringify(value)}; set it to the name of a kube ` +
            "context as plain text (one of `kubectl config get-contexts`), or remove it for the " +
            "current context.",
    );
}

/**
 * The config of the repository's Pulumi.<stack>.yaml, if there is such a file. Pass a workspace's
 * `pulumiCommand` to spare the CLI's version check where ensureToolchain() has not run.
 */
export async function repoStackConfig(
    stackName: string,
    pulumiCommand?: PulumiCommand,
): Promise<Record<string, unknown> | undefined> {
    const repo = await LocalWorkspace.create({
        workDir: REPO_ROOT,
        pulumiCommand: pulumiCommand ?? knownPulumiCommand(),
    });
    return stackConfig(repo, stackName);
}

/**
 * The namespace and pod of each workload in a `sa-workload:workloads` value (a list, or JSON text
 * of one, as the program reads it), defaults applied. Empty when it is not a list: config
 * validation reports that, this only names objects.
 */
export function workloadPods(value: unknown = [{}]): { namespace: string; pod: string }[] {
    const { parseWorkloads } = load("../../components/program-config") as typeof ProgramConfig;
    const workloads = parseWorkloads(value);
    if (!Array.isArray(workloads)) return [];
    return workloads.map((w: { namespace?: unknown; podName?: unknown } | null) => ({
        namespace: typeof w?.namespace === "string" ? w.namespace : DEFAULTS.namespace,
        pod: typeof w?.podName === "string" ? w.podName : DEFAULTS.podName,
    }));
}

/** Replaces a stack's config, keeping the secrets settings the engine wrote beside it. */
export async function writeStackConfig(
    stack: Stack,
    config: Record<string, unknown>,
): Promise<void> {
    await saveConfig(stack.workspace, stack.name, config);
}

async function saveConfig(ws: Workspace, stackName: string, config: Record<string, unknown>) {
    const current = await ws.stackSettings(stackName).catch(() => ({}));
    await ws.saveStackSettings(stackName, { ...current, config });
}

/**
 * Where the commands keep their own files for a file backend's state directory: the project's
 * own `.pulumi/` as it is; any other (a user's `file://~`, a shared folder) only inside the
 * CLI's `.pulumi/` there, never in the folder itself (`file://~` would have put them in $HOME).
 */
export function projectFilesDir(stateDir: string, defaultState: string = DEFAULT_STATE): string {
    if (path.resolve(stateDir) === path.resolve(defaultState)) return stateDir;
    return join(stateDir, ".pulumi", "sa-workload");
}

/**
 * The file of a local backend's generated passphrase: in projectFilesDir, or where an earlier
 * version made it beside another backend's state, so that its stacks' secrets still open. That
 * version's `workspace` folder beside it tells its file from one of the user's own.
 */
export function passphraseFile(stateDir: string = DEFAULT_STATE): string {
    const earlier = join(stateDir, "passphrase");
    if (existsSync(earlier) && existsSync(join(stateDir, "workspace"))) return earlier;
    return join(projectFilesDir(stateDir), "passphrase");
}

/**
 * The state directory whose generated passphrase opens a stack's secrets: a local file backend's,
 * where the caller has set no passphrase (undefined otherwise).
 */
function generatedPassphraseDir(backendUrl: string, parent: NodeJS.ProcessEnv): string | undefined {
    const passphraseSet = parent.PULUMI_CONFIG_PASSPHRASE || parent.PULUMI_CONFIG_PASSPHRASE_FILE;
    return passphraseSet ? undefined : fileBackendDir(backendUrl);
}

/**
 * What opens the secrets of a stack on `backendUrl`: the caller's passphrase file by its absolute
 * path (the CLI runs in the workspace folder, and would read a relative one from there); where
 * the caller has set no passphrase, on a local file backend, the passphrase made for it. A
 * passphrase made here serves a local file backend only: on a shared one (a bucket) it would lock
 * every other runner out of the stack's secrets, so there the CLI asks for the team's.
 */
export function stackPassphrase(
    backendUrl: string,
    parent: NodeJS.ProcessEnv = process.env,
    /** Milliseconds an empty passphrase file may stay empty (another command's write). @default 1000 */
    emptyForMs = 1000,
): { PULUMI_CONFIG_PASSPHRASE?: string; PULUMI_CONFIG_PASSPHRASE_FILE?: string } {
    // Pulumi Cloud (http(s)://) keeps secrets with its own key: the passphrase is not used there.
    const selfManaged = !fileBackendDir(backendUrl) && !/^https?:\/\//i.test(backendUrl);
    if (selfManaged && parent.PULUMI_CONFIG_PASSPHRASE === "") {
        // The CLI takes a set but empty passphrase as the passphrase, before a passphrase file:
        // a stack made so on a shared backend has secrets anyone who reads the bucket can open
        // (a CI job whose passphrase secret is not mapped gets "").
        throw new Error(
            `PULUMI_CONFIG_PASSPHRASE is set but empty, and the backend is ${backendName(backendUrl)}: ` +
                "the Pulumi CLI would encrypt the stack's secrets with an empty passphrase, which " +
                "anyone who can read the backend could open; nothing was run. Fix: set it to the " +
                "team's passphrase (in CI, map the secret that holds it), or unset it and set " +
                "PULUMI_CONFIG_PASSPHRASE_FILE (PowerShell: Remove-Item Env:PULUMI_CONFIG_PASSPHRASE).",
        );
    }
    const file = parent.PULUMI_CONFIG_PASSPHRASE_FILE;
    if (file) return { PULUMI_CONFIG_PASSPHRASE_FILE: path.resolve(file) };
    const dir = generatedPassphraseDir(backendUrl, parent);
    return dir ? { PULUMI_CONFIG_PASSPHRASE: localPassphrase(dir, emptyForMs) } : {};
}

/**
 * What a `pulumi` command typed by the user needs to reach a stack as the commands do: the
 * backend, where the user has not set it (the project's own `.pulumi`), and the passphrase file
 * made for it, where the user set no passphrase.
 */
export function pulumiCliEnv(
    backendUrl: string,
    parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
    const dir = generatedPassphraseDir(backendUrl, parent);
    return {
        ...(parent.PULUMI_BACKEND_URL ? {} : { PULUMI_BACKEND_URL: backendUrl }),
        ...(dir ? { PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile(dir) } : {}),
    };
}

/**
 * `command` after `env`, as typed in a POSIX shell and, in brackets, in PowerShell, where `$env:`
 * lasts for the session: removed after the command, so that later `pulumi` commands of other
 * projects do not reach this one's backend.
 */
export function typedCommand(env: Record<string, string>, command: string): string {
    const vars = Object.entries(env);
    const posix = [...vars.map(([k, v]) => `${k}='${v}'`), command].join(" ");
    const powershell = [
        ...vars.map(([k, v]) => `$env:${k}='${v}'`),
        command,
        `Remove-Item ${vars.map(([k]) => `Env:${k}`).join(", ")}`,
    ].join("; ");
    return vars.length ? `${posix} (PowerShell: ${powershell})` : command;
}

/**
 * A passphrase for a local backend's secrets, made once per backend directory: of two first
 * commands at once, the second reads the first one's (a passphrase replaced once a stack was made
 * with it could not open that stack's secrets).
 */
function localPassphrase(stateDir: string, emptyForMs: number): string {
    const file = passphraseFile(stateDir);
    if (!existsSync(file)) {
        mkdirSync(path.dirname(file), { recursive: true });
        // Created only if absent: of two first commands at once, the second keeps the first's.
        try {
            writeFileSync(file, randomBytes(24).toString("base64"), { mode: 0o600, flag: "wx" });
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
    }
    // Empty for a moment between another command's create and its write.
    for (let waited = 0; ; waited += 10) {
        const passphrase = readFileSync(file, "utf8").trim();
        if (passphrase) return passphrase;
        if (waited >= emptyForMs) {
            throw new Error(
                `The passphrase file ${file} is empty, so the stack's secrets cannot be opened; ` +
                    "nothing was run. Fix: write into it the passphrase your stacks were made " +
                    "with, or set PULUMI_CONFIG_PASSPHRASE; delete it only if no stack uses it " +
                    "(a new one is made).",
            );
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
}

/**
 * The file-backend URL of a state directory, in the form the Pulumi CLI parses on each platform:
 * `file:///home/u/.pulumi`, `file:///C:/Users/u/.pulumi` (a bare `file://C:\...` reads as a host
 * with a bad port and sends the CLI to Pulumi Cloud). Not percent-encoded: the CLI takes the
 * path as written.
 */
export function fileBackendUrl(dir: string, platform: NodeJS.Platform = process.platform): string {
    if (platform !== "win32") return `file://${dir}`;
    return `file:///${dir.replace(/\\/g, "/")}`;
}

/**
 * The state directory of a file-backend URL, as the Pulumi CLI reads it: query left out, `~` as the
 * home directory, `/C:/...` as `C:/...` on Windows, a relative path from `cwd`. Undefined for any
 * other backend.
 */
export function fileBackendDir(
    url: string,
    platform: NodeJS.Platform = process.platform,
    home: string = homedir(),
    cwd: string = process.cwd(),
): string | undefined {
    if (!url.startsWith("file://")) return undefined;
    const p = platform === "win32" ? path.win32 : path.posix;
    let dir = url.slice("file://".length).split("?")[0];
    if (dir === "~" || dir.startsWith("~/")) dir = p.join(home, dir.slice(1));
    if (platform === "win32" && /^\/[A-Za-z]:/.test(dir)) dir = dir.slice(1);
    return p.resolve(cwd, dir);
}

/**
 * A backend URL as the CLI must get it, run in the workspace folder: a file backend's by its
 * absolute path (a relative one would be read from that folder), query kept.
 */
export function cliBackendUrl(url: string, platform: NodeJS.Platform = process.platform): string {
    const dir = fileBackendDir(url, platform);
    if (!dir) return url;
    const query = url.includes("?") ? url.slice(url.indexOf("?")) : "";
    return fileBackendUrl(dir, platform) + query;
}

/** PULUMI_BACKEND_URL, else the local file backend in .pulumi/. */
export function defaultBackendUrl(): string {
    return process.env.PULUMI_BACKEND_URL ?? fileBackendUrl(DEFAULT_STATE);
}

/**
 * Where the engine runs for a backend: beside a file backend's state (in projectFilesDir); for
 * any other backend, a folder per backend URL beside the default state (its stack files' secrets
 * settings belong to that backend, so two backends never share them).
 */
export function workspaceDir(backendUrl: string, defaultState: string = DEFAULT_STATE): string {
    const fileState = fileBackendDir(backendUrl);
    if (fileState) return join(projectFilesDir(fileState, defaultState), "workspace");
    const key = createHash("sha256").update(backendUrl).digest("hex").slice(0, 12);
    return join(defaultState, "workspaces", key);
}

/**
 * Node.js's compile cache for the processes the CLI starts (the policy pack's), in a folder of its
 * own beside this process's: where @pulumi/pulumi's runner of a pack sets its V8 flag (runtime/
 * closure/v8Hooks, which the transpile cache stands in for but the Node.js language host loads),
 * V8 rejects code compiled under other flags, so one shared folder was rejected and rewritten by
 * each process in turn (measured: 320 modules at every command, 0.2 s of the pack's start).
 */
export function pluginCompileCache(parent: NodeJS.ProcessEnv = process.env): {
    NODE_COMPILE_CACHE?: string;
} {
    const own = parent.NODE_COMPILE_CACHE;
    return own ? { NODE_COMPILE_CACHE: join(own, "engine-plugins") } : {};
}

const load = createRequire(__filename);

/**
 * The program of index.ts, with what only it loads (@pulumi/kubernetes, the component, zod: 0.2 s
 * on the command path), loaded on first use rather than with the commands' modules: the commands
 * load it once the engine's CLI has started (scripts/deploy.ts), while the engine opens the stack
 * and starts the policy pack, instead of before the engine could start.
 */
export function programModule(): typeof import("../../index") {
    return load("../../index") as typeof import("../../index");
}

/** A backend URL as safe and short to print: scheme and bucket or folder, no query, no user info. */
export function backendName(url: string): string {
    const [base] = url.split("?");
    return base.replace(/\/\/[^@/]*@/, "//");
}

/** Creates or selects the stack, with the program of index.ts. */
export async function openStack(options: StackOptions = {}): Promise<Stack> {
    const stackName = options.stackName ?? "dev";
    const backendUrl = options.backendUrl ?? defaultBackendUrl();
    const fileState = fileBackendDir(backendUrl);
    const workDir = workspaceDir(backendUrl);
    mkdirSync(workDir, { recursive: true });
    copyFileSync(join(REPO_ROOT, "Pulumi.yaml"), join(workDir, "Pulumi.yaml"));

    const env: Record<string, string> = {
        PULUMI_BACKEND_URL: cliBackendUrl(backendUrl),
        // This workspace's stack file has no secrets settings on a runner that did not create the
        // stack (another clone, a CI job): use the secrets provider its state records, as the
        // CLI offers for workspaces like this one, rather than a new one.
        PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "true",
        ...pluginCompileCache(),
        ...policyPackNodeOptions(),
        ...stackPassphrase(backendUrl),
    };
    const ws = sealedState(
        await LocalWorkspace.create({
            workDir,
            envVars: env,
            program: () => Promise.resolve(programModule()()),
            pulumiCommand: knownPulumiCommand(),
        }),
    );
    // Config: the caller's, else the repository's stack file, else what the workspace already has.
    const config = options.config ?? (await repoStackConfig(stackName, ws.pulumiCommand));
    if (config) await saveConfig(ws, stackName, config);
    if (fileState && stateFileExists(fileState, stackName)) return existingStack(stackName, ws);
    if (options.create ?? true) return createOrSelectStack(stackName, ws);
    const missing = new Error(
        `Stack ${stackName} does not exist on ${backendName(backendUrl)}: check STACK (and ` +
            "PULUMI_BACKEND_URL), or run `npm run up` first.",
    );
    if (fileState) throw missing;
    return Stack.select(stackName, ws).catch((error: unknown) => {
        throw /no stack named/i.test(String(error)) ? missing : error;
    });
}

/**
 * The workspace with exportStack and importStack as the backend keeps the state: the Automation
 * API's (3.270) export runs `pulumi stack export --show-secrets`, and its import writes that
 * plaintext into the temporary directory, readable by every local user, where it stays when the
 * import fails. Here the secrets stay ciphertext (the CLI exports them as stored and imports them
 * so), and the import's file is in a directory of the user's own, removed whatever happens.
 */
export function sealedState(ws: LocalWorkspace): LocalWorkspace {
    // The CLI handle's run(), as the workspace's own commands call it (not in the SDK's types).
    const cli = ws.pulumiCommand as unknown as {
        run(args: string[], cwd: string, env: Record<string, string>): Promise<{ stdout: string }>;
    };
    const run = (args: string[]) => cli.run(args, ws.workDir, { ...ws.envVars });
    ws.exportStack = async (stackName) =>
        JSON.parse((await run(["stack", "export", "--stack", stackName])).stdout) as Deployment;
    ws.importStack = async (stackName, state) => {
        const dir = mkdtempSync(join(tmpdir(), "sa-workload-import-"));
        // Removed at exit too: a SIGTERM that ends the command at once skips the `finally`.
        const removeAtExit = () => rmSync(dir, { recursive: true, force: true });
        process.once("exit", removeAtExit);
        try {
            const file = join(dir, "state.json");
            writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
            await run(["stack", "import", "--file", file, "--stack", stackName]);
        } finally {
            process.off("exit", removeAtExit);
            removeAtExit();
        }
    };
    return ws;
}

/**
 * Stack.createOrSelect, where another runner creates the stack between its select and its create
 * (two first ups at once, on one backend): the create fails as the stack already exists, and
 * selecting it then works. The stack's lock decides, as for any two updates, which one runs.
 */
export async function createOrSelectStack(stackName: string, ws: Workspace): Promise<Stack> {
    try {
        return await Stack.createOrSelect(stackName, ws);
    } catch (error) {
        if (!(error instanceof StackAlreadyExistsError)) throw error;
        return Stack.select(stackName, ws);
    }
}

/**
 * Whether a file backend holds the stack's state: `.pulumi/stacks/<project>/<stack>.json` (or
 * `.json.gz`, as PULUMI_SELF_MANAGED_STATE_GZIP writes it), where the CLI keeps a project's stacks.
 */
export function stateFileExists(fileState: string, stackName: string): boolean {
    const file = stateFile(fileState, stackName);
    return file !== undefined && (existsSync(file) || existsSync(`${file}.gz`));
}

/** The uncompressed state file of a stack named without its project (a qualified name: none). */
export function stateFile(fileState: string, stackName: string): string | undefined {
    if (stackName.includes("/")) return undefined; // the CLI resolves a qualified name
    return join(fileState, ".pulumi", "stacks", PROJECT, `${stackName}.json`);
}

/**
 * The stack's deployment (its resources and their state), as `pulumi stack export` prints it.
 * From a file backend's state file, where it is plainly there: the CLI's export prints the
 * `latest` of the file's checkpoint as it is (its file backend's ExportDeployment), and reading it
 * here spares a CLI run that held up every command's start (0.3 s here). The CLI otherwise.
 */
export async function stackDeployment(stack: Stack, backendUrl: string): Promise<unknown> {
    const fileState = fileBackendDir(backendUrl);
    const read = fileState ? stateFileDeployment(fileState, stack.name) : undefined;
    return read ? read.deployment : (await stack.exportStack()).deployment;
}

const GZIP = [0x1f, 0x8b];
/** The checkpoint versions whose `latest` is the deployment (4: 3 with the features it uses). */
const CHECKPOINT_VERSIONS = new Set<unknown>([3, 4]);

/**
 * A file backend's deployment of a stack; undefined where only the CLI can tell: a qualified stack
 * name, no file, two of them (the CLI takes the newer), zstd (`.json.zst`), a checkpoint version
 * other than 3 and 4, anything unreadable.
 */
export function stateFileDeployment(
    fileState: string,
    stackName: string,
): { deployment: unknown } | undefined {
    const base = stateFile(fileState, stackName);
    if (base === undefined) return undefined;
    const files = [base, `${base}.gz`, `${base}.zst`].filter((file) => existsSync(file));
    if (files.length !== 1) return undefined;
    try {
        const bytes = readFileSync(files[0]);
        // As the CLI, by content: gzip, or plain JSON (zstd and the rest fail to parse).
        const gzip = GZIP.every((byte, i) => bytes[i] === byte);
        const state: unknown = JSON.parse((gzip ? gunzipSync(bytes) : bytes).toString("utf8"));
        if (!isObject(state) || !CHECKPOINT_VERSIONS.has(state.version)) return undefined;
        if (!isObject(state.checkpoint)) return undefined;
        return { deployment: state.checkpoint.latest ?? null };
    } catch {
        return undefined;
    }
}

/**
 * A stack whose state the backend already holds, without `pulumi stack select` (0.3 s here), which
 * would only confirm that: every command the Automation API runs names the stack (`--stack`).
 */
function existingStack(stackName: string, ws: LocalWorkspace): Promise<Stack> {
    const confirmed = Object.create(ws, {
        selectStack: { value: () => Promise.resolve() },
    }) as LocalWorkspace;
    return Stack.select(stackName, confirmed);
}
