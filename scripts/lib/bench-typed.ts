/**
 * The commands as a user types them, for `npm run bench`: `npm run up` (creating, then with
 * nothing to change), `npm run preview` and `npm run down`, each a new process tree started from
 * the shell's point of view, against kubectl on the same cluster for the same objects (another
 * namespace), paired and alternating which side goes first. Per command: the median wall time,
 * the ratio to kubectl, the peak resident memory of the whole process tree (npm, Node.js, the
 * engine, its plugins, the policy pack), and where the time went, from the phase timings the
 * command prints under SA_WORKLOAD_TIMING=1 (scripts/lib/timing.ts) and, inside the engine, from the
 * CLI's own log of the run (scripts/lib/engine-log.ts).
 */
import { spawn, spawnSync } from "node:child_process";
import { delimiter } from "node:path";

import { median } from "./bench-report";
import { engineRunMarks } from "./engine-log";
import { phaseDurations } from "./timing";
import { REPO_ROOT } from "./toolchain";

export interface TypedCommand {
    /** How the user types it. */
    readonly label: string;
    readonly npm: string;
    /** kubectl's counterpart on the same cluster, for the same objects. */
    readonly kubectl: string;
    /** The ratio to kubectl the project aims for. */
    readonly target: number;
    /** The seconds the project aims for too, where the user waits on it (issue #12). */
    readonly maxSeconds?: number;
}

export const TYPED: TypedCommand[] = [
    { label: "`npm run up`, creating", npm: "up", kubectl: "apply + wait", target: 4 },
    {
        label: "`npm run up`, nothing to change",
        npm: "up",
        kubectl: "apply",
        target: 4,
        maxSeconds: 2,
    },
    { label: "`npm run preview`", npm: "preview", kubectl: "diff", target: 5, maxSeconds: 2 },
    { label: "`npm run down`", npm: "down", kubectl: "delete --wait", target: 1.5 },
];

interface Sample {
    readonly seconds: number;
    readonly peakMiB: number;
    readonly phases: [string, number][];
    /** The engine's marks, in milliseconds since the command started (engine-log.ts). */
    readonly engine: [string, number][];
}

/** Resident memory of a process and all its descendants, in MiB (Linux `ps`). */
function treeRssMiB(root: number): number {
    const ps = spawnSync("ps", ["-eo", "pid=,ppid=,rss="], { encoding: "utf8" }).stdout ?? "";
    const procs = ps
        .trim()
        .split("\n")
        .map((l) => l.trim().split(/\s+/).map(Number));
    const tree = new Set([root]);
    for (let grew = true; grew;) {
        grew = false;
        for (const [pid, ppid] of procs) {
            if (tree.has(ppid) && !tree.has(pid)) grew = tree.add(pid) !== undefined;
        }
    }
    return procs.filter(([pid]) => tree.has(pid)).reduce((kb, p) => kb + p[2], 0) / 1024;
}

/**
 * The PATH a command typed in the shell that started the bench has: that shell's (which
 * scripts/run.mjs keeps in SA_WORKLOAD_SHELL_PATH before it puts its Node.js 22 first), without
 * what `npm run bench` added to it (node_modules/.bin folders and npm's node-gyp-bin).
 */
export function shellPath(env: NodeJS.ProcessEnv): string {
    const npmAdded = /[\\/](node_modules[\\/]\.bin|node-gyp-bin)[\\/]?$/;
    return (env.SA_WORKLOAD_SHELL_PATH ?? env.PATH ?? "")
        .split(delimiter)
        .filter((dir) => !npmAdded.test(dir))
        .join(delimiter);
}

/**
 * Runs a command to the end; fails on a non-zero exit. With `sampleMemory`, samples its process
 * tree's memory every 100 ms (a `ps` run each time: timed runs go without, since it slows the side
 * it watches and kubectl's side has none). With `engineBackend` (the stack's backend URL), reads
 * the engine's marks from the CLI's log once the command has ended. It runs with shellPath().
 */
