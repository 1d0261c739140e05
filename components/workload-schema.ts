/**
 * A workload's arguments, written once: this schema checks them as untrusted JSON (stack config
 * is) before anything is registered, and ServiceAccountWorkloadArgs is derived from it. Each
 * refusal carries its problem and its fix (the table M); problems.ts adds the key and the value.
 */
import { posix } from "node:path";

import * as z from "zod";

import { missingResources } from "../policy/rules/containers";
import * as d from "./defaults";
import {
    DNS1123_LABEL,
    DNS1123_SUBDOMAIN,
    IMAGE,
    isVersionTag,
    isLabelValue,
    isQualifiedName,
} from "./kubernetes-names";
import { DEPLOY_ONLY, isObject, Problem, throwProblems } from "./problems";
import { KNOWN_VERBS, type Verb, WILDCARD } from "./rbac";
import { ruleProblems } from "./rule-checks";
import { TOKEN_MODES } from "./token";

const EXAMPLE_IMAGE = d.PROFILES.restricted.image;
// What a token volume must not hide: directories the image's nginx reads (its configuration, its
// page, its start scripts) and the shell's, and everything the container runtime mounts. A path
// at one, or above one, hides it; one beside them (/etc/secrets) hides nothing.
const IMAGE_DIRECTORIES = [
    "/etc/nginx/conf.d",
    "/usr/share/nginx/html",
    "/docker-entrypoint.d",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
];
const RUNTIME_DIRECTORIES = ["/proc", "/sys", "/dev"];

/** The directory a token volume at `dir` would hide, if any (see IMAGE_DIRECTORIES). */
function hiddenBy(dir: string): string | undefined {
    const at = posix.normalize(dir).replace(/(.)\/$/, "$1");
    return (
        RUNTIME_DIRECTORIES.find((r) => at === r || at.startsWith(`${r}/`)) ??
        IMAGE_DIRECTORIES.find((d) => d === at || d.startsWith(`${at}/`))
    );
}
// The Docker Hub's nginx: how an image reference names it.
const OFFICIAL_NGINX =
    /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?(?:library\/)?nginx(?:[:@]|$)/;
const RULE = `write a rule as { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }`;
const PROJECTED_ONLY = ["audience", "expirationSeconds", "path"] as const;
const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
const MIN_TOKEN = d.MIN_TOKEN_EXPIRATION_SECONDS;
const MAX_TOKEN = 2 ** 32;
// The longest ServiceAccount name whose legacy token Secret's name stays within 253.
const MAX_LEGACY_ACCOUNT_NAME = 253 - d.LEGACY_TOKEN_SUFFIX.length;
// The largest user or group id the API server accepts (a 32-bit signed integer).
const MAX_ID = 2147483647;

