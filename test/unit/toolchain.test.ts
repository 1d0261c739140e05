import * as assert from "node:assert/strict";
import { appendFileSync, cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { compareVersions, REPO_ROOT, toolchainEnvKey } from "../../scripts/lib/toolchain";
import { tempDir } from "../helpers/temp-dirs";

// What starts processes (ensureToolchain() on a user's kind of machine, build.sh env) is in
// test/process/toolchain.test.ts.
describe("the toolchain", () => {
    it("compares versions by number, not text", () => {
        assert.equal(compareVersions("3.99.0", "3.270.0"), -1);
        assert.equal(compareVersions("v3.274.1", "3.270.0"), 1);
        assert.equal(compareVersions("3.270.0", "3.270.0"), 0);
    });

    it("keys its folders by the scripts, the versions and every piece's Go module, not by other files", () => {
        const src = tempDir("sa-toolchain-");
        cpSync(join(REPO_ROOT, "scripts", "toolchain"), src, {
            recursive: true,
            filter: (file) => !file.endsWith(".json"),
        });
        const before = toolchainEnvKey(src);
        writeFileSync(join(src, "pulumi", "notes.json"), "{}");
        assert.equal(toolchainEnvKey(src), before);
        for (const file of ["versions.env", "lib.sh", join("kubernetes", "go.sum")]) {
            const changed = tempDir("sa-toolchain-");
            cpSync(src, changed, { recursive: true });
            appendFileSync(join(changed, file), "\n");
            assert.notEqual(toolchainEnvKey(changed), before, `${file} changed, same key`);
        }
    });
});
