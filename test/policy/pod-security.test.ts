import * as assert from "node:assert/strict";

import { podLevel } from "../../policy/rules/pod-level";
import { Pod } from "../helpers/kinds";
import { assertViolation, check, pod, TYPES } from "./fixtures";

const container = (p: Pod) => p.spec.containers[0];

describe("pod-runs-as-non-root", () => {
    const name = "pod-runs-as-non-root";

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it("flags a pod that allows root", () => {
        const p = pod();
        p.spec.securityContext.runAsNonRoot = false;
        assertViolation(check(name, TYPES.pod, p), `container "my-pod" may run as root`);
    });

    it("flags a container that runs as user 0", () => {
        const p = pod();
        container(p).securityContext.runAsUser = 0;
        assertViolation(check(name, TYPES.pod, p), `container "my-pod" runs as user 0 (root)`);
    });

    it("passes a pod whose every container sets runAsNonRoot itself", () => {
        const p = pod();
        delete p.spec.securityContext.runAsNonRoot;
        container(p).securityContext.runAsNonRoot = true;
        assert.deepEqual(check(name, TYPES.pod, p), []);
    });
});

describe("pod-no-privilege-escalation", () => {
    const name = "pod-no-privilege-escalation";

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it("flags a container that leaves privilege escalation to the default", () => {
        const p = pod();
        delete container(p).securityContext.allowPrivilegeEscalation;
        assertViolation(check(name, TYPES.pod, p), "allowPrivilegeEscalation is unset");
    });
});

describe("pod-drops-all-capabilities", () => {
    const name = "pod-drops-all-capabilities";

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it("flags a container that drops only some capabilities", () => {
        const p = pod();
        container(p).securityContext.capabilities.drop = ["NET_RAW"];
        assertViolation(check(name, TYPES.pod, p), `capabilities.drop lacks "ALL"`);
    });
});

describe("pod-seccomp-runtime-default", () => {
    const name = "pod-seccomp-runtime-default";

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it("flags a pod without a seccomp profile", () => {
        const p = pod();
        delete p.spec.securityContext.seccompProfile;
        assertViolation(check(name, TYPES.pod, p), "seccompProfile.type is unset");
    });

    it("flags a container that overrides the pod's profile with Unconfined", () => {
        const p = pod();
        container(p).securityContext.seccompProfile = { type: "Unconfined" };
        assertViolation(check(name, TYPES.pod, p), `seccompProfile.type is "Unconfined"`);
    });
});

describe("pod-not-privileged", () => {
    const name = "pod-not-privileged";

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it("flags a privileged container", () => {
        const p = pod();
        container(p).securityContext.privileged = true;
        assertViolation(check(name, TYPES.pod, p), `container "my-pod" is privileged`);
    });
});

describe("pod-no-host-path", () => {
    const name = "pod-no-host-path";

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it("flags a hostPath volume", () => {
        const p = pod();
        p.spec.volumes[0] = { name: "writable-0", hostPath: { path: "/var/lib/kubelet" } };
        assertViolation(check(name, TYPES.pod, p), `mounts the node's path "/var/lib/kubelet"`);
    });
});

describe("pod-no-host-namespaces", () => {
    const name = "pod-no-host-namespaces";

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
        it(`flags ${field}`, () => {
            const p = pod();
            p.spec[field] = true;
            assertViolation(check(name, TYPES.pod, p), `(${field}: true)`);
        });
    }
});