/** Every refusal of the schema: "<problem> | <fix>". */
const M = {
    workload: `not an object of workload settings | give an object such as { namespace: "my-ns" }, or {} for every default`,
    reserved: `a namespace reserved for the cluster itself | give the workload a namespace of its own, e.g. "${d.DEFAULTS.namespace}"`,
    defaultAccount: `the namespace's shared default account, which is not this workload's own identity | name a dedicated account, e.g. "${d.DEFAULTS.serviceAccountName}"`,
    image: `not a well-formed image reference | write it as [registry/]repository:tag or repository@sha256:<64 hex digits>, e.g. "${EXAMPLE_IMAGE}"`,
    port: "not a port number | use a whole number from 1 to 65535, e.g. 8080",
    user: `not a user id | use a whole number from 0 to ${MAX_ID}, e.g. 101`,
    flag: "not a boolean | use true or false (unquoted)",
    rules: "not a list of rules | give a list",
    rule: `not a rule object | ${RULE}`,
    ruleField: `not a rule field | ${RULE}`,
    apiGroups: `must be a non-empty list of API group names, without a version | use [""] for the core group (pods, secrets), "apps" for deployments (not "core", "v1" or "apps/v1")`,
    nonEmpty: `must be a list of strings, not empty | ${RULE}`,
    ruleResources: `must be a non-empty list of resource types | use plural, lower-case types, e.g. ["pods", "pods/log"] (not ["Pod"]), and "*" only alone or as "*/<subresource>": RBAC reads any other "*" ("<resource>/*", "po*") as written, so it matches nothing`,
    verb: `not a Kubernetes verb | use some of ${KNOWN_VERBS.join(", ")}`,
    resourceNames: "must be a list of object names | give a list of strings or leave it out",
    token: `not a token object | use { mode: "automount" }`,
    tokenOption: `not a token option | use mode, and with mode "projected" ${PROJECTED_ONLY.join(", ")}`,
    audience: "must be a non-empty string | name the token's audience, or leave it out",
    expiration: `not a whole number of seconds from the API server's minimum of ${MIN_TOKEN} to its maximum of ${MAX_TOKEN} (2^32) | use ${MIN_TOKEN} or more, e.g. ${d.DEFAULTS.projectedTokenExpirationSeconds}`,
    path: `not an absolute directory below / without ':' or '..' | use a path like "${d.DEFAULTS.projectedTokenPath}"`,
    systemPath: (hidden: string) =>
        `over ${hidden}, which the ${RUNTIME_DIRECTORIES.some((r) => hidden.startsWith(r)) ? "container runtime provides" : "image needs (nginx's configuration, its page, its start scripts, the shell)"}: the token's volume would hide what is there, and the Pod would not start or not serve | use a directory of its own, e.g. "${d.DEFAULTS.projectedTokenPath}" or "/etc/secrets/token"`,
    officialNginx: `the Docker Hub's nginx image, which starts as root, writes /var/cache/nginx and /run and listens on 80: under podSecurity "restricted" (a non-root user, a read-only root filesystem) it would never become ready | use the unprivileged build of the same version, e.g. "${EXAMPLE_IMAGE}" (the default), or set podSecurity: "baseline"`,
    resources: `not a { requests, limits } object | use e.g. { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } }`,
    quantities: `not a map of resource names to quantities | use e.g. { cpu: "50m", memory: "32Mi" }`,
    resourceName: `not a container resource | use cpu, memory, ephemeral-storage, hugepages-<size>, or an extended resource such as example.com/gpu`,
    quantity: `not a Kubernetes quantity | write it as a string such as "250m", "0.5", "64Mi" or "1G"`,
    notWhole: `not a whole number, which the API server requires of an extended resource | use e.g. "1"`,
    exactLimit:
        "a request of a resource that is never overcommitted (hugepages-<size>, extended resources) other than its limit, which the API server refuses | set the same quantity in limits, or leave the request out (it defaults to the limit)",
    overLimit:
        "a request above the limit of the same resource, which the API server refuses | request at most the limit, or raise the limit",
    nodeSelector: `not a map of node labels | use e.g. { "kubernetes.io/os": "linux" }`,
    label: "not a node label and value | use a label key like example.com/name and a value of at most 63 letters, digits, '-', '_' or '.'",
    tolerations: `not a list of tolerations | use e.g. [{ key: "example.com/dedicated", operator: "Exists", effect: "NoSchedule" }]`,
    toleration: "not a toleration | use { key, operator, effect }",
    tolerationField: "not a toleration field | use key, operator, value, effect, tolerationSeconds",
    taintKey: "not a taint key | use a key like example.com/dedicated",
    operator: "not an operator | use Exists or Equal",
    noKey: "missing: only operator Exists may leave out the key (tolerating every taint) | name the taint's key",
    existsValue: "a value with operator Exists | remove the value, or use operator Equal",
    taintValue: "not a taint value | use at most 63 letters, digits, '-', '_' or '.'",
    tolerationSeconds: "not a whole number of seconds | write it as a number, e.g. 30 (unquoted)",
    tolerationSecondsEffect:
        "only for effect NoExecute, which evicts a pod | remove it, or set effect NoExecute",
    root: `root (0) contradicts podSecurity "restricted", which requires a non-root user | use a non-root user (e.g. 101), or set podSecurity: "baseline" and an image that needs root`,
    legacyName: `longer than ${MAX_LEGACY_ACCOUNT_NAME} characters with legacyTokenSecret: true, which names its Secret "<serviceAccountName>${d.LEGACY_TOKEN_SUFFIX}", past the API server's 253 | use a shorter name, e.g. "${d.DEFAULTS.serviceAccountName}"`,
    context: "not a context name | name a context from your kubeconfig, or leave it out",
};
const timeout = (fallback: number) =>
    `not a whole number of seconds from 10 to 3600 | use e.g. ${fallback}`;
