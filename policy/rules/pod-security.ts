/**
 * Pod security: the Pod Security Standards checks this pack makes, each naming the level it
 * breaks, so the same checks give both the per-resource rules here and a pod's level for the
 * namespace rules (pod-level.ts, namespace.ts). The API server's Pod Security admission stays
 * the authority; this pack reports at preview what it would refuse, and what it would admit.
 *
 * `runAsNonRoot` is the one restricted-only requirement a legitimate workload here breaks (the
 * baseline profile runs stock nginx as root), so its per-resource rule is advisory, and the
 * namespace rules make it binding: a pod that does not meet `restricted` must sit in a namespace
 * of this stack that enforces `baseline`.
 */
import { BASELINE_CHECKS } from "./pod-baseline";
import { Container, containersOf, effective, podSpecOf } from "./pod-spec";
import { get, includes, isUnknown, items, Props, show, Unknown, UNKNOWN } from "./values";

/** Something a pod does that a Pod Security level forbids. */
export interface Finding {
    /** The weakest level that forbids it: a pod with this finding meets only the level below. */
    readonly breaks: "baseline" | "restricted";
    /** What the pod does, e.g. `container "web" is privileged`. */
    readonly what: string;
    /** Why that matters. */
    readonly why: string;
    /** How to put it right. */
    readonly fix: string;
}

/** A check's results: findings, and `UNKNOWN` wherever a value it needed was not known. */
export type Results = (Finding | Unknown)[];

/** One Pod Security check of a pod spec, and of the pods' metadata where it reads annotations. */
export type Check = (spec: unknown, metadata?: unknown) => Results;

/** The capabilities baseline lets a container add back; restricted allows only NET_BIND_SERVICE. */
export const BASELINE_CAPABILITIES = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];
// Volume types restricted allows: none of them reaches the node.
const RESTRICTED_VOLUMES = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

function perContainer(spec: unknown, check: (c: Container) => Results): Results {
    return containersOf(spec).flatMap(check);
}

/** Runs as a non-root user: restricted. */
export const runsAsNonRoot: Check = (spec) =>
    perContainer(spec, ({ container, label }) => {
        const results: Results = [];
        const fix =
            "set securityContext.runAsNonRoot: true and a non-zero runAsUser on the pod, with an " +
            "image that runs as non-root (e.g. nginxinc/nginx-unprivileged); a workload that " +
            "truly needs root belongs in a namespace that enforces baseline";
        const why =
            "a process that escapes the container as root owns the node's files far more easily";
        const nonRoot = effective(spec, container, "runAsNonRoot");
        if (isUnknown(nonRoot)) results.push(UNKNOWN);
        else if (nonRoot !== true) {
            const what = `${label} may run as root (runAsNonRoot is ${show(nonRoot)})`;
            results.push({ breaks: "restricted", what, why, fix });
        }
        const user = effective(spec, container, "runAsUser");
        if (isUnknown(user)) results.push(UNKNOWN);
        else if (user === 0) {
            results.push({
                breaks: "restricted",
                what: `${label} runs as user 0 (root)`,
                why,
                fix,
            });
        }
        return results;
    });

/** Forbids privilege escalation: restricted. */
export const noPrivilegeEscalation: Check = (spec) =>
    perContainer(spec, ({ container, label }) => {
        const value = get(container, "securityContext", "allowPrivilegeEscalation");
        if (isUnknown(value)) return [UNKNOWN];
        if (value === false) return [];
        return [
            {
                breaks: "restricted",
                what: `${label} allows privilege escalation (allowPrivilegeEscalation is ${show(value)})`,
                why: "setuid binaries can then give the process more privileges than it started with, and Kubernetes allows that unless told otherwise",
                fix: "set securityContext.allowPrivilegeEscalation: false on the container",
            },
        ];
    });

/** Drops ALL capabilities: restricted. */
export const dropsAllCapabilities: Check = (spec) =>
    perContainer(spec, ({ container, label }) => {
        const dropsAll = includes(get(container, "securityContext", "capabilities", "drop"), "ALL");
        if (isUnknown(dropsAll)) return [UNKNOWN];
        if (dropsAll) return [];
        return [
            {
                breaks: "restricted",
                what: `${label} keeps the runtime's default capabilities (capabilities.drop lacks "ALL")`,
                why: "the default set includes capabilities such as NET_RAW, which lets a process forge packets on the node's network",
                fix: `set securityContext.capabilities.drop: ["ALL"] on the container and add back only what it needs`,
            },
        ];
    });

/** Adds back only capabilities a level allows: NET_BIND_SERVICE for restricted, a few for baseline. */
export const addsFewCapabilities: Check = (spec) =>
    perContainer(spec, ({ container, label }) =>
        items(get(container, "securityContext", "capabilities", "add")).flatMap((cap): Results => {
            if (isUnknown(cap)) return [UNKNOWN];
            if (cap === "NET_BIND_SERVICE") return [];
            const baseline = typeof cap === "string" && BASELINE_CAPABILITIES.includes(cap);
            return [
                {
                    breaks: baseline ? "restricted" : "baseline",
                    what: `${label} adds the capability ${show(cap)}`,
                    why: "each added capability is a piece of root's power over the node",
                    fix: "remove it from securityContext.capabilities.add, or run an image that does not need it",
                },
            ];
        }),
    );

