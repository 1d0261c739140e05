import * as assert from "node:assert/strict";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { DEFAULTS, PROFILES } from "../../components/defaults";
import {
    delays,
    deleteBeforeReplace,
    registrations,
    renamed,
    replaceOnChanges,
} from "../helpers/mocks";
import { only, promiseOf, settled, TYPES, WORKLOAD_OBJECT_TYPES } from "../helpers/outputs";
import { newWorkload } from "../helpers/workload";

describe("ServiceAccountWorkload", () => {
    describe("with no arguments", () => {
        it("creates exactly a namespace, a service account, a role, a binding and a pod", async () => {
            await newWorkload();
            assert.deepEqual(
                registrations.map((r) => r.type).sort(),
                [
                    TYPES.component,
                    TYPES.namespace,
                    TYPES.pod,
                    TYPES.role,
                    TYPES.roleBinding,
                    TYPES.serviceAccount,
                ].sort(),
            );
        });

        it("uses the walk-through's names my-ns, my-sa and my-pod", async () => {
            await newWorkload();
            assert.equal(only(TYPES.namespace).inputs.metadata.name, "my-ns");
            assert.equal(only(TYPES.serviceAccount).inputs.metadata.name, "my-sa");
            assert.equal(only(TYPES.pod).inputs.metadata.name, "my-pod");
        });

        it("names the role and the binding after the service account", async () => {
            await newWorkload({ serviceAccountName: "reader" });
            assert.equal(only(TYPES.role).inputs.metadata.name, "reader");
            assert.equal(only(TYPES.roleBinding).inputs.metadata.name, "reader");
        });

        it("grants only get, list and watch on pods in the core group", async () => {
            await newWorkload();
            assert.deepEqual(only(TYPES.role).inputs.rules, [
                { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
            ]);
        });

        it("turns token automount off on the service account", async () => {
            await newWorkload();
            assert.equal(only(TYPES.serviceAccount).inputs.automountServiceAccountToken, false);
        });

        it("mounts the standard API token into the pod, which opts in explicitly", async () => {
            await newWorkload();
            const spec = only(TYPES.pod).inputs.spec;
            assert.equal(spec.automountServiceAccountToken, true);
            assert.equal(spec.volumes.filter((v) => v.projected).length, 0);
        });

        it("creates no long-lived token secret", async () => {
            await newWorkload();
            assert.equal(registrations.filter((r) => r.type === TYPES.secret).length, 0);
        });

        it("runs the pinned unprivileged nginx image on port 8080", async () => {
            await newWorkload();
            const container = only(TYPES.pod).inputs.spec.containers[0];
            assert.equal(container.image, "nginxinc/nginx-unprivileged:1.27.4-alpine");
            assert.deepEqual(container.ports, [{ name: "http", containerPort: 8080 }]);
        });

        it("names the container after the pod, as kubectl run does", async () => {
            await newWorkload({ podName: "web" });
            assert.equal(only(TYPES.pod).inputs.spec.containers[0].name, "web");
        });

        it("sets cpu, memory and ephemeral-storage requests and limits", async () => {
            await newWorkload();
            assert.deepEqual(only(TYPES.pod).inputs.spec.containers[0].resources, {
                requests: { cpu: "50m", memory: "32Mi", "ephemeral-storage": "64Mi" },
                limits: { cpu: "200m", memory: "128Mi", "ephemeral-storage": "256Mi" },
            });
        });

        it("probes readiness over HTTP on the named port", async () => {
            await newWorkload();
            const container = only(TYPES.pod).inputs.spec.containers[0];
            assert.deepEqual(container.readinessProbe.httpGet, { path: "/", port: "http" });
        });

        it("probes liveness differently from readiness: a TCP check, later and less often", async () => {
            await newWorkload();
            const { readinessProbe, livenessProbe } = only(TYPES.pod).inputs.spec.containers[0];
            assert.deepEqual(livenessProbe.tcpSocket, { port: "http" });
            assert.equal(livenessProbe.httpGet, undefined);
            assert.ok(livenessProbe.periodSeconds! > readinessProbe.periodSeconds!);
            assert.ok(livenessProbe.initialDelaySeconds! > readinessProbe.initialDelaySeconds!);
            assert.equal(livenessProbe.failureThreshold, 3);
        });

        it("waits 180 seconds for the pod to become ready", async () => {
            await newWorkload();
            const annotations = only(TYPES.pod).inputs.metadata.annotations;
            assert.equal(annotations["pulumi.com/timeoutSeconds"], "180");
        });

        it("waits 300 seconds for the namespace to be deleted", async () => {
            await newWorkload();
            const annotations = only(TYPES.namespace).inputs.metadata.annotations;
            assert.equal(annotations["pulumi.com/timeoutSeconds"], "300");
        });

        it("enforces the restricted Pod Security level on the namespace", async () => {
            await newWorkload();
            const labels = only(TYPES.namespace).inputs.metadata.labels;
            assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
            assert.equal(labels["pod-security.kubernetes.io/enforce-version"], "latest");
        });

        it("keeps every default documented in DEFAULTS", () => {
            assert.deepEqual(
                {
                    namespace: DEFAULTS.namespace,
                    serviceAccountName: DEFAULTS.serviceAccountName,
                    podName: DEFAULTS.podName,
                    podSecurity: DEFAULTS.podSecurity,
                    allowWildcards: DEFAULTS.allowWildcards,
                    tokenMode: DEFAULTS.tokenMode,
                    legacyTokenSecret: DEFAULTS.legacyTokenSecret,
                    readyTimeoutSeconds: DEFAULTS.readyTimeoutSeconds,
                    deleteTimeoutSeconds: DEFAULTS.deleteTimeoutSeconds,
                    image: PROFILES.restricted.image,
                    port: PROFILES.restricted.port,
                    runAsUser: PROFILES.restricted.runAsUser,
                },
                {
                    namespace: "my-ns",
                    serviceAccountName: "my-sa",
                    podName: "my-pod",
                    podSecurity: "restricted",
                    allowWildcards: false,
                    tokenMode: "automount",
                    legacyTokenSecret: false,
                    readyTimeoutSeconds: 180,
                    deleteTimeoutSeconds: 300,
                    image: "nginxinc/nginx-unprivileged:1.27.4-alpine",
                    port: 8080,
                    runAsUser: 101,
                },
            );
        });
    });

    describe("with user settings", () => {
        it("runs the image the user sets, listening on the port the user sets", async () => {
            await newWorkload({ image: "registry.example/team/web:2.4.1", port: 9090 });
            const container = only(TYPES.pod).inputs.spec.containers[0];
            assert.equal(container.image, "registry.example/team/web:2.4.1");
            assert.deepEqual(container.ports, [{ name: "http", containerPort: 9090 }]);
        });

        it("gives the container the resources the user sets, in place of the defaults", async () => {
            const resources = {
                requests: { cpu: "10m", memory: "16Mi" },
                limits: { cpu: "1", memory: "1Gi" },
            };
            await newWorkload({ resources });
            assert.deepEqual(only(TYPES.pod).inputs.spec.containers[0].resources, resources);
        });

        it("waits as long as the user sets for the pod to be ready and the namespace to go", async () => {
            await newWorkload({ readyTimeoutSeconds: 42, deleteTimeoutSeconds: 77 });
            const pod = only(TYPES.pod).inputs.metadata.annotations;
            const namespace = only(TYPES.namespace).inputs.metadata.annotations;
            assert.equal(pod["pulumi.com/timeoutSeconds"], "42");
            assert.equal(namespace["pulumi.com/timeoutSeconds"], "77");
        });

        it("labels every object with the pod name the user sets", async () => {
            await newWorkload({ podName: "web" });
            for (const type of WORKLOAD_OBJECT_TYPES) {
                const labels = only(type).inputs.metadata.labels;
                assert.equal(labels["app.kubernetes.io/name"], "web", type);
            }
        });
    });

    describe("placement", () => {
        it("leaves node choice and pull policy to Kubernetes by default", async () => {
            await newWorkload();
            const spec = only(TYPES.pod).inputs.spec;
            assert.equal(spec.nodeSelector, undefined);
            assert.equal(spec.tolerations, undefined);
            assert.equal(spec.containers[0].imagePullPolicy, undefined);
        });

        it("passes a node selector, tolerations and a pull policy to the pod", async () => {
            const tolerations = [
                { key: "sa-workload.dev/real-node", operator: "Exists", effect: "NoSchedule" },
            ] as const;
            await newWorkload({
                nodeSelector: { "sa-workload.dev/node": "real" },
                tolerations,
                imagePullPolicy: "Never",
            });
            const spec = only(TYPES.pod).inputs.spec;
            assert.deepEqual(spec.nodeSelector, { "sa-workload.dev/node": "real" });
            assert.deepEqual(spec.tolerations, tolerations);
            assert.equal(spec.containers[0].imagePullPolicy, "Never");
        });
    });

    describe("data flow", () => {
        it("puts every namespaced object in the namespace it creates", async () => {
            await newWorkload({ namespace: "team-a" });
            for (const type of [TYPES.serviceAccount, TYPES.role, TYPES.roleBinding, TYPES.pod]) {
                assert.equal(only(type).inputs.metadata.namespace, "team-a", type);
            }
        });

        it("runs the pod as the service account it creates", async () => {
            renamed.add(TYPES.serviceAccount);
            await newWorkload({ serviceAccountName: "api-reader" });
            assert.equal(only(TYPES.pod).inputs.spec.serviceAccountName, "api-reader-as-answered");
        });

        it("binds the role it creates to the service account of its own namespace", async () => {
            for (const type of [TYPES.namespace, TYPES.serviceAccount, TYPES.role])
                renamed.add(type);
            await newWorkload({ namespace: "team-a", serviceAccountName: "api-reader" });
            const binding = only(TYPES.roleBinding).inputs;
            assert.deepEqual(binding.roleRef, {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "Role",
                name: `${only(TYPES.role).inputs.metadata.name}-as-answered`,
            });
            assert.deepEqual(binding.subjects, [
                {
                    kind: "ServiceAccount",
                    name: "api-reader-as-answered",
                    namespace: "team-a-as-answered",
                },
            ]);
        });

        it("registers the pod only after its role binding exists", async () => {
            delays.set(TYPES.roleBinding, 100);
            await newWorkload();
            const binding = only(TYPES.roleBinding);
            const pod = only(TYPES.pod);
            assert.ok(
                pod.requestedAt > binding.completedAt!,
                `pod requested at ${pod.requestedAt}, binding answered at ${binding.completedAt}`,
            );
        });

        it("registers the role without waiting for the service account", async () => {
            delays.set(TYPES.serviceAccount, 100);
            await newWorkload();
            const account = only(TYPES.serviceAccount);
            const role = only(TYPES.role);
            assert.ok(
                role.requestedAt < account.completedAt!,
                `role requested at ${role.requestedAt}, account answered at ${account.completedAt}`,
            );
        });
    });

    describe("resource graph", () => {
        it("parents every child to the component", async () => {
            const workload = await newWorkload({}, "parented");
            const prefix = `${TYPES.component}$`;
            for (const child of [
                workload.namespace,
                workload.serviceAccount,
                workload.role,
                workload.roleBinding,
                workload.pod,
            ]) {
                const urn = await promiseOf(child.urn);
                assert.ok(urn.includes(prefix), `${urn} is not a child of the component`);
            }
        });

        it("names children after the component", async () => {
            await newWorkload({}, "alpha");
            assert.deepEqual(
                registrations
                    .filter((r) => r.type !== TYPES.component)
                    .map((r) => r.name)
                    .sort(),
                [
                    "alpha-namespace",
                    "alpha-pod",
                    "alpha-role",
                    "alpha-role-binding",
                    "alpha-service-account",
                ],
            );
        });

        it("deletes every child before creating its replacement, whose fixed name it shares", async () => {
            await newWorkload({ legacyTokenSecret: true }, "replaced");
            const children = registrations.filter((r) => r.type.startsWith("kubernetes:"));
            assert.equal(children.length, 6);
            for (const child of children) {
                assert.equal(deleteBeforeReplace.get(child.name), true, child.type);
            }
        });

        it("replaces the Pod when its tolerations change, which the API server takes only added", async () => {
            await newWorkload({ tolerations: [{ key: "dedicated", operator: "Exists" }] });
            const children = registrations.filter((r) => r.type.startsWith("kubernetes:"));
            for (const child of children) {
                const expected = child.type === TYPES.pod ? ["spec.tolerations"] : [];
                assert.deepEqual(replaceOnChanges.get(child.name), expected, child.type);
            }
        });

        it("records none of its arguments as component state, where a secret would be plain", async () => {
            await newWorkload({ namespace: "team-a", legacyTokenSecret: true });
            assert.deepEqual(only(TYPES.component).inputs, {});
        });

        it("passes the component's provider to every child", async () => {
            const provider = new k8s.Provider("target", { context: "minikube" });
            await settled(provider);
            const providerUrn = await promiseOf(provider.urn);
            await newWorkload({}, "provided", { provider });
            const children = registrations.filter((r) => r.type.startsWith("kubernetes:"));
            assert.equal(children.length, 5);
            for (const child of children) {
                assert.ok(child.provider?.startsWith(`${providerUrn}::`), child.type);
            }
        });
    });

    describe("kubeContext", () => {
        const providers = () =>
            registrations.filter((r) => r.type === "pulumi:providers:kubernetes");

        it("deploys every child to it through a provider of its own where none is given", async () => {
            await newWorkload({ kubeContext: "staging" }, "ctx");
            assert.deepEqual(
                providers().map((p) => [p.name, p.inputs.context]),
                [["ctx-provider", "staging"]],
            );
            const children = registrations.filter((r) => r.type.startsWith("kubernetes:"));
            assert.equal(children.length, 5);
            for (const child of children) {
                assert.match(child.provider ?? "", /ctx-provider::/, child.type);
            }
        });

        it("makes no provider where one is given", async () => {
            const provider = new k8s.Provider("given", { context: "staging" });
            await settled(provider);
            await newWorkload({ kubeContext: "staging" }, "ctx", { provider });
            assert.deepEqual(
                providers().map((p) => p.name),
                ["given"],
            );
        });

        it("makes none where a parent gives one, whose provider the children use", async () => {
            const given = new k8s.Provider("given", { context: "other" });
            await settled(given);
            const parent = new pulumi.ComponentResource(
                "test:Parent",
                "parent",
                {},
                {
                    providers: [given],
                },
            );
            await newWorkload({ kubeContext: "staging" }, "ctx", { parent });
            assert.deepEqual(
                providers().map((p) => p.name),
                ["given"],
            );
            const givenUrn = await promiseOf(given.urn);
            for (const child of registrations.filter((r) => r.type.startsWith("kubernetes:")))
                assert.ok(child.provider?.startsWith(`${givenUrn}::`), child.type);
        });

        it("makes one where the providers given hold no Kubernetes provider", async () => {
            await newWorkload({ kubeContext: "staging" }, "ctx", { providers: {} });
            assert.deepEqual(
                providers().map((p) => p.name),
                ["ctx-provider"],
            );
        });

        it("makes no provider where none is named", async () => {
            await newWorkload({}, "ctx");
            assert.deepEqual(providers(), []);
        });
    });

    describe("outputs", () => {
        it("exposes the namespace, service account and pod names", async () => {
            const workload = await newWorkload();
            assert.equal(await promiseOf(workload.namespaceName), "my-ns");
            assert.equal(await promiseOf(workload.serviceAccountName), "my-sa");
            assert.equal(await promiseOf(workload.podName), "my-pod");
        });

        it("exposes the port nginx listens on, by profile", async () => {
            assert.equal((await newWorkload()).port, 8080);
            assert.equal((await newWorkload({ podSecurity: "baseline" }, "b")).port, 80);
        });
    });
});
