/**
 * What `npm run down` checks before it deletes anything: deleting a namespace deletes everything
 * in it, so every object in the stack's namespaces that the stack did not create (and the cluster
 * did not make for itself) is named, and the destroy does not start unless the user confirms.
 * The program's own namespace guard (components/ownership.ts) checks again as each namespace
 * goes, and is what protects a plain `pulumi destroy --run-program`.
 */
import { ClusterReader } from "../../components/live-objects";
import {
    RecordedObject,
    recordedObject,
    refuseNamespaceDelete,
    refuseReplacedObjects,
    ReplacedObjectsError,
} from "../../components/ownership";

interface ResourceState {
    urn?: string;
    type: string;
    custom?: boolean;
    outputs?: Record<string, unknown>;
    /** An entry whose object a replacement deleted already (delete-before-replace). */
    pendingReplacement?: boolean;
}

/** The Kubernetes objects a stack's state holds, each with its URN and the uid it created. */
export function stateObjects(deployment: unknown): RecordedObject[] {
    const resources = (deployment as { resources?: ResourceState[] } | undefined)?.resources ?? [];
    return resources.flatMap((r) => {
        const o =
            r.custom && r.type.startsWith("kubernetes:")
                ? recordedObject(r.outputs, r.urn)
                : undefined;
        if (!o) return [];
        // Its object deleted by the replacement under way: the name is the stack's, the uid no
        // longer says which. (An entry to be deleted, `delete`, still has its object and uid.)
        return [r.pendingReplacement ? { ...o, uid: undefined } : o];
    });
}

/**
 * Throws, naming them, if objects of the stack's names are not the ones it created (the stack's
 * deleted and others made since, or another cluster), or if the stack's namespaces hold objects
 * it did not create, or objects of kinds that could not be listed (an aggregated API that does
 * not answer, a kind the user's credentials may not list): those would go with the namespace
 * unseen.
 */
export async function refuseForeignBeforeDown(
    deployment: unknown,
    reader: ClusterReader,
): Promise<void> {
    const own = stateObjects(deployment);
    // Unreadable: the destroy says why, and the program's hooks check each object again.
    await refuseReplacedObjects(reader, own).catch((error: unknown) => {
        if (error instanceof ReplacedObjectsError) throw error;
    });
    for (const ns of own.filter((o) => o.kind === "Namespace")) {
        const contents = await reader.listNamespace(ns.name).catch(() => undefined);
        // Gone already, or the cluster unreadable: the destroy says which, and the program's
        // guard checks again before the namespace goes.
        if (contents) refuseNamespaceDelete(ns.name, contents, own);
    }
}
