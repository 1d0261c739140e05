/**
 * `npm run recover`: repairs a stack after an update that was killed (SIGKILL, a crash, a closed
 * laptop) rather than interrupted with Ctrl-C.
 *
 * A killed engine leaves its lock, so every later command says "the stack is currently locked",
 * and the creates it had started as pending operations: the engine cannot know whether they
 * happened. Recovery drops the lock (`pulumi cancel`), then asks the cluster: a pending create
 * whose object exists is imported into the state (`pulumi refresh --import-pending-creates URN
 * ID`), so it stays tracked and `destroy` removes it; the rest are dropped
 * (`--clear-pending-creates`). Nothing the killed run created is left untracked.
 */
import { spawn } from "node:child_process";

import * as k8s from "@kubernetes/client-node";
import type { Stack } from "@pulumi/pulumi/automation";

/** A create that was in flight when the engine died. */
export interface PendingCreate {
    readonly urn: string;
    /** The provider's ID for the object: `namespace/name`, or `name` if cluster-scoped. */
    readonly id: string;
    readonly object: k8s.KubernetesObject;
}

interface PendingOperation {
    type: string;
    resource: { urn: string; custom?: boolean; inputs?: k8s.KubernetesObject };
}

/** The pending creates of Kubernetes objects with fixed names recorded in a stack's state. */
export function pendingCreates(deployment: unknown): PendingCreate[] {
    const operations =
        (deployment as { pending_operations?: PendingOperation[] }).pending_operations ?? [];
    return operations.flatMap((op) => {
        const object = op.resource.inputs;
        const name = object?.metadata?.name;
        if (op.type !== "creating" || !op.resource.custom || !object?.kind || !name) return [];
        const namespace = object.metadata?.namespace;
        return [{ urn: op.resource.urn, id: namespace ? `${namespace}/${name}` : name, object }];
    });
}

async function exists(objects: k8s.KubernetesObjectApi, create: PendingCreate): Promise<boolean> {
    const { apiVersion, kind } = create.object;
    const [namespace, name] = create.id.includes("/")
        ? create.id.split("/")
        : [undefined, create.id];
    try {
        await objects.read({ apiVersion, kind, metadata: { name, namespace } });
        return true;
    } catch (error) {
        if ((error as { code?: number }).code === 404) return false;
        throw error;
    }
}

/** Runs the stack's `pulumi` with its workspace's directory and environment. */
function runCli(stack: Stack, args: string[], onOutput: (out: string) => void): Promise<void> {
    const { workspace } = stack;
    const env = { ...process.env, ...workspace.envVars };
    if (workspace.pulumiHome) env.PULUMI_HOME = workspace.pulumiHome;
    const child = spawn(workspace.pulumiCommand.command, args, { cwd: workspace.workDir, env });
    child.stdout.on("data", (chunk: Buffer) => onOutput(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => onOutput(chunk.toString()));
    return new Promise((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) =>
            code === 0 ? resolve() : reject(new Error(`pulumi ${args.join(" ")}: exit ${code}`)),
        );
    });
}

/**
 * Unlocks the stack and resolves its pending creates against the cluster. Returns what it
 * imported and what it dropped, for the user.
 */
export async function recover(
    stack: Stack,
    admin: k8s.KubeConfig,
    onOutput: (out: string) => void,
): Promise<{ imported: string[]; dropped: string[] }> {
    await stack.cancel();
    const objects = k8s.KubernetesObjectApi.makeApiClient(admin);
    const imported: PendingCreate[] = [];
    const dropped: PendingCreate[] = [];
    for (const create of pendingCreates((await stack.exportStack()).deployment)) {
        ((await exists(objects, create)) ? imported : dropped).push(create);
    }
    // The Automation API's refresh has no import option: the workspace's CLI, run directly.
    const args = ["refresh", "--yes", "--skip-preview", "--non-interactive"];
    for (const { urn, id } of imported) {
        args.push("--import-pending-creates", urn, "--import-pending-creates", id);
    }
    args.push("--clear-pending-creates", "--stack", stack.name);
    await runCli(stack, args, onOutput);
    const describe = (c: PendingCreate): string => `${c.object.kind} ${c.id}`;
    return { imported: imported.map(describe), dropped: dropped.map(describe) };
}
