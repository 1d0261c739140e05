/**
 * The teams suite's parts: the S3 server of scripts/s3.sh in a folder of its own, read with signed
 * requests (curl's SigV4) as any S3 client reads it, and clones of this repository that share only
 * the bucket, each running the project's commands as typed.
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { REPO_ROOT } from "../../scripts/lib/toolchain";
import { collect, NpmRun as Run, Result, testKubeconfig } from "./e2e";

const S3_SCRIPT = join(REPO_ROOT, "scripts", "s3.sh");

/** MinIO with its data, port and credentials in a temporary folder; `remove` deletes all of it. */
export class S3Server {
    readonly dir = mkdtempSync(join(tmpdir(), "sa-workload-s3-"));
    /** The `export` lines of `s3.sh env`: credentials, endpoint, bucket, PULUMI_BACKEND_URL. */
    readonly env: Record<string, string>;

    constructor() {
        try {
            this.script("start");
        } catch (error) {
            rmSync(this.dir, { recursive: true, force: true });
            throw error;
        }
        this.env = Object.fromEntries(
            [...this.script("env").matchAll(/^export (\w+)='(.*)'$/gm)].map((m) => [m[1], m[2]]),
        );
    }

    /** Starts it again after `stop`, with the same port, credentials and data. */
    start(): void {
        this.script("start");
    }

    stop(): void {
        this.script("stop");
    }

    remove(): void {
        this.script("delete");
    }

    /** An object's content; undefined when the bucket has no such key. */
    object(key: string): string | undefined {
        const out = this.request(`/${key}`, "-w", "\n%{http_code}");
        const status = out.slice(out.lastIndexOf("\n") + 1);
        if (status === "404") return undefined;
        if (status !== "200") throw new Error(`GET ${key}: HTTP ${status}`);
        return out.slice(0, out.lastIndexOf("\n"));
    }

    /** The keys under `prefix`. */
    keys(prefix: string): string[] {
        // SigV4 signs the query as sent: the prefix's slashes are encoded, as the SDKs send them.
        const list = this.request(`?list-type=2&prefix=${encodeURIComponent(prefix)}`);
        return [...list.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
    }

    private request(path: string, ...curlArgs: string[]): string {
        const {
            AWS_ACCESS_KEY_ID: key,
            AWS_SECRET_ACCESS_KEY: secret,
            AWS_REGION: region,
        } = this.env;
        const url = `${this.env.S3_ENDPOINT}/${this.env.S3_BUCKET}${path}`;
        // The credentials on stdin (`-K -`), never on a command line that `ps` shows.
        return execFileSync(
            "curl",
            ["-sS", "-m", "10", "-K", "-", "--aws-sigv4", `aws:amz:${region}:s3`, ...curlArgs, url],
            { encoding: "utf8", input: `user = "${key}:${secret}"\n` },
        );
    }

    private script(command: string): string {
        return execFileSync("bash", [S3_SCRIPT, command], {
            encoding: "utf8",
            env: { ...process.env, SA_WORKLOAD_S3_DIR: this.dir },
            stdio: ["ignore", "pipe", "inherit"],
        });
    }
}

/**
 * A clone of this repository as a teammate or a CI runner has it: the files git tracks (and new ones
 * not ignored), no .pulumi/ folder, the installed packages shared.
 */
export class Clone {
    readonly dir = mkdtempSync(join(tmpdir(), "sa-workload-clone-"));

    constructor() {
        const files = execFileSync(
            "git",
            ["ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            { cwd: REPO_ROOT, encoding: "utf8" },
        );
        for (const file of files.split("\0").filter(Boolean)) {
            cpSync(join(REPO_ROOT, file), join(this.dir, file), { recursive: true });
        }
        symlinkSync(join(REPO_ROOT, "node_modules"), join(this.dir, "node_modules"), "dir");
    }

    /** `npm run <script>` as typed in this clone, with `env` (backend, credentials, passphrase). */
    start(env: Record<string, string>, script: string, ...args: string[]): Run {
        const child = spawn(
            "npm",
            ["run", "--silent", script, ...(args.length ? ["--", ...args] : [])],
            {
                cwd: this.dir,
                // A process group of its own, so a test can pause the whole run (npm, node, engine).
                detached: true,
                env: { ...teamEnv(), ...env, KUBECONFIG: testKubeconfig() },
            },
        );
        const run = collect(child);
        runs.add(run);
        void run.done.then(() => runs.delete(run));
        return run;
    }

    run(env: Record<string, string>, script: string, ...args: string[]): Promise<Result> {
        return this.start(env, script, ...args).done;
    }

    remove(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }
}

/** This process's environment without any AWS or Pulumi setting a runner must be given explicitly. */
function teamEnv(): Record<string, string | undefined> {
    return Object.fromEntries(
        Object.entries(process.env).filter(
            ([k]) =>
                !k.startsWith("AWS_") &&
                ![
                    "PULUMI_BACKEND_URL",
                    "PULUMI_CONFIG_PASSPHRASE",
                    "PULUMI_CONFIG_PASSPHRASE_FILE",
                    "STACK",
                ].includes(k),
        ),
    );
}

/** The runs started and not yet ended. */
const runs = new Set<Run>();

/** Kills every process of each run still going (a test that failed may have left one paused). */
export function killRuns(): void {
    for (const run of runs) {
        if (run.child.pid) process.kill(-run.child.pid, "SIGKILL");
    }
}

/** Pauses (SIGSTOP) or resumes (SIGCONT) every process of a run, as a stalled runner would be. */
export function signalRun(run: Run, signal: "SIGSTOP" | "SIGCONT"): void {
    if (run.child.pid) process.kill(-run.child.pid, signal);
}
