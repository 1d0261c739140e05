import * as assert from "node:assert/strict";
import { delimiter } from "node:path";

import * as pulumi from "@pulumi/pulumi";

import program from "../../index";
import { CLUSTER_UID_ENV } from "../../components/kube-context";
import { DESTROYING_ENV, PACK_DEFAULTS_ENV } from "../../components/defaults";
import { ConfigError } from "../../components";
import { readProgramConfig } from "../../components/program-config";
import { fakeApiServer, KUBE_SYSTEM, kubeconfig } from "../helpers/fake-api-server";
import { withEnv } from "../helpers/env";
import { registrations } from "../helpers/mocks";
import { only, promiseOf, registered, TYPES, WORKLOAD_OBJECT_TYPES } from "../helpers/outputs";
import { setConfig, stackFileConfig } from "../helpers/stack-config";
import { tempDir } from "../helpers/temp-dirs";

type Outputs = ReturnType<typeof program>;

/** Runs the program and waits for its outputs, as the engine would. */
async function run(): Promise<Awaited<pulumi.Unwrap<Outputs>>> {
    return promiseOf(pulumi.output(program()));
}

function refused(): ConfigError {
    try {
        program();
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        assert.equal(registrations.length, 0, "something was registered");
        return e;
    }
    assert.fail("the program accepted bad config");
}

