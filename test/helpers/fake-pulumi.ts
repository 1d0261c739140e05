/**
 * A stand-in for the Pulumi CLI, for tests of what the commands ask of it without an engine: a
 * `pulumi` (and, for Windows, `pulumi.cmd`) in a folder of its own, which records each run's
 * arguments, and the backend and passphrase file it was given, and answers `version` and
 * `stack export` as the CLI would.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { tempDir } from "./temp-dirs";

export interface FakePulumi {
    /** The folder to put first on PATH. */
    readonly dir: string;
    /** The arguments of each run so far, in order. */
    runs(): string[][];
    /** PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE_FILE of each run so far, in order. */
    envs(): { backend?: string; passphraseFile?: string }[];
}

/** A fake `pulumi` of `version` whose `stack export` prints `deployment`. */
export function fakePulumi(version: string, deployment: object = {}): FakePulumi {
    const dir = tempDir("sa-fake-pulumi-");
    const log = join(dir, "runs.jsonl");
    const envLog = join(dir, "envs.jsonl");
    const script = join(dir, "pulumi.js");
    writeFileSync(
        script,
        [
            `const { appendFileSync } = require("node:fs");`,
            `const args = process.argv.slice(2);`,
            `appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + "\\n");`,
            `const env = { backend: process.env.PULUMI_BACKEND_URL, passphraseFile: process.env.PULUMI_CONFIG_PASSPHRASE_FILE };`,
            `appendFileSync(${JSON.stringify(envLog)}, JSON.stringify(env) + "\\n");`,
            `if (args[0] === "version") console.log(${JSON.stringify(`v${version}`)});`,
            `else if (args[0] === "stack" && args[1] === "export")`,
            `    console.log(${JSON.stringify(JSON.stringify({ version: 3, deployment }))});`,
        ].join("\n"),
    );
    writeFileSync(
        join(dir, "pulumi"),
        `#!${process.execPath}\nrequire(${JSON.stringify(script)});\n`,
    );
    chmodSync(join(dir, "pulumi"), 0o755);
    writeFileSync(join(dir, "pulumi.cmd"), `@"${process.execPath}" "${script}" %*\r\n`);
    const lines = (file: string): unknown[] =>
        readFileSync(file, { encoding: "utf8", flag: "a+" })
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => JSON.parse(l) as unknown);
    return {
        dir,
        runs: () => lines(log) as string[][],
        envs: () => lines(envLog) as { backend?: string; passphraseFile?: string }[],
    };
}