const modeOption = (mode: unknown) =>
    `not an option of token mode "${String(mode)}" | remove it${mode === "projected" ? "" : `, or use mode "projected" for a custom token`}`;

// Schemas whose every refusal says the same: the type and the rule share one message.
const text = (ok: (s: string) => boolean, m: string) => z.string(m).refine(ok, m);
const whole = (min: number, max: number, m: string) =>
    z.number(m).refine((n) => Number.isInteger(n) && n >= min && n <= max, m);
const oneOf = <T extends readonly [string, ...string[]]>(values: T, problem: string) =>
    z.enum(values, `${problem} | use one of ${values.join(", ")}`);
const isStrings = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((s) => typeof s === "string");
/**
 * `""` (the core group), `*`, or a group's DNS name; "core" and a version ("v1") are how people
 * misname `""`.
 */
const isApiGroup = (g: string) =>
    g === "" || g === WILDCARD || (g !== "core" && g.length <= 253 && DNS1123_SUBDOMAIN.test(g));
/** How to write a YAML number or boolean given where text belongs. */
const asText = (value: number | boolean) =>
    `a ${typeof value}, not a string | write it as a string ("${String(value)}"); with pulumi config set --path, add --type string`;
const isNumberOrBoolean = (v: unknown): v is number | boolean =>
    typeof v === "number" || typeof v === "boolean";
/** A list of strings, checked and reported as one value. */
const strings = <T extends string = string>(ok: (l: string[]) => boolean, m: string) =>
    z.custom<readonly T[]>((v) => isStrings(v) && ok(v), m);
/** A strict object's messages: for a value that is not an object, and for a key it does not know. */
const objectOf = (notObject: string, unknownKey: (given: Record<string, unknown>) => string) => ({
    error: (i: { code: string; input?: unknown }) =>
        i.code === "unrecognized_keys" ? unknownKey(isObject(i.input) ? i.input : {}) : notObject,
});
const refuse = (
    ctx: z.core.$RefinementCtx,
    input: unknown,
    message: string,
    ...path: PropertyKey[]
) => ctx.addIssue({ code: "custom", input, path, message });

function dnsName(kind: string, label: boolean, example: string) {
    const [pattern, max] = label ? [DNS1123_LABEL, 63] : [DNS1123_SUBDOMAIN, 253];
    const m =
        `not a valid ${kind} name (DNS-1123 ${label ? "label" : "subdomain"}: at most ${max} lower-case ` +
        `letters, digits and '-'${label ? "" : " or '.'"}, starting and ending with a letter or digit) | use a name like "${example}"`;
    return text((s) => s.length <= max && pattern.test(s), m);
}

const image = z.string(M.image).superRefine((ref, ctx) => {
    const groups = IMAGE.exec(ref)?.groups;
    if (!groups) return refuse(ctx, ref, M.image);
    if (groups.digest !== undefined || (groups.tag !== undefined && isVersionTag(groups.tag)))
        return;
    const problem = groups.tag
        ? `tagged \`${groups.tag}\`, a name with no version in it, which moves with every release`
        : "not pinned (no tag or digest)";
    refuse(ctx, ref, `${problem} | pin a version tag or a digest, e.g. "${EXAMPLE_IMAGE}"`);
});

