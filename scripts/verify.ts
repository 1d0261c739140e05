/**
 * `npm run verify`: after `npm run up`, proves on the live cluster that each workload's identity
 * works (see scripts/lib/verify.ts) and prints a table. Exits non-zero on any mismatch, or where a
 * workload's checks could not run (each such workload is one failed row; the others still run).
 */
import { loadKubeConfig } from "../components/kube-context";
import { refuseOtherCluster, selectCluster } from "./lib/cluster";
import { explainBackendFailure } from "./lib/backend";
import { defaultBackendUrl, kubeContextOf, openStack, stackFileConfig } from "./lib/stack";
import { ensureToolchain } from "./lib/toolchain";
import { verifyWorkloads, WorkloadNames } from "./lib/verify";
import { formatReport } from "./lib/verify-table";

async function main(): Promise<void> {
    ensureToolchain();
    const stack = await openStack({ stackName: process.env.STACK ?? "dev", create: false });
    const outputs = await stack.outputs();
    const workloads = outputs.workloads?.value as Record<string, WorkloadNames> | undefined;
    if (!workloads || Object.keys(workloads).length === 0) {
        throw new Error(`Stack ${stack.name} has no workloads deployed: run \`npm run up\` first.`);
    }
    const context = kubeContextOf(await stackFileConfig(stack));
    // The same cluster `npm run up` chooses, never started here, and the one the stack is on:
    // elsewhere, objects of the same names (the walk-through's own) would be someone else's.
    const selected = await selectCluster(context, false, {
        name: stack.name,
        recorded: () => Promise.resolve(outputs.cluster?.value),
    });
    refuseOtherCluster(
        stack.name,
        { identity: outputs.cluster?.value, uid: outputs.clusterUid?.value },
        selected,
    );
    const admin = loadKubeConfig(context);
    if (!admin) throw new Error("the kube context selected for this command has gone");
    const { checks, exitCode } = await verifyWorkloads(admin, Object.values(workloads));
    console.log(formatReport(checks));
    process.exitCode = exitCode;
}

main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`verify: ${message}`);
    // A wrong passphrase, refused credentials, a backend that does not answer: said as up says it.
    const backend = explainBackendFailure(message, defaultBackendUrl(), { readOnly: true });
    if (backend) console.error(`\n${backend}`);
    process.exitCode = 1;
});
