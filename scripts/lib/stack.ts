/**
 * Opens a stack of this project with the Automation API and the program in index.ts as an inline
 * program: the real engine, with no language host binary to install. State goes to
 * PULUMI_BACKEND_URL when set, otherwise to a local file backend in .pulumi/ (no account needed).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";

import program from "../../index";
import { REPO_ROOT } from "./toolchain";

export const PROJECT = "sa-workload";

export interface StackOptions {
    /** Stack name; its settings are Pulumi.<name>.yaml when that file exists. @default "dev" */
    readonly stackName?: string;
    /** State backend URL. @default PULUMI_BACKEND_URL, else file://<repo>/.pulumi */
    readonly backendUrl?: string;
    /** Extra environment for the engine. */
    readonly env?: Record<string, string>;
}

/** A passphrase for the local backend's secrets, made once per backend directory. */
function localPassphrase(stateDir: string): string {
    const file = join(stateDir, "passphrase");
    if (!existsSync(file)) {
        mkdirSync(stateDir, { recursive: true });
        writeFileSync(file, randomBytes(24).toString("base64"), { mode: 0o600 });
    }
    return readFileSync(file, "utf8").trim();
}

/** Creates or selects the stack, with the program of index.ts. */
export async function openStack(options: StackOptions = {}): Promise<Stack> {
    const stateDir = join(REPO_ROOT, ".pulumi");
    const backendUrl = options.backendUrl ?? process.env.PULUMI_BACKEND_URL ?? `file://${stateDir}`;
    const env: Record<string, string> = { ...options.env };
    if (backendUrl.startsWith("file://") && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
        env.PULUMI_CONFIG_PASSPHRASE ??=
            process.env.PULUMI_CONFIG_PASSPHRASE ?? localPassphrase(backendUrl.slice(7));
    }
    if (backendUrl.startsWith("file://")) mkdirSync(backendUrl.slice(7), { recursive: true });
    return LocalWorkspace.createOrSelectStack(
        {
            stackName: options.stackName ?? "dev",
            projectName: PROJECT,
            program: () => Promise.resolve(program()),
        },
        { workDir: REPO_ROOT, envVars: { ...env, PULUMI_BACKEND_URL: backendUrl } },
    );
}
