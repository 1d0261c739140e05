/**
 * Every input check, run before anything is registered (here and in validate-rules.ts and
 * validate-token.ts): a check that throws after the first registration could leave objects
 * behind. Inputs are treated as untrusted JSON (stack config is), and every problem is reported
 * at once, each naming the key, the value and the fix.
 */
import {
    DEFAULTS,
    POD_SECURITY_LEVELS,
    PodSecurityLevel,
    PROFILES,
    RESERVED_NAMESPACES,
} from "./defaults";
import { isInteger, isObject, Problems } from "./problems";
import type { ServiceAccountWorkloadArgs } from "./service-account-workload";
import { checkImagePullPolicy, checkNodeSelector, checkTolerations } from "./validate-placement";
import { checkRules } from "./validate-rules";
import { checkToken } from "./validate-token";

export { ConfigError, Problem, Problems } from "./problems";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// The image reference grammar: [host[:port]/]path[:tag][@sha256:digest].
const IMAGE =
    /^(?:(?<host>[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)\/)?(?<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

const ARG_KEYS: readonly (keyof ServiceAccountWorkloadArgs)[] = [
    "namespace",
    "serviceAccountName",
    "podName",
    "podSecurity",
    "image",
    "imagePullPolicy",
    "port",
    "runAsUser",
    "rules",
    "allowWildcards",
    "token",
    "legacyTokenSecret",
    "resources",
    "readyTimeoutSeconds",
    "deleteTimeoutSeconds",
    "adoptExisting",
    "nodeSelector",
    "tolerations",
    "kubeContext",
];

function checkName(
    p: Problems,
    key: string,
    value: unknown,
    kind: string,
    label: boolean,
    example: string,
): void {
    if (value === undefined) return;
    const [pattern, max] = label ? [DNS1123_LABEL, 63] : [DNS1123_SUBDOMAIN, 253];
    p.check(
        typeof value === "string" && value.length <= max && pattern.test(value),
        key,
        value,
        `not a valid ${kind} name (DNS-1123 ${label ? "label" : "subdomain"}: at most ${max} ` +
            `lower-case letters, digits and '-'${label ? "" : " or '.'"}, starting and ending ` +
            `with a letter or digit)`,
        `use a name like "${example}"`,
    );
}

/** Checks an image reference: well formed, and pinned by a tag other than `latest` or a digest. */
export function checkImage(p: Problems, key: string, image: unknown): void {
    if (image === undefined) return;
    const match = typeof image === "string" ? IMAGE.exec(image) : null;
    if (
        !p.check(
            match !== null,
            key,
            image,
            "not a well-formed image reference",
            `write it as [registry/]repository:tag or repository@sha256:<64 hex digits>, e.g. ` +
                `"${DEFAULTS_IMAGE}"`,
        )
    )
        return;
    const { tag, digest } = match!.groups!;
    p.check(
        digest !== undefined || (tag !== undefined && tag !== "latest"),
        key,
        image,
        tag === "latest" ? "pinned to `latest`, which moves" : "not pinned (no tag or digest)",
        `pin a version tag or a digest, e.g. "${DEFAULTS_IMAGE}"`,
    );
}
const DEFAULTS_IMAGE = PROFILES.restricted.image;

/** Checks one workload's arguments, given as untrusted JSON, and records what is wrong. */
export function checkWorkload(p: Problems, args: unknown, prefix: string): void {
    if (
        !p.check(
            isObject(args),
            prefix,
            args,
            "not an object of workload settings",
            `give an object such as { namespace: "my-ns" }, or {} for every default`,
        )
    )
        return;
    const a = args as Record<string, unknown>;
    const key = (k: string): string => `${prefix}.${k}`;
    for (const extra of Object.keys(a).filter((k) => !(ARG_KEYS as string[]).includes(k))) {
        p.check(
            false,
            key(extra),
            a[extra],
            "not a workload setting",
            `use one of ${ARG_KEYS.join(", ")}`,
        );
    }
    checkName(p, key("namespace"), a.namespace, "namespace", true, DEFAULTS.namespace);
    if (typeof a.namespace === "string") {
        p.check(
            !RESERVED_NAMESPACES.includes(a.namespace) && !a.namespace.startsWith("kube-"),
            key("namespace"),
            a.namespace,
            "a namespace reserved for the cluster itself",
            `give the workload a namespace of its own, e.g. "${DEFAULTS.namespace}"`,
        );
    }
    checkName(
        p,
        key("serviceAccountName"),
        a.serviceAccountName,
        "ServiceAccount",
        false,
        DEFAULTS.serviceAccountName,
    );
    p.check(
        a.serviceAccountName !== "default",
        key("serviceAccountName"),
        a.serviceAccountName,
        "the namespace's shared default account, which is not this workload's own identity",
        `name a dedicated account, e.g. "${DEFAULTS.serviceAccountName}"`,
    );
    // The Pod's container takes the Pod's name, and container names are labels.
    checkName(p, key("podName"), a.podName, "Pod", true, DEFAULTS.podName);
    const levelOk =
        a.podSecurity === undefined ||
        p.check(
            (POD_SECURITY_LEVELS as readonly unknown[]).includes(a.podSecurity),
            key("podSecurity"),
            a.podSecurity,
            "not a Pod Security level offered here",
            `use one of ${POD_SECURITY_LEVELS.join(", ")}`,
        );
    checkImage(p, key("image"), a.image);
    checkImagePullPolicy(p, key("imagePullPolicy"), a.imagePullPolicy);
    checkNodeSelector(p, key("nodeSelector"), a.nodeSelector);
    checkTolerations(p, key("tolerations"), a.tolerations);
    if (a.port !== undefined) {
        p.check(
            isInteger(a.port) && a.port >= 1 && a.port <= 65535,
            key("port"),
            a.port,
            "not a port number",
            "use a whole number from 1 to 65535, e.g. 8080",
        );
    }
    if (a.runAsUser !== undefined) {
        const level = (levelOk ? (a.podSecurity ?? DEFAULTS.podSecurity) : undefined) as
            PodSecurityLevel | undefined;
        if (
            p.check(
                isInteger(a.runAsUser) && a.runAsUser >= 0,
                key("runAsUser"),
                a.runAsUser,
                "not a user id",
                "use a whole number of 0 or more, e.g. 101",
            )
        ) {
            p.check(
                !(level === "restricted" && a.runAsUser === 0),
                key("runAsUser"),
                a.runAsUser,
                `root (0) contradicts podSecurity "restricted", which requires a non-root user`,
                `use a non-root user (e.g. 101), or set podSecurity: "baseline" and an image that needs root`,
            );
        }
    }
    for (const flag of ["allowWildcards", "legacyTokenSecret", "adoptExisting"]) {
        if (a[flag] !== undefined) {
            p.check(
                typeof a[flag] === "boolean",
                key(flag),
                a[flag],
                "not a boolean",
                "use true or false (unquoted)",
            );
        }
    }
    checkRules(p, key("rules"), a.rules, a.allowWildcards === true);
    checkToken(p, key("token"), a.token);
    if (a.resources !== undefined) {
        p.check(
            isObject(a.resources) &&
                Object.keys(a.resources).every((k) => ["requests", "limits"].includes(k)),
            key("resources"),
            a.resources,
            "not a { requests, limits } object",
            `use e.g. { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } }`,
        );
    }
    for (const timeout of ["readyTimeoutSeconds", "deleteTimeoutSeconds"] as const) {
        const value = a[timeout];
        if (value === undefined) continue;
        p.check(
            isInteger(value) && value >= 10 && value <= 3600,
            key(timeout),
            value,
            "not a whole number of seconds from 10 to 3600",
            `use e.g. ${DEFAULTS[timeout]}`,
        );
    }
    if (a.kubeContext !== undefined) {
        p.check(
            typeof a.kubeContext === "string" && a.kubeContext !== "",
            key("kubeContext"),
            a.kubeContext,
            "not a context name",
            "name a context from your kubeconfig, or leave it out",
        );
    }
}

/** Throws a ConfigError unless `args` are valid arguments of one workload. */
export function validateWorkload(
    args: unknown,
    prefix: string,
): asserts args is ServiceAccountWorkloadArgs {
    const p = new Problems();
    checkWorkload(p, args, prefix);
    p.throwIfAny();
}