const rule = z.strictObject(
    {
        /** API groups of the resources; `""` is the core group (pods, secrets, configmaps). */
        apiGroups: strings((l) => l.length > 0 && l.every(isApiGroup), M.apiGroups),
        /** Resource types, plural and lower-case (`pods`, `pods/log`, `configmaps`). */
        resources: strings(
            // Lower-case at first (not a kind, "Pod"), and no "x/*", which RBAC matches only as
            // written (other globs: rule-checks.ts); metrics APIs name resources with "_" and
            // upper case after that.
            (l) =>
                l.length > 0 &&
                l.every((r) => /^[a-z0-9*][A-Za-z0-9._*/-]*$/.test(r) && !/.\/\*$/.test(r)),
            M.ruleResources,
        ),
        /** What may be done with them. `*` only with the workload's `allowWildcards`. */
        verbs: strings<Verb | typeof WILDCARD>((l) => l.length > 0, M.nonEmpty).superRefine(
            (verbs, ctx) => {
                const known: readonly string[] = [...KNOWN_VERBS, WILDCARD];
                // This check runs after a refused list too: it reads only a list of strings.
                const unknown = (isStrings(verbs) ? verbs : []).filter((v) => !known.includes(v));
                for (const verb of unknown) refuse(ctx, verb, M.verb);
            },
        ),
        /** Restricts the rule to these object names. @default every object of the resources */
        resourceNames: strings(() => true, M.resourceNames).optional(),
    },
    objectOf(M.rule, () => M.ruleField),
);

const token = z
    .strictObject(
        {
            /** `none`: nothing mounted. `automount`: the standard API token. `projected`: a custom one. */
            mode: oneOf(TOKEN_MODES, "not a token mode"),
            /** Who the token is for (projected only). @default the API server's own audience */
            audience: text((s) => s.trim() !== "", M.audience).optional(),
            /** Lifetime requested (projected only); the kubelet refreshes it at 80%. @default 3600 */
            expirationSeconds: whole(MIN_TOKEN, MAX_TOKEN, M.expiration).optional(),
            /**
             * Directory of the token file (projected only); not one the Pod mounts already.
             * @default "/var/run/secrets/tokens"
             */
            path: text((p) => /^\/[^:]*[^:/][^:]*$/.test(p) && !p.split("/").includes(".."), M.path)
                .superRefine((p, ctx) => {
                    const hidden = hiddenBy(p);
                    // Only where objects are made: a stack deployed before this check may hold it.
                    if (hidden)
                        ctx.addIssue({
                            code: "custom",
                            input: p,
                            message: M.systemPath(hidden),
                            params: DEPLOY_ONLY,
                        });
                })
                .optional(),
        },
        objectOf(M.token, ({ mode }) =>
            (TOKEN_MODES as readonly unknown[]).includes(mode) ? modeOption(mode) : M.tokenOption,
        ),
    )
    .superRefine((t, ctx) => {
        for (const key of PROJECTED_ONLY.filter(
            (k) => t[k] !== undefined && t.mode !== "projected",
        ))
            refuse(ctx, t[key], modeOption(t.mode), key);
    });

const tolerationFields = z
    .strictObject(
        {
            key: text(isQualifiedName, M.taintKey).optional(),
            /** @default "Equal" */
            operator: z.enum(["Exists", "Equal"], M.operator).optional(),
            value: z.string(M.taintValue).optional(),
            /** @default every effect */
            effect: oneOf(EFFECTS, "not a taint effect").optional(),
            /** Only with NoExecute: how long the Pod stays once the taint appears. */
            tolerationSeconds: whole(-Infinity, Infinity, M.tolerationSeconds).optional(),
        },
        objectOf(M.toleration, () => M.tolerationField),
    )
    .superRefine((t, ctx) => {
        const exists = t.operator === "Exists";
        if (t.key === undefined && !exists) refuse(ctx, undefined, M.noKey, "key");
        if (t.value !== undefined && exists) refuse(ctx, t.value, M.existsValue, "value");
        else if (t.value !== undefined && !isLabelValue(t.value))
            refuse(ctx, t.value, M.taintValue, "value");
        // Only a whole number, which is otherwise the type's to refuse.
        if (Number.isInteger(t.tolerationSeconds) && t.effect !== "NoExecute")
            refuse(ctx, t.tolerationSeconds, M.tolerationSecondsEffect, "tolerationSeconds");
    });
