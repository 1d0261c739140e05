/**
 * ServiceAccountWorkload: a Pod with an identity of its own, in a namespace of its own.
 *
 * Namespace -> ServiceAccount -> Role -> RoleBinding -> Pod, each linked to the one before by the
 * values it needs, so Pulumi creates them in that order and destroys them in reverse.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { DEFAULTS, PodSecurityLevel, PROFILES } from "./defaults";
import { clusterReader } from "./live-objects";
import { namespaceGuard, PlannedObject, refuseForeignHook } from "./ownership";
import { PolicyRule } from "./rbac";
import {
    containerSecurityContext,
    podSecurityContext,
    podSecurityLabels,
    writableVolumes,
} from "./security";
import { TokenOption, tokenMount } from "./token";
import { validateWorkload } from "./validate";

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
    /** Resource requests and limits of the container. @default 50m/32Mi requested, 200m/128Mi max */
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
    /**
     * Kube context the provider deploys to: looked up for objects that exist already, and printed
     * in the ready-to-paste commands. @default the kubeconfig's current context
     */
    readonly kubeContext?: string;
}

/** Commands a user can paste to inspect the workload, mirroring the kubectl walk-through. */
export interface WorkloadCommands {
    readonly getPod: string;
    readonly describePod: string;
    readonly canI: string;
    readonly createToken: string;
    readonly portForward: string;
}

export class ServiceAccountWorkload extends pulumi.ComponentResource {
    public readonly namespace: k8s.core.v1.Namespace;
    public readonly serviceAccount: k8s.core.v1.ServiceAccount;
    public readonly role: k8s.rbac.v1.Role;
    public readonly roleBinding: k8s.rbac.v1.RoleBinding;
    public readonly pod: k8s.core.v1.Pod;
    /** The long-lived token Secret, when `legacyTokenSecret` is set. */
    public readonly tokenSecret?: k8s.core.v1.Secret;
    /** The token of `tokenSecret`, always a Pulumi secret. */
    public readonly legacyToken?: pulumi.Output<string>;
    public readonly namespaceName: pulumi.Output<string>;
    public readonly serviceAccountName: pulumi.Output<string>;
    public readonly podName: pulumi.Output<string>;
    /** The Role's rules as intended, to compare with what the cluster actually allows. */
    public readonly rules: readonly PolicyRule[];
    public readonly commands: pulumi.Output<WorkloadCommands>;