export function runTyped(
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    sampleMemory = false,
    engineBackend?: string,
): Promise<Sample> {
    const started = Date.now();
    const child = spawn(command, args, {
        cwd: REPO_ROOT,
        env: {
            ...env,
            PATH: shellPath(env),
            SA_WORKLOAD_TIMING: "1",
            SA_WORKLOAD_T0: String(started),
        },
        stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let peakMiB = 0;
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const sample = () => {
        if (child.pid) peakMiB = Math.max(peakMiB, treeRssMiB(child.pid));
    };
    const timer = sampleMemory ? setInterval(sample, 100) : undefined;
    return new Promise((resolve, reject) =>
        child.on("close", (code) => {
            clearInterval(timer);
            const seconds = (Date.now() - started) / 1000;
            if (code !== 0)
                reject(new Error(`${command} ${args.join(" ")}: exit ${code}\n${stderr}`));
            else {
                const engine = engineBackend ? engineRunMarks(started, engineBackend) : [];
                resolve({ seconds, peakMiB, phases: phaseDurations(stderr), engine });
            }
        }),
    );
}

/**
 * Seconds a new Node.js process takes for a fixed loop of 3e8 additions: how fast this machine was
 * at the time, to compare reports made at other times (its speed varies with what else runs on
 * it, and the commands, which keep two cores busy, slow down more than kubectl does).
 */
export function cpuProbeSeconds(): number {
    const started = performance.now();
    const probe = spawnSync(process.execPath, [
        "-e",
        "let x = 0; for (let i = 0; i < 3e8; i++) x += i;",
    ]);
    if (probe.status !== 0) throw new Error(`the CPU probe failed: ${String(probe.stderr)}`);
    return (performance.now() - started) / 1000;
}

/** Samples per command label and side. */
export class TypedSamples {
    private readonly samples = new Map<string, Sample[]>();
    /** Peak MiB per command label, from runs of their own. */
    private readonly memory = new Map<string, number[]>();
    /** The CPU probe's seconds, once per round. */
    private readonly probes: number[] = [];

    addProbe(seconds: number): void {
        this.probes.push(seconds);
    }

    addMemory(label: string, peakMiB: number): void {
        this.memory.set(label, [...(this.memory.get(label) ?? []), peakMiB]);
    }

    add(label: string, side: "npm" | "kubectl", sample: Sample): void {
        const key = `${label}|${side}`;
        this.samples.set(key, [...(this.samples.get(key) ?? []), sample]);
    }

    private of(label: string, side: "npm" | "kubectl"): Sample[] {
        return this.samples.get(`${label}|${side}`) ?? [];
    }

    /** The report's lines: the table as typed, then the phase breakdown. */
    report(): string[] {
        const rows: string[] = [];
        const phaseRows: string[] = [];
        const engineRows: string[] = [];
        for (const c of TYPED) {
            const [npm, kubectl] = [this.of(c.label, "npm"), this.of(c.label, "kubectl")];
            if (!npm.length || !kubectl.length) continue;
            const s = median(npm.map((x) => x.seconds));
            const k = median(kubectl.map((x) => x.seconds));
            const mem = median(this.memory.get(c.label) ?? [NaN]);
            // Both targets, where there are two. The ratio shows two places (4.05 read "4.0x"
            // beside "missed"); it is judged unrounded.
            const ratio = s / k;
            const met = ratio <= c.target && s <= (c.maxSeconds ?? Infinity) ? "met" : "missed";
            const target = `${c.maxSeconds ? `<= ${c.maxSeconds.toFixed(1)} s and ` : ""}<= ${c.target}x`;
            rows.push(
                `| ${c.label} | ${s.toFixed(2)} | ${mem.toFixed(0)} | \`kubectl ${c.kubectl}\` ${k.toFixed(2)} | ${ratio.toFixed(2)}x | ${target}: **${met}** |`,
            );
            const names = npm[0].phases.map(([name]) => name);
            const cells = names.map((name, i) => {
                const ms = median(npm.map((x) => x.phases[i]?.[1] ?? NaN));
                return `${name} ${(ms / 1000).toFixed(2)}`;
            });
            const tracked = median(npm.map((x) => x.phases.reduce((t, [, ms]) => t + ms, 0)));
            cells.push(`after (exit, npm) ${(s - tracked / 1000).toFixed(2)}`);
            phaseRows.push(`| ${c.label} | ${cells.join("; ")} |`);
            const marks = engineTimeline(npm);
            if (marks.length) engineRows.push(`| ${c.label} | ${marks.join("; ")} |`);
        }
        if (!rows.length) return [];
        const probe = this.probes.length
            ? ` How fast the machine was meanwhile: a new Node.js process took ${median(this.probes).toFixed(2)} s (${Math.min(...this.probes).toFixed(2)}-${Math.max(...this.probes).toFixed(2)}, one after each round) for a loop of 3e8 additions; the commands, which keep both cores busy, slow down more than kubectl when the machine does, so compare reports by it.`
            : "";
        return [
            "",
            "## The commands as typed",
            "",
            `Each a new process tree started from the shell, on the same cluster as kubectl; medians of ${this.of(TYPED[0].label, "npm").length} paired runs. Memory: the peak resident memory of the whole tree (npm, Node.js, the engine, its plugins, the policy pack), sampled every 100 ms in one more run of each command after the timed ones (the sampling starts \`ps\` ten times a second, which would slow the side it watches; kubectl's side has none).${probe}`,
            "",
            "| command | seconds | peak MiB | kubectl, same objects | ratio | target |",
            "| --- | --- | --- | --- | --- | --- |",
            ...rows,
            "",
            "Where the time goes (seconds, medians; from `SA_WORKLOAD_TIMING=1`: each phase ends at its mark, the first counting from when the shell started `npm run`; the last is what follows the command's final mark: process exits and npm):",
            "",
            "| command | phases |",
            "| --- | --- |",
            ...phaseRows,
            ...(engineRows.length
                ? [
                      "",
                      'Inside `engine done` (seconds since the shell started `npm run`, medians; read after each timed run from the log the Pulumi CLI writes of every run, `pulumi logs decrypt`, so the timed run is the command as it is). Each is a point in time, not a duration: the engine starts while the command still loads the client and the program; "policy pack serving" is its first call to the pack, which it starts once the operation has started (stack, secrets key and VCS metadata read) and waits for before it runs the program; it starts the Kubernetes provider only when the first Kubernetes resource registers, then configures it (the provider reads the API server\'s discovery and OpenAPI documents); "resources done" is when the last resource\'s step ended, after which come the stack policies and the engine\'s shutdown:',
                      "",
                      "| command | engine timeline |",
                      "| --- | --- |",
                      ...engineRows,
                  ]
                : []),
        ];
    }
}

/** Each engine mark's median time over the runs that have it, in the order the runs list them. */
export function engineTimeline(samples: readonly Pick<Sample, "engine">[]): string[] {
    const names = [...new Set(samples.flatMap((s) => s.engine.map(([name]) => name)))];
    return names.map((name) => {
        const at = samples.flatMap((s) => s.engine.filter(([n]) => n === name).map(([, ms]) => ms));
        return `${name} ${(median(at) / 1000).toFixed(2)}`;
    });
}

/** Each speed-up of the command path switched off on its own, against all of them on. */
export const SPEEDUPS: { readonly label: string; readonly env: NodeJS.ProcessEnv }[] = [
    { label: "all on", env: {} },
    {
        label: "ts-node instead of the transpile cache (`SA_WORKLOAD_TRANSPILE=ts-node`)",
        env: { SA_WORKLOAD_TRANSPILE: "ts-node" },
    },
    {
        label: "no Node.js compile cache (`NODE_DISABLE_COMPILE_CACHE=1`)",
        env: { NODE_DISABLE_COMPILE_CACHE: "1" },
    },
    {
        label: "the Kubernetes client loaded up front (`SA_WORKLOAD_EAGER_K8S_CLIENT=1`)",
        env: { SA_WORKLOAD_EAGER_K8S_CLIENT: "1" },
    },
    {
        label: "the program (@pulumi/kubernetes, the component, zod) loaded up front (`SA_WORKLOAD_EAGER_PROGRAM=1`)",
        env: { SA_WORKLOAD_EAGER_PROGRAM: "1" },
    },
    {
        label: "every module loaded as packaged: no stand-ins, no bundles (`SA_WORKLOAD_EAGER_MODULES=1`)",
        env: { SA_WORKLOAD_EAGER_MODULES: "1" },
    },
];

/**
 * Measures each entry of SPEEDUPS on `npm run up` with nothing to change and on `npm run preview`,
 * taking turns at going first, after a warm-up round; deploys the stack of `env` before and takes
 * it down after. Returns the report's lines.
 */
export async function speedupRounds(npm: string, env: NodeJS.ProcessEnv, reps: number) {
    const scripts = ["up", "preview"];
    const seconds = new Map<string, number[]>();
    await runTyped(npm, ["run", "up"], env);
    try {
        for (let rep = 0; rep <= reps; rep++) {
            const order = SPEEDUPS.map((_, i) => SPEEDUPS[(i + rep) % SPEEDUPS.length]);
            for (const variant of order) {
                for (const script of scripts) {
                    const sample = await runTyped(npm, ["run", script], { ...env, ...variant.env });
                    const key = `${variant.label}|${script}`;
                    if (rep > 0) seconds.set(key, [...(seconds.get(key) ?? []), sample.seconds]);
                }
            }
            console.error(`bench: speed-ups, round ${rep}/${reps} done`);
        }
    } finally {
        await runTyped(npm, ["run", "down"], env);
    }
    const of = (label: string, script: string) => median(seconds.get(`${label}|${script}`) ?? []);
    const rows = SPEEDUPS.map(({ label }) => {
        const cells = scripts.map((script) => {
            const s = of(label, script);
            const delta = s - of(SPEEDUPS[0].label, script);
            return label === SPEEDUPS[0].label
                ? s.toFixed(2)
                : `${s.toFixed(2)} (${delta >= 0 ? "+" : ""}${delta.toFixed(2)})`;
        });
        return `| ${label} | ${cells.join(" | ")} |`;
    });
    return [
        "",
        "## Each speed-up against the same command without it",
        "",
        `Same cluster and stack, nothing to change; medians of ${reps} rounds in which the variants take turns going first (in brackets: the difference to all on).`,
        "",
        "| variant | `npm run up`, nothing to change | `npm run preview` |",
        "| --- | --- | --- |",
        ...rows,
        "",
        "The stand-ins (scripts/lib/transpile-cache.cjs: TypeScript, npm's Arborist that " +
            "@pulumi/pulumi loads for packing cloud functions, the debugger hooks of the policy " +
            "pack's runner, and the Kubernetes client's bundle) belong to the transpile cache: " +
            "the ts-node row is without them too. Measured by hand in paired rounds of `npm run " +
            "up` with nothing to change (6 each), and kept, at 38b1027, 5cdc2e0 and e2b65e1: the " +
            "policy pack without the debugger hooks, with a compile cache of its own written once " +
            "it serves (the engine kills it before Node.js would write one at exit; its runner's " +
            "V8 flag had made every cached compile be rejected): 4.47 -> 4.07 s, the pack serving " +
            "0.55 -> 0.41 s into the engine; the CLI that ensureToolchain() checked handed to the " +
            "Automation API, without its `pulumi version` run: 4.28 -> 3.67 s; the state read " +
            "from a file backend's state file instead of `pulumi stack export`: 3.76 -> 3.51 s; " +
            "and, at acdc25f, one connection pool per TLS setup for the Kubernetes client " +
            "(components/kube-connections.ts; the client opened a TLS connection per API call, 79 " +
            "to list a namespace for the ownership checks): `npm run down` 10.57 -> 9.47 s, `npm " +
            "run up` creating 4.58 -> 4.20 s (4 rounds); and, at 8489c5a, source maps for the " +
            "project's files only (Node.js read and parsed the map every @pulumi/pulumi file " +
            "names as it loaded: 0.26 s of the command's CPU profile): 3.59 -> 3.43 s (6 rounds). " +
            "The engine started, where a kubeconfig names the cluster, before the cluster is " +
            "chosen and checked, its program waiting for that and the client loading once the " +
            "engine's CLI runs (6 paired rounds of all four commands): `npm run up` creating " +
            "3.57 -> 3.29 s, with nothing to change 3.10 -> 2.98 s, `preview` 3.26 -> 2.82 s, " +
            "`down` 8.68 -> 8.35 s. " +
            "For `npm run down`, at dc3bf2a: the check for objects the stack did not create runs " +
            "while the engine starts, the program waiting for it before it registers anything " +
            "(8.03 -> 7.82 s, 6 paired rounds); at 1292125, the ServiceAccount and the Role " +
            "deleted side by side (the deletes before the namespace's 0.50 -> 0.43 s). Tried and " +
            "dropped: background deletion for the account, Role and binding (kubectl's default; " +
            "0.1 s less each with kubectl, none through the provider, whose wait for the deletion " +
            "costs the same either way). " +
            "At aef1e93, e9dfafc and 3bc5460, on a faster machine of the same kind (kubectl " +
            "apply 0.40 s against 0.62 s), each against the same tree without it (7 paired rounds " +
            "of `npm run up` with nothing to change): the program's own modules (@pulumi/kubernetes, " +
            "the component, zod) loaded once the engine's CLI has started, as the client is: 1.26 " +
            "-> 1.21 s; the toolchain's folders kept in the cache under the hash of what " +
            "`build.sh env` reads, instead of asking it (bash and 24 hashing processes) every " +
            "command: 1.28 -> 1.24 s; ts-node left unloaded in the policy pack (its runner reads " +
            "the version and calls register(), which does nothing with the transpile cache): " +
            "1.27 -> 1.23 s; the TypeScript file run in scripts/run.mjs's own process instead of " +
            "a second Node.js: 1.21 -> 1.20 s (the command alone, to its usage error, 15 rounds: " +
            "0.203 -> 0.173 s); @pulumi/pulumi's Automation API, which its index loads, left " +
            "unloaded in the policy pack: 1.19 -> 1.18 s (the pack serving 0.156 -> 0.144 s into " +
            "its process, 12 starts). All of them against 584ca18, 8 paired rounds: `npm run up` " +
            "1.34 -> 1.19 s, `preview` 1.31 -> 1.21 s. Not done: a resolve hook that spares " +
            "Node.js its failing lookups of extension-less project imports (45 of them cost 3 ms " +
            "in all); a bundle of @pulumi/pulumi like the client's (alone it loaded in 0.07-0.15 s " +
            "instead of 0.2-0.3 s on a loaded machine), since the pack's runner, @pulumi/policy " +
            "and the program also require its files by their own paths, which a bundle would " +
            "split into two copies of the SDK's runtime. " +
            "At e5af661, on a slower machine (a creating `npm run up` 3.0-3.7 s), for " +
            "`npm run up` creating: the checks for objects the stack did not create ask the API " +
            "server nothing inside a namespace that does not exist, and nothing again before " +
            "each object created in the namespace whose check has passed; timed in the hooks " +
            "over 3 creates each, the namespace's check 15-23 ms against 15-81 ms, the four " +
            "later checks on the critical path 0 ms against 35-69 ms (paired rounds of the " +
            "whole command, 7 each, 3.44 against 3.46 s, were within their spread of 0.7 s). " +
            "Earlier, measured by hand " +
            "in paired rounds of `npm run up` with nothing to change, and kept: no `pulumi stack " +
            "select` when the file backend holds the stack's state file (stack opened 0.68 -> 0.35 s, the command 5.08 -> 4.96 s, 5 " +
            "rounds); the Kubernetes client from its esbuild bundle (scripts/lib/client-bundle.cjs: " +
            "4.67 -> 4.06 s, 6 rounds; alone, the client loads in 0.25-0.35 s instead of " +
            "0.55-0.7 s). Tried and dropped: `pulumi stack export` alongside `pulumi stack select` " +
            "(state read 2.97 -> 3.20 s: two CLI processes and the client's loading share two " +
            "cores); the client loaded while the stack is opened (no gain: the load holds up the " +
            "CLI's next start); the client loaded with `import()` (0.2 s slower than `require`); " +
            "the CLI's version check started before the command's modules load (the stack opened " +
            "0.1 s sooner, the command no faster: 4.76 against 4.74 s, 6 rounds, for the same " +
            "reason: two cores). " +
            "At cd62436, on another machine of the same kind (a 3e8-step Node.js loop 1.8 s; a " +
            "creating `npm run up` 3.1-4.3 s), tried for `npm run up` and dropped. The " +
            "RoleBinding made beside the ServiceAccount and the Role, named by the same plain " +
            "value, the Pod depending on the Role and the binding (one create fewer in a row): " +
            "the Pod's create began 320 ms after the namespace's against 316 ms (medians of 8 " +
            "creates each, timed in the ownership hooks), the whole command 3.75 against 3.73 s " +
            "and 3.58 against 3.59 s (8 paired rounds, twice). The engine's log (`--verbose 7`) " +
            "says why: each create takes 40-70 ms, and the three made side by side began 50-100 " +
            "ms apart, the two cores busy with the engine, the provider, the policy pack and the " +
            "command's own process. And the program's modules loaded only once the engine has " +
            "asked the command's process which plugins the program needs (the engine's first " +
            "calls to it wait while it loads modules, about 0.3 s, and it starts the policy pack " +
            "only after them): 3.54 -> 3.27 s for a creating `up` in 8 paired rounds, not " +
            "reproduced (3.19 -> 3.68 s in the next 8); with the answer written before the " +
            "loading resumes, a creating `up` 3.92 -> 3.90 s and one with nothing to change 3.43 " +
            "-> 3.64 s (the program's modules while the CLI starts, the client once asked), 3.14 " +
            "-> 3.15 s (the client first, the program once asked): whichever process waits, the " +
            "two cores do the same work. The same log puts the policy pack's start at 0.39-0.46 s " +
            "and the Kubernetes provider's start and configuration at 0.4-0.6 s, begun only when " +
            "the first Kubernetes resource registers (the engine loads provider plugins lazily, " +
            "pulumi 3.274.1 pkg/engine/update.go), both on the path of every command. " +
            "At 29a7064, on the same machine, kept: the client's bundle with only the exports the " +
            "project names (CLIENT_NAMES in scripts/lib/client-bundle.cjs, a unit test finding " +
            "them in the sources; 4.8 MB instead of 15.5 MB; any other name loads the package as " +
            "it is), against the whole package's bundle, 8 paired rounds each: the client loaded " +
            "in 0.61 s instead of 0.74 s while the engine starts, `npm run up` with nothing to " +
            "change 3.02 -> 2.91 s, creating 3.85 -> 3.46 s. " +
            "At d788136, on a machine of the same kind (a creating `npm run up` 2.9-3.7 s), kept: " +
            "the client's bundle holding the packages the client depends on too (undici, 109 " +
            "files, ws, 14, and the rest: 6.8 MB; named by npm's record of what it installed, " +
            "node_modules/.package-lock.json, 4 ms to read, where the package.json files of the " +
            "70 packages it depends on would cost 22 ms), against the bundle without them, paired " +
            "rounds: the client loaded and a client made in 0.30 s instead of 0.38 s (8 starts), " +
            "`npm run up` with nothing to change 3.13 -> 2.95 s (8 rounds), creating 3.28 -> " +
            "2.87 s (6), `preview` 2.72 -> 2.56 s (6), `down` 8.32 -> 8.31 s (5), the command's " +
            "largest process 152 -> 141 MiB resident; and that bundle minified but for its names " +
            "(3.2 MB: Node.js reads the whole file at every load, compile cache or not, 0.1 s " +
            "for 6.8 MB), against it as it was: the client loaded and a client made in 0.17 s " +
            "instead of 0.25 s (6 starts), `npm run up` with nothing to change 2.78 -> 2.68 s (8 " +
            "rounds), creating 3.42 -> 3.15 s (6), `preview` 2.84 -> 2.78 s (6); and, at 829f32b, " +
            "the four packages @pulumi/pulumi loads as files by the dozen in the command's and the " +
            "policy pack's processes (semver, @grpc/grpc-js, @opentelemetry/api, js-yaml) each " +
            "served from a bundle of its own (the four loaded in 76 ms instead of 124 ms, means " +
            "of 8 starts): `npm run up` with nothing to change 2.83 -> 2.58 s (8 rounds), " +
            "creating 3.00 -> 2.94 s (6), `preview` 2.90 -> 2.85 s (6). The same " +
            "machine's profiles say where the " +
            "rest goes: the CLI derives the passphrase's key (PBKDF2-SHA256, 1,000,000 rounds: " +
            "0.17 s of CPU here, timed alone in Go) once per CLI process, and the Kubernetes " +
            "provider downloads the API " +
            "server's whole /openapi/v2 each time it is configured (pulumi-kubernetes 4.25.0 " +
            "Configure, no option skips it); both are the tools' own, and both are on the path of " +
            "every command. " +
            "Against b1bab06, on a machine of the same kind (`kubectl apply` 0.57 s), kept: for a " +
            "`pulumi` with its Node.js language host (a user's; this machine's starts the pack " +
            "through its shim), the policy pack given the shim's preloads through NODE_OPTIONS " +
            "(scripts/lib/policy.ts): that language host starts @pulumi/pulumi's run-policy-pack " +
            "itself, which registers ts-node to type-check the pack, and the pack started as it " +
            "starts it served after 3.70 s without them and 0.46 s with them (medians of 5 " +
            "alternating starts), on the path of every `up` and `preview`. Tried there and " +
            "dropped: the component and the program importing only @pulumi/kubernetes's two API " +
            "groups and its provider (13 modules instead of the index's 131: 5 ms instead of 65 ms " +
            "to load): `npm run up` with nothing to change 2.21 against 2.19 s (10 paired rounds), " +
            "creating 2.70 against 2.67 s (6), since the program loads while the engine starts; a " +
            "young generation of 32 MB in every Node.js process (`--max-semi-space-size=32`; 136-139 " +
            "ms of the command's process in garbage collection against 143-145 ms): 2.34 against " +
            "2.26 s (8); the client's bundle without the one non-ASCII character of its licence " +
            "comments (loading it 165 ms either way, 8 starts each). Not tried in the command: zod " +
            "from a bundle of its own (53 ms instead of 67 ms to load alone, in the program's " +
            "modules, which load off the engine's path). The same machine's engine log (`--verbose " +
            "9`) puts the rest of `npm run up` with nothing to change in the tools: the CLI 0.4-0.5 " +
            "s from its start to its first log line while the command's process loads the client " +
            "(`pulumi version` alone 0.25 s), the passphrase's key and the VCS metadata 0.19 s, " +
            "the policy pack 0.29 s before the program runs, the Kubernetes provider's start " +
            "0.18 s and its configuration 0.13 s once the first resource registers, the five " +
            "checks and diffs 0.24 s; and npm 0.15 s (`npm run` of an empty script 0.22 s, `node " +
            "-e 0` 0.07 s). At 6560db6, on the same machine, measured and not shipped: " +
            "@pulumi/pulumi's index and Automation API from one esbuild bundle of their 129 files " +
            "(1.2 MB, the packages already bundled left out), against the files as installed, in " +
            "new processes with a warm compile cache: 158 against 135 ms to load (medians of 10 " +
            "alternating starts), since evaluating the SDK's generated protocol code, not finding " +
            "and reading its files, is what costs; and the CLI's own log of every run (which the " +
            "engine timeline above reads) made impossible: `npm run up` with nothing to change " +
            "2.54 against 2.56 s (8 paired rounds), so it costs nothing visible. The Go-built " +
            "CLI's package initialization alone is 0.22 s of `pulumi version`'s 0.28 s " +
            "(GODEBUG=inittrace=1; a password-strength dictionary 83 ms of it), as in any build " +
            "of the CLI. At 561ef03, read in the engine's log and not shipped: a Kubernetes " +
            "invoke (`kubernetes:yaml:decode` of nothing, on the default provider) made as the " +
            "program starts, so that the engine launches the provider before the first resource " +
            "registers: the provider launched 6 ms after the component registered instead of " +
            "23 ms, since @pulumi/pulumi holds every invoke until the stack resource is " +
            "registered, as it holds the component; and neither `update-notifier` nor " +
            "`logs-max=0` for npm changed `npm run` of an empty script (0.18-0.19 s, 6 rounds). " +
            "At 4c94d99, on a slower machine of the same kind (the CPU probe 2.0 s), tried for " +
            "`npm run up` with nothing to change (paired rounds) and dropped: GOGC=200, 400 and " +
            "off for the CLI and the provider, 2.02, 1.99 and 2.03 against 2.00 s (8; Go's " +
            "collector is 8 collections and 2-4% of `pulumi version`); `--single-threaded-gc` " +
            "for the command's Node.js, 2.09 against 1.98 s (16), and " +
            "`--experimental-async-context-frame` (AsyncLocalStorage without promise hooks), " +
            "1.91 against 1.93 s (14); the policy pack's transpile-only preload as CommonJS " +
            "(`-r`) instead of an ES module (`--import`), its start to serving 232 against " +
            "237 ms (24 alternating starts). Measured and kept as it is: Node.js's source maps " +
            "cost `npm run up` 1.96 -> 1.92 s and `preview` 1.99 -> 1.95 s (12 and 8 rounds; " +
            "@pulumi/pulumi reads a stack for every promise and every resource it registers), " +
            "but without them the state's source positions and the error stack traces name the " +
            "transpiled lines (the Namespace at line 103 of service-account-workload.ts instead " +
            "of 84). The policy pack's rules, timed inside policy/adapt.ts, spend 22 ms on the " +
            "eight resources (19 policies, each copying the properties out of the framework's " +
            "proxy) and 18 ms on the two stack policies; a CPU profile of the pack while the " +
            "engine checks the resources has it busy 70 ms of 460, so the 3-15 ms of each " +
            "Analyze and Remediate call in the engine's log is mostly the pack waiting for a " +
            "core. After the command's last mark, its process takes 40-45 ms to end (a bare " +
            "`node -e 0` 20 ms: V8 hands its heap back page by page, by strace; " +
            "`process.reallyExit` from the exit handler the same) and npm 60 ms more. " +
            "At c6cebae, on a machine of the same kind whose two processors together did 1.3 to " +
            "2 times the work of one, changing within minutes (a loop of 2e8 additions: 1.05 s " +
            "alone; two at once 1.10 and 1.46 s, later 1.04 and 1.10 s, then 1.10 and 1.75 s; " +
            "three at once 2.3-2.5 s), tried and dropped: the policy pack started " +
            "by `up` and `preview` themselves as the engine's CLI starts, the engine's own start " +
            "of the pack handing over to it (printing its port, passing its output on) instead " +
            "of loading the pack again (its start takes 0.30-0.41 s of CPU to serving): the " +
            "engine reached its start of the pack 0.22-0.30 s later than without, its CLI slowed " +
            "by the early pack about as much as the start it spared, so `npm run up` with " +
            "nothing to change took 2.67 s with it against 2.72 s without (20 paired rounds, " +
            "faster in 12), and again in a faster phase, 2.05 against 2.03 s (16, faster in 8), " +
            "and `preview` 2.57 against 2.57 s (12, faster in 7); the early pack " +
            "at the lowest priority (nice 19), 2.29 against 2.27 s (16); the program's modules " +
            "loaded only once the early pack served, 2.53 against 2.42 s (12). Also dropped: " +
            "the command's Node.js with a young generation of 16 MB from its start " +
            "(`--min-semi-space-size=16`, which Node.js refuses in NODE_OPTIONS; no scavenge in " +
            "the pack's start with it, and its start no faster), 2.17 against 2.21 s (12 rounds, " +
            "faster in 5); zod/mini, for which the config schema would be rewritten, loads in " +
            "the time zod does (59-93 against 65 ms). Measured as a bound and not built: the " +
            "Kubernetes client never loaded by `npm run up` with nothing to change (the cluster's " +
            "check and its name in the stack's outputs made without it, as a reader of its own " +
            "would), 2.23 against 2.26 s (14 paired rounds, faster in 11), since it loads while " +
            "the CLI starts. At 5b2a1f9 (a loop of 3e8 additions 1.54 s), tried and dropped: " +
            "the engine's CLI started by `up` and `preview` before the Automation API loads, " +
            "70 ms into the command instead of 0.45 s, with the arguments and environment the " +
            "Automation API passes and two local ports forwarded to the two it opens later, its " +
            "own start of the CLI adopting the running one (output and exit code the same): " +
            "`npm run up` with nothing to change 1.91 against 1.96 s (12 paired rounds, faster " +
            "in 9), `preview` 1.96 against 2.02 s (12, faster in 11). The engine asks the " +
            "program's language host for its plugins before it starts the policy pack " +
            "(newUpdateSource in pkg/engine/update.go), and that host is the Automation API's " +
            "server, up once the stack is open (0.53-0.56 s), so only the CLI's own start moved " +
            "ahead, and it slowed loading the Automation API by 70-100 ms (its mark at " +
            "0.45-0.48 s against 0.39 s); 50 ms did not pay for copying how the Automation API " +
            "builds the CLI's arguments, with a second start wherever they differ. So on this machine, work moved beside the CLI's start, or taken " +
            "away from there, changes a command by tens of milliseconds at most: the chain of " +
            "the tools' own starts (the CLI with its key, the pack, the provider) sets its time. " +
            "The commands as this bench runs them (runTyped, its marks read after each run) " +
            "took 1.83-2.02 s with nothing to change where the shell's `npm run up` took " +
            "1.85-2.04 s in the same minutes (8 runs and 4), and 2.91 s in the report made at " +
            "0e5a625 half an hour before: a report's seconds are the machine's at the time. " +
            "At c311ed4 (a loop of 3e8 additions 1.81 s), kept: a Pulumi CLI that build.sh " +
            "built here earlier used without asking the network whether to build it (since " +
            "560a71b every command on a machine without a `pulumi` on PATH started a Node.js " +
            "process for a DNS lookup: its 'toolchain checked' mark 85-120 ms instead of 5 ms), " +
            "`npm run up` with nothing to change 2.71 -> 2.60 s (8 paired rounds, no kube " +
            "context). At 6c9f727, kept, for a machine with no kube context (this one's README " +
            "commands): the engine started before the bundled cluster is chosen, as for a " +
            "user's context, given that cluster's kubeconfig where it was created here before, " +
            "and that kubeconfig named without `cluster.sh kubeconfig` (0.2 s of bash): " +
            "2.64 -> 2.22 s (8 paired rounds). Tried there and dropped, again: a Kubernetes " +
            "invoke as the program starts, which launched the provider 37 ms sooner (the " +
            "component's constructor now takes 38 ms before its first child registers), " +
            "2.28 against 2.26 s (10 paired rounds). Read in the same engine log: from the CLI's " +
            "first line to the operation's start, 0.2 s go to the passphrase's key and the VCS " +
            "metadata (`git status` 10 ms) one after the other, while the engine's call to the " +
            "language host's About() waits 80 ms on the command's process (loading the client), " +
            "off that path; the Go-built provider's package initialization is 117 ms of its " +
            "start (GODEBUG=inittrace=1). " +
            "At f566872, tried and dropped before measuring a command: a V8 startup snapshot " +
            "(`node --build-snapshot`, Node.js 22.23.5) of the policy pack's modules, so that " +
            "its process would deserialize @pulumi/pulumi and @pulumi/policy instead of " +
            "evaluating them (about 0.14 s of its start to serving): Node.js aborts building a " +
            "snapshot that holds `node:http2`, which @grpc/grpc-js loads, and a snapshot that " +
            "loaded any package through `node:module` failed its internal assertion when it " +
            "started (google-protobuf alone), so neither the modules as installed nor one " +
            "bundle of them can be snapshotted. " +
            "At 158d96b (a loop of 3e8 additions 1.6-1.7 s alone; two at once 1.7 and 3.0 s), " +
            "kept: for a machine whose Node.js is older than 22 (this one's, Debian's 20), " +
            "node_modules/.bin/node, written by scripts/run.mjs, which starts the Node.js 22 it " +
            "installed, so that npm's scripts no longer start Node.js 20 to run run.mjs, which " +
            "then started Node.js 22 (run.mjs to a one-line file, 10 runs each: 0.26-0.33 s " +
            "against 0.12-0.13 s): `npm run up` with nothing to change, typed in the shell, " +
            "2.94 -> 2.77 s (12 paired rounds, faster in 8). Until then this bench had run the " +
            "commands as typed with the Node.js 22 that run.mjs put first on its own PATH, so " +
            "without that hop; they run with the shell's PATH now.",
    ];
}
