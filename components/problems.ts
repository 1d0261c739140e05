/**
 * Problems with input, collected rather than thrown one by one, so a user sees every mistake at
 * once, each with the key that holds it, the value and the fix.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as z from "zod";

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
            if (issue.code !== "unrecognized_keys")
                return [{ key, value: issue.input, problem, fix }];
            const given = isObject(issue.input) ? issue.input : {};
            return issue.keys.map((k) => ({ key: keyOf(key, [k]), value: given[k], problem, fix }));
        })
        .filter(once);
}

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

/** Collects problems; `check` records one when its condition is false. */
export class Problems {
    readonly list: Problem[] = [];
    check(ok: boolean, key: string, value: unknown, problem: string, fix: string): boolean {
        if (!ok) this.list.push({ key, value, problem, fix });
        return ok;
    }
    add(problems: readonly Problem[]): void {
        this.list.push(...problems);
    }
    throwIfAny(): void {
        if (this.list.length > 0) throw new ConfigError(this.list);
    }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
