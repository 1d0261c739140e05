/**
 * The rest of the Pod Security Standards' baseline level: settings a pod seldom writes, each of
 * which the API server's baseline admission refuses. Checked here too, so that a pod's level
 * (pod-level.ts) is the one admission will find, and a preview reports what an update would
 * fail on. https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
 */
import type { Check, Results } from "./pod-security";
import { containersOf } from "./pod-spec";
import { get, isUnknown, items, show, UNKNOWN } from "./values";

/** The securityContexts of a pod spec: the pod's own and each container's. */
function contexts(spec: unknown): { context: unknown; label: string }[] {
    return [
        { context: get(spec, "securityContext"), label: "the pod" },
        ...containersOf(spec).map(({ container, label }) => ({
            context: get(container, "securityContext"),
            label,
        })),
    ];
}

/** A finding of the baseline level, or `UNKNOWN`, for one value read. */
function baseline(
    value: unknown,
    allowed: (v: unknown) => boolean,
    what: string,
    why: string,
    fix: string,
): Results {
    if (isUnknown(value)) return [UNKNOWN];
    return allowed(value) ? [] : [{ breaks: "baseline", what, why, fix }];
}

const unset = (v: unknown) => v === undefined || v === null || v === "";

const APPARMOR_WHY =
    "AppArmor's default profile is what keeps the container from the node's sensitive files and mounts";
const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

/** No AppArmor profile of type Unconfined, in the security contexts or the older annotations. */
export const confinedByAppArmor: Check = (spec, metadata): Results => [
    ...contexts(spec).flatMap(({ context, label }) => {
        const type = get(context, "appArmorProfile", "type");
        return baseline(
            type,
            (t) => t !== "Unconfined",
            `${label} runs unconfined by AppArmor (appArmorProfile.type is ${show(type)})`,
            APPARMOR_WHY,
            `remove appArmorProfile, or set it to { type: "RuntimeDefault" }`,
        );
    }),
    ...unknownAnnotations(metadata),
    ...annotationsOf(metadata).flatMap(([key, value]) =>
        key.startsWith(APPARMOR_ANNOTATION)
            ? baseline(
                  value,
                  (v) =>
                      unset(v) ||
                      v === "runtime/default" ||
                      (typeof v === "string" && v.startsWith("localhost/")),
                  `the annotation ${key} is ${show(value)}`,
                  APPARMOR_WHY,
                  `remove the annotation, or set it to "runtime/default"`,
              )
            : [],
    ),
];

/** `UNKNOWN` where the pods' annotations as a whole are not known yet. */
function unknownAnnotations(metadata: unknown): Results {
    return isUnknown(get(metadata, "annotations")) ? [UNKNOWN] : [];
}

/** The annotations of the pods' metadata, as [key, value] pairs (none where unknown). */
function annotationsOf(metadata: unknown): [string, unknown][] {
    const annotations = get(metadata, "annotations");
    if (isUnknown(annotations) || typeof annotations !== "object" || annotations === null)
        return [];
    return Object.entries(annotations);
}

// The SELinux types baseline admits; a user or role of its own is never admitted.
const SELINUX_TYPES = ["container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

/** SELinux options limited to the container types, without a user or role. */
export const containerSeLinux: Check = (spec) =>
    contexts(spec).flatMap(({ context, label }) =>
        (["type", "user", "role"] as const).flatMap((field) => {
            const value = get(context, "seLinuxOptions", field);
            return baseline(
                value,
                (v) => unset(v) || (field === "type" && SELINUX_TYPES.includes(v as string)),
                `${label} sets seLinuxOptions.${field} to ${show(value)}`,
                "an SELinux label of its own choosing lifts the container out of the policy that keeps it from the node",
                field === "type"
                    ? `remove seLinuxOptions.type, or use one of ${SELINUX_TYPES.join(", ")}`
                    : `remove seLinuxOptions.${field}`,
            );
        }),
    );

/**
 * The default /proc mount, which masks the node's sensitive paths: baseline, but for a pod in a
 * user namespace of its own (hostUsers: false), where only restricted requires it (1.35 on).
 */
export const defaultProcMount: Check = (spec) => {
    const hostUsers = get(spec, "hostUsers");
    if (isUnknown(hostUsers)) return [UNKNOWN];
    return containersOf(spec).flatMap(({ container, label }) => {
        const mount = get(container, "securityContext", "procMount");
        return baseline(
            mount,
            (m) => m === undefined || m === null || m === "Default",
            `${label} mounts /proc unmasked (procMount is ${show(mount)})`,
            "an unmasked /proc shows the kernel's and the node's sensitive files to the container",
            `remove securityContext.procMount, or set it to "Default"`,
        ).map((r) => (isUnknown(r) || hostUsers !== false ? r : { ...r, breaks: "restricted" }));
    });
};

// The sysctls baseline admits: namespaced ones that cannot affect other pods or the node.
const SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ping_group_range",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.tcp_wmem",
];

/** Only the safe sysctls. */
export const safeSysctls: Check = (spec) =>
    items(get(spec, "securityContext", "sysctls")).flatMap((sysctl) => {
        const name = get(sysctl, "name");
        return baseline(
            name,
            (n) => SAFE_SYSCTLS.includes(n as string),
            `the pod sets the sysctl ${show(name)}`,
            "a sysctl outside the safe set can change the kernel for other pods or the node",
            `remove it from securityContext.sysctls; baseline allows only ${SAFE_SYSCTLS.join(", ")}`,
        );
    });

const HANDLERS = [
    ["livenessProbe"],
    ["readinessProbe"],
    ["startupProbe"],
    ["lifecycle", "postStart"],
    ["lifecycle", "preStop"],
];

/** Probes and lifecycle hooks that reach the pod itself, not another host. */
export const noHostProbes: Check = (spec) =>
    containersOf(spec).flatMap(({ container, label }) =>
        HANDLERS.flatMap((path) =>
            (["httpGet", "tcpSocket"] as const).flatMap((action) => {
                const host = get(container, ...path, action, "host");
                return baseline(
                    host,
                    unset,
                    `${label}'s ${path.join(".")} ${action} goes to host ${show(host)}`,
                    "the kubelet makes that request from the node, so the pod can reach what only the node may",
                    `remove ${action}.host: the request then goes to the pod's own IP`,
                );
            }),
        ),
    );

/** No Windows HostProcess container, which runs as a process of the node. */
export const noHostProcess: Check = (spec) =>
    contexts(spec).flatMap(({ context, label }) => {
        const hostProcess = get(context, "windowsOptions", "hostProcess");
        return baseline(
            hostProcess,
            (h) => h !== true,
            `${label} is a Windows HostProcess (windowsOptions.hostProcess: true)`,
            "a HostProcess container runs on the node itself, with the node's network and files",
            "remove windowsOptions.hostProcess, or set it to false",
        );
    });

/** Every check of this file, as pod-level.ts lists them. */
export const BASELINE_CHECKS: readonly Check[] = [
    confinedByAppArmor,
    containerSeLinux,
    defaultProcMount,
    safeSysctls,
    noHostProbes,
    noHostProcess,
];
