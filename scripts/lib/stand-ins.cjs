// Stand-ins for modules: each is a stand-in in require.cache until something uses it; then the
// real module loads, and the stand-ins of its group leave the cache (so that what it loads from
// then on, which may need the others, gets them real). A stand-in answers the keys it is given
// itself, says it is an ES module (so `import * as x` and `import x` compile to code that keeps
// it lazy: `x.name` and `x.default` reach the real module), and loads the real one for anything
// else, reflection too. transpile-cache.cjs says which modules, and why.
//
// Plain JavaScript, like transpile-cache.cjs, which requires it.
"use strict";
const { Module } = require("node:module");

const STAND_IN = Symbol.for("sa-workload.stand-in");
/** Each stand-in's path, and the paths of its group (itself included). */
const groups = new Map();
/** Takes the stand-ins of `path`'s group out of require.cache. */
function dropGroup(path) {
    for (const file of groups.get(path) ?? []) {
        if (require.cache[file]?.[STAND_IN]) delete require.cache[file];
        groups.delete(file);
    }
}

/** A module's exports, real: its stand-in and those of its group go first. */
function realModule(path) {
    dropGroup(path);
    return require(path);
}
function standIn(path, answers, loadReal) {
    let real;
    const load = () => (real ??= loadReal(path));
    const module = new Module(path);
    module[STAND_IN] = true;
    module.filename = path;
    module.loaded = true;
    module.exports = new Proxy(
        {},
        {
            get: (_, key) => {
                if (key === "default") return load();
                return Object.hasOwn(answers, key) ? answers[key] : load()[key];
            },
            has: (_, key) => Object.hasOwn(answers, key) || key in load(),
            ownKeys: () => Reflect.ownKeys(load()),
            // Configurable: the target is empty, and a proxy may not report a fixed property
            // its target lacks (TypeScript's exports are fixed getters).
            getOwnPropertyDescriptor: (_, key) => {
                const found = Reflect.getOwnPropertyDescriptor(load(), key);
                return found && { ...found, configurable: true };
            },
        },
    );
    return module;
}
/**
 * Stands in for modules that load together, each with its cheap answers; `load` gives a module's
 * real exports (by default, the module itself).
 */
function standInGroup(modules, load = (path) => require(path)) {
    const paths = [...modules.keys()].filter((path) => !require.cache[path]);
    const loadReal = (path) => {
        dropGroup(path);
        return load(path);
    };
    for (const path of paths) {
        require.cache[path] = standIn(path, { __esModule: true, ...modules.get(path) }, loadReal);
        groups.set(path, paths);
    }
}

module.exports = { realModule, standInGroup };
