/** Promise helpers for Pulumi outputs and recorded registrations. */
import * as pulumi from "@pulumi/pulumi";

import * as kinds from "./kinds";
import { Registration, registrations } from "./mocks";

/** Resolves with an output's value. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** Whether an output is marked secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
    return pulumi.isSecret(output);
}

/** The registrations of one resource type, e.g. "kubernetes:core/v1:Pod", with typed inputs. */
export function registered<T extends KnownType>(type: T): Registration<InputsOf[T]>[];
export function registered(type: string): Registration[];
export function registered(type: string): Registration[] {
    return registrations.filter((r) => r.type === type);
}

/** The single registration of a type; fails when there is not exactly one. */
export function only<T extends KnownType>(type: T): Registration<InputsOf[T]>;
export function only(type: string): Registration;
export function only(type: string): Registration {
    const found = registered(type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0];
}

/** Resolves once the engine has answered the registrations of all these resources. */
export async function settled(...resources: pulumi.Resource[]): Promise<void> {
    await Promise.all(resources.map((r) => promiseOf(r.urn)));
}

export const TYPES = {
    component: "sa-workload:components:ServiceAccountWorkload",
    namespace: "kubernetes:core/v1:Namespace",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    pod: "kubernetes:core/v1:Pod",
    secret: "kubernetes:core/v1:Secret",
    provider: "pulumi:providers:kubernetes",
} as const;

/** The Kubernetes objects every workload has (its legacy token Secret only when asked for). */
export const WORKLOAD_OBJECT_TYPES = [
    TYPES.namespace,
    TYPES.serviceAccount,
    TYPES.role,
    TYPES.roleBinding,
    TYPES.pod,
] as const;

/**
 * The inputs of each kind the component (or the program) registers. The mocks record them as
 * plain data; a registration of one of these types holds what the component built from the
 * provider's input types, so the accessors above type it so.
 */
export interface InputsOf {
    [TYPES.namespace]: kinds.Namespace;
    [TYPES.serviceAccount]: kinds.ServiceAccount;
    [TYPES.role]: kinds.Role;
    [TYPES.roleBinding]: kinds.RoleBinding;
    [TYPES.pod]: kinds.Pod;
    [TYPES.secret]: kinds.Secret;
    [TYPES.provider]: kinds.ProviderInputs;
}

/** A resource type whose inputs have a type of their own. */
export type KnownType = keyof InputsOf;