describe("pod-baseline-controls", () => {
    const name = "pod-baseline-controls";
    const flags = (change: (p: Pod) => void, ...says: string[]) => {
        const p = pod();
        change(p);
        assertViolation(check(name, TYPES.pod, p), ...says);
        assert.equal(podLevel(p.spec, p.metadata).level, "privileged", "the pod's level");
    };

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it("flags an AppArmor profile of type Unconfined, on the pod or a container", () => {
        flags(
            (p) => (p.spec.securityContext.appArmorProfile = { type: "Unconfined" }),
            "the pod runs unconfined by AppArmor",
        );
        flags(
            (p) => (container(p).securityContext.appArmorProfile = { type: "Unconfined" }),
            `container "my-pod" runs unconfined by AppArmor`,
        );
    });

    it("flags an SELinux type other than the container ones, and any user or role", () => {
        flags(
            (p) => (p.spec.securityContext.seLinuxOptions = { type: "spc_t" }),
            `seLinuxOptions.type to "spc_t"`,
            "container_t",
        );
        flags(
            (p) => (container(p).securityContext.seLinuxOptions = { user: "system_u" }),
            `seLinuxOptions.user to "system_u"`,
        );
        const p = pod();
        p.spec.securityContext.seLinuxOptions = { type: "container_t", level: "s0:c1,c2" };
        assert.deepEqual(check(name, TYPES.pod, p), []);
    });

    it("flags an unmasked /proc, but in a user namespace of the pod's own only for restricted", () => {
        flags(
            (p) => (container(p).securityContext.procMount = "Unmasked"),
            `procMount is "Unmasked"`,
        );
        const p = pod();
        p.spec.hostUsers = false;
        container(p).securityContext.procMount = "Unmasked";
        assert.deepEqual(check(name, TYPES.pod, p), []);
        assert.equal(podLevel(p.spec).level, "baseline");
    });

    it("flags the older AppArmor annotation set to unconfined, on a pod or a template", () => {
        const key = "container.apparmor.security.beta.kubernetes.io/my-pod";
        flags((p) => (p.metadata.annotations[key] = "unconfined"), `${key} is "unconfined"`);
        const p = pod();
        p.metadata.annotations[key] = "localhost/k8s-nginx";
        assert.deepEqual(check(name, TYPES.pod, p), []);
        const template = pod();
        template.metadata.annotations[key] = "unconfined";
        const deployment = {
            metadata: { name: "web", namespace: "my-ns" },
            spec: { template: { metadata: template.metadata, spec: template.spec } },
        };
        assertViolation(
            check(name, "kubernetes:apps/v1:Deployment", deployment),
            `Deployment "my-ns/web" the annotation ${key}`,
        );
    });

    it("flags a sysctl outside the safe set, and passes one inside it", () => {
        flags(
            (p) => (p.spec.securityContext.sysctls = [{ name: "kernel.msgmax", value: "1" }]),
            `sysctl "kernel.msgmax"`,
        );
        const p = pod();
        p.spec.securityContext.sysctls = [
            { name: "net.ipv4.tcp_syncookies", value: "1" },
            { name: "net.ipv4.tcp_rmem", value: "4096 87380 6291456" },
        ];
        assert.deepEqual(check(name, TYPES.pod, p), []);
    });

    it("flags a probe or lifecycle hook sent to another host", () => {
        flags(
            (p) => (container(p).readinessProbe = { httpGet: { port: 8080, host: "10.0.0.1" } }),
            `readinessProbe httpGet goes to host "10.0.0.1"`,
        );
        flags(
            (p) =>
                (container(p).lifecycle = {
                    preStop: { tcpSocket: { port: 22, host: "169.254.169.254" } },
                }),
            "lifecycle.preStop tcpSocket",
        );
    });

    it("flags a Windows HostProcess container", () => {
        flags(
            (p) => (container(p).securityContext.windowsOptions = { hostProcess: true }),
            "Windows HostProcess",
        );
    });
});

describe("pod rules on pod templates and init containers", () => {
    it("flag a Deployment's pod template as they flag a pod", () => {
        const template = pod();
        template.spec.hostNetwork = true;
        const deployment = {
            metadata: { name: "web", namespace: "my-ns" },
            spec: { template: { metadata: {}, spec: template.spec } },
        };
        const messages = check(
            "pod-no-host-namespaces",
            "kubernetes:apps/v1:Deployment",
            deployment,
        );
        assertViolation(messages, `Deployment "my-ns/web" shares the node's namespace`);
    });

    // Each workload controller, with its pod template wrapped where that kind keeps it.
    const template = (spec: Pod["spec"]) => ({ template: { metadata: {}, spec } });
    const controllers: [string, (spec: Pod["spec"]) => object][] = [
        ["core/v1:ReplicationController", template],
        ["apps/v1:Deployment", template],
        ["apps/v1:StatefulSet", template],
        ["apps/v1:DaemonSet", template],
        ["apps/v1:ReplicaSet", template],
        ["batch/v1:Job", template],
        ["batch/v1:CronJob", (spec) => ({ jobTemplate: { spec: template(spec) } })],
    ];
    for (const [kind, wrap] of controllers) {
        const [, name] = kind.split(":");
        it(`flag a privileged container in a ${name}'s pod template, and pass the component's`, () => {
            const privileged = pod();
            container(privileged).securityContext.privileged = true;
            const of = (p: Pod) => ({
                metadata: { name: "web", namespace: "my-ns" },
                spec: wrap(p.spec),
            });
            const type = `kubernetes:${kind}`;
            assertViolation(
                check("pod-not-privileged", type, of(privileged)),
                `${name} "my-ns/web" container "my-pod"`,
            );
            assert.deepEqual(check("pod-not-privileged", type, of(pod())), []);
        });
    }

    it("flag an init container as they flag a container", () => {
        const p = pod();
        p.spec.initContainers = [{ ...container(p), name: "setup", securityContext: {} }];
        const messages = check("pod-no-privilege-escalation", TYPES.pod, p);
        assertViolation(messages, `init container "setup"`);
    });
});

describe("podLevel", () => {
    it("places the component's pod at restricted, exactly", () => {
        const level = podLevel(pod().spec);
        assert.equal(level.level, "restricted");
        assert.equal(level.exact, true);
    });

    it("places a pod that adds a capability baseline allows at baseline", () => {
        const p = pod();
        container(p).securityContext.capabilities.add = ["CHOWN"];
        assert.equal(podLevel(p.spec).level, "baseline");
    });

    it("places a pod that adds SYS_ADMIN at privileged", () => {
        const p = pod();
        container(p).securityContext.capabilities.add = ["SYS_ADMIN"];
        assert.equal(podLevel(p.spec).level, "privileged");
    });

    it("places a pod with a host port at privileged", () => {
        const p = pod();
        container(p).ports[0].hostPort = 8080;
        assert.equal(podLevel(p.spec).level, "privileged");
    });

    it("places a pod with an NFS volume at baseline", () => {
        const p = pod();
        p.spec.volumes.push({ name: "shared", nfs: { server: "nfs", path: "/" } });
        assert.equal(podLevel(p.spec).level, "baseline");
    });
});
