/** Promise helpers for Pulumi outputs and recorded registrations. */
import * as pulumi from "@pulumi/pulumi";

import { Registration, registrations } from "./mocks";

/** Resolves with an output's value. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** Whether an output is marked secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
    return pulumi.isSecret(output);
}

/** The registrations of one resource type, e.g. "kubernetes:core/v1:Pod". */
export function registered(type: string): Registration[] {
    return registrations.filter((r) => r.type === type);
}

/** The single registration of a type; fails when there is not exactly one. */
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
