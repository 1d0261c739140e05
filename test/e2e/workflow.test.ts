/**
 * The pull-request workflow's `minikube` job, replayed step by step from .github/workflows/pr.yml
 * in a fresh clone with the job's own env: its `run:` steps run as written, and each
 * pulumi/actions step does what the action does before its command (v6.5.0, src/login.ts and
 * src/main.ts): `pulumi login` with no URL (so PULUMI_BACKEND_URL), then the Automation API's
 * createOrSelectStack in the checkout. The preview itself needs the Node.js language host, which
 * this machine cannot build; the test cluster stands in for minikube.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { parse } from "yaml";

import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { kubectl, namespaceExists, testKubeconfig } from "../helpers/e2e";
import { USER_PULUMI_HOME } from "../helpers/pulumi-home";
import { recordCase } from "../helpers/reliability";

interface Step {
    readonly name?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly with?: Record<string, unknown>;
}

interface Job {
    readonly env: Record<string, string>;
    readonly steps: Step[];
}

/** The job's env with the GitHub expressions it uses filled in for `workspace`. */
function jobEnv(job: Job, workspace: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(job.env)) {
        env[key] = String(value).replace(/\$\{\{\s*github\.workspace\s*\}\}/g, workspace);
    }
    return env;
}

function expand(value: unknown, env: Record<string, string>): string {
    return String(value).replace(/\$\{\{\s*env\.(\w+)\s*\}\}/g, (_, name: string) => env[name]);
}

describe("the pull-request workflow's minikube job, replayed", () => {
    const work = mkdtempSync(join(tmpdir(), "sa-workflow-"));
    const clone = join(work, "clone");
    after(() => rmSync(work, { recursive: true, force: true }));

    it("runs the job's shell steps and its Pulumi action's login and stack in a fresh clone, leaving nothing behind", async () => {
        const workflow = parse(
            readFileSync(join(REPO_ROOT, ".github", "workflows", "pr.yml"), "utf8"),
        ) as { jobs: Record<string, Job> };
        const job = workflow.jobs.minikube;
        execFileSync("git", ["clone", "-q", REPO_ROOT, clone]);
        if (namespaceExists("my-ns")) kubectl("delete", "namespace", "my-ns", "--wait=true");
        const pulumiHome = join(work, "pulumi-home");
        mkdirSync(pulumiHome);
        // The runner's own plugin cache: this machine's, linked (the action would download it).
        symlinkSync(join(USER_PULUMI_HOME, "plugins"), join(pulumiHome, "plugins"));
        const env = {
            ...process.env,
            ...jobEnv(job, clone),
            PULUMI_HOME: pulumiHome,
            KUBECONFIG: testKubeconfig(),
        } as Record<string, string>;
        const login = () =>
            spawnSync("pulumi", ["--non-interactive", "--cwd", clone, "login"], {
                env,
                encoding: "utf8",
            });

        // What the job did before its state folder step: the action's login fails.
        const before = login();
        assert.notEqual(before.status, 0, "login worked without the state folder");
        assert.match(before.stderr, /unable to open state directory|no such file or directory/);

        const ran: string[] = [];
        for (const step of job.steps) {
            if (step.run === "npm ci") {
                // Already installed for this suite: the same lockfile, linked.
                symlinkSync(join(REPO_ROOT, "node_modules"), join(clone, "node_modules"));
                ran.push("npm ci (linked)");
            } else if (step.run) {
                const result = spawnSync("bash", ["-e", "-c", step.run], {
                    cwd: clone,
                    env,
                    encoding: "utf8",
                });
                assert.equal(result.status, 0, `${step.run}:\n${result.stdout}${result.stderr}`);
                ran.push(step.run);
            } else if (step.uses?.startsWith("pulumi/actions@")) {
                const done = login();
                assert.equal(done.status, 0, done.stderr);
                await LocalWorkspace.createOrSelectStack(
                    { stackName: expand(step.with?.["stack-name"], env), workDir: clone },
                    // The action's process has the job's env, as every step does.
                    { envVars: { ...jobEnv(job, clone), PULUMI_HOME: pulumiHome } },
                );
                ran.push(`${step.uses} ${String(step.with?.command)} (login, stack)`);
            }
        }
        assert.ok(ran.includes("npm run verify") && ran.includes("npm run down"), ran.join("; "));
        assert.ok(!namespaceExists("my-ns"), "the job left its namespace");
        recordCase({
            name: "the PR workflow's minikube job, replayed",
            done: `a fresh clone, the job's env; steps: ${ran.join("; ")}`,
            happened:
                "without the state folder the action's pulumi login failed (unable to open state directory); with it every step passed",
            left: "no namespace; the clone removed",
        });
    });
});
