/**
 * The Pod Security level a pod meets: the strictest one none of its findings breaks. Namespace
 * rules compare it with the level the pod's namespace enforces.
 */
import { BASELINE_CHECKS } from "./pod-baseline";
import {
    addsFewCapabilities,
    Check,
    dropsAllCapabilities,
    Finding,
    noHostNamespaces,
    noHostPorts,
    noPrivilegeEscalation,
    notPrivileged,
    runsAsNonRoot,
    safeVolumes,
    usesSeccomp,
} from "./pod-security";
import { isUnknown, UNKNOWN } from "./values";

/** Pod Security Standards levels, weakest first. */
export const LEVELS = ["privileged", "baseline", "restricted"] as const;

/** A Pod Security Standards level. */
export type Level = (typeof LEVELS)[number];

/** Whether level `a` is weaker (admits more) than level `b`. */
export const weaker = (a: Level, b: Level): boolean => LEVELS.indexOf(a) < LEVELS.indexOf(b);

/** Every check, in the order a pod's findings are listed. */
export const CHECKS: readonly Check[] = [
    runsAsNonRoot,
    noPrivilegeEscalation,
    dropsAllCapabilities,
    addsFewCapabilities,
    usesSeccomp,
    notPrivileged,
    noHostNamespaces,
    noHostPorts,
    safeVolumes,
    ...BASELINE_CHECKS,
];

/** The Pod Security level a pod spec meets, as far as it is known. */
export interface PodLevel {
    /** The strictest level the known values meet; unknown values could only lower it. */
    readonly level: Level;
    /** Whether every value the checks read was known, so `level` is exact. */
    readonly exact: boolean;
    /** The findings that keep the pod below `restricted`. */
    readonly findings: readonly Finding[];
}

/** Runs every check on a pod spec (and its metadata) and tells the strictest level it meets. */
export function podLevel(spec: unknown, metadata?: unknown): PodLevel {
    const results = isUnknown(spec) ? [UNKNOWN] : CHECKS.flatMap((check) => check(spec, metadata));
    const findings = results.filter((r): r is Finding => !isUnknown(r));
    const level: Level = findings.some((f) => f.breaks === "baseline")
        ? "privileged"
        : findings.length > 0
          ? "baseline"
          : "restricted";
    return { level, exact: !results.includes(UNKNOWN), findings };
}