// Kubernetes reads an empty key, operator, value or effect as one left out.
const toleration = z.preprocess(
    (t) => (isObject(t) ? Object.fromEntries(Object.entries(t).filter(([, v]) => v !== "")) : t),
    tolerationFields,
);

// Keys and values checked in one pass, so every bad label is reported at once.
const nodeSelector = z
    .custom<Readonly<Record<string, string>>>(isObject, M.nodeSelector)
    .superRefine((selector, ctx) => {
        for (const [label, value] of Object.entries(isObject(selector) ? selector : {}))
            if (isNumberOrBoolean(value) && isQualifiedName(label))
                refuse(ctx, value, asText(value), label);
            else if (typeof value !== "string" || !isQualifiedName(label) || !isLabelValue(value))
                refuse(ctx, value, M.label, label);
    });

/** Kubernetes' quantity: a decimal number and a binary (Ki), SI (m, k, M) or exponent suffix. */
const QUANTITY = /^(?<n>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?<s>[KMGTPE]i|[numkMGTPE]|[eE][-+]?[0-9]+)?$/;
const SI: Record<string, number> = {
    n: -9,
    u: -6,
    m: -3,
    "": 0,
    k: 3,
    M: 6,
    G: 9,
    T: 12,
    P: 15,
    E: 18,
};

/** The value of a quantity, for comparing a request with its limit; undefined if not one. */
function quantityValue(q: string): number | undefined {
    const g = QUANTITY.exec(q)?.groups;
    if (!g) return undefined;
    const n = Number(g.n);
    const s = g.s ?? "";
    if (s.endsWith("i")) return n * 2 ** (10 * ("KMGTPE".indexOf(s[0]) + 1));
    return n * 10 ** (s in SI ? SI[s] : Number(s.slice(1)));
}

// A container resource: a standard one, or an extended one named with a domain.
const isResourceName = (name: string): boolean =>
    ["cpu", "memory", "ephemeral-storage"].includes(name) ||
    (name.startsWith("hugepages-") && quantityValue(name.slice(10)) !== undefined) ||
    (name.includes("/") && isQualifiedName(name));

// Extended resources: named with a domain other than the native kubernetes.io ones.
const isExtended = (name: string): boolean =>
    name.includes("/") && !/(^|\.)kubernetes\.io\//.test(name);
// Hugepages and extended resources: a request, where given, equals the limit.
const isNeverOvercommitted = (name: string): boolean =>
    name.startsWith("hugepages-") || isExtended(name);
// Quantities as numbers carry binary rounding (4.1G is 4099999999.9999995): equal within it.
const same = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

// Names and quantities checked in one pass, so every bad entry is reported at once.
const quantities = z
    .custom<Readonly<Record<string, string>>>(isObject, M.quantities)
    .superRefine((map, ctx) => {
        for (const [name, q] of Object.entries(isObject(map) ? map : {})) {
            const value = typeof q === "string" ? quantityValue(q) : undefined;
            if (!isResourceName(name)) refuse(ctx, q, M.resourceName, name);
            else if (value === undefined) refuse(ctx, q, M.quantity, name);
            else if (isExtended(name) && !same(value, Math.round(value)))
                refuse(ctx, q, M.notWhole, name);
        }
    });

