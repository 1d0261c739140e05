import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
    chmodSync,
    copyFileSync,
    existsSync,
    mkdirSync,
    readFileSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { join } from "node:path";

import { localClusterKubeconfig } from "../../scripts/lib/cluster";
import { pulumiVersion, REPO_ROOT, toolchainDirs } from "../../scripts/lib/toolchain";
import { withEnv } from "../helpers/env";
import { TRANSPILE_CACHE } from "../helpers/node-eval";
import { tempDir } from "../helpers/temp-dirs";

/** A `pulumi` of `version` that logs its arguments; `plugin install` works only if `install`. */
const STUB_PULUMI = `#!/bin/sh
echo "pulumi $*" >> "$STUB_LOG"
case "$1" in
version) echo "v$STUB_VERSION" ;;
plugin)
    if [ "$STUB_INSTALL" = ok ]; then
        dir="$PULUMI_HOME/plugins/resource-kubernetes-v$5"
        mkdir -p "$dir" && touch "$dir/pulumi-resource-kubernetes"
    else
        echo "error: failed to download plugin: kubernetes-$5: lookup get.pulumi.com: no such host" >&2
        exit 1
    fi ;;
esac
`;
const STUB_GO = `#!/bin/sh
echo "go $*" >> "$STUB_LOG"
exit 1
`;

interface Machine {
    /** `pulumi version` of the user's CLI; none on PATH when unset. */
    readonly pulumi?: string;
    readonly install?: "ok" | "offline";
    readonly go?: boolean;
    /** Whether Pulumi's download host resolves (a laptop with internet). @default false */
    readonly online?: boolean;
    /** Whether the command needs the bundled local cluster (no kube context). @default false */
    readonly cluster?: boolean;
    /** Whether build.sh built the Pulumi CLI here earlier (a stub in its folder). @default false */
    readonly built?: boolean;
}

/** The project's transpiled files, one folder for every machine below (see ensureOn). */
let transpiled: string | undefined;

/** Runs ensureToolchain() in a new process on a machine of the user's kind, with stubs on PATH. */
function ensureOn(machine: Machine): { status: number | null; output: string; log: string } {
    const dir = tempDir("sa-toolchain-");
    const bin = join(dir, "bin");
    const log = join(dir, "log");
    writeFileSync(log, "");
    mkdirSync(bin);
    // Each machine's cache is its own, but for the project's transpiled files, which are not the
    // toolchain's: shared, so only the first run loads TypeScript (measured, the six runs 2.5 s
    // instead of 4.1 s with a transpiled folder each).
    transpiled ??= tempDir("sa-transpiled-");
    mkdirSync(join(dir, "cache"));
    symlinkSync(transpiled, join(dir, "cache", "transpiled"), "dir");
    const stub = (name: string, text: string) => {
        writeFileSync(join(bin, name), text);
        chmodSync(join(bin, name), 0o755);
    };
    const env = {
        // No Go toolchain here (it lives in /usr/local/go), only the stubs and the system.
        PATH: [bin, "/usr/bin", "/bin"].join(":"),
        HOME: dir,
        PULUMI_HOME: join(dir, "pulumi-home"),
        SA_WORKLOAD_CACHE: join(dir, "cache"),
        STUB_LOG: log,
        STUB_VERSION: machine.pulumi ?? "3.274.1",
        STUB_INSTALL: machine.install ?? "ok",
        // localhost resolves everywhere; the .invalid domain nowhere (RFC 2606).
        SA_WORKLOAD_DOWNLOAD_HOST: machine.online ? "localhost" : "get.pulumi.invalid",
    };
    if (machine.pulumi) stub("pulumi", STUB_PULUMI);
    if (machine.go) stub("go", STUB_GO);
    if (machine.built) {
        const printed = spawnSync("bash", ["scripts/toolchain/build.sh", "env"], {
            cwd: REPO_ROOT,
            encoding: "utf8",
            env,
        }).stdout;
        const folder = /^PULUMI_BIN_DIR=(.*)$/m.exec(printed)?.[1];
        assert.ok(folder, `build.sh env printed no PULUMI_BIN_DIR:\n${printed}`);
        mkdirSync(folder, { recursive: true });
        writeFileSync(join(folder, "pulumi"), STUB_PULUMI);
        chmodSync(join(folder, "pulumi"), 0o755);
        writeFileSync(join(folder, ".complete"), "");
    }
    const run = spawnSync(
        process.execPath,
        [
            ...["-r", TRANSPILE_CACHE, "-e"],
            `require("./scripts/lib/toolchain.ts").ensureToolchain(${machine.cluster ? '["cluster"]' : ""})`,
        ],
        { cwd: REPO_ROOT, encoding: "utf8", env },
    );
    return {
        status: run.status,
        output: `${run.stdout}${run.stderr}`,
        log: readFileSync(log, "utf8"),
    };
}