describe("the program", () => {
    describe("with the dev stack's config", () => {
        beforeEach(() => setConfig(stackFileConfig("dev")));

        it("deploys exactly the walk-through's one workload", async () => {
            await run();
            assert.equal(registered(TYPES.component).length, 1);
            assert.equal(only(TYPES.namespace).inputs.metadata.name, "my-ns");
            assert.equal(only(TYPES.serviceAccount).inputs.metadata.name, "my-sa");
            assert.equal(only(TYPES.pod).inputs.metadata.name, "my-pod");
            assert.equal(only(TYPES.pod).inputs.spec.serviceAccountName, "my-sa");
        });

        it("uses the current kube context through the default provider", async () => {
            await run();
            assert.equal(registered(TYPES.provider).length, 0);
        });

        it("exports the names and the port of the workload", async () => {
            const outputs = await run();
            const workload = outputs.workloads["my-ns"];
            assert.equal(workload.namespace, "my-ns");
            assert.equal(workload.serviceAccount, "my-sa");
            assert.equal(workload.pod, "my-pod");
            assert.equal(workload.port, 8080);
        });
    });

    it("deploys one default workload when no workloads are configured", async () => {
        setConfig({});
        const outputs = await run();
        assert.deepEqual(Object.keys(outputs.workloads), ["my-ns"]);
    });

    it("gives each of several workloads its own namespace and objects", async () => {
        setConfig({
            "sa-workload:workloads": [
                { namespace: "team-a", serviceAccountName: "reader" },
                { namespace: "team-b", podName: "web", podSecurity: "baseline" },
            ],
        });
        const outputs = await run();
        assert.deepEqual(Object.keys(outputs.workloads).sort(), ["team-a", "team-b"]);
        assert.equal(registered(TYPES.component).length, 2);
        for (const type of WORKLOAD_OBJECT_TYPES) {
            assert.equal(registered(type).length, 2, type);
        }
        const pods = registered(TYPES.pod).map((r) => r.inputs);
        assert.deepEqual(
            pods
                .map((p) => [p.metadata.namespace, p.metadata.name, p.spec.serviceAccountName])
                .sort(),
            [
                ["team-a", "my-pod", "reader"],
                ["team-b", "web", "my-sa"],
            ],
        );
    });

    it("deploys through an explicit provider when a kube context is configured, reading KUBECONFIG as kubectl does", async () => {
        setConfig({ "sa-workload:kubeContext": "minikube" });
        // A list of files, which the SDK would hand the provider as one kubeconfig's contents.
        process.env.KUBECONFIG = ["/a/config", "/b/config"].join(delimiter);
        await run();
        const provider = only(TYPES.provider);
        assert.equal(provider.inputs.context, "minikube");
        assert.equal(provider.inputs.kubeconfig, "", "the provider was given KUBECONFIG");
        for (const child of registrations.filter((r) => r.type.startsWith("kubernetes:"))) {
            assert.ok(child.provider?.includes("pulumi:providers:kubernetes::kube::"), child.type);
        }
    });

    it("gives every workload the stack's kube context, whose cluster its ownership checks read", () => {
        setConfig({
            "sa-workload:kubeContext": "minikube",
            "sa-workload:workloads": [{ namespace: "team-a" }, { namespace: "team-b" }],
        });
        const { workloads } = readProgramConfig(new pulumi.Config("sa-workload"));
        assert.deepEqual(
            workloads.map((w) => [w.name, w.args.kubeContext]),
            [
                ["team-a", "minikube"],
                ["team-b", "minikube"],
            ],
        );
    });

    describe("records the cluster it deployed to", () => {
        // Each test starts with KUBECONFIG at no file (the root hook, test/helpers/mocks.ts).
        /** The program's outputs with a kubeconfig whose server answers kube-system's read so. */
        async function withApiServer(route: { status: number; body: object }) {
            const api = await fakeApiServer({ [KUBE_SYSTEM]: route });
            try {
                const dir = tempDir("sa-program-");
                process.env.KUBECONFIG = kubeconfig(dir, "minikube", api.url, true, api.cluster);
                return await run();
            } finally {
                api.close();
            }
        }

        it("by the kubeconfig's cluster name and host, and its kube-system namespace's UID", async () => {
            const uid = "6a1f3c0e-kube-system";
            const outputs = await withApiServer({ status: 200, body: { metadata: { uid } } });
            assert.equal(outputs.cluster, "minikube@127.0.0.1");
            assert.equal(outputs.clusterUid, uid);
        });

        it("by the UID the command read as it chose the cluster, where it did", async () => {
            process.env[CLUSTER_UID_ENV] = "uid-the-command-read";
            try {
                const outputs = await withApiServer({
                    status: 200,
                    body: { metadata: { uid: "x" } },
                });
                assert.equal(outputs.clusterUid, "uid-the-command-read");
            } finally {
                delete process.env[CLUSTER_UID_ENV];
            }
        });

        it("without the UID, never failing the update, where the API server errs", async () => {
            const outputs = await withApiServer({
                status: 500,
                body: { kind: "Status", code: 500 },
            });
            assert.equal(outputs.cluster, "minikube@127.0.0.1");
            assert.equal(outputs.clusterUid, undefined);
        });

        it("as nothing where there is no kubeconfig", async () => {
            const outputs = await run();
            assert.equal(outputs.cluster, undefined);
            assert.equal(outputs.clusterUid, undefined);
        });
    });

    describe("with bad config", () => {
        it("refuses two workloads in one namespace and names both", () => {
            setConfig({
                "sa-workload:workloads": [{ namespace: "team-a" }, { namespace: "team-a" }],
            });
            assert.match(
                refused().message,
                /sa-workload:workloads\[1\]\.namespace is "team-a": already used by sa-workload:workloads\[0\]/,
            );
        });

        it("reports a namespace used twice beside the workloads' other problems, at once", () => {
            setConfig({
                "sa-workload:workloads": [
                    { namespace: "team-a", image: "nginx" },
                    { namespace: "team-a" },
                ],
            });
            const { message } = refused();
            assert.match(message, /workloads\[0\]\.image is "nginx"/);
            assert.match(message, /workloads\[1\]\.namespace is "team-a": already used/);
        });

        it("refuses two workloads that both default to my-ns", () => {
            setConfig({ "sa-workload:workloads": [{}, { podName: "other" }] });
            assert.match(refused().message, /workloads\[1\]\.namespace is "my-ns": already used/);
        });

        it("refuses a wildcard that allowWildcards accepts where npm run up runs the pack at its own levels", () => {
            const workload = {
                allowWildcards: true,
                rules: [{ apiGroups: ["*"], resources: ["configmaps"], verbs: ["get"] }],
            };
            setConfig({ "sa-workload:workloads": [workload] });
            withEnv({ [PACK_DEFAULTS_ENV]: "1" }, () => {
                assert.match(
                    refused().message,
                    /sa-workload:workloads\[0\]\.allowWildcards is true: .*rbac-no-wildcards blocks the Role.*pulumi up --policy-pack policy --policy-pack-config/,
                );
            });
            // A plain pulumi up, whose pack config may lower the policy: the program takes it.
            withEnv({ [PACK_DEFAULTS_ENV]: undefined }, () => program());
        });

        it("lets a destroy run with config refused only where objects are made, and still refuses the rest", async () => {
            // What a stack deployed before this version's checks may hold.
            const deployed = {
                namespace: "team-a",
                runAsUser: 2 ** 31,
                resources: { limits: { memory: "512Mi" } },
                rules: [
                    { apiGroups: [""], resources: ["secrets", "po*"], verbs: ["get"] },
                    { apiGroups: ["v1"], resources: ["nodes"], verbs: ["get"] },
                ],
            };
            setConfig({ "sa-workload:workloads": [deployed], "sa-workload:replicas": "3" });
            const message = refused().message;
            for (const key of ["runAsUser", "resources.limits", "rules[0]", "rules[1].apiGroups"])
                assert.ok(message.includes(`workloads[0].${key} is`), `${key}: ${message}`);
            assert.match(message, /sa-workload:replicas is "3"/);
            await withEnv({ [DESTROYING_ENV]: "1" }, async () => {
                await run();
                assert.ok(registrations.length > 0, "nothing registered for the destroy");
                // A name that is wrong for the objects themselves stays refused.
                setConfig({ "sa-workload:workloads": [{ ...deployed, namespace: "Team_A" }] });
                registrations.length = 0;
                assert.match(refused().message, /workloads\[0\]\.namespace is "Team_A"/);
                assert.doesNotMatch(refused().message, /runAsUser/);
            });
        });

        it("refuses an empty list of workloads", () => {
            setConfig({ "sa-workload:workloads": [] });
            assert.match(refused().message, /sa-workload:workloads is \[\]: not a non-empty list/);
        });

        it("refuses workloads that are not a list", () => {
            setConfig({ "sa-workload:workloads": "my-ns" });
            assert.match(
                refused().message,
                /sa-workload:workloads is "my-ns": not a non-empty list/,
            );
        });

        it("names the config key of a bad workload setting", () => {
            setConfig({ "sa-workload:workloads": [{ namespace: "kube-system" }] });
            assert.match(
                refused().message,
                /sa-workload:workloads\[0\]\.namespace is "kube-system"/,
            );
        });

        it("refuses a workload's own kube context in stack config, pointing at the stack's", () => {
            setConfig({ "sa-workload:workloads": [{}, { namespace: "b", kubeContext: "other" }] });
            const message = refused().message;
            assert.match(message, /sa-workload:workloads\[1\]\.kubeContext is "other"/);
            assert.match(message, /set sa-workload:kubeContext for the whole stack/);
            assert.doesNotMatch(message, /workloads\[0\]/);
        });

        it("refuses the provider's own cluster keys, which would deploy past the checks, and never prints a kubeconfig", () => {
            setConfig({
                "kubernetes:context": "prod",
                "kubernetes:cluster": "prod-cluster",
                "kubernetes:kubeconfig": "apiVersion: v1\nusers: [{ user: { token: s3cret } }]",
            });
            const message = refused().message;
            assert.match(message, /kubernetes:context is "prod": picks the cluster/);
            assert.match(message, /set sa-workload:kubeContext to that context instead/);
            assert.match(message, /kubernetes:cluster is "prod-cluster"/);
            assert.match(message, /kubernetes:kubeconfig is "\(set; not shown\)"/);
            assert.doesNotMatch(message, /s3cret/);
        });

        for (const [given, meant, value] of [
            ["kubecontext", "kubeContext", "prod"],
            ["kube_context", "kubeContext", "prod"],
            ["context", "kubeContext", "prod"],
            ["workload", "workloads", [{ namespace: "team-a" }]],
            ["Workloads", "workloads", [{ namespace: "team-a" }]],
        ] as const) {
            it(`refuses sa-workload:${given}, which nothing reads, and names sa-workload:${meant}`, () => {
                setConfig({ [`sa-workload:${given}`]: value });
                assert.ok(
                    refused().message.includes(
                        `sa-workload:${given} is ${JSON.stringify(value)}: not a setting of this project. Fix: use sa-workload:${meant}.`,
                    ),
                );
            });
        }

        it("refuses a key like no setting, and lists the settings", () => {
            setConfig({ "sa-workload:replicas": "3", "other-project:x": "y" });
            const { message } = refused();
            assert.match(
                message,
                /sa-workload:replicas is "3": not a setting of this project\. Fix: use sa-workload:kubeContext or sa-workload:workloads/,
            );
            assert.doesNotMatch(message, /other-project/);
        });

        it("refuses workloads set as a secret without printing them, valid or not", () => {
            for (const workloads of [
                [{ namespace: "team-a", token: { mode: "projected", audience: "s3cr3t" } }],
                [{ namespace: "team-a", token: { mode: "automount", audience: "s3cr3t" } }],
            ]) {
                pulumi.runtime.setAllConfig(
                    { "sa-workload:workloads": JSON.stringify(workloads) },
                    ["sa-workload:workloads"],
                );
                const { message } = refused();
                assert.match(
                    message,
                    /sa-workload:workloads is "\(secret; not shown\)": set as a secret, but no workload setting is one.*Fix: set it without --secret/,
                );
                assert.doesNotMatch(message, /s3cr3t|team-a/);
            }
        });

        it("refuses a kube context set as a secret, and a misspelled secret key, without printing them", () => {
            pulumi.runtime.setAllConfig(
                { "sa-workload:kubeContext": "s3cr3t-ctx", "sa-workload:kubecontext": "s3cr3t" },
                ["sa-workload:kubeContext", "sa-workload:kubecontext"],
            );
            const { message } = refused();
            assert.match(message, /sa-workload:kubeContext is "\(secret; not shown\)"/);
            assert.match(
                message,
                /sa-workload:kubecontext is "\(secret; not shown\)": not a setting/,
            );
            assert.doesNotMatch(message, /s3cr3t/);
        });

        it("refuses an empty kube context", () => {
            setConfig({ "sa-workload:kubeContext": " " });
            assert.match(
                refused().message,
                /sa-workload:kubeContext is " ": an empty context name/,
            );
        });
    });
});
