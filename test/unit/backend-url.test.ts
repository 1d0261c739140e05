import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

import * as fs from "node:fs";
import { createRequire } from "node:module";

import {
    LocalWorkspace,
    Stack,
    StackAlreadyExistsError,
    StackNotFoundError,
    Workspace,
} from "@pulumi/pulumi/automation";

import {
    cliBackendUrl,
    createOrSelectStack,
    fileBackendDir,
    fileBackendUrl,
    kubeContextOf,
    openStack,
    passphraseFile,
    PROJECT,
    pluginCompileCache,
    pulumiCliEnv,
    sealedState,
    stackPassphrase,
    stateFileDeployment,
    stateFileExists,
    typedCommand,
    workloadPods,
    workspaceDir,
} from "../../scripts/lib/stack";
import { withEnv } from "../helpers/env";
import { fakePulumi } from "../helpers/fake-pulumi";
import { tempDir } from "../helpers/temp-dirs";

describe("file backend URLs, as the Pulumi CLI parses them", () => {
    it("writes a POSIX directory as file:// and its absolute path", () => {
        assert.equal(
            fileBackendUrl("/home/u/repo/.pulumi", "linux"),
            "file:///home/u/repo/.pulumi",
        );
    });

    it("writes a Windows directory with forward slashes after file:///", () => {
        assert.equal(
            fileBackendUrl("C:\\Users\\u\\repo\\.pulumi", "win32"),
            "file:///C:/Users/u/repo/.pulumi",
        );
    });

    it("reads back the directory it wrote, on both platforms", () => {
        assert.equal(fileBackendDir(fileBackendUrl("/srv/state", "linux"), "linux"), "/srv/state");
        const win = fileBackendUrl("C:\\Users\\u\\.pulumi", "win32");
        assert.equal(fileBackendDir(win, "win32", "C:\\Users\\u", "C:\\"), "C:\\Users\\u\\.pulumi");
    });

    it("reads ~, a query string and a relative path as the CLI does", () => {
        assert.equal(fileBackendDir("file://~/.pulumi", "linux", "/home/u"), "/home/u/.pulumi");
        assert.equal(fileBackendDir("file://~", "linux", "/home/u"), "/home/u");
        assert.equal(fileBackendDir("file:///srv/state?no_tmp_dir=false", "linux"), "/srv/state");
        assert.equal(
            fileBackendDir("file://state", "linux", "/h", "/work/repo"),
            "/work/repo/state",
        );
        assert.equal(
            fileBackendDir("file://~/.pulumi", "win32", "C:\\Users\\u", "D:\\"),
            "C:\\Users\\u\\.pulumi",
        );
    });

    it("is given to the CLI by its absolute path, query kept, and other backends as they are", () => {
        assert.equal(
            cliBackendUrl("file://state?x=1", "linux"),
            `file://${join(process.cwd(), "state")}?x=1`,
        );
        assert.equal(cliBackendUrl("file:///srv/state", "linux"), "file:///srv/state");
        assert.equal(
            cliBackendUrl("s3://team-state?region=eu-west-1"),
            "s3://team-state?region=eu-west-1",
        );
    });

    it("gives no directory for other backends", () => {
        assert.equal(fileBackendDir("s3://bucket?region=us-east-1", "linux"), undefined);
    });

    it("runs the engine beside a file backend's state, and in a folder per URL for any other", () => {
        assert.equal(
            workspaceDir("file:///srv/state", "/repo/.pulumi"),
            "/srv/state/.pulumi/sa-workload/workspace",
        );
        assert.equal(
            workspaceDir("file:///repo/.pulumi", "/repo/.pulumi"),
            "/repo/.pulumi/workspace",
        );
        const a = workspaceDir("s3://team-a?region=eu-west-1", "/repo/.pulumi");
        const b = workspaceDir("s3://team-b?region=eu-west-1", "/repo/.pulumi");
        assert.match(a, /^\/repo\/\.pulumi\/workspaces\/[0-9a-f]{12}$/);
        assert.notEqual(a, b, "two buckets share a workspace (and its secrets settings)");
        assert.equal(workspaceDir("s3://team-a?region=eu-west-1", "/repo/.pulumi"), a);
    });
});