const resources = z
    .custom<{ requests?: unknown; limits?: unknown }>(
        (r) => isObject(r) && Object.keys(r).every((k) => k === "requests" || k === "limits"),
        M.resources,
    )
    .pipe(
        z
            .object({ requests: quantities.optional(), limits: quantities.optional() })
            .superRefine((given, ctx) => {
                // Given, resources replaces the defaults as a whole: the pack's pod-has-resources
                // would stop npm run up at the Pod, once everything else exists.
                for (const { kind, missing } of missingResources(given))
                    ctx.addIssue({
                        code: "custom",
                        input: given[kind],
                        path: [kind],
                        params: DEPLOY_ONLY,
                        message: `without ${missing.join(" or ")}: resources replaces the defaults as a whole, and the policy pack, which npm run up and preview run, blocks a container without cpu and memory in both requests and limits (pod-has-resources, mandatory) once the namespace, ServiceAccount and Role exist | give cpu and memory in both, e.g. requests { cpu: "50m", memory: "32Mi" } and limits { cpu: "200m", memory: "128Mi" } (the defaults)`,
                    });
                const { requests = {}, limits = {} } = given;
                for (const [name, q] of Object.entries(requests)) {
                    const [want, max] = [quantityValue(q), quantityValue(limits[name] ?? "")];
                    if (
                        isNeverOvercommitted(name) &&
                        want !== undefined &&
                        (max === undefined || !same(want, max))
                    )
                        refuse(ctx, q, M.exactLimit, "requests", name);
                    else if (
                        want !== undefined &&
                        max !== undefined &&
                        want > max &&
                        !same(want, max)
                    )
                        refuse(ctx, q, M.overLimit, "requests", name);
                }
            }),
    );

const shape = {
    /** Namespace created for the workload; never a reserved one. @default "my-ns" */
    namespace: dnsName("namespace", true, d.DEFAULTS.namespace)
        .refine((ns) => !d.RESERVED_NAMESPACES.includes(ns) && !ns.startsWith("kube-"), M.reserved)
        .optional(),
    /** Name of the ServiceAccount the Pod runs as. @default "my-sa" */
    serviceAccountName: dnsName("ServiceAccount", false, d.DEFAULTS.serviceAccountName)
        .refine((sa) => sa !== "default", M.defaultAccount)
        .optional(),
    /** Name of the Pod, and of its container (so a DNS-1123 label). @default "my-pod" */
    podName: dnsName("Pod", true, d.DEFAULTS.podName).optional(),
    /** Pod Security level enforced on the namespace and met by the Pod. @default "restricted" */
    podSecurity: oneOf(d.POD_SECURITY_LEVELS, "not a Pod Security level offered here").optional(),
    /**
     * Container image, pinned by a version tag or a digest (never `latest`, `stable`). Under
     * podSecurity "restricted" it runs as `runAsUser` with a read-only root filesystem and no
     * capabilities, so it must serve on `port` writing only to /tmp (the Docker Hub's nginx, which
     * needs root, is refused there).
     * @default "nginxinc/nginx-unprivileged:1.27.4-alpine" (restricted) or "nginx:1.27.4-alpine"
     */
    image: image.optional(),
    /** When the kubelet pulls the image. @default Kubernetes' own: IfNotPresent for a tag */
    imagePullPolicy: oneOf(
        ["Always", "IfNotPresent", "Never"],
        "not an image pull policy",
    ).optional(),
    /** Port nginx listens on inside the container. @default 8080 (restricted) or 80 (baseline) */
    port: whole(1, 65535, M.port).optional(),
    /** User the container runs as. @default 101 (restricted) or the image's own (baseline) */
    runAsUser: whole(0, Infinity, M.user).optional(),
    /** What the ServiceAccount may do in its namespace. @default read pods (get, list, watch) */
    rules: z.array(rule, M.rules).readonly().optional(),
    /** Lets `rules` contain `*`. @default false */
    allowWildcards: z.boolean(M.flag).optional(),
    /** How the Pod gets its token. @default { mode: "automount" } */
    token: token.optional(),
    /** Also create a long-lived token Secret (legacy; prefer short-lived tokens). @default false */
    legacyTokenSecret: z.boolean(M.flag).optional(),
    /**
     * Resource requests and limits of the container.
     * @default cpu 50m, memory 32Mi, ephemeral-storage 64Mi requested; 200m, 128Mi, 256Mi at most
     */
    resources: resources.optional(),
    /**
     * How long `pulumi up` waits for the Pod to become Ready before failing; it bounds every
     * operation on the Pod, its delete too (in a destroy or a replacement). @default 180
     */
    readyTimeoutSeconds: whole(10, 3600, timeout(d.DEFAULTS.readyTimeoutSeconds)).optional(),
    /**
     * How long `pulumi destroy` waits for the namespace, and what is left in it after the Pod's
     * delete (which readyTimeoutSeconds bounds), to be gone before failing (a finalizer that
     * never finishes would otherwise hold it for 10 minutes). @default 300
     */
    deleteTimeoutSeconds: whole(10, 3600, timeout(d.DEFAULTS.deleteTimeoutSeconds)).optional(),
    /**
     * Creates the workload's objects even where objects of the same kind and name exist already,
     * taking them over: the stack then owns them, and `pulumi destroy` deletes them (a namespace
     * with everything in it). Otherwise such a create fails and names what exists. @default false
     */
    adoptExisting: z.boolean(M.flag).optional(),
    /** Node labels the Pod's node must have. @default none: any node */
    nodeSelector: nodeSelector.optional(),
    /** Taints the Pod tolerates (a tainted node takes only pods that tolerate it). @default none */
    tolerations: z.array(toleration, M.tolerations).readonly().optional(),
    /**
     * Kube context the workload deploys to, where the ownership checks look for objects that
     * exist already (ownership.ts). Given no provider in its options, the component makes one
     * for this context; a provider given must name the same one. @default the kubeconfig's
     * current context
     */
    kubeContext: text((c) => c !== "", M.context).optional(),
};
const workloadSchema = z.strictObject(
    shape,
    objectOf(
        M.workload,
        () => `not a workload setting | use one of ${Object.keys(shape).join(", ")}`,
    ),
);

