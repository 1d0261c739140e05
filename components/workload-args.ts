/** The arguments of a ServiceAccountWorkload: what a caller may set, each with its default. */
import type * as k8s from "@pulumi/kubernetes";

import type { PodSecurityLevel } from "./defaults";
import type { PolicyRule } from "./rbac";
import type { TokenOption } from "./token";
import type { ImagePullPolicy, Toleration } from "./validate-placement";

/** What a workload needs to act as its own identity. Every default is secure and runs nginx. */
export interface ServiceAccountWorkloadArgs {
    /** Namespace created for the workload; never a reserved one. @default "my-ns" */
    readonly namespace?: string;
    /** Name of the ServiceAccount the Pod runs as. @default "my-sa" */
    readonly serviceAccountName?: string;
    /** Name of the Pod. @default "my-pod" */
    readonly podName?: string;
    /** Pod Security level enforced on the namespace and met by the Pod. @default "restricted" */
    readonly podSecurity?: PodSecurityLevel;
    /**
     * Container image, pinned by tag or digest (never `latest`).
     * @default "nginxinc/nginx-unprivileged:1.27.4-alpine" (restricted) or "nginx:1.27.4-alpine"
     */
    readonly image?: string;
    /** When the kubelet pulls the image. @default Kubernetes' own: IfNotPresent for a tag */
    readonly imagePullPolicy?: ImagePullPolicy;
    /** Port nginx listens on inside the container. @default 8080 (restricted) or 80 (baseline) */
    readonly port?: number;
    /** User the container runs as. @default 101 (restricted) or the image's own (baseline) */
    readonly runAsUser?: number;
    /** What the ServiceAccount may do in its namespace. @default read pods (get, list, watch) */
    readonly rules?: readonly PolicyRule[];
    /** Lets `rules` contain `*`. @default false */
    readonly allowWildcards?: boolean;
    /** How the Pod gets its token. @default { mode: "automount" } */
    readonly token?: TokenOption;
    /** Also create a long-lived token Secret (legacy; prefer short-lived tokens). @default false */
    readonly legacyTokenSecret?: boolean;
    /**
     * Resource requests and limits of the container.
     * @default cpu 50m, memory 32Mi, ephemeral-storage 64Mi requested; 200m, 128Mi, 256Mi at most
     */
    readonly resources?: k8s.types.input.core.v1.ResourceRequirements;
    /** How long `pulumi up` waits for the Pod to become Ready before failing. @default 180 */
    readonly readyTimeoutSeconds?: number;
    /**
     * How long `pulumi destroy` waits for the namespace, and everything in it, to be gone before
     * failing (a finalizer that never finishes would otherwise hold it for 10 minutes). @default 300
     */
    readonly deleteTimeoutSeconds?: number;
    /**
     * Creates the workload's objects even where objects of the same kind and name exist already,
     * taking them over: the stack then owns them, and `pulumi destroy` deletes them (a namespace
     * with everything in it). Otherwise such a create fails and names what exists. @default false
     */
    readonly adoptExisting?: boolean;
    /** Node labels the Pod's node must have. @default none: any node */
    readonly nodeSelector?: Readonly<Record<string, string>>;
    /** Taints the Pod tolerates (a tainted node takes only pods that tolerate it). @default none */
    readonly tolerations?: readonly Toleration[];
    /**
     * Kube context the provider deploys to, where the ownership checks look for objects that exist
     * already (ownership.ts). @default the kubeconfig's current context
     */
    readonly kubeContext?: string;
}
