/**
 * What `npm run down` checks before it deletes anything: deleting a namespace deletes everything
 * in it, so every object in the stack's namespaces that the stack did not create (and the cluster
 * did not make for itself) is named, and the destroy does not start unless the user confirms.
 * The program's own namespace guard (components/ownership.ts) checks again as each namespace
 * goes, and is what protects a plain `pulumi destroy --run-program`.
 */
import { ClusterReader, ObjectRef } from "../../components/live-objects";
import { refuseNamespaceDelete } from "../../components/ownership";

interface ResourceState {
    type: string;
    custom?: boolean;
    outputs?: {
        apiVersion?: string;
        kind?: string;
        metadata?: { name?: string; namespace?: string };
    };
}

/** The Kubernetes objects a stack's state holds. */
export function stateObjects(deployment: unknown): ObjectRef[] {
    const resources = (deployment as { resources?: ResourceState[] }).resources ?? [];
    return resources.flatMap((r) => {
        const o = r.outputs;
        const name = o?.metadata?.name;
        if (!r.custom || !r.type.startsWith("kubernetes:") || !o?.kind || !o.apiVersion || !name) {
            return [];
        }
        const namespace = o.metadata?.namespace;
        return [
            { apiVersion: o.apiVersion, kind: o.kind, name, ...(namespace ? { namespace } : {}) },
        ];
    });
}

/**
 * Throws, naming them, if the stack's namespaces hold objects it did not create, or objects of
 * kinds that could not be listed (an aggregated API that does not answer, a kind the user's
 * credentials may not list): those would go with the namespace unseen.
 */
export async function refuseForeignBeforeDown(
    deployment: unknown,
    reader: ClusterReader,
): Promise<void> {
    const own = stateObjects(deployment);
    for (const ns of own.filter((o) => o.kind === "Namespace")) {
        const contents = await reader.listNamespace(ns.name).catch(() => undefined);
        // Gone already, or the cluster unreadable: the destroy says which, and the program's
        // guard checks again before the namespace goes.
        if (contents) refuseNamespaceDelete(ns.name, contents, own);
    }
}
