/**
 * Bad input against a deployed stack: every case makes `pulumi up` fail before anything changes.
 * Asserted on the API server's objects and the stack's state, not on log text alone.
 */
import * as assert from "node:assert/strict";

import { Stack } from "@pulumi/pulumi/automation";

import { recordCase } from "../helpers/reliability";
import { writeStackConfig } from "../../scripts/lib/stack";
import { clusterObjects, e2eStack, namespaceExists, npmRun, TempBackend } from "../helpers/e2e";

const STACK = "e2e-faults-input";
const good = { namespace: "e2e-input", serviceAccountName: "input-sa", podName: "input-pod" };

interface BadInput {
    readonly what: string;
    readonly key: string;
    readonly value: unknown;
    /** Text the error must contain: the key, the bad value and the fix. */
    readonly expect: readonly string[];
}

const w = (patch: Record<string, unknown>): unknown[] => [{ ...good, ...patch }];
const key = (field: string): string => `sa-workload:workloads[0].${field}`;

const cases: BadInput[] = [
    {
        what: "invalid namespace name",
        key: "sa-workload:workloads",
        value: w({ namespace: "My_NS" }),
        expect: [key("namespace"), '"My_NS"', "Fix:"],
    },
    {
        what: "reserved namespace kube-system",
        key: "sa-workload:workloads",
        value: w({ namespace: "kube-system" }),
        expect: [key("namespace"), '"kube-system"', "a namespace of its own"],
    },
    {
        what: "reserved namespace default",
        key: "sa-workload:workloads",
        value: w({ namespace: "default" }),
        expect: [key("namespace"), '"default"', "Fix:"],
    },
    {
        what: "two workloads in one namespace",
        key: "sa-workload:workloads",
        value: [good, { ...good, podName: "other" }],
        expect: ["sa-workload:workloads[1].namespace", '"e2e-input"', "already used", "Fix:"],
    },
    {
        what: "the default service account",
        key: "sa-workload:workloads",
        value: w({ serviceAccountName: "default" }),
        expect: [key("serviceAccountName"), '"default"', "dedicated"],
    },
    {
        what: "invalid pod name",
        key: "sa-workload:workloads",
        value: w({ podName: "input.pod" }),
        expect: [key("podName"), '"input.pod"', "Fix:"],
    },
    {
        what: "unpinned image",
        key: "sa-workload:workloads",
        value: w({ image: "nginx" }),
        expect: [key("image"), '"nginx"', "pin a version tag or a digest"],
    },
    {
        what: "the Docker Hub's nginx, which needs root, under podSecurity restricted",
        key: "sa-workload:workloads",
        value: w({ image: "nginx:1.27.4-alpine" }),
        expect: [key("image"), '"nginx:1.27.4-alpine"', "starts as root", "nginx-unprivileged"],
    },
    {
        what: "token directory over nginx's configuration",
        key: "sa-workload:workloads",
        value: w({ token: { mode: "projected", path: "/etc/nginx" } }),
        expect: [
            key("token.path"),
            '"/etc/nginx"',
            "over /etc/nginx/conf.d",
            "/var/run/secrets/tokens",
        ],
    },
    {
        what: "image pinned to latest",
        key: "sa-workload:workloads",
        value: w({ image: "nginx:latest" }),
        expect: [key("image"), '"nginx:latest"', "pin a version tag"],
    },
    {
        what: "malformed image",
        key: "sa-workload:workloads",
        value: w({ image: "NGINX:1.27" }),
        expect: [key("image"), '"NGINX:1.27"', "repository:tag"],
    },
    {
        what: "unknown verb",
        key: "sa-workload:workloads",
        value: w({ rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["read"] }] }),
        expect: [key("rules[0].verbs"), '"read"', "get, list, watch"],
    },
    {
        what: "wildcard without opt-in",
        key: "sa-workload:workloads",
        value: w({ rules: [{ apiGroups: [""], resources: ["*"], verbs: ["get"] }] }),
        expect: [key("rules[0].resources"), '["*"]', "allowWildcards: true"],
    },
    {
        what: "unknown token mode",
        key: "sa-workload:workloads",
        value: w({ token: { mode: "always" } }),
        expect: [key("token.mode"), '"always"', "none, automount, projected"],
    },
    {
        what: "token expiration under 600 s",
        key: "sa-workload:workloads",
        value: w({ token: { mode: "projected", expirationSeconds: 300 } }),
        expect: [key("token.expirationSeconds"), "300", "600 or more"],
    },
    {
        what: "root under the restricted profile",
        key: "sa-workload:workloads",
        value: w({ runAsUser: 0 }),
        expect: [key("runAsUser"), "0", 'podSecurity: "baseline"'],
    },
    {
        what: "unknown Pod Security level",
        key: "sa-workload:workloads",
        value: w({ podSecurity: "privileged" }),
        expect: [key("podSecurity"), '"privileged"', "restricted, baseline"],
    },
    {
        what: "port of the wrong type",
        key: "sa-workload:workloads",
        value: w({ port: "80" }),
        expect: [key("port"), '"80"', "1 to 65535"],
    },
    {
        what: "misspelled setting",
        key: "sa-workload:workloads",
        value: w({ namspace: "x" }),
        expect: [key("namspace"), '"x"', "namespace, serviceAccountName"],
    },
    {
        what: "ready timeout too short",
        key: "sa-workload:workloads",
        value: w({ readyTimeoutSeconds: 1 }),
        expect: [key("readyTimeoutSeconds"), "1", "from 10 to 3600"],
    },
    {
        what: "empty kube context",
        key: "sa-workload:kubeContext",
        value: " ",
        expect: ["sa-workload:kubeContext", '" "', "current context"],
    },
    {
        what: "workloads not a list (wrong type)",
        key: "sa-workload:workloads",
        value: { namespace: "e2e-input" },
        // Caught by the engine's check of Pulumi.yaml's declared types, before the program runs.
        expect: ["configuration key 'workloads' must be of type 'array<object>'"],
    },
];

