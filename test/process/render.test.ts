import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

import { parseAllDocuments } from "yaml";

import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { kubeconfig } from "../helpers/fake-api-server";
import { TRANSPILE_CACHE } from "../helpers/node-eval";
import { tempDir } from "../helpers/temp-dirs";

describe("npm run render", () => {
    it("prints the dev stack's five objects as one manifest for kubectl apply, asking no cluster", function () {
        this.timeout(30_000);
        // The current context's server refuses every connection: rendering never asks it.
        const stopped = kubeconfig(tempDir("sa-render-"), "minikube", "https://127.0.0.1:1");
        // Its own process: the script sets up Pulumi's mocks itself, as `npm run render` runs it.
        const run = spawnSync(
            process.execPath,
            ["-r", TRANSPILE_CACHE, join(REPO_ROOT, "scripts", "render-manifest.ts")],
            { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, KUBECONFIG: stopped } },
        );
        assert.equal(run.status, 0, run.stderr);
        const objects = parseAllDocuments(run.stdout).map(
            (d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } },
        );
        assert.deepEqual(
            objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`),
            [
                "Namespace /my-ns",
                "ServiceAccount my-ns/my-sa",
                "Role my-ns/my-sa",
                "RoleBinding my-ns/my-sa",
                "Pod my-ns/my-pod",
            ],
        );
    });
});
