/**
 * Problems with input, collected rather than thrown one by one, so a user sees every mistake at
 * once, each with the key that holds it, the value and the fix.
 */
import * as pulumi from "@pulumi/pulumi";

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
    add(problems: readonly Problem[]): void {
        this.list.push(...problems);
    }
    throwIfAny(): void {
        if (this.list.length > 0) throw new ConfigError(this.list);
    }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
