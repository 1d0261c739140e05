// Preloaded by pulumi-analyzer-policy. @pulumi/pulumi's run-policy-pack registers ts-node with
// `typeCheck: true`, which type-checks the whole pack at every `up` and `preview` (measured: about
// 1 s of `npm run preview`'s 5 s). The pack is type-checked by `npm run check` (tsc includes
// policy/), so at run time it is only transpiled, like the program: by the project's transpile
// cache when the shim preloaded it (scripts/lib/transpile-cache.cjs; then ts-node is not
// registered at all: measured 1.0 s less CPU for the pack's start; the cache also keeps the runner
// from loading TypeScript), else by ts-node, transpileOnly.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const cached = globalThis[Symbol.for("sa-workload.transpile-cache")] === true;
if (cached) {
    // Nor is ts-node loaded (its 22 modules: `npm run up` 1.27 -> 1.23 s, 7 paired rounds; the
    // engine waits for the pack before it runs the program):
    // a stand-in answers the runner's two uses of it, its version and register().
    const { standInGroup } = require("../scripts/lib/stand-ins.cjs");
    const { version } = JSON.parse(readFileSync(require.resolve("ts-node/package.json"), "utf8"));
    const register = () => undefined;
    standInGroup(new Map([[require.resolve("ts-node"), { VERSION: version, register }]]));
    // Stack traces name the pack's .ts lines through Node.js's own source maps, as the commands'
    // do; the runner's source-map-support, which cannot map what the cache serves, stands in.
    require("../scripts/lib/source-maps.ts");
} else {
    const tsNode = require("ts-node");
    const register = tsNode.register;
    tsNode.register = (options) => register({ ...options, typeCheck: false, transpileOnly: true });
}
