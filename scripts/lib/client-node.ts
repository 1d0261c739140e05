/**
 * @kubernetes/client-node, loaded on first use rather than with the command's other modules:
 * loading it takes about half a second, which deploy.ts spends while the Pulumi CLI opens the
 * stack instead (npm run bench measures it).
 */
import type * as k8s from "@kubernetes/client-node";
import { createRequire } from "node:module";

const load = createRequire(__filename);
let loaded: typeof k8s | undefined;

export function clientNode(): typeof k8s {
    return (loaded ??= load("@kubernetes/client-node") as typeof k8s);
}

// For npm run bench: the command as it was, the client loaded with every other module.
if (process.env.SA_WORKLOAD_EAGER_K8S_CLIENT === "1") clientNode();
