/** What users of the component need, by name; the rest is this folder's own business. */
export { ConfigError, Problem } from "./problems";
export {
    CONFIG_NAMESPACE,
    ConfiguredWorkload,
    ProgramConfig,
    readProgramConfig,
} from "./program-config";
export { allow, allowRead, PolicyRule, readPods, RuleOptions, Verb } from "./rbac";
export { ServiceAccountWorkload, ServiceAccountWorkloadArgs } from "./service-account-workload";
export type { PodSecurityLevel } from "./defaults";
export type { TokenMode, TokenOption } from "./token";
