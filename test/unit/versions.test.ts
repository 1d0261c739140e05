import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { compareVersions, pinnedVersions } from "../../scripts/lib/toolchain";

const root = join(__dirname, "..", "..");
const versions = pinnedVersions();
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    engines: { node: string };
};

describe("toolchain pins", () => {
    it("asks npm for exactly the Node.js versions scripts/run.mjs runs on", () => {
        // run.mjs's table: the first minor of each major that runs the commands; 24 on, any.
        const text = readFileSync(join(root, "scripts", "run.mjs"), "utf8");
        const table = /const MIN_MINOR_OF = \{ 22: (\d+), 23: (\d+) \};/.exec(text);
        assert.ok(table, "run.mjs's MIN_MINOR_OF changed shape");
        const [, min22, min23] = table.map(Number);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const semver = require("semver") as { satisfies(v: string, range: string): boolean };
        for (const [version, runs] of [
            [`22.${min22 - 1}.0`, false],
            [`22.${min22}.0`, true],
            [`23.${min23 - 1}.0`, false],
            [`23.${min23}.0`, true],
            ["24.0.0", true],
        ] as const) {
            assert.equal(semver.satisfies(version, pkg.engines.node), runs, version);
        }
    });

    it("pins @pulumi/pulumi to the SDK version paired with the Go-built CLI", () => {
        assert.equal(pkg.dependencies["@pulumi/pulumi"], versions.PULUMI_NPM_VERSION);
    });

    it("never pairs the SDK with an older CLI", () => {
        const [cli, sdk] = [versions.PULUMI_CLI_VERSION, versions.PULUMI_NPM_VERSION];
        assert.ok(compareVersions(cli, sdk) >= 0, `CLI ${cli} < SDK ${sdk}`);
    });

    it("runs the workflows' Pulumi steps on the CLI the project is tested with", () => {
        for (const file of ["pr.yml", "shared-backend.yml"]) {
            const text = readFileSync(join(root, ".github", "workflows", file), "utf8");
            const steps = text.split("uses: pulumi/actions@").slice(1);
            assert.ok(steps.length > 0, `${file} has no pulumi/actions step`);
            for (const step of steps) {
                const pin = /pulumi-version: (\S+)/.exec(step.split(/\n\s*- /)[0])?.[1];
                assert.equal(pin, versions.PULUMI_CLI_VERSION, `${file}: a step without the pin`);
            }
        }
    });

    it("pins @pulumi/kubernetes to the provider release the toolchain builds", () => {
        assert.equal(pkg.dependencies["@pulumi/kubernetes"], versions.K8S_PROVIDER_VERSION);
    });

    it("builds each server at the version versions.env names: etcd, MinIO", () => {
        const gomod = (piece: string): string =>
            readFileSync(join(root, "scripts", "toolchain", piece, "go.mod"), "utf8");
        assert.match(
            gomod("etcd"),
            new RegExp(`go.etcd.io/etcd/server/v3 v${versions.ETCD_VERSION}\\b`),
        );
        assert.match(
            gomod("minio"),
            new RegExp(`github.com/minio/minio v${versions.MINIO_VERSION}\\b`),
        );
    });

    it("keeps .nvmrc on the major version of the Node.js it installs", () => {
        const nvmrc = readFileSync(join(root, ".nvmrc"), "utf8").trim();
        assert.equal(versions.NODE_VERSION.split(".")[0], nvmrc);
    });
});