/**
 * The toolchain's builds and the bundled cluster exist on Linux only, and these machines are made
 * of sh stubs and /usr/bin: on macOS and Windows the suite has nothing of its own to prove.
 */
function linuxOnly(this: Mocha.Context): void {
    if (process.platform !== "linux") this.skip();
}

describe("a user's machine: their pulumi, Pulumi's plugin download, no Go", () => {
    before(linuxOnly);

    it("uses the pulumi on PATH and installs the provider plugin with pulumi plugin install", () => {
        const run = ensureOn({ pulumi: "3.274.1", install: "ok" });
        assert.equal(run.status, 0, run.output);
        assert.match(run.log, /^pulumi plugin install resource kubernetes 4\.25\.0$/m);
        assert.doesNotMatch(run.log, /^go /m);
    });

    it("names both versions and the upgrade when the pulumi on PATH is too old, building nothing", () => {
        const run = ensureOn({ pulumi: "3.200.0", go: true });
        assert.notEqual(run.status, 0);
        for (const text of [
            "is 3.200.0, older than 3.270.0",
            "brew upgrade pulumi",
            "winget upgrade pulumi",
        ]) {
            assert.ok(run.output.includes(text), `"${text}" missing:\n${run.output}`);
        }
        assert.doesNotMatch(run.log, /^go |plugin install/m);
    });

    it("says the network failed when the plugin cannot be downloaded and Go is not there", () => {
        const run = ensureOn({ pulumi: "3.274.1", install: "offline" });
        assert.notEqual(run.status, 0);
        assert.match(
            run.output,
            /pulumi plugin install resource kubernetes 4\.25\.0 failed: .*no such host/,
        );
        assert.match(run.output, /Check your network/);
    });

    it("builds the provider from Go modules only after the download failed, and says why", () => {
        const run = ensureOn({ pulumi: "3.274.1", install: "offline", go: true });
        assert.match(
            run.output,
            /failed \(.*no such host\): offline, so building the provider from its Go modules/,
        );
        assert.match(run.log, /^pulumi plugin install[^\n]*\n(.*\n)*go mod download/m);
    });

    it("asks for the Pulumi CLI, building nothing, where there is none on a machine online", () => {
        const run = ensureOn({ go: true, online: true });
        assert.notEqual(run.status, 0);
        assert.match(run.output, /The Pulumi CLI is not on PATH\. Install it/);
        assert.doesNotMatch(run.log, /^go /m);
    });

    it("uses the Pulumi CLI built here earlier, on a machine online too, building nothing", () => {
        const run = ensureOn({ built: true, install: "ok", go: true, online: true });
        assert.equal(run.status, 0, run.output);
        assert.match(run.log, /^pulumi plugin install resource kubernetes 4\.25\.0$/m);
        assert.doesNotMatch(run.log, /^go /m);
    });

    it("says why the plugin download failed on a machine online, building nothing", () => {
        const run = ensureOn({ pulumi: "3.274.1", install: "offline", go: true, online: true });
        assert.notEqual(run.status, 0);
        assert.match(run.output, /pulumi plugin install resource kubernetes 4\.25\.0 failed: /);
        assert.match(run.output, /Check your network/);
        assert.doesNotMatch(run.log, /^go /m);
    });

    it("asks for the Pulumi CLI where there is none and no Go to build it", () => {
        const run = ensureOn({});
        assert.notEqual(run.status, 0);
        assert.match(run.output, /The Pulumi CLI is not on PATH\. Install it/);
    });

    it("asks for a cluster of the user's own where there is no kube context and no Go to build one", () => {
        const run = ensureOn({ pulumi: "3.274.1", install: "ok", cluster: true });
        assert.notEqual(run.status, 0);
        for (const text of ["bundled local cluster", "`go` is not on PATH", "minikube start"]) {
            assert.ok(run.output.includes(text), `"${text}" missing:\n${run.output}`);
        }
        assert.doesNotMatch(run.output, /command not found/);
    });

    it("says what the bundled cluster's first build costs, and the way out, before it starts", () => {
        const run = ensureOn({ pulumi: "3.274.1", install: "ok", go: true, cluster: true });
        assert.match(
            run.output,
            /Building the bundled local cluster .* about 15 minutes .* stop \(Ctrl-C\), start a cluster of your own \(e\.g\. `minikube start`/,
        );
        // The build itself came after (the stub `go` fails it).
        assert.match(run.log, /^go /m);
    });
});

describe("the version of the pulumi on PATH", () => {
    before(linuxOnly);

    // A copy of echo as the binary: it answers `version` with "version", read as v + "ersion".
    const ECHOED = "ersion";
    const memo = (cache: string) =>
        JSON.parse(readFileSync(join(cache, "pulumi-cli-versions.json"), "utf8")) as object;

    it("is remembered for the CLI itself, by its real path", () => {
        const dir = tempDir("sa-pulumi-version-");
        copyFileSync("/bin/echo", join(dir, "pulumi"));
        symlinkSync(join(dir, "pulumi"), join(dir, "link"));
        withEnv({ SA_WORKLOAD_CACHE: dir }, () => {
            assert.equal(pulumiVersion(join(dir, "link")), ECHOED);
            assert.deepEqual(Object.keys(memo(dir)), [join(dir, "pulumi")]);
        });
    });

    it("is asked every time on Windows, where a shim is an executable of its own", () => {
        const dir = tempDir("sa-pulumi-version-");
        copyFileSync("/bin/echo", join(dir, "pulumi"));
        const platform = Object.getOwnPropertyDescriptor(process, "platform")!;
        Object.defineProperty(process, "platform", { value: "win32" });
        try {
            withEnv({ SA_WORKLOAD_CACHE: dir }, () =>
                assert.equal(pulumiVersion(join(dir, "pulumi")), ECHOED),
            );
        } finally {
            Object.defineProperty(process, "platform", platform);
        }
        assert.ok(!existsSync(join(dir, "pulumi-cli-versions.json")), "a version was kept");
    });

    it("is asked every time of a version manager's shim, a script or a link to another binary", () => {
        const dir = tempDir("sa-pulumi-version-");
        writeFileSync(join(dir, "pulumi"), '#!/bin/sh\necho "v$STUB_VERSION"\n', { mode: 0o755 });
        copyFileSync("/bin/echo", join(dir, "mise"));
        mkdirSync(join(dir, "shims"));
        symlinkSync(join(dir, "mise"), join(dir, "shims", "pulumi"));
        withEnv({ SA_WORKLOAD_CACHE: dir, STUB_VERSION: "3.274.1" }, () =>
            assert.equal(pulumiVersion(join(dir, "pulumi")), "3.274.1"),
        );
        withEnv({ SA_WORKLOAD_CACHE: dir, STUB_VERSION: "3.280.0" }, () => {
            assert.equal(pulumiVersion(join(dir, "pulumi")), "3.280.0");
            assert.equal(pulumiVersion(join(dir, "shims", "pulumi")), ECHOED);
        });
        assert.ok(!existsSync(join(dir, "pulumi-cli-versions.json")), "a shim's version was kept");
    });
});

describe("the toolchain's folders", () => {
    before(linuxOnly);

    it("are named as build.sh env prints them, which runs again only when what it reads changes", () => {
        // HOME is put back too: the test changes it partway through.
        withEnv({ SA_WORKLOAD_CACHE: tempDir("sa-toolchain-"), HOME: process.env.HOME }, () => {
            let runs = 0;
            const env = () => {
                runs++;
                const run = spawnSync("bash", ["scripts/toolchain/build.sh", "env"], {
                    cwd: REPO_ROOT,
                    encoding: "utf8",
                });
                assert.equal(run.status, 0, run.stderr);
                return run.stdout;
            };
            const printed = env();
            const dirs = toolchainDirs(env);
            assert.equal(runs, 2);
            assert.match(printed, new RegExp(`^PULUMI_BIN_DIR=${dirs.pulumi}$`, "m"));
            assert.match(printed, new RegExp(`^CLUSTER_BIN_DIRS=${dirs.cluster}$`, "m"));
            assert.deepEqual(toolchainDirs(env), dirs);
            assert.equal(runs, 2, "asked again with nothing changed");
            process.env.HOME = tempDir("sa-toolchain-");
            toolchainDirs(env);
            assert.equal(runs, 3, "not asked again after HOME changed");
        });
    });
});

describe("the bundled cluster's kubeconfig", () => {
    before(linuxOnly);

    it("is named by the commands as cluster.sh names it, without running it", () => {
        withEnv({ SA_WORKLOAD_CACHE: tempDir("sa-toolchain-") }, () => {
            const printed = spawnSync("bash", ["scripts/cluster.sh", "kubeconfig"], {
                cwd: REPO_ROOT,
                encoding: "utf8",
            });
            assert.equal(printed.status, 0, printed.stderr);
            assert.equal(localClusterKubeconfig(), printed.stdout.trim());
        });
    });
});
