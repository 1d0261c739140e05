import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { kubeconfig } from "../helpers/fake-api-server";
import { tempDir } from "../helpers/temp-dirs";

describe("npm test", () => {
    it("passes on a developer's machine whose kube context names a cluster, asking it nothing", function () {
        this.timeout(60_000);
        // A laptop with minikube stopped: the current context's server refuses every connection.
        // Unit tests read no kubeconfig but the ones they write, each test anew.
        const minikube = kubeconfig(tempDir("sa-unit-"), "minikube", "https://127.0.0.1:1");
        const run = spawnSync(process.execPath, [join(REPO_ROOT, "scripts", "run.mjs"), "mocha"], {
            cwd: REPO_ROOT,
            encoding: "utf8",
            env: { ...process.env, KUBECONFIG: minikube },
        });
        assert.equal(run.status, 0, `${run.stdout.split("passing")[1] ?? run.stdout}${run.stderr}`);
        assert.match(run.stdout, /\d+ passing/);
    });
});
