/**
 * Adapts the pure rules to @pulumi/policy: copies props out of the framework's proxy into plain
 * data, with `UNKNOWN` for each value not known yet, and reports each message a rule returns.
 *
 * Left to itself, the framework's proxy throws on the first unknown value a policy reads, and
 * the engine then skips the whole policy for that resource with an advisory note. Copying first
 * lets every rule judge all that is known at preview, and skip only what is not.
 */
import { ResourceValidationPolicy, StackValidationPolicy, UnknownValueError } from "@pulumi/policy";

import { PolicySpec } from "./policies";
import { Props, UNKNOWN } from "./rules/values";

function read(container: Record<string | number, unknown>, key: string | number): unknown {
    try {
        return toPlain(container[key]);
    } catch (e) {
        if (e instanceof UnknownValueError) return UNKNOWN;
        throw e;
    }
}

/** A deep plain copy of `value`, each unknown value in it replaced by `UNKNOWN`. */
export function toPlain(value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    const source = value as Record<string | number, unknown>;
    // Index by index: Array.prototype.map would read every element through the proxy at once.
    if (Array.isArray(value))
        return Array.from({ length: value.length }, (_, i) => read(source, i));
    return Object.fromEntries(Object.keys(value).map((key) => [key, read(source, key)]));
}

/** The @pulumi/policy policy for one spec. */
export function toPolicy(spec: PolicySpec): ResourceValidationPolicy | StackValidationPolicy {
    const { name, description, enforcementLevel } = spec;
    const common = { name, description, enforcementLevel };
    if (spec.kind === "resource") {
        return {
            ...common,
            validateResource: (args, reportViolation) => {
                const props = toPlain(args.props) as Props;
                for (const message of spec.check(args.type, props)) {
                    reportViolation(message);
                }
            },
        };
    }
    return {
        ...common,
        validateStack: (args, reportViolation) => {
            const resources = args.resources.map(({ type, name, props }) => ({
                type,
                name,
                props: toPlain(props) as Props,
            }));
            for (const message of spec.check(resources)) reportViolation(message);
        },
    };
}
