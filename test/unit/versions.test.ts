import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { pinnedVersions } from "../../scripts/lib/toolchain";

const root = join(__dirname, "..", "..");
const versions = pinnedVersions();
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
};

describe("toolchain pins", () => {
    it("pins @pulumi/pulumi to the SDK version paired with the Go-built CLI", () => {
        assert.equal(pkg.dependencies["@pulumi/pulumi"], versions.PULUMI_NPM_VERSION);
    });

    it("never pairs the SDK with an older CLI", () => {
        const [cli, sdk] = [versions.PULUMI_CLI_VERSION, versions.PULUMI_NPM_VERSION].map((v) =>
            v.split(".").map(Number),
        );
        const newer = cli.findIndex((part, i) => part !== sdk[i]);
        assert.ok(
            newer === -1 || cli[newer] > sdk[newer],
            `CLI ${cli.join(".")} < SDK ${sdk.join(".")}`,
        );
    });

    it("pins @pulumi/kubernetes to the provider release the toolchain builds", () => {
        assert.equal(pkg.dependencies["@pulumi/kubernetes"], versions.K8S_PROVIDER_VERSION);
    });

    it("keeps .nvmrc on the major version of the Node.js it installs", () => {
        const nvmrc = readFileSync(join(root, ".nvmrc"), "utf8").trim();
        assert.equal(versions.NODE_VERSION.split(".")[0], nvmrc);
    });
});
