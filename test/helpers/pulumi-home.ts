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

/** The Pulumi folder of the user running the suite, as it was before the suite replaced it. */
export const USER_PULUMI_HOME = resolve(pulumiHome());

const suiteHome = mkdtempSync(join(tmpdir(), "sa-workload-e2e-pulumi-home-"));
const userPlugins = join(USER_PULUMI_HOME, "plugins");
mkdirSync(userPlugins, { recursive: true });
symlinkSync(userPlugins, join(suiteHome, "plugins"));
process.env.PULUMI_HOME = suiteHome;

// Removed as the suite's process ends, however it ends: the link, not the user's plugins. Never
// failing the suite: a CLI a test left running may still be writing its log (the folder is in
// tmpdir()).
process.once("exit", () => {
    try {
        rmSync(suiteHome, { recursive: true, force: true, maxRetries: 3 });
    } catch {
        // Left for the system's cleanup of tmpdir().
    }
});
