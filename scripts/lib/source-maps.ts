/**
 * Stack traces mapped by Node.js's own source-map support instead of ts-node's.
 *
 * @pulumi/pulumi reads `new Error().stack` for every promise it makes while registering a
 * resource (runtime/debuggable.js) and for every registration's source position. Under ts-node
 * each of those stacks goes through @cspotcode/source-map-support, which a CPU profile of the unit
 * suite put at 1.3 s of its 4 s. Node.js maps the same TypeScript lines from the inline source
 * maps ts-node emits. Loaded right after ts-node/register (scripts/run.mjs, .mocharc.json).
 */
process.setSourceMapsEnabled(true);
delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
