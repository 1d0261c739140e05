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

type Spawn = typeof import("node:child_process").spawn;

/**
 * On Windows, starts the Pulumi CLI in the user's console, where a terminal's Ctrl-C reaches it.
 * The Automation API starts every CLI through execa, which asks for `windowsHide`; with its output
 * piped, libuv then starts it with no console at all (CREATE_NO_WINDOW), and Ctrl-C never reaches
 * it (nodejs/node#29837): the first Ctrl-C would cancel nothing, and the second would kill the
 * engine mid-update, leaving its lock. Spawns that ask for `windowsHide` get `false` instead (a
 * console program started from a console shares it; none opens a window). Nothing elsewhere.
 */
export function startCliInConsole(
    // The module object execa (through cross-spawn) calls spawn on, at each call.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    childProcess: { spawn: Spawn } = require("node:child_process") as { spawn: Spawn },
    platform: NodeJS.Platform = process.platform,
): void {
    if (platform !== "win32") return;
    const spawn = childProcess.spawn;
    childProcess.spawn = ((command: string, args: readonly string[], options?: object) =>
        spawn(
            command,
            args,
            (options as { windowsHide?: boolean } | undefined)?.windowsHide
                ? { ...options, windowsHide: false }
                : (options ?? {}),
        )) as Spawn;
}
