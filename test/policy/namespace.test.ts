import * as assert from "node:assert/strict";

import { StackResource } from "../../policy/rules/values";
import {
    assertViolation,
    check,
    checkStack,
    Fixtures,
    FixtureType,
    goodStack,
    isFixture,
    namespace,
    TYPES,
} from "./fixtures";

const ENFORCE = "pod-security.kubernetes.io/enforce";

/** The good stack with one resource's props changed. */
function stackWith<T extends FixtureType>(
    type: T,
    change: (props: Fixtures[T]) => void,
): StackResource[] {
    return goodStack().map((r) => {
        if (isFixture(r, type)) change(r.props);
        return r;
    });
}

describe("namespace-enforces-pod-security", () => {
    const name = "namespace-enforces-pod-security";

    it("passes the component's namespace", () => {
        assert.deepEqual(check(name, TYPES.namespace, namespace()), []);
    });

    it("flags a namespace without the enforce label", () => {
        const ns = namespace();
        delete ns.metadata.labels[ENFORCE];
        assertViolation(check(name, TYPES.namespace, ns), `has no ${ENFORCE} label`);
    });

    it("flags a namespace that enforces privileged", () => {
        const ns = namespace();
        ns.metadata.labels[ENFORCE] = "privileged";
        assertViolation(check(name, TYPES.namespace, ns), `enforces "privileged"`);
    });

    it("flags a label value that is no level", () => {
        const ns = namespace();
        ns.metadata.labels[ENFORCE] = "strict";
        assertViolation(check(name, TYPES.namespace, ns), "which is no Pod Security level");
    });
});

describe("namespace-admits-its-pods", () => {
    const name = "namespace-admits-its-pods";

    it("passes the component's stack", () => {
        assert.deepEqual(checkStack(name, goodStack()), []);
    });

    it("flags a pod that allows root in a namespace enforcing restricted", () => {
        const stack = stackWith(TYPES.pod, (p) => (p.spec.securityContext.runAsNonRoot = false));
        assertViolation(
            checkStack(name, stack),
            `meets only Pod Security level "baseline"`,
            `namespace "my-ns" enforces "restricted": the API server will refuse`,
        );
    });

    it("passes the same pod in a namespace enforcing baseline", () => {
        const stack = stackWith(TYPES.pod, (p) => (p.spec.securityContext.runAsNonRoot = false));
        const relabelled = stack.map((r) => {
            if (isFixture(r, TYPES.namespace)) r.props.metadata.labels[ENFORCE] = "baseline";
            return r;
        });
        assert.deepEqual(checkStack(name, relabelled), []);
    });

    it("flags a pod that adds SYS_ADMIN even in a namespace enforcing baseline", () => {
        const stack = stackWith(TYPES.pod, (p) => {
            p.spec.containers[0].securityContext.capabilities.add = ["SYS_ADMIN"];
        }).map((r) => {
            if (isFixture(r, TYPES.namespace)) r.props.metadata.labels[ENFORCE] = "baseline";
            return r;
        });
        assertViolation(checkStack(name, stack), `"privileged"`, `adds the capability "SYS_ADMIN"`);
    });

    it("holds a pod whose namespace is not in the stack to restricted", () => {
        const stack = stackWith(TYPES.pod, (p) => {
            p.metadata.namespace = "elsewhere";
            p.spec.securityContext.runAsNonRoot = false;
        });
        assertViolation(checkStack(name, stack), `namespace "elsewhere" is not managed`);
    });
});

describe("namespace-not-weaker-than-its-pods", () => {
    const name = "namespace-not-weaker-than-its-pods";

    it("passes the component's stack", () => {
        assert.deepEqual(checkStack(name, goodStack()), []);
    });

    it("flags a namespace enforcing baseline for a pod that meets restricted", () => {
        const stack = stackWith(
            TYPES.namespace,
            (ns) => (ns.metadata.labels[ENFORCE] = "baseline"),
        );
        assertViolation(
            checkStack(name, stack),
            `Namespace "my-ns" enforces "baseline"`,
            `meets "restricted" (Pod "my-ns/my-pod")`,
        );
    });

    it("passes a weak namespace with no pods of this stack in it", () => {
        const stack = stackWith(
            TYPES.namespace,
            (ns) => (ns.metadata.labels[ENFORCE] = "baseline"),
        );
        assert.deepEqual(
            checkStack(
                name,
                stack.filter((r) => r.type !== TYPES.pod),
            ),
            [],
        );
    });
});
