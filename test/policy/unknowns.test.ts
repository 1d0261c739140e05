import * as assert from "node:assert/strict";

import * as policySdk from "@pulumi/policy";
import { ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

import { toPlain, toPolicy } from "../../policy/adapt";
import { POLICIES, PolicySpec } from "../../policy/policies";
import { Props, StackResource, UNKNOWN } from "../../policy/rules/values";
import { newWorkload } from "../helpers/workload";
import { check, pod, policy, renderedStack, TYPES } from "./fixtures";

// How the engine marks a string it cannot know during preview (the protocol's sentinel).
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * The framework's proxy over props: reading a value the engine marked unknown throws. The SDK
 * exports it but marks it internal, so its declarations leave it untyped: this is its signature.
 */
const { unknownCheckingProxy } = policySdk as unknown as {
    unknownCheckingProxy: <T extends object>(props: T) => T;
};

/** The parts of the engine's arguments the adapter reads; the tests give only these. */
interface ResourceArgs {
    readonly type: string;
    readonly props: Record<string, unknown>;
    readonly getConfig: () => object;
}
interface StackArgs {
    readonly resources: readonly { type: string; name: string; props: Record<string, unknown> }[];
    readonly getConfig: () => object;
}

/** Runs the adapter of policy `name`, a resource or a stack policy, as the engine would. */
async function validate(
    name: string,
    args: ResourceArgs | StackArgs,
    report: ReportViolation,
): Promise<void> {
    const adapted = toPolicy(policy(name));
    const resource = "validateResource" in adapted ? adapted.validateResource : undefined;
    const stack = "validateStack" in adapted ? adapted.validateStack : undefined;
    if ("type" in args && typeof resource === "function") {
        await resource(args as ResourceValidationArgs, report);
    } else if ("resources" in args && stack) {
        await stack(args as StackValidationArgs, report);
    } else {
        throw new Error(`${name} is not adapted to a validation of these arguments`);
    }
}

/** Every path from the root of `value` to each of its objects, arrays and leaves. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (typeof value !== "object" || value === null) return [prefix];
    const children = Object.entries(value).flatMap(([k, v]) =>
        paths(v, [...prefix, Array.isArray(value) ? Number(k) : k]),
    );
    return prefix.length === 0 ? children : [prefix, ...children];
}

/** An object or array of plain data, indexed by key or position. */
type Node = Record<string | number, unknown>;

/** A copy of `value` with the node at `path` replaced (or removed, for `undefined`). */
function replaced(value: Props, path: (string | number)[], by: unknown): Props {
    const copy = structuredClone(value);
    // Every step but the last leads to an object or an array: paths() only goes through those.
    const parent = path.slice(0, -1).reduce<Node>((node, key) => node[key] as Node, copy);
    const last = path[path.length - 1];
    if (by === undefined && !Array.isArray(parent)) delete parent[last];
    else parent[last] = by;
    return copy;
}

/** The number of violations of each policy, for a stack with one resource changed. */
function counts(stack: readonly StackResource[]): number[] {
    return POLICIES.map((p: PolicySpec) =>
        p.kind === "stack"
            ? p.check(stack).length
            : stack.reduce((n, r) => n + p.check(r.type, r.props).length, 0),
    );
}

/** Every stack the good one becomes when a single value is replaced by `by`. */
function* variants(stack: StackResource[], by: unknown): Generator<[string, StackResource[]]> {
    for (const [i, resource] of stack.entries()) {
        for (const path of paths(resource.props)) {
            const props = replaced(resource.props, path, by);
            const changed = stack.map((r, j) => (j === i ? { ...r, props } : r));
            yield [`${resource.name}.${path.join(".")}`, changed];
        }
    }
}

describe("values unknown during preview", () => {
    for (const args of [
        {},
        { podSecurity: "baseline" as const, token: { mode: "projected" as const } },
    ]) {
        it(`never add a violation to the component's output ${JSON.stringify(args)}`, async () => {
            await newWorkload(args);
            const stack = renderedStack();
            const before = counts(stack);
            for (const [where, changed] of variants(stack, UNKNOWN)) {
                const after = counts(changed);
                after.forEach((n, k) =>
                    assert.ok(
                        n <= before[k],
                        `${POLICIES[k].name} flags more with ${where} unknown`,
                    ),
                );
            }
        });
    }

    it("make no rule throw, nor do missing, null or ill-typed values", async () => {
        await newWorkload({ token: { mode: "projected" } });
        const stack = renderedStack();
        for (const by of [undefined, null, 42, "x", [], {}]) {
            for (const [where, changed] of variants(stack, by)) {
                assert.doesNotThrow(() => counts(changed), `with ${where} = ${JSON.stringify(by)}`);
            }
        }
    });

    it("are judged on what is known: a known violation next to an unknown value still counts", () => {
        const known = pod();
        // A Pod's type has no room for UNKNOWN: the spec with one, as the adapter hands it over.
        const p = {
            ...known,
            spec: { ...known.spec, serviceAccountName: UNKNOWN, hostNetwork: true },
        };
        assert.deepEqual(check("pod-has-own-service-account", TYPES.pod, p), []);
        assert.equal(check("pod-no-host-namespaces", TYPES.pod, p).length, 1);
    });
});

describe("the adapter to @pulumi/policy", () => {
    it("copies props out of the framework's proxy, with UNKNOWN for each unknown value", () => {
        const proxied = unknownCheckingProxy({
            metadata: { name: "my-pod", namespace: UNKNOWN_STRING },
            spec: { containers: [{ name: "web" }, UNKNOWN_STRING] },
        });
        assert.deepEqual(toPlain(proxied), {
            metadata: { name: "my-pod", namespace: UNKNOWN },
            spec: { containers: [{ name: "web" }, UNKNOWN] },
        });
    });

    it("reports each message of a resource rule", async () => {
        const role = {
            metadata: { name: "r", namespace: UNKNOWN_STRING },
            rules: [{ verbs: ["*"] }],
        };
        const reported: string[] = [];
        const args = (config: object) => ({
            type: TYPES.role,
            props: unknownCheckingProxy(role),
            getConfig: () => config,
        });
        await validate("rbac-no-wildcards", args({}), (m: string) => reported.push(m));
        assert.equal(reported.length, 1);
        assert.ok(reported[0].startsWith(`Role "?/r" rule 0 has "*" in verbs`), reported[0]);
    });

    it("gives stack rules every resource as plain data", async () => {
        const root = pod();
        root.spec.securityContext.runAsNonRoot = false;
        const reported: string[] = [];
        await validate(
            "namespace-admits-its-pods",
            {
                resources: [{ type: TYPES.pod, name: "p", props: unknownCheckingProxy(root) }],
                getConfig: () => ({}),
            },
            (m: string) => reported.push(m),
        );
        assert.equal(reported.length, 1);
        assert.ok(reported[0].includes(`namespace "my-ns" is not managed`), reported[0]);
    });

    it("leaves opting out to the framework's enforcement levels: no policy has a config of its own", () => {
        for (const spec of POLICIES) {
            assert.equal((toPolicy(spec) as { configSchema?: unknown }).configSchema, undefined);
        }
    });

    it("blocks on every policy but pod-runs-as-non-root, which the baseline profile breaks by design", () => {
        const mandatory = (name: string) => [name, "mandatory"];
        assert.deepEqual(
            Object.fromEntries(POLICIES.map(toPolicy).map((p) => [p.name, p.enforcementLevel])),
            Object.fromEntries([
                mandatory("rbac-no-wildcards"),
                mandatory("rbac-no-cluster-binding-of-service-accounts"),
                mandatory("rbac-no-builtin-admin-roles"),
                mandatory("rbac-no-sensitive-access"),
                mandatory("rbac-binding-subjects-in-own-namespace"),
                mandatory("service-account-no-automount"),
                mandatory("pod-has-own-service-account"),
                mandatory("pod-sets-token-automount"),
                mandatory("pod-projects-token-only-without-automount"),
                ["pod-runs-as-non-root", "advisory"],
                mandatory("pod-no-privilege-escalation"),
                mandatory("pod-drops-all-capabilities"),
                mandatory("pod-seccomp-runtime-default"),
                mandatory("pod-not-privileged"),
                mandatory("pod-no-host-path"),
                mandatory("pod-no-host-namespaces"),
                mandatory("pod-baseline-controls"),
                mandatory("pod-has-resources"),
                mandatory("pod-image-pinned"),
                mandatory("namespace-enforces-pod-security"),
                mandatory("namespace-admits-its-pods"),
                mandatory("namespace-not-weaker-than-its-pods"),
            ]),
        );
    });

    it("names every policy uniquely, in kebab-case, with a level", () => {
        const names = POLICIES.map((p) => p.name);
        assert.equal(new Set(names).size, names.length);
        for (const p of POLICIES) {
            assert.match(p.name, /^[a-z]+(-[a-z]+)*$/);
            assert.ok(["mandatory", "advisory"].includes(p.enforcementLevel), p.name);
        }
    });
});