/**
 * What a workload needs to act as its own identity. Every default is secure and runs nginx. As
 * the schema has it, but for `token`, whose type says which options go with which mode.
 */
export type ServiceAccountWorkloadArgs = Readonly<
    Omit<z.output<typeof workloadSchema>, "token"> & { token?: TokenOption }
>;
/** One rule of a namespaced Role: what `verbs` are allowed on which `resources`. */
export type PolicyRule = z.output<typeof rule>;
/** How a workload's Pod receives its token: the options past `mode` only with "projected". */
export type TokenOption =
    | { readonly mode: "none" | "automount" }
    | Readonly<z.output<typeof token> & { mode: "projected" }>;

/** Every problem with one workload's arguments, each named `<prefix>.<key>`. */
export function workloadProblems(args: unknown, prefix: string): Problem[] {
    const parsed = workloadSchema.safeParse(args, { reportInput: true });
    return problemsOf([...(parsed.error?.issues ?? []), ...betweenSettings(args)], prefix);
}

/**
 * Throws a ConfigError naming every problem unless `args` are one workload's arguments (for a
 * destroy, those that are not deployOnly: see throwProblems; the program's config warns of them).
 */
export function validateWorkload(
    args: unknown,
    prefix: string,
): asserts args is ServiceAccountWorkloadArgs {
    throwProblems(workloadProblems(args, prefix));
}

/**
 * The problems a schema's issues describe, keys written from `prefix` as a user types them. Each
 * issue's message is "<problem> | <fix>".
 */
export function problemsOf(issues: readonly z.core.$ZodIssue[], prefix: string): Problem[] {
    // Two checks of one value can refuse it for the same reason: say it once.
    const seen = new Set<string>();
    const once = ({ key, value, problem }: Problem): boolean =>
        seen.size < seen.add(JSON.stringify([key, value, problem])).size;
    return issues
        .flatMap((issue): Problem[] => {
            const [problem, fix = "see the README's settings"] = issue.message.split(" | ");
            const key = keyOf(prefix, issue.path);
            // A YAML number or boolean where text belongs: the type, not the text, is wrong.
            if (
                issue.code === "invalid_type" &&
                issue.expected === "string" &&
                isNumberOrBoolean(issue.input)
            ) {
                const [typeProblem, typeFix] = asText(issue.input).split(" | ");
                return [{ key, value: issue.input, problem: typeProblem, fix: typeFix }];
            }
            if (issue.code !== "unrecognized_keys")
                return [{ key, value: issue.input, problem, fix, ...deployOnlyOf(issue) }];
            const given = isObject(issue.input) ? issue.input : {};
            return issue.keys.map((k) => ({ key: keyOf(key, [k]), value: given[k], problem, fix }));
        })
        .filter(once);
}

