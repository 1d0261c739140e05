/**
 * What every container must declare beyond security settings: its resource requests and limits,
 * and an image that cannot change under the same name.
 */
import { containersOf, podSpecOf } from "./pod-spec";
import { get, Props, show } from "./values";

const RESOURCES_FIX =
    `set resources.requests and resources.limits for cpu and memory on the container, e.g. ` +
    `requests { cpu: "50m", memory: "32Mi" } and limits { cpu: "200m", memory: "128Mi" }`;
const WHY_MISSING: Readonly<Record<string, string>> = {
    requests:
        "the scheduler then places the pod as if it needed nothing, so its node can be overcommitted and the pod evicted first",
    limits: "nothing then stops the container, if compromised or leaking, from starving every other pod on its node",
};

/**
 * What a container's `resources` leave out of cpu and memory, in requests and in limits: what
 * pod-has-resources blocks, and what the workload schema refuses before anything exists.
 */
export function missingResources(
    resources: unknown,
): { kind: "requests" | "limits"; missing: string[] }[] {
    return (["requests", "limits"] as const).flatMap((kind) => {
        const missing = ["cpu", "memory"].filter(
            (resource) => get(resources, kind, resource) === undefined,
        );
        return missing.length === 0 ? [] : [{ kind, missing }];
    });
}

/** Every container and init container requests and limits both cpu and memory. */
export function podHasResources(type: string, props: Props): string[] {
    const pod = podSpecOf(type, props);
    if (pod === undefined) return [];
    return containersOf(pod.spec).flatMap(({ container, label }) =>
        missingResources(get(container, "resources")).map(
            ({ kind, missing }) =>
                `${pod.subject} ${label} sets no ${missing.join(" or ")} ${kind} ` +
                `(resources.${kind}): ${WHY_MISSING[kind]}. Fix: ${RESOURCES_FIX}.`,
        ),
    );
}

// A digest pins the content itself; a tag pins it as long as nobody pushes the tag again.
const DIGEST = /@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

/** Why an image reference is not pinned, or `undefined` when it is (or is not known yet). */
export function imageProblem(image: unknown): string | undefined {
    // Not known yet, or missing, which the API server refuses by itself.
    if (typeof image !== "string" || image === "") return undefined;
    if (DIGEST.test(image)) return undefined;
    // The tag follows the last ':' of the last path segment; an earlier ':' is a registry port.
    const lastSegment = image.slice(image.lastIndexOf("/") + 1);
    const colon = lastSegment.indexOf(":");
    if (colon < 0) return `runs image ${show(image)}, which has no tag and so means latest`;
    // A tag with no digit names a channel (latest, stable, mainline, alpine), not a version.
    if (!/[0-9]/.test(lastSegment.slice(colon + 1))) return `runs image ${show(image)}`;
    return undefined;
}

/** Every container and init container runs an image pinned by a version tag or a digest. */
export function podImagePinned(type: string, props: Props): string[] {
    const pod = podSpecOf(type, props);
    if (pod === undefined) return [];
    return containersOf(pod.spec).flatMap(({ container, label }) => {
        const problem = imageProblem(get(container, "image"));
        if (problem === undefined) return [];
        return [
            `${pod.subject} ${label} ${problem}: a tag with no version in it (latest, stable) ` +
                `moves whenever a new version is pushed, ` +
                `so what runs is not what was reviewed, and a rollback cannot bring the old one ` +
                `back. Fix: pin a version tag or a digest, e.g. ` +
                `"nginxinc/nginx-unprivileged:1.27.4-alpine" or "nginxinc/nginx-unprivileged@sha256:<digest>".`,
        ];
    });
}
