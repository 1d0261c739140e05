/**
 * Pod Security: the namespace labels that enforce a level, and the Pod settings that satisfy it.
 * Both come from the same `SecurityProfile`, so a workload cannot label its namespace with one
 * level and run a Pod that only passes a weaker one.
 */
import * as k8s from "@pulumi/kubernetes";

import { PodSecurityLevel, SecurityProfile } from "./defaults";

/**
 * Labels that make the API server enforce `level` in a namespace, and audit and warn on anything
 * short of `restricted`, so a `baseline` workload still shows what it would take to tighten it.
 */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const [mode, value] of [
        ["enforce", level],
        ["audit", "restricted"],
        ["warn", "restricted"],
    ]) {
        labels[`pod-security.kubernetes.io/${mode}`] = value;
        labels[`pod-security.kubernetes.io/${mode}-version`] = "latest";
    }
    return labels;
}

/** The Pod-level security context of a profile. */
export function podSecurityContext(
    profile: SecurityProfile,
    runAsUser: number | undefined,
): k8s.types.input.core.v1.PodSecurityContext {
    const user = runAsUser ?? profile.runAsUser;
    return {
        runAsNonRoot: profile.runAsNonRoot,
        ...(user === undefined ? {} : { runAsUser: user, runAsGroup: user, fsGroup: user }),
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** The container-level security context of a profile. */
export function containerSecurityContext(
    profile: SecurityProfile,
): k8s.types.input.core.v1.SecurityContext {
    return {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: {
            drop: ["ALL"],
            ...(profile.addCapabilities.length > 0 ? { add: [...profile.addCapabilities] } : {}),
        },
    };
}

/** The emptyDir volumes, and their mounts, for the paths nginx writes to. */
export function writableVolumes(profile: SecurityProfile): {
    volumes: k8s.types.input.core.v1.Volume[];
    volumeMounts: k8s.types.input.core.v1.VolumeMount[];
} {
    const named = profile.writablePaths.map((path, i) => ({ path, name: `writable-${i}` }));
    return {
        volumes: named.map(({ name }) => ({ name, emptyDir: { sizeLimit: "64Mi" } })),
        volumeMounts: named.map(({ name, path }) => ({ name, mountPath: path })),
    };
}