describe("a file backend's folder that is not the project's", () => {
    it("keeps the passphrase an earlier version made beside its state, and no file of the user's", () => {
        const dir = mkdtempSync(join(tmpdir(), "passphrase-earlier-"));
        try {
            // A file of the user's own, of the same name: not taken for the stacks' passphrase.
            writeFileSync(join(dir, "passphrase"), "the-users-own\n");
            const url = fileBackendUrl(dir);
            assert.notEqual(stackPassphrase(url, {}).PULUMI_CONFIG_PASSPHRASE, "the-users-own");
            rmSync(join(dir, ".pulumi"), { recursive: true });
            // Beside the workspace folder an earlier version made there: its passphrase.
            writeFileSync(join(dir, "passphrase"), "made-earlier\n");
            mkdirSync(join(dir, "workspace"));
            assert.deepEqual(stackPassphrase(url, {}), {
                PULUMI_CONFIG_PASSPHRASE: "made-earlier",
            });
            assert.deepEqual(readdirSync(dir).sort(), ["passphrase", "workspace"]);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("opening a stack that another runner may be creating", () => {
    // As the Automation API throws them (their constructors are not public).
    const notFound = Object.create(StackNotFoundError.prototype) as Error;
    const exists = Object.create(StackAlreadyExistsError.prototype) as Error;

    /** A workspace whose stack appears, made by another runner, as this one first looks for it. */
    function racedWorkspace(createError: Error) {
        const calls: string[] = [];
        let created = false;
        const ws = {
            selectStack: (name: string) => {
                calls.push(`select ${name}`);
                if (created) return Promise.resolve();
                created = true;
                return Promise.reject(notFound);
            },
            createStack: (name: string) => {
                calls.push(`create ${name}`);
                return Promise.reject(createError);
            },
        } as unknown as Workspace;
        return { ws, calls };
    }

    it("selects the stack where its create finds it made meanwhile", async () => {
        const { ws, calls } = racedWorkspace(exists);
        const stack = await createOrSelectStack("dev", ws);
        assert.equal(stack.name, "dev");
        assert.deepEqual(calls, ["select dev", "create dev", "select dev"]);
    });

    it("fails as the create did on any other error", async () => {
        const refused = new Error('blob (key ".pulumi/stacks/sa-workload/dev.json") AccessDenied');
        const { ws, calls } = racedWorkspace(refused);
        await assert.rejects(createOrSelectStack("dev", ws), refused);
        assert.deepEqual(calls, ["select dev", "create dev"]);
    });
});

describe("a stack a file backend already holds", () => {
    it("is known from the state file the CLI keeps for it, plain or gzipped, and only that", () => {
        const state = mkdtempSync(join(tmpdir(), "sa-state-"));
        try {
            const stacks = join(state, ".pulumi", "stacks");
            mkdirSync(join(stacks, "sa-workload"), { recursive: true });
            mkdirSync(join(stacks, "other-project"), { recursive: true });
            writeFileSync(join(stacks, "sa-workload", "dev.json"), "{}");
            writeFileSync(join(stacks, "sa-workload", "ci.json.gz"), "");
            writeFileSync(join(stacks, "other-project", "prod.json"), "{}");
            writeFileSync(join(stacks, "sa-workload", "old.json.bak"), "{}");
            assert.equal(stateFileExists(state, "dev"), true);
            assert.equal(stateFileExists(state, "ci"), true);
            assert.equal(stateFileExists(state, "prod"), false, "another project's stack");
            assert.equal(stateFileExists(state, "old"), false, "a backup is not a stack");
            assert.equal(stateFileExists(state, "organization/sa-workload/dev"), false);
        } finally {
            rmSync(state, { recursive: true, force: true });
        }
    });
});

describe("a stack's deployment read from a file backend's state file", () => {
    const latest = {
        manifest: { version: "v3.274.1" },
        resources: [{ type: "pulumi:pulumi:Stack" }],
    };
    const checkpoint = (version: number, chk: object) =>
        JSON.stringify({ version, checkpoint: { stack: "organization/sa-workload/dev", ...chk } });

    /** The deployment read with `files` (name: content) in the project's stacks folder. */
    function readWith(files: Record<string, string | Buffer>, stackName = "dev"): unknown {
        const state = mkdtempSync(join(tmpdir(), "sa-state-"));
        try {
            const stacks = join(state, ".pulumi", "stacks", "sa-workload");
            mkdirSync(stacks, { recursive: true });
            for (const [name, content] of Object.entries(files)) {
                writeFileSync(join(stacks, name), content);
            }
            return stateFileDeployment(state, stackName);
        } finally {
            rmSync(state, { recursive: true, force: true });
        }
    }

    it("is the checkpoint's latest, plain or gzipped, as the CLI's export prints it", () => {
        const text = checkpoint(3, { latest });
        assert.deepEqual(readWith({ "dev.json": text }), { deployment: latest });
        assert.deepEqual(readWith({ "dev.json.gz": gzipSync(text) }), { deployment: latest });
        assert.deepEqual(readWith({ "dev.json": checkpoint(4, { latest }) }), {
            deployment: latest,
        });
        assert.deepEqual(readWith({ "dev.json": checkpoint(3, {}) }), { deployment: null });
    });

    it("is left to the CLI where the file is not plainly the stack's one checkpoint of version 3 or 4", () => {
        const text = checkpoint(3, { latest });
        assert.equal(readWith({}), undefined, "no file");
        assert.equal(readWith({ "dev.json": text, "dev.json.gz": gzipSync(text) }), undefined);
        assert.equal(readWith({ "dev.json.zst": "(zstd)" }), undefined);
        assert.equal(readWith({ "dev.json": checkpoint(5, { latest }) }), undefined);
        assert.equal(readWith({ "dev.json": "{ cut sho" }), undefined);
        assert.equal(readWith({ "dev.json": text }, "organization/sa-workload/dev"), undefined);
    });
});

describe("the compile cache of the Node.js processes the CLI starts", () => {
    it("is a folder of its own inside this process's, and none where this process has none", () => {
        assert.deepEqual(pluginCompileCache({ NODE_COMPILE_CACHE: "/c/node-compile-cache" }), {
            NODE_COMPILE_CACHE: join("/c/node-compile-cache", "engine-plugins"),
        });
        assert.deepEqual(pluginCompileCache({}), {});
    });
});

describe("the kube context a stack's config names", () => {
    it("is the sa-workload:kubeContext string of the stack file", () => {
        assert.equal(kubeContextOf({ "sa-workload:kubeContext": "minikube" }), "minikube");
    });

    it("is none when the key is unset or empty", () => {
        assert.equal(kubeContextOf({}), undefined);
        assert.equal(kubeContextOf({ "sa-workload:kubeContext": "" }), undefined);
    });

    it("reads a YAML number as its text, as the CLI does", () => {
        assert.equal(kubeContextOf({ "sa-workload:kubeContext": 2024 }), "2024");
    });

    it("refuses a secret or a structure, naming the key and the fix", () => {
        assert.throws(
            () => kubeContextOf({ "sa-workload:kubeContext": { secure: "v1:abc" } }),
            /sa-workload:kubeContext is \{"secure":"v1:abc"\}; set it to the name of a kube context/,
        );
    });
});

describe("the pods a stack's workloads config names", () => {
    it("reads the list as the stack file gives it, or as JSON text, as the program does", () => {
        const list = [{ namespace: "a", podName: "p" }, {}];
        const expected = [
            { namespace: "a", pod: "p" },
            { namespace: "my-ns", pod: "my-pod" },
        ];
        assert.deepEqual(workloadPods(list), expected);
        assert.deepEqual(workloadPods(JSON.stringify(list)), expected);
        assert.deepEqual(workloadPods(undefined), [{ namespace: "my-ns", pod: "my-pod" }]);
        assert.deepEqual(workloadPods("not json"), []);
    });
});

describe("the passphrase a stack's secrets open with, when the caller sets none", () => {
    it("is the one made for a local file backend, and none elsewhere or when the caller set one", () => {
        const dir = mkdtempSync(join(tmpdir(), "passphrase-"));
        try {
            const url = fileBackendUrl(dir);
            const made = stackPassphrase(url, {}).PULUMI_CONFIG_PASSPHRASE;
            assert.ok(made && made.length > 20);
            assert.equal(readFileSync(passphraseFile(dir), "utf8").trim(), made);
            // Only the user may read it (Windows has no POSIX mode bits: its ACLs decide there).
            if (process.platform !== "win32")
                assert.equal(fs.statSync(passphraseFile(dir)).mode & 0o777, 0o600);
            // Not in the folder itself, which may be the user's ($HOME for file://~).
            assert.deepEqual(readdirSync(dir), [".pulumi"]);
            assert.deepEqual(stackPassphrase(url, {}), { PULUMI_CONFIG_PASSPHRASE: made });
            // The caller's file instead, by its absolute path.
            assert.deepEqual(stackPassphrase(url, { PULUMI_CONFIG_PASSPHRASE_FILE: "p" }), {
                PULUMI_CONFIG_PASSPHRASE_FILE: resolve("p"),
            });
            assert.deepEqual(stackPassphrase("s3://bucket", {}), {});
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("a shared backend's passphrase, and a local one made by two commands at once", () => {
    it("refuses a set but empty passphrase on a shared backend, which the CLI would take as the passphrase", () => {
        assert.throws(
            () => stackPassphrase("s3://team-state", { PULUMI_CONFIG_PASSPHRASE: "" }),
            /PULUMI_CONFIG_PASSPHRASE is set but empty, and the backend is s3:\/\/team-state[\s\S]*Fix: set it to the team's passphrase/,
        );
        assert.throws(() =>
            stackPassphrase("s3://team-state", {
                PULUMI_CONFIG_PASSPHRASE: "",
                PULUMI_CONFIG_PASSPHRASE_FILE: "/run/secrets/passphrase",
            }),
        );
        assert.deepEqual(
            stackPassphrase("s3://team-state", { PULUMI_CONFIG_PASSPHRASE: "team" }),
            {},
        );
        // Pulumi Cloud keeps secrets with its own key: an empty passphrase is not used there.
        assert.deepEqual(
            stackPassphrase("https://api.pulumi.com", { PULUMI_CONFIG_PASSPHRASE: "" }),
            {},
        );
    });

    it("keeps the passphrase that another command made first, between its check and its write", () => {
        const dir = mkdtempSync(join(tmpdir(), "passphrase-"));
        // The module object that scripts/lib/stack.ts calls into (its import compiles to it).
        const nodeFs = createRequire(__filename)("node:fs") as {
            existsSync: (p: fs.PathLike) => boolean;
        };
        const exists = nodeFs.existsSync;
        try {
            const file = passphraseFile(dir);
            mkdirSync(join(file, ".."), { recursive: true });
            writeFileSync(file, "made-by-the-other-command", { mode: 0o600 });
            // This command looked before the other one wrote it.
            nodeFs.existsSync = (p) => (p === file ? false : exists(p));
            assert.deepEqual(stackPassphrase(fileBackendUrl(dir), {}), {
                PULUMI_CONFIG_PASSPHRASE: "made-by-the-other-command",
            });
            assert.deepEqual(readdirSync(join(file, "..")), ["passphrase"], "a file was left");
        } finally {
            nodeFs.existsSync = exists;
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("an empty local passphrase file", () => {
    it("is refused, naming it and the ways out, never taken as the passphrase", () => {
        const dir = mkdtempSync(join(tmpdir(), "passphrase-"));
        try {
            const file = passphraseFile(dir);
            mkdirSync(join(file, ".."), { recursive: true });
            writeFileSync(file, "\n");
            assert.throws(
                () => stackPassphrase(fileBackendUrl(dir), {}, 50),
                /passphrase file .* is empty[\s\S]*PULUMI_CONFIG_PASSPHRASE/,
            );
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("a stack's state exported and imported by the commands (recover, --cluster-replaced)", () => {
    /** A workspace whose CLI records each run, and what the import's file held and how. */
    function workspace(fail = false) {
        const runs: string[][] = [];
        const files: { mode: number; dirMode: number; text: string }[] = [];
        const cli = {
            run: (args: string[]) => {
                runs.push(args);
                const file = args[args.indexOf("--file") + 1];
                if (args[1] === "import") {
                    files.push({
                        mode: fs.statSync(file).mode & 0o777,
                        dirMode: fs.statSync(join(file, "..")).mode & 0o777,
                        text: readFileSync(file, "utf8"),
                    });
                    if (fail) return Promise.reject(new Error("the stack is currently locked"));
                }
                return Promise.resolve({ stdout: JSON.stringify({ version: 3, deployment: {} }) });
            },
        };
        const ws = sealedState({
            pulumiCommand: cli,
            workDir: "/w",
            envVars: {},
        } as unknown as LocalWorkspace);
        return { ws, runs, files };
    }

    it("exports the secrets as the backend stores them, never with --show-secrets", async () => {
        const { ws, runs } = workspace();
        await ws.exportStack("dev");
        assert.deepEqual(runs, [["stack", "export", "--stack", "dev"]]);
        // Stack.exportStack() and importStack() are the workspace's, so every caller gets these.
        assert.match(Stack.prototype.exportStack.toString(), /this\.workspace\.exportStack\(/);
        assert.match(Stack.prototype.importStack.toString(), /this\.workspace\.importStack\(/);
    });

    it("are what every stack the commands open exports: pulumi stack export without --show-secrets", async () => {
        // The SDK's own version, which its check of the CLI's version accepts.
        const sdk = createRequire(__filename)("@pulumi/pulumi/package.json") as { version: string };
        const pulumi = fakePulumi(sdk.version);
        const state = tempDir("sa-sealed-");
        const file = join(state, ".pulumi", "stacks", PROJECT, "dev.json");
        mkdirSync(join(file, ".."), { recursive: true });
        writeFileSync(file, JSON.stringify({ version: 3, checkpoint: {} }));
        const path = `${pulumi.dir}${delimiter}${process.env.PATH ?? ""}`;
        await withEnv({ PATH: path, PULUMI_CONFIG_PASSPHRASE: "p" }, async () => {
            const stack = await openStack({ backendUrl: fileBackendUrl(state), config: {} });
            await stack.exportStack();
        });
        const exports = pulumi.runs().filter((args) => args.includes("export"));
        // The CLI handle adds --non-interactive to every run.
        assert.deepEqual(exports, [["stack", "export", "--stack", "dev", "--non-interactive"]]);
    });

    it("hands the CLI, which runs in the workspace folder, a relative backend and passphrase file as absolute paths", async () => {
        const sdk = createRequire(__filename)("@pulumi/pulumi/package.json") as { version: string };
        const pulumi = fakePulumi(sdk.version);
        const cwd = tempDir("sa-relative-");
        const file = join(cwd, "rel-state", ".pulumi", "stacks", PROJECT, "dev.json");
        mkdirSync(join(file, ".."), { recursive: true });
        writeFileSync(file, JSON.stringify({ version: 3, checkpoint: {} }));
        const path = `${pulumi.dir}${delimiter}${process.env.PATH ?? ""}`;
        const before = process.cwd();
        process.chdir(cwd);
        try {
            await withEnv({ PATH: path, PULUMI_CONFIG_PASSPHRASE_FILE: "team.pass" }, async () => {
                const stack = await openStack({ backendUrl: "file://rel-state", config: {} });
                await stack.exportStack();
            });
        } finally {
            process.chdir(before);
        }
        // `pulumi version` (the SDK's check, before the workspace) reads neither.
        const stackRuns = pulumi.envs().filter((_, i) => pulumi.runs()[i][0] !== "version");
        assert.equal(stackRuns.length, 1);
        assert.deepEqual(stackRuns[0], {
            backend: fileBackendUrl(join(cwd, "rel-state")),
            passphraseFile: join(cwd, "team.pass"),
        });
    });

    it("imports through a file only the user may read, removed even when the import fails", async () => {
        for (const fail of [false, true]) {
            const { ws, runs, files } = workspace(fail);
            const imported = ws.importStack("dev", { version: 3, deployment: { resources: [] } });
            await (fail ? assert.rejects(imported, /currently locked/) : imported);
            const file = runs[0][runs[0].indexOf("--file") + 1];
            assert.equal(files[0].mode, 0o600);
            assert.equal(files[0].dirMode, 0o700);
            assert.match(files[0].text, /"resources":\[\]/);
            assert.ok(!fs.existsSync(join(file, "..")), `${file} was left (failed: ${fail})`);
        }
    });
});

describe("a pulumi command printed for the user to type", () => {
    it("names the project's backend and its passphrase file where the user set neither, in both shells, unset again in PowerShell", () => {
        const url = fileBackendUrl("/repo/.pulumi");
        const env = pulumiCliEnv(url, {});
        assert.deepEqual(env, {
            PULUMI_BACKEND_URL: "file:///repo/.pulumi",
            PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile("/repo/.pulumi"),
        });
        assert.equal(
            typedCommand({ PULUMI_BACKEND_URL: "file:///r" }, "pulumi stack import --stack dev"),
            "PULUMI_BACKEND_URL='file:///r' pulumi stack import --stack dev " +
                "(PowerShell: $env:PULUMI_BACKEND_URL='file:///r'; pulumi stack import --stack dev; " +
                "Remove-Item Env:PULUMI_BACKEND_URL)",
        );
    });

    it("leaves out what the user set, and needs no prefix then", () => {
        const env = pulumiCliEnv("s3://team", {
            PULUMI_BACKEND_URL: "s3://team",
            PULUMI_CONFIG_PASSPHRASE: "p",
        });
        assert.deepEqual(env, {});
        assert.equal(typedCommand(env, "pulumi stack import"), "pulumi stack import");
    });
});
