/** The verify table: one row per check, fixed width, as `npm run verify` prints it. */
import type { Check } from "./verify";

/** Renders checks as a fixed-width table. */
export function formatTable(checks: readonly Check[]): string {
    const header = {
        workload: "WORKLOAD",
        check: "CHECK",
        expected: "EXPECTED",
        actual: "ACTUAL",
        ok: "RESULT",
    };
    const result = (c: Check): string => (c.note ? "skipped" : c.ok ? "ok" : "MISMATCH");
    const rows = [header, ...checks.map((c) => ({ ...c, ok: result(c) }))];
    const keys = ["workload", "check", "expected", "actual", "ok"] as const;
    const widths = keys.map((k) => Math.max(...rows.map((r) => String(r[k]).length)));
    return rows
        .map((r) =>
            keys
                .map((k, i) => String(r[k]).padEnd(widths[i]))
                .join("  ")
                .trimEnd(),
        )
        .join("\n");
}

/**
 * What `npm run verify` prints: the table, how many checks passed, and each note as
 * `<workload>: <check>: <what it says>`.
 */
export function formatReport(checks: readonly Check[]): string {
    const ran = checks.filter((c) => !c.note);
    const failed = ran.filter((c) => !c.ok).length;
    return [
        formatTable(checks),
        "",
        failed === 0
            ? `verify: all ${ran.length} checks passed`
            : `verify: ${failed} of ${ran.length} checks failed`,
        ...checks
            .filter((c) => c.note)
            .map((c) => `verify: ${c.workload}: ${c.check}: ${c.actual}`),
    ].join("\n");
}
