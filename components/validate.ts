/**
 * Every input check, in one place, run before anything is registered: a check that throws after
 * the first registration could leave objects behind. Inputs are treated as untrusted JSON (stack
 * config is), and every problem is reported at once, each naming the key, the value and the fix.
 */
import * as pulumi from "@pulumi/pulumi";

import {
    DEFAULTS,
    MIN_TOKEN_EXPIRATION_SECONDS,
    POD_SECURITY_LEVELS,
    PodSecurityLevel,
    PROFILES,
    RESERVED_NAMESPACES,
} from "./defaults";
import { KNOWN_VERBS, WILDCARD } from "./rbac";
import { TOKEN_MODES } from "./token";
import type { ServiceAccountWorkloadArgs } from "./service-account-workload";

/** One thing wrong with the input. */
export interface Problem {
    /** The config key (or argument path) that holds the value. */
    readonly key: string;
    /** The offending value, as given. */
    readonly value: unknown;
    /** What is wrong with it. */
    readonly problem: string;
    /** How to put it right. */
    readonly fix: string;
}

/** Bad input. A RunError, so Pulumi prints the message without a stack trace. */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: readonly Problem[]) {
        super(
            `Invalid configuration; nothing was created or changed:\n` +
                problems.map((p) => `  - ${describe(p)}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

function describe(p: Problem): string {
    const value = p.value === undefined ? "nothing" : JSON.stringify(p.value);
    return `${p.key} is ${value}: ${p.problem}. Fix: ${p.fix}.`;
}

/** Collects problems; `check` records one when its condition is false. */
export class Problems {
    readonly list: Problem[] = [];
    check(ok: boolean, key: string, value: unknown, problem: string, fix: string): boolean {
        if (!ok) this.list.push({ key, value, problem, fix });
        return ok;
    }
    throwIfAny(): void {
        if (this.list.length > 0) throw new ConfigError(this.list);
    }
}

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
    "port",
    "runAsUser",
    "rules",
    "allowWildcards",
    "token",
    "legacyTokenSecret",
    "resources",
    "readyTimeoutSeconds",
    "kubeContext",
];

const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
const isInteger = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const isStringArray = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((s) => typeof s === "string");

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

function checkRules(p: Problems, key: string, rules: unknown, allowWildcards: boolean): void {
    if (rules === undefined) return;
    if (!p.check(Array.isArray(rules), key, rules, "not a list of rules", "give a list")) return;
    (rules as unknown[]).forEach((rule, i) => {
        const at = `${key}[${i}]`;
        if (!p.check(isObject(rule), at, rule, "not a rule object", RULE_FIX)) return;
        const r = rule as Record<string, unknown>;
        for (const extra of Object.keys(r).filter((k) => !RULE_KEYS.includes(k))) {
            p.check(false, `${at}.${extra}`, r[extra], "not a rule field", RULE_FIX);
        }
        for (const field of ["apiGroups", "resources", "verbs"]) {
            const list = r[field];
            p.check(
                isStringArray(list) && (field === "apiGroups" || list.length > 0),
                `${at}.${field}`,
                list,
                "must be a list of strings" + (field === "apiGroups" ? "" : ", not empty"),
                field === "apiGroups" ? `use [""] for the core group (pods, secrets)` : RULE_FIX,
            );
            if (isStringArray(list) && list.includes(WILDCARD)) {
                p.check(
                    allowWildcards,
                    `${at}.${field}`,
                    list,
                    "contains the wildcard `*`, which grants everything now and in the future",
                    `list exactly what the workload needs, or set allowWildcards: true to accept it`,
                );
            }
        }
        if (isStringArray(r.verbs)) {
            for (const verb of r.verbs.filter((v) => v !== WILDCARD)) {
                p.check(
                    (KNOWN_VERBS as readonly string[]).includes(verb),
                    `${at}.verbs`,
                    verb,
                    "not a Kubernetes verb",
                    `use some of ${KNOWN_VERBS.join(", ")}`,
                );
            }
        }
        if (r.resourceNames !== undefined) {
            p.check(isStringArray(r.resourceNames), `${at}.resourceNames`, r.resourceNames,
                "must be a list of object names", "give a list of strings or leave it out");
        }
    });
}
const RULE_KEYS = ["apiGroups", "resources", "verbs", "resourceNames"];
const RULE_FIX = `write a rule as { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }`;

function checkToken(p: Problems, key: string, token: unknown): void {
    if (token === undefined) return;
    const modes = TOKEN_MODES.join(", ");
    if (!p.check(isObject(token), key, token, "not a token object", `use { mode: "automount" }`))
        return;
    const t = token as Record<string, unknown>;
    if (!p.check((TOKEN_MODES as readonly unknown[]).includes(t.mode), `${key}.mode`, t.mode,
        "not a token mode", `use one of ${modes}`))
        return;
    const allowed = t.mode === "projected" ? ["mode", "audience", "expirationSeconds", "path"] : ["mode"];
    for (const extra of Object.keys(t).filter((k) => !allowed.includes(k))) {
        p.check(false, `${key}.${extra}`, t[extra], `not an option of token mode "${String(t.mode)}"`,
            t.mode === "projected" ? "remove it" : `remove it, or use mode "projected" for a custom token`);
    }
    if (t.audience !== undefined) {
        p.check(typeof t.audience === "string" && t.audience.trim() !== "", `${key}.audience`,
            t.audience, "must be a non-empty string", "name the token's audience, or leave it out");
    }
    if (t.expirationSeconds !== undefined) {
        p.check(isInteger(t.expirationSeconds) && t.expirationSeconds >= MIN_TOKEN_EXPIRATION_SECONDS,
            `${key}.expirationSeconds`, t.expirationSeconds,
            `below the API server's minimum of ${MIN_TOKEN_EXPIRATION_SECONDS} seconds (or not a whole number)`,
            `use ${MIN_TOKEN_EXPIRATION_SECONDS} or more, e.g. ${DEFAULTS.projectedTokenExpirationSeconds}`);
    }
    if (t.path !== undefined) {
        p.check(typeof t.path === "string" && /^\/[^:]*$/.test(t.path) && !t.path.split("/").includes(".."),
            `${key}.path`, t.path, "not an absolute path without ':' or '..'",
            `use a path like "${DEFAULTS.projectedTokenPath}"`);
    }
}

