/**
 * `npm run bench`: Pulumi against kubectl on the same API server, in one run, alternating sides.
 *
 * For N workloads (default 1, 10, 50) and after one warm-up round, each repetition measures on
 * each side: deploy (`pulumi up --yes --skip-preview` through the Automation API, vs `kubectl apply
 * -f` of the same objects + `kubectl wait` for Ready pods), a no-change check (`pulumi preview` vs
 * `kubectl diff -f`) and teardown (`pulumi destroy` vs `kubectl delete -f --wait`). The manifest
 * comes from `npm run render`, i.e. the same program and config. Also: unit suite wall time, peak
 * memory of the Pulumi processes (in the untimed warm-up rounds), the commands as typed
 * (scripts/lib/bench-typed.ts) and each speed-up of the command path against the same command
 * without it.
 *
 * Writes docs/benchmarks.md. Env: BENCH_N="1 10 50", BENCH_REPS=5. Needs KUBECONFIG to point at a
 * cluster it may fill with bench-* namespaces (`npm run bench` starts the local one).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Stack } from "@pulumi/pulumi/automation";

import {
    ENGINE_DEFAULT_PARALLEL,
    measured,
    OPERATIONS,
    record,
    reps,
    SIDES,
    Side,
    sizes,
    writeReport,
} from "./lib/bench-report";
import { cpuProbeSeconds, runTyped, speedupRounds, TYPED, TypedSamples } from "./lib/bench-typed";
import { destroy, up } from "./lib/operations";
import { fileBackendUrl, openStack } from "./lib/stack";
import { REPO_ROOT } from "./lib/toolchain";

/**
 * Waits out the namespace controller's queue after a side's teardown, untimed. The controller
 * handles a namespace 5 s after each change to it (namespaceDeletionGracePeriod in
 * k8s.io/kubernetes 1.36, pkg/controller/namespace), and a deletion's own updates queue it again:
 * a namespace of the same name deleted within those seconds is handled when that entry comes due,
 * up to 5 s sooner. Measured here: an empty namespace deleted 5.2 s after its last deletion takes
 * 5.2 s, 2 s after it 3.1 s, 4 s after it 1.0 s. Without the wait, whichever side deleted the
 * same names a few seconds after another was faster for it.
 */
const NAMESPACE_QUEUE_SECONDS = 6;

async function settleNamespaceController(): Promise<void> {
    await new Promise((done) => setTimeout(done, NAMESPACE_QUEUE_SECONDS * 1000));
}

async function timed(fn: () => unknown): Promise<number> {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1e9;
}

