/**
 * The sa-workload CrossGuard policy pack: `pulumi preview --policy-pack policy`. The rules live
 * in rules/, their names, levels and config in policies.ts, the adaptation in adapt.ts.
 */
import { PolicyPack } from "@pulumi/policy";

import { toPolicy } from "./adapt";
import { POLICIES } from "./policies";

new PolicyPack("sa-workload", { policies: POLICIES.map(toPolicy) });
