/**
 * Finds the Pulumi CLI (and, on machines without internet, the Kubernetes provider plugin): the
 * user's own when present, otherwise the one scripts/toolchain/build.sh builds from Go modules
 * (Linux only; cached, so later runs only check the cache).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const REPO_ROOT = join(__dirname, "..", "..");
const BUILD = join(REPO_ROOT, "scripts", "toolchain", "build.sh");

/** Runs a toolchain or cluster script, its progress on stderr; throws if it fails. */
export function runScript(script: string, ...args: string[]): string {
    const result = spawnSync("bash", [script, ...args], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "inherit"],
        encoding: "utf8",
    });
    if (result.status !== 0) {
        throw new Error(
            `${script} ${args.join(" ")} failed (exit ${result.status ?? result.signal})`,
        );
    }
    return result.stdout;
}

function onPath(command: string): boolean {
    const which = process.platform === "win32" ? "where" : "which";
    return spawnSync(which, [command], { stdio: "ignore" }).status === 0;
}

/** The pieces this process has already checked or built. */
const ensured = new Set<string>();

/**
 * Makes `pulumi` and its Kubernetes plugin available to this process and its children, building
 * them where they cannot be had otherwise. `pieces` may add the local cluster's binaries.
 */
export function ensureToolchain(pieces: "cluster"[] = []): void {
    if (process.platform !== "linux") {
        if (!onPath("pulumi")) {
            throw new Error(
                "The Pulumi CLI is not on PATH. Install it (https://www.pulumi.com/docs/install/), " +
                    "then run the command again.",
            );
        }
        return;
    }
    const missing = ["pulumi", "provider", ...pieces].filter((piece) => !ensured.has(piece));
    if (!missing.length) return;
    for (const piece of missing) {
        runScript(BUILD, piece);
        ensured.add(piece);
    }
    const env = runScript(BUILD, "env");
    const path = /^PATH=(.*)$/m.exec(env)?.[1];
    if (!path) throw new Error(`${BUILD} env printed no PATH`);
    process.env.PATH = path;
    // Nothing may be downloaded here: a missing plugin is an error, not a download attempt.
    process.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION ??= "true";
    process.env.PULUMI_SKIP_UPDATE_CHECK ??= "true";
}