    constructor(
        name: string,
        args: ServiceAccountWorkloadArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        // Throws before anything, this component included, is registered.
        validateWorkload(args, `ServiceAccountWorkload "${name}" args`);
        // Args are not passed up: they would be stored as component state, secrets included.
        super("sa-workload:components:ServiceAccountWorkload", name, {}, opts);

        const level = args.podSecurity ?? DEFAULTS.podSecurity;
        const profile = PROFILES[level];
        const port = args.port ?? profile.port;
        // These objects belong to this stack alone: an `up` takes back fields that someone else
        // changed (kubectl edit, another apply) instead of failing on the server-side apply conflict,
        // so drift such as an escalated Role is repaired, not merely reported.
        // Only objects this stack created get there: a create never takes one over (ownership.ts).
        const owned = { "pulumi.com/patchForce": "true" };
        const labels = {
            "app.kubernetes.io/name": args.podName ?? DEFAULTS.podName,
            "app.kubernetes.io/managed-by": "pulumi",
        };
        const nsName = args.namespace ?? DEFAULTS.namespace;
        const saName = args.serviceAccountName ?? DEFAULTS.serviceAccountName;
        const legacySecret = args.legacyTokenSecret ?? DEFAULTS.legacyTokenSecret;
        const planned = plannedObjects(
            nsName,
            saName,
            args.podName ?? DEFAULTS.podName,
            legacySecret,
        );
        const reader = clusterReader(args.kubeContext);
        const adopt = args.adoptExisting ?? DEFAULTS.adoptExisting;
        // Every child has a fixed name, so a replacement must delete the old object first: created
        // first, the new one would be the old one, and the delete that follows would remove it.
        const child = (kind: PlannedObject["kind"]): pulumi.CustomResourceOptions => ({
            parent: this,
            deleteBeforeReplace: true,
            hooks: adopt
                ? {}
                : {
                      beforeCreate: [
                          refuseForeignHook(
                              `${name}-${kind.toLowerCase()}-not-foreign`,
                              name,
                              reader,
                              // The namespace's check covers everything: a new namespace is empty.
                              kind === "Namespace"
                                  ? planned
                                  : planned.filter((p) => p.kind === kind),
                          ),
                      ],
                  },
        });

        this.namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: nsName,
                    labels: { ...labels, ...podSecurityLabels(level) },
                    annotations: {
                        ...owned,
                        "pulumi.com/timeoutSeconds": String(
                            args.deleteTimeoutSeconds ?? DEFAULTS.deleteTimeoutSeconds,
                        ),
                    },
                },
            },
            withHooks(child("Namespace"), { beforeDelete: [namespaceGuard(reader)] }),
        );
        const namespace = this.namespace.metadata.name;
        // No `deletedWith: namespace` for the objects in it, though it would save their deletes:
        // measured (docs/benchmarks.md), a namespace that still holds objects takes the namespace
        // controller longer to sweep than Pulumi takes to delete them and then an empty namespace.

        this.serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            {
                metadata: {
                    name: saName,
                    namespace,
                    labels,
                    annotations: owned,
                },
                // Pods opt in one by one through the token option, never by inheritance.
                automountServiceAccountToken: false,
            },
            child("ServiceAccount"),
        );
        const serviceAccountName = this.serviceAccount.metadata.name;

        this.rules = args.rules ?? DEFAULTS.rules();
        this.role = new k8s.rbac.v1.Role(
            `${name}-role`,
            {
                metadata: { name: serviceAccountName, namespace, labels, annotations: owned },
                rules: this.rules.map((rule) => ({
                    apiGroups: [...rule.apiGroups],
                    resources: [...rule.resources],
                    verbs: [...rule.verbs],
                    ...(rule.resourceNames ? { resourceNames: [...rule.resourceNames] } : {}),
                })),
            },
            child("Role"),
        );

        this.roleBinding = new k8s.rbac.v1.RoleBinding(
            `${name}-role-binding`,
            {
                metadata: { name: serviceAccountName, namespace, labels, annotations: owned },
                roleRef: {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "Role",
                    name: this.role.metadata.name,
                },
                subjects: [{ kind: "ServiceAccount", name: serviceAccountName, namespace }],
            },
            child("RoleBinding"),
        );

        if (legacySecret) {
            this.tokenSecret = new k8s.core.v1.Secret(
                `${name}-token`,
                {
                    metadata: {
                        name: pulumi.interpolate`${serviceAccountName}-token`,
                        namespace,
                        labels,
                        annotations: {
                            ...owned,
                            "kubernetes.io/service-account.name": serviceAccountName,
                        },
                    },
                    type: "kubernetes.io/service-account-token",
                },
                child("Secret"),
            );
            // The token controller fills `data.token` in base64.
            this.legacyToken = pulumi.secret(
                this.tokenSecret.data.apply((data) =>
                    Buffer.from(data?.token ?? "", "base64").toString("utf8"),
                ),
            );
        }

        const token = tokenMount(args.token ?? { mode: DEFAULTS.tokenMode });
        const writable = writableVolumes(profile);
        const podName = args.podName ?? DEFAULTS.podName;
        const probe = { httpGet: { path: "/", port: "http" }, periodSeconds: 10 };
        this.pod = new k8s.core.v1.Pod(
            `${name}-pod`,
            {
                metadata: {
                    name: podName,
                    namespace,
                    labels,
                    annotations: {
                        ...owned,
                        "pulumi.com/timeoutSeconds": String(
                            args.readyTimeoutSeconds ?? DEFAULTS.readyTimeoutSeconds,
                        ),
                    },
                },
                spec: {
                    serviceAccountName,
                    automountServiceAccountToken: token.automountServiceAccountToken,
                    securityContext: podSecurityContext(profile, args.runAsUser),
                    containers: [
                        {
                            // Named like the Pod, as `kubectl run` names it.
                            name: podName,
                            image: args.image ?? profile.image,
                            ports: [{ name: "http", containerPort: port }],
                            securityContext: containerSecurityContext(profile),
                            resources: args.resources ?? DEFAULTS.resources,
                            readinessProbe: { ...probe, initialDelaySeconds: 1 },
                            livenessProbe: { ...probe, initialDelaySeconds: 10 },
                            volumeMounts: [...writable.volumeMounts, ...token.volumeMounts],
                        },
                    ],
                    volumes: [...writable.volumes, ...token.volumes],
                },
            },
            // No value flows from the binding, but the Pod must not run without its rights.
            { ...child("Pod"), dependsOn: [this.roleBinding] },
        );

        this.namespaceName = namespace;
        this.serviceAccountName = serviceAccountName;
        this.podName = this.pod.metadata.name;
        this.commands = workloadCommands(namespace, serviceAccountName, this.podName, port, args);
        this.registerOutputs({
            namespace: this.namespaceName,
            serviceAccount: this.serviceAccountName,
            pod: this.podName,
            commands: this.commands,
        });
    }
}

function withHooks(
    opts: pulumi.CustomResourceOptions,
    hooks: pulumi.ResourceHookBinding,
): pulumi.CustomResourceOptions {
    return { ...opts, hooks: { ...opts.hooks, ...hooks } };
}

/** Every object the workload creates, by kind and name, with the argument that names it. */
function plannedObjects(
    namespace: string,
    serviceAccount: string,
    pod: string,
    legacySecret: boolean,
): PlannedObject[] {
    const rbac = "rbac.authorization.k8s.io/v1";
    const arg = "serviceAccountName";
    return [
        { apiVersion: "v1", kind: "Namespace", name: namespace, arg: "namespace" },
        { apiVersion: "v1", kind: "ServiceAccount", namespace, name: serviceAccount, arg },
        { apiVersion: rbac, kind: "Role", namespace, name: serviceAccount, arg },
        { apiVersion: rbac, kind: "RoleBinding", namespace, name: serviceAccount, arg },
        ...(legacySecret
            ? [
                  {
                      apiVersion: "v1",
                      kind: "Secret",
                      namespace,
                      name: `${serviceAccount}-token`,
                      arg,
                  },
              ]
            : []),
        { apiVersion: "v1", kind: "Pod", namespace, name: pod, arg: "podName" },
    ];
}

function workloadCommands(
    namespace: pulumi.Output<string>,
    serviceAccount: pulumi.Output<string>,
    pod: pulumi.Output<string>,
    port: number,
    args: ServiceAccountWorkloadArgs,
): pulumi.Output<WorkloadCommands> {
    const kubectl = args.kubeContext ? `kubectl --context ${args.kubeContext}` : "kubectl";
    return pulumi.all([namespace, serviceAccount, pod]).apply(([ns, sa, po]) => ({
        getPod: `${kubectl} -n ${ns} get pod ${po}`,
        describePod: `${kubectl} -n ${ns} describe pod ${po}`,
        canI: `${kubectl} auth can-i list pods -n ${ns} --as=system:serviceaccount:${ns}:${sa}`,
        createToken: `${kubectl} -n ${ns} create token ${sa}`,
        portForward: `${kubectl} -n ${ns} port-forward pod/${po} ${port}`,
    }));
}