async function resources(stack: Stack): Promise<unknown> {
    return ((await stack.exportStack()).deployment as { resources?: unknown }).resources;
}

describe("fault: bad input", () => {
    const backend = new TempBackend();
    let stack: Stack;

    before(async () => {
        stack = await e2eStack(backend, STACK, { "sa-workload:workloads": [good] });
        await stack.up();
    });

    after(async () => {
        await stack?.destroy({ runProgram: true }).catch(() => undefined);
        backend.dispose();
    });

    for (const bad of cases) {
        it(`refuses ${bad.what} before changing anything`, async () => {
            const objectsBefore = clusterObjects();
            const stateBefore = await resources(stack);
            await writeStackConfig(stack, {
                "sa-workload:workloads": [good],
                [bad.key]: bad.value,
            });
            let message = "";
            let accepted = false;
            try {
                await stack.up();
                accepted = true;
            } catch (error) {
                message = error instanceof Error ? error.message : String(error);
            } finally {
                await writeStackConfig(stack, { "sa-workload:workloads": [good] });
            }
            assert.ok(!accepted, "up accepted bad config");
            for (const text of bad.expect)
                assert.ok(message.includes(text), `"${text}" missing:\n${message}`);
            assert.equal(clusterObjects(), objectsBefore, "the API server's objects changed");
            assert.deepEqual(await resources(stack), stateBefore, "the stack's state changed");
            const line = message.split("\n").find((l) => l.includes(bad.expect[0])) ?? "";
            recordCase({
                name: `bad input: ${bad.what}`,
                done: `pulumi up with ${bad.key} = ${JSON.stringify(bad.value)}`,
                happened: `refused before any registration: ${line.trim().slice(0, 220)}`,
                left: "API server objects and stack state identical to before",
            });
        });
    }

    it("still deploys the good config afterwards, with nothing to change", async () => {
        await stack.preview({ expectNoChanges: true });
    });
});

describe("fault: config this version refuses, on a stack deployed before", () => {
    const backend = new TempBackend();
    after(() => backend.dispose());

    it("is removed by npm run down, which warns of what up refuses", async () => {
        const namespace = "e2e-later-refused";
        const stack = await e2eStack(backend, namespace, {
            "sa-workload:workloads": [{ namespace }],
        });
        const up = await npmRun("up", stack.name, backend);
        assert.equal(up.status, 0, up.output);
        // Settings an older version took: a user id past the API server's, a key nothing reads.
        await writeStackConfig(stack, {
            "sa-workload:workloads": [{ namespace, runAsUser: 2 ** 31 }],
            "sa-workload:replicas": "3",
        });
        const refused = await npmRun("up", stack.name, backend);
        assert.notEqual(refused.status, 0, refused.output);
        assert.match(refused.output, /sa-workload:replicas is "3": not a setting of this project/);
        assert.match(refused.output, /workloads\[0\]\.runAsUser is 2147483648/);
        const down = await npmRun("down", stack.name, backend);
        assert.equal(down.status, 0, down.output);
        assert.match(down.output, /sa-workload:replicas is "3".*Not refused for a destroy/);
        assert.ok(!namespaceExists(namespace), down.output);
        recordCase({
            name: "config this version refuses, on a deployed stack",
            done: "npm run up; the stack's config given a key nothing reads and a runAsUser past 2^31-1 (as an older version took them); npm run up; npm run down",
            happened: `up exited ${refused.status}, naming both; down exited ${down.status}, warning of both, and removed the stack's objects`,
            left: "nothing: the namespace and its objects deleted",
        });
    });
});