const deployOnlyOf = (issue: z.core.$ZodIssue): { deployOnly?: true } =>
    issue.code === "custom" && issue.params?.deployOnly === true ? DEPLOY_ONLY : {};

const keyOf = (prefix: string, path: readonly PropertyKey[]): string =>
    path.reduce<string>(
        (key, at) =>
            typeof at === "number"
                ? `${key}[${at}]`
                : /^[A-Za-z_]\w*$/.test(String(at))
                  ? `${key}.${String(at)}`
                  : `${key}[${JSON.stringify(String(at))}]`,
        prefix,
    );

/** Rules between settings, read from the raw input so they are reported beside every other. */
function betweenSettings(a: unknown): z.core.$ZodIssue[] {
    if (!isObject(a)) return [];
    const issue = (input: unknown, message: string, ...path: PropertyKey[]) =>
        ({ code: "custom", input, message, path }) as const;
    const root = a.runAsUser === 0 && (a.podSecurity ?? d.DEFAULTS.podSecurity) === "restricted";
    const issues: z.core.$ZodIssue[] = root ? [issue(0, M.root, "runAsUser")] : [];
    // The token's volume beside the profile's writable ones: one mount per directory, and none
    // over a directory that holds another's (it would hide what nginx needs there).
    const path = isObject(a.token) ? a.token.path : undefined;
    const level = a.podSecurity ?? d.DEFAULTS.podSecurity;
    if (typeof path === "string" && (level === "restricted" || level === "baseline")) {
        const dir = path.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
        const clash = d.PROFILES[level].writablePaths.find(
            (w) => w === dir || w.startsWith(`${dir}/`),
        );
        const problem =
            clash === dir
                ? `the directory where the Pod mounts its writable ${clash} (podSecurity "${level}"): the API server refuses two volumes at one path`
                : `a directory holding the Pod's writable ${clash} (podSecurity "${level}"): the token's volume would hide everything else in it`;
        if (clash)
            issues.push(
                issue(
                    path,
                    `${problem} | use a directory of its own, e.g. "${d.DEFAULTS.projectedTokenPath}"`,
                    "token",
                    "path",
                ),
            );
    }
    // The profile's own image listens where the profile says: another port only fits another image.
    const profile =
        typeof level === "string" && Object.hasOwn(d.PROFILES, level)
            ? d.PROFILES[level as d.PodSecurityLevel]
            : undefined;
    const port = a.port;
    const validPort =
        typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535;
    if (profile && a.image === undefined && validPort && port !== profile.port)
        issues.push(
            issue(
                port,
                `not where the default image of podSecurity "${level as string}" (${profile.image}) listens, ${profile.port}: its probes would fail until the ready timeout | remove port, or set image to one that listens on ${port}`,
                "port",
            ),
        );
    if (level === "restricted" && typeof a.image === "string" && OFFICIAL_NGINX.test(a.image))
        issues.push({ ...issue(a.image, M.officialNginx, "image"), params: DEPLOY_ONLY });
    const sa = a.serviceAccountName;
    if (
        a.legacyTokenSecret === true &&
        typeof sa === "string" &&
        sa.length > MAX_LEGACY_ACCOUNT_NAME
    )
        issues.push(issue(sa, M.legacyName, "serviceAccountName"));
    // Past what the API server takes for a user id, which an older version let through.
    if (typeof a.runAsUser === "number" && a.runAsUser > MAX_ID)
        issues.push({ ...issue(a.runAsUser, M.user, "runAsUser"), params: DEPLOY_ONLY });
    const rules: unknown[] = Array.isArray(a.rules) ? a.rules : [];
    rules.forEach((r, i) => issues.push(...ruleProblems(r, a.allowWildcards === true, i)));
    return issues;
}
