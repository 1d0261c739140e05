/**
 * The objects ServiceAccountWorkload registers, typed by the provider's own input types
 * (`k8s.types.input`) as the plain data the engine receives. The objects and lists the component
 * always sets (metadata and its labels and annotations, a pod's spec, security contexts,
 * containers' ports, probes, mounts and limits, a role's rules, a binding's subjects) are required,
 * so a test reads into them without a guard at every level; every other field stays as optional as
 * the provider declares it. Recorded registrations (outputs.ts) and the policy fixtures
 * (test/policy/fixtures.ts) share these types.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import input = k8s.types.input;

/** A provider input type as plain data: no Input, Output or Promise left at any depth. */
type Plain<T> = pulumi.Unwrap<T>;

/** `T` with the properties of `R` in place of its own. */
type Override<T, R> = Omit<T, keyof R> & R;

export type Metadata = Override<
    Plain<input.meta.v1.ObjectMeta>,
    { labels: Record<string, string>; annotations: Record<string, string> }
>;

type Container = Override<
    Plain<input.core.v1.Container>,
    {
        securityContext: Override<
            Plain<input.core.v1.SecurityContext>,
            { capabilities: Plain<input.core.v1.Capabilities> }
        >;
        // `requests` stays optional: a policy test deletes it.
        resources: Override<
            Plain<input.core.v1.ResourceRequirements>,
            { limits: Record<string, string> }
        >;
        ports: Plain<input.core.v1.ContainerPort>[];
        volumeMounts: Plain<input.core.v1.VolumeMount>[];
        readinessProbe: Plain<input.core.v1.Probe>;
        livenessProbe: Plain<input.core.v1.Probe>;
    }
>;

type Volume = Plain<input.core.v1.Volume>;

type PodSpec = Override<
    Plain<input.core.v1.PodSpec>,
    {
        containers: Container[];
        securityContext: Plain<input.core.v1.PodSecurityContext>;
        volumes: Volume[];
    }
>;

export type Pod = Override<Plain<input.core.v1.Pod>, { metadata: Metadata; spec: PodSpec }>;

export type Namespace = Override<Plain<input.core.v1.Namespace>, { metadata: Metadata }>;

export type ServiceAccount = Override<Plain<input.core.v1.ServiceAccount>, { metadata: Metadata }>;

type PolicyRule = Plain<input.rbac.v1.PolicyRule>;

export type Role = Override<Plain<input.rbac.v1.Role>, { metadata: Metadata; rules: PolicyRule[] }>;

type Subject = Plain<input.rbac.v1.Subject>;

export type RoleBinding = Override<
    Plain<input.rbac.v1.RoleBinding>,
    { metadata: Metadata; subjects: Subject[] }
>;

export type Secret = Override<Plain<input.core.v1.Secret>, { metadata: Metadata }>;

/** The inputs of an explicit Kubernetes provider. */
export type ProviderInputs = Plain<k8s.ProviderArgs>;
