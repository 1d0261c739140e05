/** What `npm run up` prints after a deploy: the walk-through's kubectl commands, ready to paste. */

/** What the program exports for each workload (index.ts). */
export interface WorkloadOutputs {
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly pod: string;
    readonly port: number;
}

/** Commands a user can paste to inspect a workload, mirroring the kubectl walk-through. */
export interface WorkloadCommands {
    readonly getPod: string;
    readonly describePod: string;
    readonly canI: string;
    readonly createToken: string;
    readonly portForward: string;
}

/** The commands for a workload on the cluster of `context` (the current context when unset). */
export function workloadCommands(w: WorkloadOutputs, context?: string): WorkloadCommands {
    const kubectl = context ? `kubectl --context ${context}` : "kubectl";
    const [ns, sa, po] = [w.namespace, w.serviceAccount, w.pod];
    return {
        getPod: `${kubectl} -n ${ns} get pod ${po}`,
        describePod: `${kubectl} -n ${ns} describe pod ${po}`,
        canI: `${kubectl} auth can-i list pods -n ${ns} --as=system:serviceaccount:${ns}:${sa}`,
        createToken: `${kubectl} -n ${ns} create token ${sa}`,
        portForward: `${kubectl} -n ${ns} port-forward pod/${po} ${w.port}`,
    };
}
