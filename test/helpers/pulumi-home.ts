/**
 * The end-to-end suite's own Pulumi CLI folder (PULUMI_HOME), a temporary one removed once the
 * suite ends. The CLI writes a log of every run into its folder (pulumi 3.274: `logs/`, kept 7
 * days; a suite writes about 2,000) and the settings of every project folder it runs in
 * (`workspaces/`, one per temporary project), and each CLI start reads the size and date of every
 * log there. In the user's folder, a suite's files would slow each `pulumi` they run, of any
 * project, for a week. The user's plugins are linked in: nothing is installed again, and what the
 * toolchain installs lands in theirs.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { pulumiHome } from "../../scripts/lib/toolchain";

/** Carries the user's folder past a second load of this file, which would see the suite's. */
const USER_HOME_ENV = "SA_WORKLOAD_USER_PULUMI_HOME";

/** The Pulumi folder of the user running the suite, as it was before the suite replaced it. */
export const USER_PULUMI_HOME = (process.env[USER_HOME_ENV] ??= resolve(pulumiHome()));

const suiteHome = mkdtempSync(join(tmpdir(), "sa-workload-e2e-pulumi-home-"));
const userPlugins = join(USER_PULUMI_HOME, "plugins");
mkdirSync(userPlugins, { recursive: true });
symlinkSync(userPlugins, join(suiteHome, "plugins"));
process.env.PULUMI_HOME = suiteHome;

/** Removes the suite's folder (the link, not the user's plugins), never failing the suite. */
function cleanup(): void {
    try {
        rmSync(suiteHome, { recursive: true, force: true, maxRetries: 3 });
    } catch {
        // A CLI a test left running may still be writing its log: the folder is in tmpdir().
    }
}

// Also when mocha is stopped, or the file is loaded without the suite's .mocharc.json.
process.once("exit", cleanup);

export const mochaHooks = { afterAll: cleanup };
