import * as assert from "node:assert/strict";

import { assertViolation, check, role, roleBinding, TYPES } from "./fixtures";

describe("rbac-no-wildcards", () => {
    const name = "rbac-no-wildcards";

    it("passes the component's role", () => {
        assert.deepEqual(check(name, TYPES.role, role()), []);
    });

    for (const field of ["verbs", "resources", "apiGroups"] as const) {
        it(`flags a role with "*" in its ${field}`, () => {
            const r = role();
            r.rules[0][field] = ["*"];
            assertViolation(check(name, TYPES.role, r), `rule 0 has "*" in ${field}`);
        });
    }

    it("flags a subresource wildcard, which matches that subresource of every resource", () => {
        const r = role();
        r.rules[0].resources = ["pods", "*/exec"];
        assertViolation(check(name, TYPES.role, r), `rule 0 has "*/exec" in resources`);
    });

    it("flags a wildcard in a cluster role too", () => {
        const r = role();
        r.rules[0].verbs = ["*"];
        assertViolation(check(name, TYPES.clusterRole, r), `ClusterRole "my-ns/my-sa"`);
    });

    it("leaves a deliberate wildcard to the pack config's enforcement level, by name", () => {
        const r = role();
        r.rules[0].verbs = ["*"];
        const [message] = check(name, TYPES.role, r);
        assert.match(message, /pack config: \{ "rbac-no-wildcards": "advisory" \}/);
    });
});

describe("rbac-no-cluster-binding-of-service-accounts", () => {
    const name = "rbac-no-cluster-binding-of-service-accounts";

    it("passes the component's role binding", () => {
        assert.deepEqual(check(name, TYPES.roleBinding, roleBinding()), []);
    });

    it("flags the same binding made cluster-wide", () => {
        assertViolation(
            check(name, TYPES.clusterRoleBinding, roleBinding()),
            `binds ServiceAccount "my-ns/my-sa" cluster-wide`,
        );
    });
});

describe("rbac-no-builtin-admin-roles", () => {
    const name = "rbac-no-builtin-admin-roles";
    const toClusterRole = (roleName: string) => {
        const b = roleBinding();
        b.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName };
        return b;
    };

    it("passes the component's role binding", () => {
        assert.deepEqual(check(name, TYPES.roleBinding, roleBinding()), []);
    });

    for (const admin of ["cluster-admin", "admin", "edit"]) {
        it(`flags a binding to the ClusterRole ${admin}`, () => {
            assertViolation(
                check(name, TYPES.roleBinding, toClusterRole(admin)),
                `grants the built-in ClusterRole "${admin}"`,
            );
        });
    }

    it("flags a cluster role binding to cluster-admin", () => {
        assertViolation(check(name, TYPES.clusterRoleBinding, toClusterRole("cluster-admin")));
    });

    it("passes a binding to the read-only ClusterRole view", () => {
        assert.deepEqual(check(name, TYPES.roleBinding, toClusterRole("view")), []);
    });
});

