import * as assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { policyPackNodeOptions } from "../../scripts/lib/policy";
import { nodeEval } from "../helpers/node-eval";
import { tempDir } from "../helpers/temp-dirs";

describe("the policy pack's preloads for a CLI with the Node.js language host", () => {
    /** A checkout at `root` whose two preloads, and a user's own, each note that they ran. */
    function checkoutWithProbes(root: string, notes: string): string {
        const note = (what: string) =>
            `require("node:fs").appendFileSync(${JSON.stringify(notes)}, "${what}\\n");`;
        mkdirSync(join(root, "scripts", "lib"), { recursive: true });
        mkdirSync(join(root, "policy"));
        writeFileSync(join(root, "scripts", "lib", "transpile-cache.cjs"), note("cache"));
        writeFileSync(
            join(root, "policy", "transpile-only.mjs"),
            `import { createRequire } from "node:module"; const require = createRequire(import.meta.url); ${note("transpile-only")}`,
        );
        const user = join(root, "user.cjs");
        writeFileSync(user, note("user"));
        return user;
    }

    it("reach Node.js from a checkout whose path holds spaces and quotes, beside the user's NODE_OPTIONS", () => {
        const root = join(tempDir("sa-policy-"), 'a "b" c');
        const notes = join(root, "..", "notes");
        const user = checkoutWithProbes(root, notes);
        const userOptions = `--require ${JSON.stringify(user)}`;
        const { NODE_OPTIONS } = policyPackNodeOptions({ NODE_OPTIONS: userOptions }, true, root);
        assert.ok(NODE_OPTIONS?.endsWith(userOptions), "the user's options are kept");
        const run = nodeEval("", { env: { NODE_OPTIONS: NODE_OPTIONS ?? "" } });
        assert.equal(run.status, 0, run.stderr);
        const ran = readFileSync(notes, "utf8").trim().split("\n").sort();
        assert.deepEqual(ran, ["cache", "transpile-only", "user"]);
    });

    it("leave the transpile cache out under SA_WORKLOAD_TRANSPILE=ts-node, as the shim does", () => {
        const root = join(tempDir("sa-policy-"), "repo");
        const notes = join(root, "..", "notes");
        checkoutWithProbes(root, notes);
        const { NODE_OPTIONS } = policyPackNodeOptions(
            { SA_WORKLOAD_TRANSPILE: "ts-node" },
            true,
            root,
        );
        const run = nodeEval("", { env: { NODE_OPTIONS: NODE_OPTIONS ?? "" } });
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(readFileSync(notes, "utf8").trim().split("\n"), ["transpile-only"]);
    });

    it("are none for a CLI without it, whose pack the shim starts with its own", () => {
        assert.deepEqual(policyPackNodeOptions({ NODE_OPTIONS: "--no-warnings" }, false), {});
    });
});
