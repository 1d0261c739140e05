/**
 * Plain data as the rules see it: untyped props read without crashing, and values that are not
 * known yet.
 *
 * During `pulumi preview`, a prop computed from another resource's output (say, a Pod's namespace
 * taken from a Namespace not yet created) has no value. The adapter (policy/adapt.ts) replaces
 * each such value by `UNKNOWN`. Rules never report a violation because of `UNKNOWN`: they judge
 * what is known and skip the rest, and the engine runs them again with every value known before
 * anything is changed (resource policies before each step of `pulumi up`, stack policies after
 * it). `undefined`, by contrast, means the field is absent, and Kubernetes applies its default.
 */

/** Stands for a value Pulumi cannot know until the update, e.g. an output of a new resource. */
export const UNKNOWN: unique symbol = Symbol("unknown until the update");

/** The type of `UNKNOWN`. */
export type Unknown = typeof UNKNOWN;

/** The properties of a resource, as plain data (inputs for resource rules, outputs for stacks). */
export type Props = Readonly<Record<string, unknown>>;

/** One resource of a stack, as a stack-level rule sees it. */
export interface StackResource {
    /** Pulumi type token, e.g. "kubernetes:core/v1:Pod". */
    readonly type: string;
    /** Pulumi name of the resource. */
    readonly name: string;
    /** Its properties. */
    readonly props: Props;
}

/** Whether a value is not known yet. */
export const isUnknown = (value: unknown): value is Unknown => value === UNKNOWN;

/**
 * The value at `path`: `UNKNOWN` as soon as a step is unknown, `undefined` as soon as a step is
 * missing or not an object, so rules can walk any shape without a guard at every level.
 */
export function get(value: unknown, ...path: readonly (string | number)[]): unknown {
    let current = value;
    for (const key of path) {
        if (current === UNKNOWN) return UNKNOWN;
        if (typeof current !== "object" || current === null) return undefined;
        current = (current as Record<string | number, unknown>)[key];
    }
    return current;
}

/**
 * The elements of a list: `[]` when it is missing (Kubernetes treats a missing list as empty),
 * `[UNKNOWN]` when the whole list is unknown, so a check over the elements skips it.
 */
export function items(value: unknown): readonly unknown[] {
    if (value === UNKNOWN) return [UNKNOWN];
    return Array.isArray(value) ? value : [];
}

/**
 * Whether `list` holds `wanted`: `UNKNOWN` when it does not but the list, or one of its elements,
 * is unknown (the unknown one might be it).
 */
export function includes(list: unknown, wanted: string): boolean | Unknown {
    const elements = items(list);
    if (elements.includes(wanted)) return true;
    return elements.includes(UNKNOWN) ? UNKNOWN : false;
}

/** A value for a message: strings quoted, `UNKNOWN` and `undefined` spelled out. */
export function show(value: unknown): string {
    if (value === UNKNOWN) return "(unknown)";
    if (value === undefined) return "unset";
    return JSON.stringify(value);
}

/** A value inside a quoted name: strings as they are, `UNKNOWN` as "?", anything else empty. */
export function text(value: unknown): string {
    if (typeof value === "string") return value;
    return isUnknown(value) ? "?" : "";
}

/** The resource's kind, from its type token: "kubernetes:core/v1:Pod" gives "Pod". */
export function kindOf(type: string): string {
    return type.split(":").pop() ?? type;
}

/** `Kind "namespace/name"` (or `Kind "name"`), how every message names the resource it is about. */
export function subject(type: string, props: unknown): string {
    const name = get(props, "metadata", "name");
    const namespace = get(props, "metadata", "namespace");
    const qualified = namespace === undefined ? text(name) : `${text(namespace)}/${text(name)}`;
    return `${kindOf(type)} "${qualified}"`;
}