describe("rbac-no-sensitive-access", () => {
    const name = "rbac-no-sensitive-access";
    const withRule = (rule: object) => {
        const r = role();
        r.rules[0] = { ...r.rules[0], ...rule };
        return r;
    };

    it("passes the component's role", () => {
        assert.deepEqual(check(name, TYPES.role, role()), []);
    });

    it("flags read access to secrets", () => {
        const r = withRule({ resources: ["secrets"] });
        assertViolation(check(name, TYPES.role, r), "grants access to Secrets");
    });

    for (const verb of ["bind", "escalate", "impersonate"]) {
        it(`flags the verb ${verb}`, () => {
            const r = withRule({ verbs: ["get", verb] });
            assertViolation(check(name, TYPES.role, r), `grants the verb "${verb}"`);
        });
    }

    it("flags create on serviceaccounts/token", () => {
        const r = withRule({ resources: ["serviceaccounts/token"], verbs: ["create"] });
        assertViolation(check(name, TYPES.role, r), "grants create on serviceaccounts/token");
    });

    it("passes reading serviceaccounts/token, which mints nothing", () => {
        const r = withRule({ resources: ["serviceaccounts/token"] });
        assert.deepEqual(check(name, TYPES.role, r), []);
    });

    it("flags secrets and pods/exec reached through a wildcard resource", () => {
        const messages = check(name, TYPES.role, withRule({ resources: ["*"] }));
        assert.equal(messages.length, 2, JSON.stringify(messages));
        assert.ok(messages[0].includes("grants access to Secrets"), messages[0]);
        assert.ok(messages[1].includes("grants access to pods/exec or pods/attach"), messages[1]);
    });

    it("flags minting tokens through the subresource wildcard */token", () => {
        const r = withRule({ resources: ["*/token"], verbs: ["create"] });
        assertViolation(check(name, TYPES.role, r), "grants create on serviceaccounts/token");
    });

    for (const resource of ["pods/exec", "pods/attach", "*/exec"]) {
        it(`flags ${resource}, a shell in the namespace's other pods`, () => {
            const r = withRule({ resources: [resource], verbs: ["get"] });
            assertViolation(
                check(name, TYPES.role, r),
                "grants access to pods/exec or pods/attach",
            );
        });
    }

    it("flags adding ephemeral containers to pods, which run with those pods' tokens", () => {
        const r = withRule({ resources: ["pods/ephemeralcontainers"], verbs: ["get", "patch"] });
        assertViolation(check(name, TYPES.role, r), "grants patch on pods/ephemeralcontainers");
    });

    for (const [group, resource] of [
        ["", "pods"],
        ["", "replicationcontrollers"],
        ["apps", "deployments"],
        ["batch", "cronjobs"],
    ]) {
        it(`flags create on ${resource}, which runs pods as any ServiceAccount of the namespace`, () => {
            const r = withRule({ apiGroups: [group], resources: [resource], verbs: ["create"] });
            assertViolation(check(name, TYPES.role, r), "grants create on", resource);
        });
    }

    it("passes reading deployments, which starts nothing", () => {
        const r = withRule({ apiGroups: ["apps"], resources: ["deployments"] });
        assert.deepEqual(check(name, TYPES.role, r), []);
    });

    it("flags bind and escalate reached through a wildcard verb on roles", () => {
        const r = withRule({ apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"] });
        r.rules[0].verbs = ["*"];
        const messages = check(name, TYPES.role, r);
        assert.equal(messages.length, 2, JSON.stringify(messages));
        assert.ok(messages[0].includes(`"bind"`) && messages[1].includes(`"escalate"`));
    });

    it("leaves deliberate sensitive access to the pack config's enforcement level, by name", () => {
        const r = withRule({ resources: ["secrets"] });
        const [message] = check(name, TYPES.role, r);
        assert.match(message, /pack config: \{ "rbac-no-sensitive-access": "advisory" \}/);
    });
});

describe("rbac-binding-subjects-in-own-namespace", () => {
    const name = "rbac-binding-subjects-in-own-namespace";

    it("passes the component's role binding", () => {
        assert.deepEqual(check(name, TYPES.roleBinding, roleBinding()), []);
    });

    it("flags a service account of another namespace", () => {
        const b = roleBinding();
        b.subjects[0].namespace = "other";
        assertViolation(
            check(name, TYPES.roleBinding, b),
            `subject 0 is ServiceAccount "my-sa" of namespace "other"`,
        );
    });

    it("flags a user", () => {
        const b = roleBinding();
        b.subjects[0] = { kind: "User", name: "alice", apiGroup: "rbac.authorization.k8s.io" };
        assertViolation(check(name, TYPES.roleBinding, b), `subject 0 is "User" "alice"`);
    });

    it("flags a binding without a namespace of its own", () => {
        const b = roleBinding();
        delete b.metadata.namespace;
        assertViolation(check(name, TYPES.roleBinding, b), "sets no metadata.namespace");
    });

    it("passes a service account without a namespace, which means the binding's", () => {
        const b = roleBinding();
        delete b.subjects[0].namespace;
        assert.deepEqual(check(name, TYPES.roleBinding, b), []);
    });
});
