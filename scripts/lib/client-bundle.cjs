// @kubernetes/client-node as one CommonJS file. The package is about 1,000 ES modules, and Node.js
// spends most of its 0.6 s load resolving, reading and linking them one by one (measured with
// --cpu-prof: Node.js's ES module loader, not the client's own code); bundled with esbuild into one
// file it loads in about 0.25 s. The bundle holds only the names this project uses (CLIENT_NAMES,
// with what they need: the API classes it calls, and every model, which the client's serializer
// names): a third of the whole package's 15 MB, its load 0.74 -> 0.61 s while the engine starts
// (`npm run up` with nothing to change 3.02 -> 2.91 s, creating 3.85 -> 3.46 s, 8 paired rounds).
// It holds the packages the client depends on too (undici alone is 109 files, ws 14; 6.8 MB in all;
// the client loaded and a client made 0.38 -> 0.30 s; `npm run up` with nothing to change 3.13 ->
// 2.95 s, creating 3.28 -> 2.87 s, 8 and 6 paired rounds), minified but for its names (3.2 MB;
// 0.25 -> 0.17 s; `npm run up` with nothing to change 2.78 -> 2.68 s, creating 3.42 -> 3.15 s,
// 8 and 6 paired rounds). Every other name the package exports is a
// getter that loads the package as it is. The bundle is made on first use, beside the package's
// own files (what it leaves unbundled, a dependency's optional require, then resolves as the
// package's would, and `npm ci` replacing the package replaces it), named by everything it is made
// of; making one removes those of earlier versions. Without esbuild or npm's record of what it
// installed, or where the folder cannot be written, the package loads as it is.
//
// It bundles, whole, the packages that transpile-cache.cjs serves from a bundle each too
// (WHOLE_PACKAGES: semver, @grpc/grpc-js and others that @pulumi/pulumi loads as files by the
// dozen).
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

/**
 * The client's exports that the project names (test/process/client-bundle.test.ts finds them in its
 * sources): the bundle holds these.
 */
const CLIENT_NAMES = [
    "ApiException",
    "ApisApi",
    "AuthenticationV1Api",
    "AuthorizationV1Api",
    "CoreV1Api",
    "CustomObjectsApi",
    "Exec",
    "KubeConfig",
    "KubernetesObjectApi",
    "RbacAuthorizationV1Api",
    "RbacV1Subject",
    "V1ClusterRoleBinding",
    "V1Namespace",
    "V1Node",
    "V1NonResourceRule",
    "V1ObjectMeta",
    "V1Pod",
    "V1PodSpec",
    "V1PolicyRule",
    "V1ResourceAttributes",
    "V1ResourceRule",
    "V1RoleBinding",
    "V1ServiceAccount",
    "V1Status",
    "V1Volume",
    "VersionApi",
];

/**
 * The packages, as @pulumi/pulumi requires them, that transpile-cache.cjs serves from a whole
 * bundle each (bundledPackage).
 */
const WHOLE_PACKAGES = ["semver", "@grpc/grpc-js", "@opentelemetry/api", "js-yaml"];

/**
 * The node_modules folder, holding the package in `dir` (nested ones too), where npm keeps its
 * record of what it installed (.package-lock.json, rewritten by every `npm install` and `npm
 * ci`), or undefined.
 */
function installRoot(dir) {
    for (let at = dir; dirname(at) !== at; at = dirname(at)) {
        if (basename(at) === "node_modules" && existsSync(join(at, ".package-lock.json")))
            return at;
    }
    return undefined;
}

/**
 * What the bundles of one install's packages are made of, hashed once a process: the packages as
 * npm installed them (reading the client's 70 dependencies' package.json files instead costs 22 ms
 * a command, npm's record 4 ms), esbuild and this file.
 */
const madeOf = new Map();
function installed(root) {
    if (!madeOf.has(root)) {
        const esbuild = require.resolve("esbuild/package.json");
        const parts = [join(root, ".package-lock.json"), esbuild].map((f) =>
            readFileSync(f, "utf8"),
        );
        madeOf.set(
            root,
            createHash("sha256")
                .update([...parts, SELF].join("\0"))
                .digest("hex"),
        );
    }
    return madeOf.get(root);
}

/**
 * The file of the bundle of `kind` for the package whose entry point is `entry`, beside it, or
 * undefined where npm keeps no record of the packages it would hold. Any `npm install` makes
 * new ones.
 */
function bundleFile(entry, kind) {
    const root = installRoot(dirname(entry));
    if (!root) return undefined;
    const key = createHash("sha256")
        .update(`${installed(root)}\0${kind}`)
        .digest("hex")
        .slice(0, 16);
    return join(dirname(entry), `sa-workload-bundle-${key}.cjs`);
}

/**
 * Writes to `file` (whole, then renamed) the bundle of module `contents`, which names the package
 * whose entry point is `entry`, and what `more` adds; false if it could not.
 */
function build(entry, file, contents, more = () => "") {
    const partial = `${file}.${process.pid}`;
    try {
        const result = require("esbuild").buildSync({
            stdin: { contents, resolveDir: dirname(entry) },
            bundle: true,
            platform: "node",
            format: "cjs",
            target: "node22",
            // Without its comments and whitespace (names kept): Node.js reads the whole file at
            // every load, even when its compile cache has the code (6.8 MB: 0.1 s).
            minifyWhitespace: true,
            minifySyntax: true,
            write: false,
            logLevel: "silent",
        });
        writeFileSync(partial, result.outputFiles[0].text + more());
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
 * Every other name the client exports: a getter that loads the package as it is. In a block of
 * its own, so that its names meet none of the bundle's.
 */
function unlisted(entry) {
    const others = Object.keys(require(entry)).filter((name) => !CLIENT_NAMES.includes(name));
    return `
{
    const entry = ${JSON.stringify(entry)};
    for (const name of ${JSON.stringify(others)}) {
        Object.defineProperty(module.exports, name, { enumerable: true, get: () => require(entry)[name] });
    }
}
`;
}

/**
 * The exports of @kubernetes/client-node, whose entry point is `entry`, from its bundle (made if
 * missing), or undefined where there is none to be had.
 */
function bundledClientNode(entry) {
    let file;
    try {
        file = bundleFile(entry, "client");
        const contents = `export { ${CLIENT_NAMES.join(", ")} } from ${JSON.stringify(entry)};`;
        if (!file || (!existsSync(file) && !build(entry, file, contents, () => unlisted(entry)))) {
            return undefined;
        }
        return require(file);
    } catch {
        // No esbuild, or a bundle that does not load: the package, as it is, serves.
        if (file) delete require.cache[file];
        return undefined;
    }
}

/**
 * The file of the whole bundle of the package whose entry point is `entry` (made if missing), or
 * undefined where there is none to be had.
 */
function bundledPackage(entry) {
    try {
        const file = bundleFile(entry, "whole");
        const contents = `module.exports = require(${JSON.stringify(entry)});`;
        return file && (existsSync(file) || build(entry, file, contents)) ? file : undefined;
    } catch {
        return undefined;
    }
}

module.exports = { bundledClientNode, bundledPackage, CLIENT_NAMES, WHOLE_PACKAGES };
