/**
 * Stack traces mapped by Node.js's own source-map support instead of ts-node's.
 *
 * @pulumi/pulumi reads `new Error().stack` for every promise it makes while registering a
 * resource (runtime/debuggable.js) and for every registration's source position. Under ts-node
 * each of those stacks goes through @cspotcode/source-map-support, which a CPU profile of the unit
 * suite put at 1.3 s of its 4 s. Node.js maps the same TypeScript lines from the inline source
 * maps ts-node and the transpile cache emit. Loaded right after the transpiler (scripts/run.mjs,
 * .mocharc.json).
 *
 * The project's files only, where Node.js can say so (22.14 and newer): every file of @pulumi/pulumi
 * and its dependencies names a map beside it, which Node.js then reads and parses as the file
 * loads (a CPU profile of `npm run up` put that at 0.26 s) and applies to each of those stacks.
 */
import * as nodeModule from "node:module";

const { setSourceMapsSupport } = nodeModule as Partial<typeof nodeModule>;
if (setSourceMapsSupport) {
    setSourceMapsSupport(true, { nodeModules: false, generatedCode: false });
} else {
    process.setSourceMapsEnabled(true);
}
delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
