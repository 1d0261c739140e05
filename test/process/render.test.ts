import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

import { parseAllDocuments } from "yaml";

import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { TRANSPILE_CACHE } from "../helpers/node-eval";

describe("npm run render", () => {
    it("prints the dev stack's five objects as one manifest for kubectl apply", function () {
        this.timeout(30_000);
        // Its own process: the script sets up Pulumi's mocks itself, as `npm run render` runs it.
        const run = spawnSync(
            process.execPath,
            ["-r", TRANSPILE_CACHE, join(REPO_ROOT, "scripts", "render-manifest.ts")],
            { cwd: REPO_ROOT, encoding: "utf8" },
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
