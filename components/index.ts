export * from "./defaults";
export * from "./program-config";
export * from "./rbac";
export * from "./service-account-workload";
export * from "./token";
export { ConfigError, Problem } from "./validate";