/** Runs under the runtime's seccomp profile (or a local one): restricted; never Unconfined: baseline. */
export const usesSeccomp: Check = (spec) =>
    perContainer(spec, ({ container, label }) => {
        const type = effective(spec, container, "seccompProfile", "type");
        if (isUnknown(type)) return [UNKNOWN];
        if (type === "RuntimeDefault" || type === "Localhost") return [];
        return [
            {
                breaks: type === "Unconfined" ? "baseline" : "restricted",
                what: `${label} runs without a seccomp profile (seccompProfile.type is ${show(type)})`,
                why: "every system call then reaches the node's kernel, so one kernel bug is a container escape",
                fix: `set securityContext.seccompProfile: { type: "RuntimeDefault" } on the pod`,
            },
        ];
    });

/** Is not privileged: baseline. */
export const notPrivileged: Check = (spec) =>
    perContainer(spec, ({ container, label }) => {
        const value = get(container, "securityContext", "privileged");
        if (isUnknown(value)) return [UNKNOWN];
        if (value !== true) return [];
        return [
            {
                breaks: "baseline",
                what: `${label} is privileged`,
                why: "a privileged container has every capability and every device of the node, which amounts to root on the node",
                fix: "remove securityContext.privileged from the container, or set it to false",
            },
        ];
    });

const HOST_NAMESPACES: Readonly<Record<string, string>> = {
    hostNetwork:
        "see and bind the node's network interfaces, including services listening only on the node's localhost",
    hostPID: "see and signal every process on the node, and read their environment",
    hostIPC: "read and write the shared memory of every process on the node",
};

/** Shares none of the node's namespaces: baseline. */
export const noHostNamespaces: Check = (spec) =>
    Object.entries(HOST_NAMESPACES).flatMap(([field, power]): Results => {
        const value = get(spec, field);
        if (isUnknown(value)) return [UNKNOWN];
        if (value !== true) return [];
        return [
            {
                breaks: "baseline",
                what: `shares the node's namespace (${field}: true)`,
                why: `the pod can then ${power}`,
                fix: `remove ${field} from the pod spec, or set it to false`,
            },
        ];
    });

/** Opens no port on the node itself: baseline. */
export const noHostPorts: Check = (spec) =>
    perContainer(spec, ({ container, label }) =>
        items(get(container, "ports")).flatMap((port): Results => {
            const hostPort = get(port, "hostPort");
            if (isUnknown(hostPort)) return [UNKNOWN];
            if (hostPort === undefined || hostPort === 0) return [];
            return [
                {
                    breaks: "baseline",
                    what: `${label} opens port ${show(hostPort)} on the node (hostPort)`,
                    why: "it bypasses the cluster's network policies and ties the pod to a node",
                    fix: "remove hostPort and reach the pod through a Service",
                },
            ];
        }),
    );

/** Mounts no hostPath volume (baseline), and only volume types restricted allows (restricted). */
export const safeVolumes: Check = (spec) =>
    items(get(spec, "volumes")).flatMap((volume): Results => {
        if (isUnknown(volume)) return [UNKNOWN];
        if (typeof volume !== "object" || volume === null) return [];
        const name = show(get(volume, "name"));
        const hostPath = get(volume, "hostPath");
        if (isUnknown(hostPath)) return [UNKNOWN];
        if (hostPath !== undefined && hostPath !== null) {
            return [
                {
                    breaks: "baseline",
                    what: `mounts the node's path ${show(get(hostPath, "path"))} (hostPath volume ${name})`,
                    why: "a hostPath volume reads or writes the node's own files, which can expose other pods' data and the kubelet's credentials",
                    fix: "use an emptyDir, configMap, secret, projected or persistentVolumeClaim volume instead",
                },
            ];
        }
        // A volume's type is the one key beside its name that holds a value.
        const sources = Object.entries(volume)
            .filter(([key, value]) => key !== "name" && value !== undefined && value !== null)
            .map(([key]) => key);
        return sources
            .filter((source) => !RESTRICTED_VOLUMES.includes(source))
            .map((source) => ({
                breaks: "restricted",
                what: `mounts a ${source} volume (${name})`,
                why: "restricted allows only volume types that cannot reach the node",
                fix: `use one of ${RESTRICTED_VOLUMES.join(", ")}`,
            }));
    });

/** A per-resource rule from a check: one message per finding, each with why and how to fix. */
function rule(check: Check): (type: string, props: Props) => string[] {
    return (type, props) => {
        const pod = podSpecOf(type, props);
        if (pod === undefined || isUnknown(pod.spec)) return [];
        return check(pod.spec, pod.metadata)
            .filter((r): r is Finding => !isUnknown(r))
            .map((f) => `${pod.subject} ${f.what}: ${f.why}. Fix: ${f.fix}.`);
    };
}

/** Pods and pod templates run as non-root users (advisory: see the file's header). */
export const podRunsAsNonRoot = rule(runsAsNonRoot);
/** Containers set allowPrivilegeEscalation: false. */
export const podNoPrivilegeEscalation = rule(noPrivilegeEscalation);
/** Containers drop ALL capabilities. */
export const podDropsAllCapabilities = rule(dropsAllCapabilities);
/** Containers run under the RuntimeDefault (or a Localhost) seccomp profile. */
export const podSeccompRuntimeDefault = rule(usesSeccomp);
/** No container is privileged. */
export const podNotPrivileged = rule(notPrivileged);
/** No hostPath volume. */
export const podNoHostPath = rule((spec) =>
    safeVolumes(spec).filter((r) => isUnknown(r) || r.breaks === "baseline"),
);
/** No hostNetwork, hostPID or hostIPC. */
export const podNoHostNamespaces = rule(noHostNamespaces);
/** The rest of baseline: AppArmor, SELinux, /proc, sysctls, probes' hosts, HostProcess. */
export const podBaselineControls = rule((spec, metadata) =>
    BASELINE_CHECKS.flatMap((check) => check(spec, metadata)).filter(
        (r) => isUnknown(r) || r.breaks === "baseline",
    ),
);