function kubectl(...args: string[]): void {
    const r = spawnSync("kubectl", args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    // `kubectl diff` exits 1 when it finds differences: that is a result, not a failure.
    if (r.status !== 0 && !(args[0] === "diff" && r.status === 1)) {
        throw new Error(`kubectl ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
    }
}

function workloadsConfig(n: number): Record<string, unknown> {
    const workloads = Array.from({ length: n }, (_, i) => ({ namespace: `bench-${i}` }));
    return { "sa-workload:workloads": workloads };
}

/** Samples the resident memory of every pulumi* process (the engine and its plugins) and this one. */
function watchMemory(): () => void {
    const timer = setInterval(() => {
        const ps = spawnSync("ps", ["-eo", "rss,comm"], { encoding: "utf8" }).stdout ?? "";
        const pulumiKb = ps
            .split("\n")
            .filter((l) => /\bpulumi/.test(l))
            .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0] || 0), 0);
        const totalMb = pulumiKb / 1024 + process.memoryUsage().rss / 2 ** 20;
        measured.peakRssMb = Math.max(measured.peakRssMb, totalMb);
    }, 250);
    return () => clearInterval(timer);
}

async function pulumiRound(
    stack: Stack,
    n: number,
    side: Exclude<Side, "kubectl">,
    measure: boolean,
): Promise<void> {
    const parallel = side === "pulumi" ? undefined : ENGINE_DEFAULT_PARALLEL;
    const sdk = side === "sdk-defaults";
    // Memory in the untimed warm-up only: each sample's spawnSync stops this process's event loop,
    // which serves the program to the engine (kubectl's side, spawnSync itself, holds the timer
    // off), so sampling a timed round slowed the Pulumi sides only.
    const stopWatching = measure ? undefined : watchMemory();
    try {
        const times = [
            await timed(() => (sdk ? stack.up() : up(stack, { parallel }))),
            await timed(() => stack.preview({ expectNoChanges: true })),
            await timed(() =>
                sdk ? stack.destroy({ runProgram: true }) : destroy(stack, { parallel }),
            ),
        ];
        if (measure) OPERATIONS.forEach((op, i) => record(n, op, side, times[i]));
    } finally {
        stopWatching?.();
    }
}

async function kubectlRound(manifest: string, n: number, measure: boolean): Promise<void> {
    const namespaces = Array.from({ length: n }, (_, i) => `bench-${i}`);
    const times = [
        await timed(() => {
            kubectl("apply", "-f", manifest);
            for (const ns of namespaces) {
                kubectl(
                    "wait",
                    "--for=condition=Ready",
                    "pod",
                    "--all",
                    "-n",
                    ns,
                    "--timeout=180s",
                );
            }
        }),
        await timed(() => kubectl("diff", "-f", manifest)),
        await timed(() => kubectl("delete", "-f", manifest, "--wait=true", "--ignore-not-found")),
    ];
    if (measure) OPERATIONS.forEach((op, i) => record(n, op, "kubectl", times[i]));
}

/** The manifest of the program for `config`, as `npm run render` writes it. */
function renderManifest(config: Record<string, unknown>, file: string): string {
    const yaml = execFileSync(
        process.execPath,
        ["--require", "ts-node/register", join(REPO_ROOT, "scripts", "render-manifest.ts")],
        {
            cwd: REPO_ROOT,
            encoding: "utf8",
            env: { ...process.env, SA_WORKLOAD_CONFIG: JSON.stringify(config) },
        },
    );
    writeFileSync(file, yaml);
    return file;
}

/** kubectl's side of one typed command, as a sample without memory or phases. */
async function kubectlSample(
    ...commands: string[][]
): Promise<{ seconds: number; peakMiB: number; phases: []; engine: [] }> {
    const seconds = await timed(() => commands.forEach((args) => kubectl(...args)));
    return { seconds, peakMiB: 0, phases: [], engine: [] };
}

/**
 * The commands as typed: `npm run up` creating and with nothing to change, `preview`, `down`
 * (the dev stack's workload, on a backend of its own), against kubectl for the same objects in
 * another namespace; alternating which side goes first, after one warm-up round.
 */
async function typedRounds(work: string): Promise<string[]> {
    const samples = new TypedSamples();
    const backendUrl = fileBackendUrl(join(work, "typed-state"));
    const env = { ...process.env, PULUMI_BACKEND_URL: backendUrl, STACK: "dev" };
    const namespace = "bench-typed";
    const manifest = renderManifest(
        {
            "sa-workload:workloads": [
                { namespace, serviceAccountName: "my-sa", podName: "my-pod" },
            ],
        },
        join(work, "typed.yaml"),
    );
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const [create, noChange, preview, down] = TYPED;
    const sides = {
        npm: async (measure: boolean, memory = false) => {
            const runs: [typeof create, string][] = [
                [create, "up"],
                [noChange, "up"],
                [preview, "preview"],
                [down, "down"],
            ];
            for (const [command, script] of runs) {
                const engine = measure && !memory ? backendUrl : undefined;
                const sample = await runTyped(npm, ["run", script], env, memory, engine);
                if (memory) samples.addMemory(command.label, sample.peakMiB);
                else if (measure) samples.add(command.label, "npm", sample);
            }
        },
        kubectl: async (measure: boolean) => {
            const wait = ["wait", "--for=condition=Ready", "pod", "--all", "-n", namespace];
            const runs: [typeof create, string[][]][] = [
                [
                    create,
                    [
                        ["apply", "-f", manifest],
                        [...wait, "--timeout=180s"],
                    ],
                ],
                [noChange, [["apply", "-f", manifest]]],
                [preview, [["diff", "-f", manifest]]],
                [down, [["delete", "-f", manifest, "--wait=true"]]],
            ];
            for (const [command, commands] of runs) {
                const sample = await kubectlSample(...commands);
                if (measure) samples.add(command.label, "kubectl", sample);
            }
        },
    };
    for (let rep = 0; rep <= reps; rep++) {
        const order = rep % 2 ? (["kubectl", "npm"] as const) : (["npm", "kubectl"] as const);
        for (const side of order) {
            await sides[side](rep > 0);
            await settleNamespaceController();
        }
        if (rep > 0) samples.addProbe(cpuProbeSeconds());
        console.error(`bench: the commands as typed, round ${rep}/${reps} done`);
    }
    // Memory in a run of its own, untimed: its sampling would slow what it watches.
    await sides.npm(false, true);
    await settleNamespaceController();
    return [...samples.report(), ...(await speedupRounds(npm, env, reps))];
}

async function main(): Promise<void> {
    if (!process.env.KUBECONFIG) throw new Error("set KUBECONFIG (npm run bench does)");
    const work = mkdtempSync(join(tmpdir(), "sa-workload-bench-"));
    const backendUrl = fileBackendUrl(join(work, "state"));
    const extra: string[] = [];
    try {
        const npm = process.platform === "win32" ? "npm.cmd" : "npm";
        measured.unitSeconds = (await runTyped(npm, ["test"], process.env)).seconds;
        // The tests that start Node.js or bash processes of their own (the command path's loading,
        // the toolchain on a user's kind of machine) are a suite apart, in `npm run check` too.
        const processSeconds = (await runTyped(npm, ["run", "test:process"], process.env)).seconds;
        extra.push(
            `- unit and policy suites (\`npm test\`, wall time including start-up): ${measured.unitSeconds.toFixed(1)} s`,
            `- tests that start processes of their own (\`npm run test:process\`, in \`npm run check\`; no target): ${processSeconds.toFixed(1)} s`,
        );
        const typed = await typedRounds(work);
        const report = (): void =>
            writeReport(
                [
                    ...extra,
                    // Sampled in the engine rounds' warm-ups, which a report before them has not run.
                    ...(measured.peakRssMb > 0
                        ? [
                              "- peak resident memory of the Pulumi processes (engine, provider, " +
                                  "program) so far, sampled every 250 ms in the untimed warm-up " +
                                  `rounds: ${measured.peakRssMb.toFixed(0)} MiB`,
                          ]
                        : []),
                ],
                typed,
            );
        report();
        for (const n of sizes) {
            const manifest = renderManifest(workloadsConfig(n), join(work, `manifest-${n}.yaml`));
            const config = workloadsConfig(n);
            const stacks: Record<Exclude<Side, "kubectl">, Stack> = {
                pulumi: await openStack({ stackName: `bench-${n}`, backendUrl, config }),
                "engine-parallelism": await openStack({
                    stackName: `bench-${n}-engine-parallelism`,
                    backendUrl,
                    config,
                }),
                "sdk-defaults": await openStack({
                    stackName: `bench-${n}-sdk-defaults`,
                    backendUrl,
                    config,
                }),
            };
            for (let rep = 0; rep <= reps; rep++) {
                const measure = rep > 0; // round 0 warms caches on every side
                // Each side goes first, second and third in turn.
                const order = SIDES.map((_, i) => SIDES[(i + rep) % SIDES.length]);
                for (const side of order) {
                    if (side === "kubectl") await kubectlRound(manifest, n, measure);
                    else await pulumiRound(stacks[side], n, side, measure);
                    await settleNamespaceController();
                }
                console.error(`bench: N=${n} round ${rep}/${reps} done`);
            }
            for (const stack of Object.values(stacks)) {
                await stack.workspace.removeStack(stack.name);
            }
            // Written after every size, so a run cut short still leaves what it measured.
            report();
        }
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
});
