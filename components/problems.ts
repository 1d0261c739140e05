/**
 * Problems with input, collected rather than thrown one by one, so a user sees every mistake at
 * once, each with the key that holds it, the value and the fix.
 */
import * as pulumi from "@pulumi/pulumi";

import { DESTROYING_ENV } from "./defaults";

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
    /**
     * Refused where objects are made or changed (up, preview) but not for a destroy, which makes
     * nothing: a value a later version refuses, which a stack may have been deployed with.
     * @default false
     */
    readonly deployOnly?: boolean;
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
 * The params of a schema issue refused only where objects are made (Problem.deployOnly): the
 * checks a later version added, which a deployed stack's config may fail.
 */
export const DEPLOY_ONLY = { deployOnly: true } as const;

/**
 * Throws a ConfigError naming `problems`, but for a destroy (DESTROYING_ENV) only those that are
 * not deployOnly, the others said as warnings where `warn` asks for it.
 */
export function throwProblems(problems: readonly Problem[], warn = false): void {
    const destroying = process.env[DESTROYING_ENV] === "1";
    const blocking = destroying ? problems.filter((p) => !p.deployOnly) : problems;
    if (destroying && warn) {
        for (const p of problems.filter((q) => q.deployOnly)) {
            void pulumi.log.warn(
                `${describe(p)} (Not refused for a destroy, which makes nothing.)`,
            );
        }
    }
    if (blocking.length > 0) throw new ConfigError(blocking);
}

/** Collects problems; `check` records one when its condition is false. */
export class Problems {
    readonly list: Problem[] = [];
    check(
        ok: boolean,
        key: string,
        value: unknown,
        problem: string,
        fix: string,
        deployOnly = false,
    ): boolean {
        if (!ok)
            this.list.push({ key, value, problem, fix, ...(deployOnly ? { deployOnly } : {}) });
        return ok;
    }
    add(problems: readonly Problem[]): void {
        this.list.push(...problems);
    }
    /** throwProblems() of the problems collected, warning of those a destroy lets pass. */
    throwIfAny(): void {
        throwProblems(this.list, true);
    }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
