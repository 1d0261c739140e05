import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { tempDir } from "../helpers/temp-dirs";

// TypeScript infers a type that depends on itself through other files as `any`, and which file
// it reaches first decides whether it notices: `npm run build` checks every file in one order,
// the linter's project service in another. The schema's messages, the defaults they quote and
// the rule type derived from the schema once formed such a loop, which lint reported in one CI
// run out of several (204 `any` errors). Each file that starts the loop is checked alone here.
describe("the component's types", () => {
    for (const entry of ["components/workload-schema.ts", "components/defaults.ts"]) {
        it(`resolve with ${entry} checked first, none inferred from itself`, function () {
            this.timeout(60_000);
            const dir = tempDir("sa-type-cycles-");
            const project = join(dir, "tsconfig.json");
            writeFileSync(
                project,
                JSON.stringify({
                    extends: join(REPO_ROOT, "tsconfig.json"),
                    compilerOptions: {
                        noEmit: true,
                        typeRoots: [join(REPO_ROOT, "node_modules", "@types")],
                    },
                    files: [join(REPO_ROOT, entry)],
                    include: [],
                }),
            );
            const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
            const run = spawnSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
            assert.equal(run.status, 0, run.stdout + run.stderr);
        });
    }
});
