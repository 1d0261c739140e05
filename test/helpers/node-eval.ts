/** Scripts run in a Node.js process of their own, with what the commands' processes preload. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

import { REPO_ROOT } from "../../scripts/lib/toolchain";

/** The transpile cache, which scripts/run.mjs and the policy pack's shim preload (`-r`). */
export const TRANSPILE_CACHE = join(REPO_ROOT, "scripts", "lib", "transpile-cache.cjs");

export interface NodeRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export interface NodeEvalOptions {
    /** Node.js options before the script, e.g. `["-r", TRANSPILE_CACHE]`. */
    readonly preload?: string[];
    /** @default the repository */
    readonly cwd?: string;
    /** Set on top of this process's environment. */
    readonly env?: Record<string, string>;
}

/** Runs CommonJS `script` as `node <preload...> -e script` in `cwd`. */
export function nodeEval(
    script: string,
    { preload = [], cwd = REPO_ROOT, env = {} }: NodeEvalOptions = {},
): NodeRun {
    const { status, stdout, stderr } = spawnSync(process.execPath, [...preload, "-e", script], {
        cwd,
        encoding: "utf8",
        env: { ...process.env, ...env },
    });
    return { status, stdout, stderr };
}