/** Checks one workload's arguments, given as untrusted JSON, and records what is wrong. */
export function checkWorkload(p: Problems, args: unknown, prefix: string): void {
    if (!p.check(isObject(args), prefix, args, "not an object of workload settings",
        `give an object such as { namespace: "my-ns" }, or {} for every default`))
        return;
    const a = args as Record<string, unknown>;
    const key = (k: string): string => `${prefix}.${k}`;
    for (const extra of Object.keys(a).filter((k) => !(ARG_KEYS as string[]).includes(k))) {
        p.check(false, key(extra), a[extra], "not a workload setting", `use one of ${ARG_KEYS.join(", ")}`);
    }
    checkName(p, key("namespace"), a.namespace, "namespace", true, DEFAULTS.namespace);
    if (typeof a.namespace === "string") {
        p.check(!RESERVED_NAMESPACES.includes(a.namespace) && !a.namespace.startsWith("kube-"),
            key("namespace"), a.namespace, "a namespace reserved for the cluster itself",
            `give the workload a namespace of its own, e.g. "${DEFAULTS.namespace}"`);
    }
    checkName(p, key("serviceAccountName"), a.serviceAccountName, "ServiceAccount", false,
        DEFAULTS.serviceAccountName);
    p.check(a.serviceAccountName !== "default", key("serviceAccountName"), a.serviceAccountName,
        "the namespace's shared default account, which is not this workload's own identity",
        `name a dedicated account, e.g. "${DEFAULTS.serviceAccountName}"`);
    // The Pod's container takes the Pod's name, and container names are labels.
    checkName(p, key("podName"), a.podName, "Pod", true, DEFAULTS.podName);
    const levelOk = a.podSecurity === undefined || p.check(
        (POD_SECURITY_LEVELS as readonly unknown[]).includes(a.podSecurity), key("podSecurity"),
        a.podSecurity, "not a Pod Security level offered here", `use one of ${POD_SECURITY_LEVELS.join(", ")}`);
    checkImage(p, key("image"), a.image);
    if (a.port !== undefined) {
        p.check(isInteger(a.port) && a.port >= 1 && a.port <= 65535, key("port"), a.port,
            "not a port number", "use a whole number from 1 to 65535, e.g. 8080");
    }
    if (a.runAsUser !== undefined) {
        const level = (levelOk ? (a.podSecurity ?? DEFAULTS.podSecurity) : undefined) as PodSecurityLevel | undefined;
        if (p.check(isInteger(a.runAsUser) && a.runAsUser >= 0, key("runAsUser"), a.runAsUser,
            "not a user id", "use a whole number of 0 or more, e.g. 101")) {
            p.check(!(level === "restricted" && a.runAsUser === 0), key("runAsUser"), a.runAsUser,
                `root (0) contradicts podSecurity "restricted", which requires a non-root user`,
                `use a non-root user (e.g. 101), or set podSecurity: "baseline" and an image that needs root`);
        }
    }
    for (const flag of ["allowWildcards", "legacyTokenSecret"]) {
        if (a[flag] !== undefined) {
            p.check(typeof a[flag] === "boolean", key(flag), a[flag], "not a boolean",
                "use true or false (unquoted)");
        }
    }
    checkRules(p, key("rules"), a.rules, a.allowWildcards === true);
    checkToken(p, key("token"), a.token);
    if (a.resources !== undefined) {
        p.check(isObject(a.resources) && Object.keys(a.resources).every((k) => ["requests", "limits"].includes(k)),
            key("resources"), a.resources, "not a { requests, limits } object",
            `use e.g. { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } }`);
    }
    if (a.readyTimeoutSeconds !== undefined) {
        p.check(isInteger(a.readyTimeoutSeconds) && a.readyTimeoutSeconds >= 10 && a.readyTimeoutSeconds <= 3600,
            key("readyTimeoutSeconds"), a.readyTimeoutSeconds, "not a whole number of seconds from 10 to 3600",
            `use e.g. ${DEFAULTS.readyTimeoutSeconds}`);
    }
    if (a.kubeContext !== undefined) {
        p.check(typeof a.kubeContext === "string" && a.kubeContext !== "", key("kubeContext"),
            a.kubeContext, "not a context name", "name a context from your kubeconfig, or leave it out");
    }
}

/** Throws a ConfigError unless `args` are valid arguments of one workload. */
export function validateWorkload(args: unknown, prefix: string): asserts args is ServiceAccountWorkloadArgs {
    const p = new Problems();
    checkWorkload(p, args, prefix);
    p.throwIfAny();
}
