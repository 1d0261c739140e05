/**
 * ServiceAccountWorkload: a Pod with an identity of its own, in a namespace of its own.
 *
 * Namespace -> ServiceAccount -> Role -> RoleBinding -> Pod, each linked to the one before by the
 * values it needs, so Pulumi creates them in that order and destroys them in reverse.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { DEFAULTS, LEGACY_TOKEN_SUFFIX, PROFILES } from "./defaults";
import { ownershipHooks } from "./ownership";
import { PolicyRule, readPods } from "./rbac";
import {
    containerSecurityContext,
    podSecurityContext,
    podSecurityLabels,
    writableVolumes,
} from "./security";
import { tokenMount } from "./token";
import { type ServiceAccountWorkloadArgs, validateWorkload } from "./workload-schema";

export type { ServiceAccountWorkloadArgs } from "./workload-schema";

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
    /** The port nginx listens on in the Pod. */
    public readonly port: number;

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
        // changed (kubectl edit, another apply) instead of failing on the server-side apply
        // conflict, where the provider sees the change: it compares a list only up to the length
        // the program gives (pulumi-kubernetes 4.25), so a verb or rule appended to the Role is
        // not seen; `npm run verify` finds it.
        // Only objects this stack created get there: a create never takes one over (ownership.ts).
        const owned = { "pulumi.com/patchForce": "true" };
        const labels = {
            "app.kubernetes.io/name": args.podName ?? DEFAULTS.podName,
            "app.kubernetes.io/managed-by": "pulumi",
        };
        const nsName = args.namespace ?? DEFAULTS.namespace;
        const saName = args.serviceAccountName ?? DEFAULTS.serviceAccountName;
        const podName = args.podName ?? DEFAULTS.podName;
        const legacySecret = args.legacyTokenSecret ?? DEFAULTS.legacyTokenSecret;
        const hooks = ownershipHooks(name, {
            namespace: nsName,
            serviceAccount: saName,
            pod: podName,
            legacySecret,
            adopt: args.adoptExisting ?? DEFAULTS.adoptExisting,
            kubeContext: args.kubeContext,
        });
        // The context the ownership checks read is where the children go: given no provider, the
        // component makes one for it (else they would go to the current context, unchecked).
        // (A Kubernetes provider given in opts.provider or opts.providers, or a parent's, counts.)
        const provider =
            args.kubeContext !== undefined && !this.getProvider("kubernetes:core/v1:Namespace")
                ? new k8s.Provider(
                      `${name}-provider`,
                      { context: args.kubeContext, kubeconfig: "" },
                      { parent: this },
                  )
                : undefined;
        // Every child has a fixed name, so a replacement must delete the old object first: created
        // first, the new one would be the old one, and the delete that follows would remove it.
        const child = (kind: Parameters<typeof hooks>[0]): pulumi.CustomResourceOptions => ({
            parent: this,
            ...(provider ? { provider } : {}),
            deleteBeforeReplace: true,
            hooks: hooks(kind),
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
            child("Namespace"),
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

        this.rules = args.rules ?? [readPods()];
        this.role = new k8s.rbac.v1.Role(
            `${name}-role`,
            {
                // Named like the service account but not after its output: the two are made and
                // deleted side by side, each only after (before) the namespace.
                metadata: { name: saName, namespace, labels, annotations: owned },
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
                        name: pulumi.interpolate`${serviceAccountName}${LEGACY_TOKEN_SUFFIX}`,
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
                    ...(args.nodeSelector ? { nodeSelector: { ...args.nodeSelector } } : {}),
                    ...(args.tolerations ? { tolerations: [...args.tolerations] } : {}),
                    containers: [
                        {
                            // Named like the Pod, as `kubectl run` names it.
                            name: podName,
                            image: args.image ?? profile.image,
                            ...(args.imagePullPolicy
                                ? { imagePullPolicy: args.imagePullPolicy }
                                : {}),
                            ports: [{ name: "http", containerPort: port }],
                            securityContext: containerSecurityContext(profile),
                            resources: args.resources ?? DEFAULTS.resources,
                            // Readiness takes a slow nginx out of rotation; liveness restarts it
                            // only when it no longer accepts connections at all, and later.
                            readinessProbe: { ...probe, initialDelaySeconds: 1 },
                            livenessProbe: {
                                tcpSocket: { port: "http" },
                                initialDelaySeconds: 10,
                                periodSeconds: 20,
                                failureThreshold: 3,
                            },
                            volumeMounts: [...writable.volumeMounts, ...token.volumeMounts],
                        },
                    ],
                    volumes: [...writable.volumes, ...token.volumes],
                },
            },
            {
                ...child("Pod"),
                // No value flows from the binding, but the Pod must not run without its rights.
                dependsOn: [this.roleBinding],
                // The API server takes only added tolerations on a running Pod, and the
                // provider would update them in place: any change replaces it.
                replaceOnChanges: ["spec.tolerations"],
            },
        );

        this.namespaceName = namespace;
        this.serviceAccountName = serviceAccountName;
        this.podName = this.pod.metadata.name;
        this.port = port;
        this.registerOutputs({
            namespace: this.namespaceName,
            serviceAccount: this.serviceAccountName,
            pod: this.podName,
        });
    }
}
