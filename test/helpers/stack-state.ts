/** A stack's state and outputs, typed as much as the end-to-end tests read them. */
import type * as pulumi from "@pulumi/pulumi";
import type { OutputMap, Stack } from "@pulumi/pulumi/automation";

import type program from "../../index";

/** A resource of a stack's state, as much of it as the tests read. */
export interface StateResource {
    readonly type: string;
    readonly urn: string;
}

/** The resources of a stack's state, the stack resource itself included. */
export async function stateResources(stack: Stack): Promise<StateResource[]> {
    const state = await stack.exportStack();
    return (state.deployment as { resources?: StateResource[] }).resources ?? [];
}

/** Number of resources in a stack's state, the stack resource itself excluded. */
export async function stateResourceCount(stack: Stack): Promise<number> {
    const resources = await stateResources(stack);
    return resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length;
}

/** The program's outputs as plain data. */
export type ProgramOutputs = pulumi.Unwrap<ReturnType<typeof program>>;

/** The `workloads` output of an update, typed as the program exports it. */
export function workloadsOutput(outputs: OutputMap): ProgramOutputs["workloads"] {
    return outputs.workloads.value as ProgramOutputs["workloads"];
}
