/**
 * Where a resource keeps its pod spec. Pod rules read Pods and the pod templates of workload
 * controllers alike: a rule that only read Pods would be sidestepped by wrapping the same spec in
 * a Deployment.
 */
import { get, items, subject } from "./values";

/** Type tokens of the resources the pack reads. */
export const TYPES = {
    namespace: "kubernetes:core/v1:Namespace",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    pod: "kubernetes:core/v1:Pod",
    role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
} as const;

// Path from a resource's props to its pod spec.
const TEMPLATE = ["spec", "template", "spec"];
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
    [TYPES.pod]: ["spec"],
    "kubernetes:core/v1:ReplicationController": TEMPLATE,
    "kubernetes:apps/v1:Deployment": TEMPLATE,
    "kubernetes:apps/v1:StatefulSet": TEMPLATE,
    "kubernetes:apps/v1:DaemonSet": TEMPLATE,
    "kubernetes:apps/v1:ReplicaSet": TEMPLATE,
    "kubernetes:batch/v1:Job": TEMPLATE,
    "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** A pod spec found in a resource. */
export interface PodSpecOf {
    /** The pod spec (may be `UNKNOWN` or malformed: read it with `get`). */
    readonly spec: unknown;
    /** Namespace the pods run in: the resource's own (`undefined`: the provider's default). */
    readonly namespace: unknown;
    /** How messages name the resource, e.g. `Pod "my-ns/my-pod"`. */
    readonly subject: string;
    /** The pods' metadata (a template's own): annotations that Pod Security reads too. */
    readonly metadata: unknown;
}

/** The pod spec of a Pod or of a workload controller's template; `undefined` for other types. */
export function podSpecOf(type: string, props: unknown): PodSpecOf | undefined {
    const path = POD_SPEC_PATHS[type];
    if (path === undefined) return undefined;
    return {
        spec: get(props, ...path),
        namespace: get(props, "metadata", "namespace"),
        subject: subject(type, props),
        metadata: get(props, ...path.slice(0, -1), "metadata"),
    };
}

/** One container of a pod spec, with how messages name it. */
export interface Container {
    /** The container (may be `UNKNOWN`: read it with `get`). */
    readonly container: unknown;
    /** `container "web"` or `init container "setup"`. */
    readonly label: string;
}

/** Every container and init container: a check that skipped init containers could be bypassed. */
export function containersOf(spec: unknown): Container[] {
    const label = (kind: string, c: unknown, i: number): string => {
        const name = get(c, "name");
        return `${kind} ${typeof name === "string" ? `"${name}"` : `#${i}`}`;
    };
    return [
        ...items(get(spec, "containers")).map((c, i) => ({
            container: c,
            label: label("container", c, i),
        })),
        ...items(get(spec, "initContainers")).map((c, i) => ({
            container: c,
            label: label("init container", c, i),
        })),
    ];
}

/**
 * A security setting as it applies to a container: its own value, else the pod's. Kubernetes
 * resolves `runAsNonRoot`, `runAsUser` and `seccompProfile` this way.
 */
export function effective(spec: unknown, container: unknown, ...path: string[]): unknown {
    const own = get(container, "securityContext", ...path);
    return own === undefined ? get(spec, "securityContext", ...path) : own;
}
