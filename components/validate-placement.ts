/** Checks of where the Pod runs and where its image comes from, given as untrusted JSON. */
import { isInteger, isObject, Problems } from "./problems";

/** The image pull policies Kubernetes offers. */
export const IMAGE_PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;
export type ImagePullPolicy = (typeof IMAGE_PULL_POLICIES)[number];

/** A taint the Pod tolerates, as plain values (validated before anything is registered). */
export interface Toleration {
    readonly key?: string;
    /** @default "Equal" */
    readonly operator?: "Exists" | "Equal";
    readonly value?: string;
    /** @default every effect */
    readonly effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
    /** Only with NoExecute: how long the Pod stays once the taint appears. */
    readonly tolerationSeconds?: number;
}

const TOLERATION_KEYS = ["key", "operator", "value", "effect", "tolerationSeconds"];
const OPERATORS = ["Exists", "Equal"];
const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label or taint key: [prefix/]name, as Kubernetes validates it. */
function isQualifiedName(v: unknown): boolean {
    if (typeof v !== "string") return false;
    const [prefix, name, ...rest] = v.includes("/") ? v.split("/") : [undefined, v];
    return (
        rest.length === 0 &&
        name !== undefined &&
        name.length <= 63 &&
        NAME.test(name) &&
        (prefix === undefined || (prefix.length <= 253 && PREFIX.test(prefix)))
    );
}

const isLabelValue = (v: unknown): boolean =>
    typeof v === "string" && v.length <= 63 && (v === "" || NAME.test(v));

export function checkImagePullPolicy(p: Problems, key: string, policy: unknown): void {
    if (policy === undefined) return;
    p.check(
        (IMAGE_PULL_POLICIES as readonly unknown[]).includes(policy),
        key,
        policy,
        "not an image pull policy",
        `use one of ${IMAGE_PULL_POLICIES.join(", ")}`,
    );
}

export function checkNodeSelector(p: Problems, key: string, selector: unknown): void {
    if (selector === undefined) return;
    if (
        !p.check(
            isObject(selector),
            key,
            selector,
            "not a map of node labels",
            `use e.g. { "kubernetes.io/os": "linux" }`,
        )
    )
        return;
    for (const [label, value] of Object.entries(selector as Record<string, unknown>)) {
        p.check(
            isQualifiedName(label) && isLabelValue(value),
            `${key}["${label}"]`,
            value,
            "not a node label and value",
            "use a label key like example.com/name and a value of at most 63 letters, digits, '-', '_' or '.'",
        );
    }
}

export function checkTolerations(p: Problems, key: string, tolerations: unknown): void {
    if (tolerations === undefined) return;
    if (
        !p.check(
            Array.isArray(tolerations),
            key,
            tolerations,
            "not a list of tolerations",
            `use e.g. [{ key: "example.com/dedicated", operator: "Exists", effect: "NoSchedule" }]`,
        )
    )
        return;
    (tolerations as unknown[]).forEach((t, i) => {
        const at = `${key}[${i}]`;
        if (!p.check(isObject(t), at, t, "not a toleration", `use { key, operator, effect }`))
            return;
        // Kubernetes reads an empty key, operator, value or effect as one left out.
        const tol = Object.fromEntries(
            Object.entries(t as Record<string, unknown>).filter(([, v]) => v !== ""),
        );
        for (const extra of Object.keys(tol).filter((k) => !TOLERATION_KEYS.includes(k))) {
            p.check(
                false,
                `${at}.${extra}`,
                tol[extra],
                "not a toleration field",
                `use ${TOLERATION_KEYS.join(", ")}`,
            );
        }
        const operator = tol.operator ?? "Equal";
        p.check(
            OPERATORS.includes(operator as string),
            `${at}.operator`,
            tol.operator,
            "not an operator",
            `use ${OPERATORS.join(" or ")}`,
        );
        if (tol.key !== undefined) {
            p.check(
                isQualifiedName(tol.key),
                `${at}.key`,
                tol.key,
                "not a taint key",
                "use a key like example.com/dedicated",
            );
        } else {
            p.check(
                operator === "Exists",
                `${at}.key`,
                tol.key,
                "missing: only operator Exists may leave out the key (tolerating every taint)",
                "name the taint's key",
            );
        }
        if (tol.value !== undefined) {
            p.check(
                operator === "Equal" && isLabelValue(tol.value),
                `${at}.value`,
                tol.value,
                operator === "Equal" ? "not a taint value" : "a value with operator Exists",
                operator === "Equal"
                    ? "use at most 63 letters, digits, '-', '_' or '.'"
                    : "remove the value, or use operator Equal",
            );
        }
        if (tol.effect !== undefined) {
            p.check(
                EFFECTS.includes(tol.effect as string),
                `${at}.effect`,
                tol.effect,
                "not a taint effect",
                `use one of ${EFFECTS.join(", ")}`,
            );
        }
        if (tol.tolerationSeconds !== undefined) {
            p.check(
                isInteger(tol.tolerationSeconds) && tol.effect === "NoExecute",
                `${at}.tolerationSeconds`,
                tol.tolerationSeconds,
                "only a whole number of seconds, with effect NoExecute",
                "remove it, or set effect NoExecute",
            );
        }
    });
}
