/**
 * The secure baseline as data: names from the kubectl walk-through, and one consistent security
 * profile per Pod Security level. Every value here is asserted by a unit test. The default
 * rules are rbac.ts's readPods(): a default here, typed by the schema that reads these values for
 * its messages, would make the two files' types depend on each other.
 */

/**
 * Set to "1" by `npm run up` and `npm run preview`, which run the policy pack at its own levels:
 * there its mandatory rbac-no-wildcards blocks what allowWildcards lets past the schema.
 */
export const PACK_DEFAULTS_ENV = "SA_WORKLOAD_PACK_DEFAULTS";

/**
 * Set to "1" by `npm run down`: the program then refuses only what would make the destroy wrong,
 * and warns of what it refuses only where objects are made (Problem.deployOnly), so that a stack
 * deployed with a setting a later version refuses can still be removed.
 */
export const DESTROYING_ENV = "SA_WORKLOAD_DESTROYING";

/** The Pod Security Standards levels a workload can run under. `privileged` is not offered. */
export const POD_SECURITY_LEVELS = ["restricted", "baseline"] as const;

/** A Pod Security Standards level. */
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/** What runs, and how, under one Pod Security level: all parts agree with each other. */
export interface SecurityProfile {
    /** Image that runs under this level as configured here, pinned by tag. */
    readonly image: string;
    /** Port the image's nginx listens on. */
    readonly port: number;
    /** User the container runs as; undefined keeps the image's own (root for stock nginx). */
    readonly runAsUser?: number;
    /** Whether the API server must refuse to start the container as root. */
    readonly runAsNonRoot: boolean;
    /** Capabilities added back after dropping ALL. */
    readonly addCapabilities: readonly string[];
    /** Paths nginx writes to, each an emptyDir because the root filesystem is read-only. */
    readonly writablePaths: readonly string[];
}

export const PROFILES: Readonly<Record<PodSecurityLevel, SecurityProfile>> = {
    // The unprivileged nginx build runs as uid 101 on port 8080 and writes only under /tmp.
    restricted: {
        image: "nginxinc/nginx-unprivileged:1.27.4-alpine",
        port: 8080,
        runAsUser: 101,
        runAsNonRoot: true,
        addCapabilities: [],
        writablePaths: ["/tmp"],
    },
    // Stock nginx starts as root to bind port 80 and switch to its worker user; these are the
    // capabilities that needs, all of them allowed by `baseline`.
    baseline: {
        image: "nginx:1.27.4-alpine",
        port: 80,
        runAsNonRoot: false,
        addCapabilities: ["CHOWN", "DAC_OVERRIDE", "NET_BIND_SERVICE", "SETGID", "SETUID"],
        writablePaths: ["/var/cache/nginx", "/run"],
    },
};

/** Defaults for every optional field of a workload. */
export const DEFAULTS = {
    namespace: "my-ns",
    serviceAccountName: "my-sa",
    podName: "my-pod",
    podSecurity: "restricted" as PodSecurityLevel,
    allowWildcards: false,
    tokenMode: "automount" as const,
    projectedTokenPath: "/var/run/secrets/tokens",
    projectedTokenExpirationSeconds: 3600,
    legacyTokenSecret: false,
    adoptExisting: false,
    readyTimeoutSeconds: 180,
    deleteTimeoutSeconds: 300,
    resources: {
        // nginx writes only to its emptyDirs (64Mi each at most) and its logs to stdout.
        requests: { cpu: "50m", memory: "32Mi", "ephemeral-storage": "64Mi" },
        limits: { cpu: "200m", memory: "128Mi", "ephemeral-storage": "256Mi" },
    },
} as const;

/** The shortest lifetime the API server accepts for a requested ServiceAccount token. */
export const MIN_TOKEN_EXPIRATION_SECONDS = 600;

/** Ends the name of the legacy token Secret: `<serviceAccountName>-token`. */
export const LEGACY_TOKEN_SUFFIX = "-token";

/** Namespaces a workload may never be created in or take over. */
export const RESERVED_NAMESPACES: readonly string[] = [
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
];
