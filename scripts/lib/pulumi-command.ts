/**
 * The Automation API's handle on the Pulumi CLI, without the `pulumi version` run it starts with.
 *
 * `LocalWorkspace.create()` gets its CLI from `PulumiCommand.get()`, which runs `pulumi version`
 * to learn the version (0.3 s here, before anything else the command does). ensureToolchain()
 * already knows it: it checked the same binary against the SDK's version (read once per binary,
 * by its path, size and time). The class has no public constructor, so this makes an instance
 * from its prototype with the two public fields `get()` sets; test/process/sdk-reliance.test.ts
 * fails the day an upgrade makes that differ from what `get()` returns.
 */
import { dirname } from "node:path";

import { PulumiCommand } from "@pulumi/pulumi/automation";

import { ensuredPulumi, PulumiCli } from "./toolchain";

type SemVer = new (version: string) => NonNullable<PulumiCommand["version"]>;

/** The SemVer class of the semver the Automation API uses (its workspaces call its methods). */
function sdkSemVer(): SemVer {
    const automation = dirname(require.resolve("@pulumi/pulumi/automation"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(require.resolve("semver", { paths: [automation] })) as { SemVer: SemVer })
        .SemVer;
}

/**
 * A PulumiCommand that runs `cli.file`, of `cli.version`, as `PulumiCommand.get()` makes one: by
 * default the CLI ensureToolchain() checked; undefined before it has (the SDK then asks the CLI).
 */
export function knownPulumiCommand(
    cli: PulumiCli | undefined = ensuredPulumi(),
): PulumiCommand | undefined {
    if (!cli) return undefined;
    const SemVer = sdkSemVer();
    return Object.assign(Object.create(PulumiCommand.prototype) as PulumiCommand, {
        command: cli.file,
        version: new SemVer(cli.version),
    });
}
