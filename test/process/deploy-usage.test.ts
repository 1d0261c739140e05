import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

import { fileBackendUrl } from "../../scripts/lib/stack";
import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { kubeconfig } from "../helpers/fake-api-server";
import { TRANSPILE_CACHE } from "../helpers/node-eval";
import { tempDir } from "../helpers/temp-dirs";

/** scripts/deploy.ts as `npm run <action> -- <flags>` runs it; its exit status and stderr. */
function deploy(backend: string, ...args: string[]): { status: number | null; stderr: string } {
    return spawnSync(
        process.execPath,
        ["-r", TRANSPILE_CACHE, join(REPO_ROOT, "scripts", "deploy.ts"), ...args],
        {
            cwd: REPO_ROOT,
            encoding: "utf8",
            env: {
                ...process.env,
                PULUMI_BACKEND_URL: fileBackendUrl(backend),
                // A context whose server refuses every connection: a refusal never gets that far.
                KUBECONFIG: kubeconfig(
                    tempDir("sa-usage-kube-"),
                    "minikube",
                    "https://127.0.0.1:1",
                ),
            },
        },
    );
}

describe("npm run up | preview | down | recover, given an option its action does not take", () => {
    for (const [action, flag, why] of [
        // preview only shows: forgetting a cluster's record would rewrite the state.
        ["preview", "--cluster-replaced", "preview never rewrites the state"],
        ["preview", "--delete-foreign", "preview deletes nothing"],
        ["down", "--force", "only recover removes a lock"],
    ]) {
        it(`refuses ${action} ${flag} before it opens the stack (${why})`, () => {
            const backend = tempDir("sa-usage-");
            const { status, stderr } = deploy(backend, action, flag);
            assert.equal(status, 1, stderr);
            assert.match(stderr, new RegExp(`unknown option ${flag}; usage: deploy\\.ts up \\|`));
            assert.deepEqual(readdirSync(backend), [], "the command wrote to the backend");
        });
    }

    it("refuses an action it does not know, with the usage", () => {
        const backend = tempDir("sa-usage-");
        const { status, stderr } = deploy(backend, "destroy");
        assert.equal(status, 1, stderr);
        assert.match(stderr, /^usage: deploy\.ts up \| preview \| down \| recover /m);
        assert.deepEqual(readdirSync(backend), []);
    });
});
