import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { parse } from "yaml";

import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { tempDir } from "../helpers/temp-dirs";

interface Step {
    readonly id?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly env?: Record<string, string>;
    readonly with?: Record<string, unknown>;
}

interface Workflow {
    readonly jobs: Record<string, { env?: Record<string, string>; steps: Step[] }>;
}

function workflow(file: string): Workflow {
    const text = readFileSync(join(REPO_ROOT, ".github", "workflows", file), "utf8");
    return parse(text) as Workflow;
}

/** The stack a pulumi/actions step works on, its `${{ env.X }}` filled in from the job's env. */
function stackOf(job: Workflow["jobs"][string], step: Step): string {
    const name = String(step.with?.["stack-name"]);
    return name.replace(/\$\{\{\s*env\.(\w+)\s*\}\}/, (_, key: string) =>
        String(job.env?.[key]).replace(/^\$\{\{\s*vars\.\w+\s*\|\|\s*'([^']+)'\s*\}\}$/, "$1"),
    );
}

describe("the GitHub workflows", () => {
    it("give their PR comments different headings: the two previews never edit each other's", () => {
        // pulumi/actions v6.5.0 heads its comment `preview` on <project>/<stack> and edits the
        // comment that starts with the same heading.
        const headings = [
            ["pr.yml", "minikube"],
            ["shared-backend.yml", "preview"],
        ].map(([file, jobName]) => {
            const job = workflow(file).jobs[jobName];
            const step = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
            return `${String(step.with?.command)} on sa-workload/${stackOf(job, step)}`;
        });
        assert.notEqual(headings[0], headings[1], headings.join(" / "));
    });

    it("pin every action to a commit and keep the checkout's token out of the PR's code", () => {
        for (const file of ["pr.yml", "shared-backend.yml"]) {
            for (const [name, job] of Object.entries(workflow(file).jobs)) {
                for (const step of job.steps.filter((s) => s.uses)) {
                    assert.match(step.uses!, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${file} ${name}`);
                    if (step.uses!.startsWith("actions/checkout@"))
                        assert.equal(step.with?.["persist-credentials"], false, `${file} ${name}`);
                }
            }
        }
    });

    describe("shared-backend's check for its secrets", () => {
        const job = workflow("shared-backend.yml").jobs.preview;
        const check = job.steps.find((s) => s.id === "secrets")!;

        function present(secrets: Record<string, boolean>): string {
            const out = join(tempDir("sa-gh-"), "output");
            const env: Record<string, string> = { GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: out };
            for (const key of Object.keys(check.env ?? {}))
                env[key] = String(secrets[key] ?? false);
            const run = spawnSync("bash", ["-e", "-c", check.run!], { env, encoding: "utf8" });
            assert.equal(run.status, 0, run.stderr);
            return /present=(\w+)/.exec(readFileSync(out, "utf8"))?.[1] ?? "?";
        }

        it("previews with Pulumi Cloud's token and a kubeconfig", () => {
            assert.equal(present({ HAS_TOKEN: true, HAS_KUBECONFIG: true }), "true");
        });

        it("previews with a bucket only when its passphrase is there too", () => {
            const bucket = { HAS_BACKEND: true, HAS_KUBECONFIG: true };
            assert.equal(present(bucket), "false");
            assert.equal(present({ ...bucket, HAS_PASSPHRASE: true }), "true");
        });

        it("skips without a kubeconfig, as in a fork's pull request", () => {
            assert.equal(present({ HAS_TOKEN: true }), "false");
        });

        it("gives the preview an S3 bucket's credentials and the secrets settings its state records", () => {
            const preview = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
            assert.equal(preview.env?.AWS_ACCESS_KEY_ID, "${{ secrets.AWS_ACCESS_KEY_ID }}");
            assert.equal(
                preview.env?.AWS_SECRET_ACCESS_KEY,
                "${{ secrets.AWS_SECRET_ACCESS_KEY }}",
            );
            assert.equal(preview.env?.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER, "true");
        });

        it("gives no secret to the job as a whole, so npm ci and the checks never see one", () => {
            assert.doesNotMatch(JSON.stringify(job.env ?? {}), /secrets\./);
            for (const step of job.steps.filter((s) => s.run?.startsWith("npm"))) {
                assert.doesNotMatch(JSON.stringify(step.env ?? {}), /secrets\./);
            }
        });
    });
});
