/**
 * End-to-end helpers: stacks of this project on a temporary file backend, run by the real engine
 * against the API server that KUBECONFIG points at (scripts/e2e.sh starts the local cluster).
 */
import * as assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as k8s from "@kubernetes/client-node";
import { Stack } from "@pulumi/pulumi/automation";

import { fileBackendUrl, openStack, repoStackConfig, workloadPods } from "../../scripts/lib/stack";
import { Check, verifyWorkload, WorkloadNames } from "../../scripts/lib/verify";
import { REPO_ROOT } from "../../scripts/lib/toolchain";

/** The test cluster's kubeconfig; the suite refuses to run against whatever happens to be current. */
export function testKubeconfig(): string {
    const path = process.env.KUBECONFIG;
    if (!path || !process.env.SA_WORKLOAD_LOCAL_CLUSTER) {
        throw new Error(
            "run the e2e suite with `npm run test:e2e`, which starts the local cluster",
        );
    }
    return path;
}

export function adminConfig(): k8s.KubeConfig {
    const config = new k8s.KubeConfig();
    config.loadFromFile(testKubeconfig());
    return config;
}

/** Runs the real kubectl against the test cluster and returns its stdout. */
export function kubectl(...args: string[]): string {
    return execFileSync("kubectl", ["--kubeconfig", testKubeconfig(), ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
}

/** Sets an object's finalizers (null removes them all), as the controller that owns it would. */
export function setFinalizers(
    kind: string,
    name: string,
    namespace: string,
    finalizers: string[] | null,
): void {
    const patch = JSON.stringify({ metadata: { finalizers } });
    kubectl("patch", kind, name, "-n", namespace, "--type=merge", "-p", patch);
}

/** `kubectl apply` of one object, given as data on kubectl's standard input. */
export function kubectlApply(object: object): string {
    return execFileSync("kubectl", ["--kubeconfig", testKubeconfig(), "apply", "-f", "-"], {
        encoding: "utf8",
        input: JSON.stringify(object),
        stdio: ["pipe", "pipe", "pipe"],
    });
}

/**
 * kubectl's JSON output (`-o json`, or a jsonpath that picks an object) as `T`: an interface of the
 * fields the caller reads, as the API server sends them. The one place kubectl's JSON gets a type.
 */
export function kubectlJson<T>(...args: string[]): T {
    return JSON.parse(kubectl(...args)) as T;
}

/** kubectl's exit status and combined output with `kubeconfig`. */
function kubectlWith(
    kubeconfig: string,
    args: string[],
): { status: number | null; output: string } {
    const r = spawnSync("kubectl", ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8" });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** kubectl's exit status and combined output, for commands expected to fail. */
export function kubectlStatus(...args: string[]): { status: number | null; output: string } {
    return kubectlWith(testKubeconfig(), args);
}

/**
 * Runs kubectl with only a bearer token (no client certificate, which would take precedence), against
 * the test cluster's server and CA; returns its exit status and output.
 */
export function kubectlWithToken(
    token: string,
    ...args: string[]
): { status: number | null; output: string } {
    const view = kubectlJson<{ clusters: { name: string; cluster: object }[] }>(
        "config",
        "view",
        "--minify",
        "--raw",
        "-o",
        "json",
    );
    const dir = mkdtempSync(join(tmpdir(), "sa-workload-token-"));
    const file = join(dir, "kubeconfig.json");
    writeFileSync(
        file,
        JSON.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: view.clusters,
            users: [{ name: "token", user: { token } }],
            contexts: [
                { name: "token", context: { cluster: view.clusters[0].name, user: "token" } },
            ],
            "current-context": "token",
        }),
        { mode: 0o600 },
    );
    try {
        return kubectlWith(file, args);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** A throwaway backend directory, removed by `dispose`. */
export class TempBackend {
    readonly dir = mkdtempSync(join(tmpdir(), "sa-workload-state-"));
    readonly url = fileBackendUrl(this.dir);
    /** The lock files its stacks hold now (the CLI's `.pulumi/locks/<org>/<project>/<stack>/`). */
    locks(): string[] {
        return readdirSync(this.dir, { recursive: true, encoding: "utf8" }).filter(
            (f) => f.startsWith(join(".pulumi", "locks")) && f.endsWith(".json"),
        );
    }
    dispose(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }
}

/**
 * Opens a stack on `backend`, with `config` or else the repository's Pulumi.<stack>.yaml. Its
 * namespaces must not exist yet: one left by an aborted earlier run is deleted first, so no test
 * mistakes old objects for the ones its stack creates.
 */
export async function e2eStack(
    backend: TempBackend,
    stackName: string,
    config?: Record<string, unknown>,
): Promise<Stack> {
    const stack = await openStack({ stackName, backendUrl: backend.url, config });
    const workloads = (config ?? (await repoStackConfig(stackName)))?.["sa-workload:workloads"];
    for (const { namespace } of workloadPods(workloads)) {
        if (namespaceExists(namespace)) {
            kubectl("delete", "namespace", namespace, "--wait=true", "--timeout=120s");
        }
    }
    return stack;
}

/** An image the test cluster's node never makes ready (scripts/cluster.sh NEVER_READY_IMAGE). */
export const NEVER_READY = "example.invalid/never-ready:1.0";

/** Polls until `condition` holds, or fails after `timeoutMs`. */
export async function eventually(
    what: string,
    condition: () => boolean | Promise<boolean>,
    timeoutMs = 120_000,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
}

/** Whether a namespace still exists (Terminating counts as existing). */
export function namespaceExists(name: string): boolean {
    return objectExists("namespace", name);
}

/** Whether the API server has this object (in `namespace`, if given). */
export function objectExists(kind: string, name: string, namespace?: string): boolean {
    const where = namespace ? ["-n", namespace] : [];
    return kubectlStatus("get", kind, name, ...where).status === 0;
}

/**
 * Every namespace, and every object of the kinds the program manages (in `namespace`, else in all),
 * with resource versions: any change shows.
 */
export function clusterObjects(namespace?: string): string {
    const jsonpath =
        "jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}" +
        "@{.metadata.resourceVersion}{'\\n'}{end}";
    const kinds = "serviceaccounts,roles,rolebindings,pods,secrets,configmaps";
    const where = namespace ? ["-n", namespace] : ["-A"];
    return (
        kubectl("get", "namespaces", "-o", jsonpath) +
        kubectl("get", kinds, ...where, "-o", jsonpath)
    );
}

/** How a command ended: its exit status and everything it printed. */
export interface Result {
    readonly status: number | null;
    readonly output: string;
}

/** A running `npm run <script>`: its process, its outcome, and what it printed so far. */
export interface NpmRun {
    readonly child: ChildProcess;
    readonly done: Promise<Result>;
    readonly output: () => string;
}

/** Collects a started command's stdout and stderr, in the order they came. */
export function collect(child: ChildProcess): NpmRun {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const done = new Promise<Result>((resolve) =>
        child.on("close", (status) => resolve({ status, output })),
    );
    return { child, done, output: () => output };
}

/**
 * Starts `npm run <script>` (up, preview, down, recover, verify) as a user would, against `backend`
 * and the test cluster.
 */
export function npmStart(
    script: string,
    stack: string,
    backend: TempBackend,
    ...args: string[]
): NpmRun {
    // `verify` is a script of its own; the others are actions of deploy.ts.
    const command =
        script === "verify"
            ? [join("scripts", "verify.ts")]
            : [join("scripts", "deploy.ts"), script];
    const child = spawn(
        process.execPath,
        [join(REPO_ROOT, "scripts", "run.mjs"), ...command, ...args],
        {
            cwd: REPO_ROOT,
            env: {
                ...process.env,
                STACK: stack,
                PULUMI_BACKEND_URL: backend.url,
                KUBECONFIG: testKubeconfig(),
            },
        },
    );
    return collect(child);
}

/** Runs `npm run <script>` to the end (see npmStart). */
export function npmRun(
    script: string,
    stack: string,
    backend: TempBackend,
    ...args: string[]
): Promise<Result> {
    return npmStart(script, stack, backend, ...args).done;
}

/** The message of whatever a rejected promise gave. */
export function errorText(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/** A pod's uid: a new one means the pod was replaced. */
export function podUid(namespace: string, pod: string): string {
    return kubectl("get", "pod", pod, "-n", namespace, "-o", "jsonpath={.metadata.uid}");
}

/** The actual value of the first verify check whose name includes `text`. */
export function actualOf(checks: readonly Check[], text: string): string | undefined {
    return checks.find((c) => c.check.includes(text))?.actual;
}

/** Runs verify for one workload, fails on any mismatch, and returns its checks. */
export async function verified(workload: WorkloadNames): Promise<Check[]> {
    const checks = await verifyWorkload(adminConfig(), workload);
    assert.deepEqual(
        checks.filter((c) => !c.ok),
        [],
        workload.namespace,
    );
    return checks;
}

/** SIGKILLs a process and all its descendants at once; returns their commands. */
export function killTree(root: number): string[] {
    const ps = execFileSync("ps", ["-eo", "pid=,ppid=,comm="], { encoding: "utf8" });
    const procs = ps
        .trim()
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm }));
    const tree = [root];
    for (let i = 0; i < tree.length; i++) {
        tree.push(...procs.filter((p) => p.ppid === tree[i]).map((p) => p.pid));
    }
    for (const pid of tree) {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // it exited on its own between ps and now
        }
    }
    return tree.map((pid) => procs.find((p) => p.pid === pid)?.comm ?? String(pid));
}
