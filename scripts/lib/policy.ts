/** Where the engine finds this project's policy pack, and how the pack's Node.js starts. */
import { delimiter, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

import { ensuredPulumi, findOnPath, REPO_ROOT } from "./toolchain";

const FOLDER = join(REPO_ROOT, "policy");

let languageHost: boolean | undefined;
/**
 * Whether the `pulumi` in use comes with its Node.js language host (the Go-built one has none):
 * on PATH, or beside the CLI itself, where the CLI looks for its plugins first.
 */
function hasLanguageHost(): boolean {
    if (languageHost === undefined) {
        const cli = ensuredPulumi()?.file;
        const path = [...(cli ? [dirname(cli)] : []), process.env.PATH ?? ""].join(delimiter);
        languageHost = findOnPath("pulumi-language-nodejs", path) !== undefined;
    }
    return languageHost;
}

/**
 * The policy pack as the `pulumi` on PATH can run it: the folder, for a CLI with its Node.js
 * language host; the pack's own analyzer shim, for one without (the Go-built toolchain).
 */
export function policyPack(): string {
    return hasLanguageHost() ? FOLDER : join(FOLDER, "pulumi-analyzer-policy");
}

/**
 * For a CLI with the Node.js language host: the policy pack's preloads, as its shim gives them
 * (the transpile cache and policy/transpile-only.mjs), in NODE_OPTIONS. The language host starts
 * @pulumi/pulumi's run-policy-pack itself, which registers ts-node to type-check the pack, and it
 * passes the CLI's environment on but no options of ours (a PulumiPolicy.yaml `nodeargs` reaches
 * the runner as arguments, not Node.js): measured here, the pack started as the language host
 * starts it served after 3.8 s without them, 0.3 s with them. The type check is `npm run check`'s.
 * Nothing for the shim, which preloads them itself; SA_WORKLOAD_TRANSPILE=ts-node leaves the
 * cache out, as the shim does.
 */
export function policyPackNodeOptions(
    env: NodeJS.ProcessEnv = process.env,
    withLanguageHost: boolean = hasLanguageHost(),
    root: string = REPO_ROOT,
): { NODE_OPTIONS?: string } {
    if (!withLanguageHost) return {};
    // Double-quoted with JSON's escapes, which are NODE_OPTIONS's (a path may hold spaces).
    const cache = join(root, "scripts", "lib", "transpile-cache.cjs");
    const transpileOnly = pathToFileURL(join(root, "policy", "transpile-only.mjs")).href;
    const options = [
        ...(env.SA_WORKLOAD_TRANSPILE === "ts-node" ? [] : ["--require", JSON.stringify(cache)]),
        "--import",
        JSON.stringify(transpileOnly),
        ...(env.NODE_OPTIONS ? [env.NODE_OPTIONS] : []),
    ];
    return { NODE_OPTIONS: options.join(" ") };
}
