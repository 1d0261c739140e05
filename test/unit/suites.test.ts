import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { REPO_ROOT } from "../../scripts/lib/toolchain";

const readJson = <T>(...path: string[]): T =>
    JSON.parse(readFileSync(join(REPO_ROOT, ...path), "utf8")) as T;

describe("the test suites", () => {
    it("run their TypeScript through the transpiler scripts/run.mjs chose for the commands", () => {
        const chosen = process.env.SA_WORKLOAD_TRANSPILER;
        const cache = (globalThis as Record<symbol, unknown>)[
            Symbol.for("sa-workload.transpile-cache")
        ];
        const tsNode = (process as unknown as Record<symbol, unknown>)[
            Symbol.for("ts-node.register.instance")
        ];
        if (chosen?.endsWith("transpile-cache.cjs")) {
            assert.equal(cache, true, "the transpile cache serves this suite");
            assert.equal(tsNode, undefined, "and ts-node never registered");
        } else {
            assert.notEqual(tsNode, undefined, "ts-node serves this suite");
        }
    });

    it("each preload the transpiler first, and npm run check runs the unit, policy and process suites", () => {
        const configs = [
            [".mocharc.json"],
            ...["process", "e2e"].map((s) => ["test", s, ".mocharc.json"]),
        ];
        for (const config of configs) {
            const { require } = readJson<{ require: string[] }>(...config);
            assert.equal(require[0], "test/helpers/transpile.cjs", config.join("/"));
        }
        const { scripts } = readJson<{ scripts: Record<string, string> }>("package.json");
        assert.match(scripts.check, /&& npm test && npm run test:process$/);
        assert.match(scripts["test:process"], /--config test\/process\/\.mocharc\.json$/);
    });
});
