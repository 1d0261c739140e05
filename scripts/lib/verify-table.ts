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
