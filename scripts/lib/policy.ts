/** Where the engine finds this project's policy pack. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

import { REPO_ROOT } from "./toolchain";

/**
 * The policy pack as the `pulumi` on PATH can run it: the folder, for a CLI with its Node.js
 * language host; the pack's own analyzer shim, for one without (the Go-built toolchain).
 */
export function policyPack(): string {
    const which = process.platform === "win32" ? "where" : "which";
    const hasLanguageHost =
        spawnSync(which, ["pulumi-language-nodejs"], { stdio: "ignore" }).status === 0;
    const folder = join(REPO_ROOT, "policy");
    return hasLanguageHost ? folder : join(folder, "pulumi-analyzer-policy");
}
