// Preloaded by pulumi-analyzer-policy. @pulumi/pulumi's run-policy-pack registers ts-node with
// `typeCheck: true`, which type-checks the whole pack at every `up` and `preview` (measured: about
// 1 s of `npm run preview`'s 5 s). The pack is type-checked by `npm run check` (tsc includes
// policy/), so at run time it is only transpiled, like the program: by the project's transpile
// cache when the shim preloaded it (scripts/lib/transpile-cache.cjs; then ts-node is not
// registered at all: measured 1.0 s less CPU for the pack's start), else by ts-node, transpileOnly.
import { createRequire, Module } from "node:module";

const require = createRequire(import.meta.url);
const tsNode = require("ts-node");
const register = tsNode.register;
const cached = globalThis[Symbol.for("sa-workload.transpile-cache")] === true;
tsNode.register = cached
    ? () => undefined
    : (options) => register({ ...options, typeCheck: false, transpileOnly: true });

// With the cache, the runner still loads TypeScript (0.4 s) only to read its version and to parse
// the pack's tsconfig.json for ts-node (not registered). Until something asks for more (a cache
// miss does), `typescript` is this stand-in, which loads the real one on first other use.
if (cached) {
    const path = require.resolve("typescript");
    let real;
    const load = () => {
        if (!real) {
            delete require.cache[path];
            real = require(path);
        }
        return real;
    };
    const cheap = {
        version: require("typescript/package.json").version,
        parseConfigFileTextToJson: (file, text) => {
            try {
                return { config: JSON.parse(text) };
            } catch {
                return load().parseConfigFileTextToJson(file, text);
            }
        },
    };
    const standIn = new Module(path);
    standIn[Symbol.for("sa-workload.typescript-stand-in")] = true;
    standIn.filename = path;
    standIn.loaded = true;
    standIn.exports = new Proxy(
        {},
        {
            get: (_, key) => (Object.hasOwn(cheap, key) ? cheap[key] : load()[key]),
            has: (_, key) => key in load(),
            ownKeys: () => Reflect.ownKeys(load()),
            getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(load(), key),
        },
    );
    require.cache[path] = standIn;
}
