// The test suites' TypeScript, transpiled as the commands' is: scripts/run.mjs, which starts
// mocha, names the transpiler it chose (the project's transpile cache where Node.js has
// module.registerHooks, else ts-node); mocha started some other way (`npx mocha`) gets ts-node.
// Measured, the unit and policy suites' start (mocha, every test file and what it imports,
// no test run): 2.9 s with ts-node, 1.4 s from the transpile cache.
//
// Plain JavaScript: it is what runs before any TypeScript can.
"use strict";
require(process.env.SA_WORKLOAD_TRANSPILER || "ts-node/register");
