/**
 * Where the engine's time goes, for `npm run bench`: marks read from the log the Pulumi CLI writes
 * of every run (pulumi 3.27x: <PULUMI_HOME>/logs/<stack>-<time>.log, encrypted with the stack's
 * secrets provider, at its debug level whatever the verbosity), after the command has ended, so
 * the timed run is the command as it is. The command's own marks (scripts/lib/timing.ts) end at
 * "engine done"; these split that phase: the CLI's start, the policy pack's, the program's, the
 * Kubernetes provider's, the resources', the engine's end.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

import { stackPassphrase } from "./stack";
import { pulumiHome } from "./toolchain";

/** One line of the decrypted log, as `pulumi logs decrypt` prints it. */
interface LogLine {
    readonly msg: string;
    /** Milliseconds since the epoch. */
    readonly at: number;
}

/** RFC 3339 with nanoseconds, as the CLI writes it, to milliseconds since the epoch. */
export function logTime(time: string): number {
    const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
    if (!match) return NaN;
    const [, seconds, fraction = "0", zone] = match;
    return Date.parse(`${seconds}${zone}`) + Number(`0.${fraction}`) * 1000;
}

/** Each mark: its name, and the first line after the previous match that makes it. */
const MARKS: readonly (readonly [string, RegExp])[] = [
    ["CLI's first log line", /./],
    ["operation started", /^\*\*\* Starting (Update|Destroy|Refresh)\(/],
    ["policy pack serving", /^Analyzer\[.*\]\.GetPluginInfo\(\) executing/],
    ["program running", /^langhost\[client\]\.Run\(.*executing/],
    ["provider starting", /^newPlugin\(\): Launching plugin '.* \(resource\)'/],
    ["provider serving", /^Provider\[.*\]\.GetPluginInfo\(\) executing/],
    ["provider configuring", /^Provider\[.*\]\.Configure\(\) executing/],
    ["provider configured", /^(setProvider\(|loaded provider )/],
    ["resources done", /step executor has completed/],
    ["engine finished", /^\*\*\* .* complete \*\*\*$/],
];

/**
 * The marks found in a decrypted log, in order, each in milliseconds since `t0` (epoch ms). A mark
 * is searched for only after the one before it; one not found (a command without a provider, or
 * a log cut short) is left out, and the search goes on from where the previous mark was.
 */
export function engineMarks(decrypted: string, t0: number): [string, number][] {
    const lines: LogLine[] = [];
    for (const text of decrypted.split("\n")) {
        if (!text.startsWith("{")) continue;
        try {
            const { msg, time } = JSON.parse(text) as { msg?: unknown; time?: unknown };
            if (typeof msg === "string" && typeof time === "string") {
                lines.push({ msg, at: logTime(time) });
            }
        } catch {
            // not a log record
        }
    }
    const marks: [string, number][] = [];
    let from = 0;
    for (const [name, pattern] of MARKS) {
        const i = lines.findIndex((line, j) => j >= from && pattern.test(line.msg));
        if (i < 0) continue;
        marks.push([name, Math.round(lines[i].at - t0)]);
        from = i + 1;
    }
    return marks;
}

/**
 * The newest log of a stack's run begun at or after `since` (epoch ms): the CLI names those
 * `<org>+<project>+<stack>-<time>[-<update>].log`, and the logs of runs without a stack
 * `pulumi-<time>-<pid>-<command>.log`. `prefix`: only the logs whose name starts with it.
 */
export function latestEngineLog(
    since: number,
    home: string = pulumiHome(),
    prefix = "",
): string | undefined {
    const dir = join(home, "logs");
    let names: string[];
    try {
        names = readdirSync(dir);
    } catch {
        return undefined;
    }
    let newest: { file: string; mtime: number } | undefined;
    for (const name of names) {
        if (!name.endsWith(".log") || name.startsWith("pulumi-") || !name.startsWith(prefix)) {
            continue;
        }
        const file = join(dir, name);
        // undefined where the CLI's rotation removed the file since the listing.
        const mtime = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -Infinity;
        if (mtime >= since && mtime > (newest?.mtime ?? -Infinity)) newest = { file, mtime };
    }
    return newest?.file;
}

/**
 * The engine's marks of the run that began at `t0` on a stack of `backendUrl`, decrypted with
 * `pulumi logs decrypt` and the passphrase the commands use for it; none where this CLI writes no
 * such log or cannot read it.
 */
export function engineRunMarks(t0: number, backendUrl: string): [string, number][] {
    const file = latestEngineLog(t0);
    if (!file) return [];
    const decrypted = spawnSync("pulumi", ["logs", "decrypt", file], {
        env: { ...process.env, PULUMI_BACKEND_URL: backendUrl, ...stackPassphrase(backendUrl) },
        encoding: "utf8",
        timeout: 60_000,
        shell: process.platform === "win32",
    });
    return decrypted.status === 0 ? engineMarks(decrypted.stdout, t0) : [];
}
