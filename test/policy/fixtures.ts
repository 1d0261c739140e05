/**
 * Known-good fixtures, one per resource kind: exactly what ServiceAccountWorkload registers with
 * every default (the restricted profile, automount token), as fixtures.test.ts checks. Each is a
 * function, so a test can change one field of its own copy; each is typed as the component's
 * registration of its kind (test/helpers/kinds.ts).
 */
import * as assert from "node:assert/strict";

import { POLICIES, ResourcePolicySpec, StackPolicySpec } from "../../policy/policies";
import { TYPES } from "../../policy/rules/pod-spec";
import { Props, StackResource } from "../../policy/rules/values";
import { Metadata, Namespace, Pod, Role, RoleBinding, ServiceAccount } from "../helpers/kinds";
import { registrations } from "../helpers/mocks";
import { InputsOf, TYPES as REGISTERED } from "../helpers/outputs";

export { TYPES };

const labels = () => ({
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/name": "my-pod",
});
const owned = { "pulumi.com/patchForce": "true" };
const metadata = (name: string): Metadata => ({
    annotations: { ...owned },
    labels: labels(),
    name,
    namespace: "my-ns",
});

export const namespace = (): Namespace => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
        annotations: { ...owned, "pulumi.com/timeoutSeconds": "300" },
        labels: {
            ...labels(),
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/audit-version": "latest",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/warn-version": "latest",
        },
        name: "my-ns",
    },
});

export const serviceAccount = (): ServiceAccount => ({
    apiVersion: "v1",
    automountServiceAccountToken: false,
    kind: "ServiceAccount",
    metadata: metadata("my-sa"),
});

export const role = (): Role => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: metadata("my-sa"),
    rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }],
});

export const roleBinding = (): RoleBinding => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: metadata("my-sa"),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "my-sa" },
    subjects: [{ kind: "ServiceAccount", name: "my-sa", namespace: "my-ns" }],
});

export const pod = (): Pod => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
        ...metadata("my-pod"),
        annotations: { ...owned, "pulumi.com/timeoutSeconds": "180" },
    },
    spec: {
        automountServiceAccountToken: true,
        containers: [
            {
                image: "nginxinc/nginx-unprivileged:1.27.4-alpine",
                livenessProbe: {
                    failureThreshold: 3,
                    initialDelaySeconds: 10,
                    periodSeconds: 20,
                    tcpSocket: { port: "http" },
                },
                name: "my-pod",
                ports: [{ containerPort: 8080, name: "http" }],
                readinessProbe: {
                    httpGet: { path: "/", port: "http" },
                    initialDelaySeconds: 1,
                    periodSeconds: 10,
                },
                resources: {
                    limits: { cpu: "200m", "ephemeral-storage": "256Mi", memory: "128Mi" },
                    requests: { cpu: "50m", "ephemeral-storage": "64Mi", memory: "32Mi" },
                },
                securityContext: {
                    allowPrivilegeEscalation: false,
                    capabilities: { drop: ["ALL"] },
                    privileged: false,
                    readOnlyRootFilesystem: true,
                },
                volumeMounts: [{ mountPath: "/tmp", name: "writable-0" }],
            },
        ],
        securityContext: {
            fsGroup: 101,
            runAsGroup: 101,
            runAsNonRoot: true,
            runAsUser: 101,
            seccompProfile: { type: "RuntimeDefault" },
        },
        serviceAccountName: "my-sa",
        volumes: [{ emptyDir: { sizeLimit: "64Mi" }, name: "writable-0" }],
    },
});

/** The fixture of each type: the component's registration of that kind. */
export type Fixtures = Omit<InputsOf, typeof REGISTERED.secret | typeof REGISTERED.provider>;

/** A type that has a fixture. */
export type FixtureType = keyof Fixtures;

/** A stack resource whose props are the fixture of its type, or a changed copy of it. */
export interface FixtureResource<T extends FixtureType> extends StackResource {
    readonly type: T;
    readonly props: Fixtures[T];
}

/** Whether a resource of a stack built from the fixtures (goodStack) is of `type`. */
export function isFixture<T extends FixtureType>(
    resource: StackResource,
    type: T,
): resource is FixtureResource<T> {
    return resource.type === type;
}

/** The good fixtures as the stack policies see them, in the component's registration order. */
export function goodStack(): StackResource[] {
    return [
        { type: TYPES.namespace, name: "test-namespace", props: namespace() },
        { type: TYPES.serviceAccount, name: "test-service-account", props: serviceAccount() },
        { type: TYPES.role, name: "test-role", props: role() },
        { type: TYPES.roleBinding, name: "test-role-binding", props: roleBinding() },
        { type: TYPES.pod, name: "test-pod", props: pod() },
    ];
}

/** The resources of the last rendered workload(s), as the stack policies would see them. */
export function renderedStack(): StackResource[] {
    return registrations
        .filter((r) => r.type.startsWith("kubernetes:"))
        .map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
}

/** The policy of that name, from the pack's catalog. */
export function policy(name: string): ResourcePolicySpec | StackPolicySpec {
    const found = POLICIES.find((p) => p.name === name);
    if (!found) throw new Error(`no policy named ${name}`);
    return found;
}

/** The messages of a resource policy for one resource. */
export function check(name: string, type: string, props: Props): string[] {
    const p = policy(name);
    if (p.kind !== "resource") throw new Error(`${name} is a stack policy`);
    return p.check(type, props);
}

/** The messages of a stack policy for a whole stack. */
export function checkStack(name: string, resources: readonly StackResource[]): string[] {
    const p = policy(name);
    if (p.kind !== "stack") throw new Error(`${name} is a resource policy`);
    return p.check(resources);
}

/** Asserts exactly one violation, naming each of `parts`, and saying how to fix it. */
export function assertViolation(messages: readonly string[], ...parts: string[]): void {
    assert.equal(messages.length, 1, `expected one violation, got ${JSON.stringify(messages)}`);
    for (const part of [...parts, "Fix: "]) {
        assert.ok(messages[0].includes(part), `"${messages[0]}" does not say "${part}"`);
    }
}
