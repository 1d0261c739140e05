// @kubernetes/client-node as one CommonJS file. The package is about 1,000 ES modules, and Node.js
// spends most of its 0.6 s load resolving, reading and linking them one by one (measured with
// --cpu-prof: Node.js's ES module loader, not the client's own code); bundled with esbuild into one
// file it loads in about 0.25 s. The bundle is made on first use, beside the package's own files
// (its dependencies then resolve as the package's do, and `npm ci` replacing the package replaces
// it), named by everything it depends on; making one removes those of earlier versions. Without
// esbuild, or where the folder cannot be written, the package loads as it is.
//
// Plain JavaScript, like transpile-cache.cjs, which installs it for the command path.
"use strict";
const { createHash } = require("node:crypto");
const {
    existsSync,
    readdirSync,
    readFileSync,
    renameSync,
    rmSync,
    writeFileSync,
} = require("node:fs");
const { basename, dirname, join } = require("node:path");

const SELF = readFileSync(__filename, "utf8");

/** The bundle's file for the package whose entry point is `entry` (its dist/index.js). */
function bundleFile(entry) {
    const esbuild = require.resolve("esbuild/package.json");
    const packageJson = join(dirname(entry), "..", "package.json");
    const key = createHash("sha256")
        .update([readFileSync(packageJson, "utf8"), readFileSync(esbuild, "utf8"), SELF].join("\0"))
        .digest("hex")
        .slice(0, 16);
    return join(dirname(entry), `sa-workload-bundle-${key}.cjs`);
}

/** Writes the bundle of `entry` to `file` (whole, then renamed); false if it could not. */
function build(entry, file) {
    const partial = `${file}.${process.pid}`;
    try {
        const result = require("esbuild").buildSync({
            entryPoints: [entry],
            bundle: true,
            platform: "node",
            format: "cjs",
            target: "node22",
            // Its dependencies stay packages of their own, required from beside the package.
            packages: "external",
            write: false,
            logLevel: "silent",
        });
        writeFileSync(partial, result.outputFiles[0].contents);
        renameSync(partial, file);
        // Bundles made by other versions (of the package, esbuild or this file) are done with.
        for (const old of readdirSync(dirname(file))) {
            if (/^sa-workload-bundle-\w+\.cjs$/.test(old) && old !== basename(file)) {
                rmSync(join(dirname(file), old), { force: true });
            }
        }
        return true;
    } catch {
        rmSync(partial, { force: true });
        return false;
    }
}

/**
 * The exports of @kubernetes/client-node, whose entry point is `entry`, from its bundle (made if
 * missing), or undefined where there is none to be had.
 */
function bundledClientNode(entry) {
    let file;
    try {
        file = bundleFile(entry);
        if (!existsSync(file) && !build(entry, file)) return undefined;
        return require(file);
    } catch {
        // No esbuild, or a bundle that does not load: the package, as it is, serves.
        if (file) delete require.cache[file];
        return undefined;
    }
}

module.exports = { bundledClientNode };
