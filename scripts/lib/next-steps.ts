/** What `npm run up` prints after a deploy: the walk-through's kubectl commands, ready to paste. */
import { findOnPath } from "./toolchain";

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

/**
 * kubectl as the user's shell must run it to reach the cluster a command used: with the kubeconfig
 * the command chose where the shell does not have it (the bundled cluster's), and with the kube
 * context the stack names. Flags, not variables, so it reads the same in bash and PowerShell.
 * `program`: where the shell has no kubectl, the one built with the bundled cluster (see
 * shellKubectlProgram).
 */
export function kubectlFor(context?: string, kubeconfig?: string, program = "kubectl"): string {
    const quoted = (v: string) => (/^[\w./:@=+-]+$/.test(v) ? v : `'${v}'`);
    return [
        quoted(program),
        ...(kubeconfig ? [`--kubeconfig ${quoted(kubeconfig)}`] : []),
        ...(context ? [`--context ${quoted(context)}`] : []),
    ].join(" ");
}

/**
 * The kubectl a user's shell (`shellPath`, its PATH) runs: its own where it has one, else the one
 * built with the bundled cluster (`built`): a machine with no kube context, where that cluster
 * runs, often has no kubectl either.
 */
export function shellKubectlProgram(shellPath: string, built: () => string | undefined): string {
    return findOnPath("kubectl", shellPath) ? "kubectl" : (built() ?? "kubectl");
}

/** The commands for a workload, run by `kubectl` (see kubectlFor). */
export function workloadCommands(w: WorkloadOutputs, kubectl = "kubectl"): WorkloadCommands {
    const [ns, sa, po] = [w.namespace, w.serviceAccount, w.pod];
    return {
        getPod: `${kubectl} -n ${ns} get pod ${po}`,
        describePod: `${kubectl} -n ${ns} describe pod ${po}`,
        canI: `${kubectl} auth can-i list pods -n ${ns} --as=system:serviceaccount:${ns}:${sa}`,
        createToken: `${kubectl} -n ${ns} create token ${sa}`,
        portForward: `${kubectl} -n ${ns} port-forward pod/${po} ${w.port}`,
    };
}
