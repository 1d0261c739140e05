/**
 * The sa-workload CrossGuard policy pack: `pulumi preview --policy-pack policy`. The rules live
 * in rules/, their names, levels and config in policies.ts, the adaptation in adapt.ts.
 */
import * as nodeModule from "node:module";

import { PolicyPack } from "@pulumi/policy";

import { toPolicy } from "./adapt";
import { POLICIES } from "./policies";

new PolicyPack("sa-workload", { policies: POLICIES.map(toPolicy) });

// The engine ends the pack with a kill, before Node.js would write its compile cache at exit (where
// NODE_COMPILE_CACHE, which scripts/run.mjs sets, asks for one): written now that the pack has
// loaded, so the next command's pack starts from it. Node.js older than 22.10 has no such call.
(nodeModule as { flushCompileCache?: () => void }).flushCompileCache?.();
