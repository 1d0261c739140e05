import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { parse } from "yaml";

const root = join(__dirname, "..", "..");

describe("committed stack files", () => {
    it("carry config only, no secrets settings that would tie them to one passphrase", () => {
        const files = readdirSync(root).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f));
        assert.ok(files.includes("Pulumi.dev.yaml"));
        for (const file of files) {
            const keys = Object.keys(parse(readFileSync(join(root, file), "utf8")) as object);
            assert.deepEqual(keys, ["config"], file);
        }
    });
});
