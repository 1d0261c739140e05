/** Checks of RBAC rules given as untrusted JSON. */
import { KNOWN_VERBS, WILDCARD } from "./rbac";
import { isObject, isStringArray, Problems } from "./problems";

export function checkRules(
    p: Problems,
    key: string,
    rules: unknown,
    allowWildcards: boolean,
): void {
    if (rules === undefined) return;
    if (!p.check(Array.isArray(rules), key, rules, "not a list of rules", "give a list")) return;
    (rules as unknown[]).forEach((rule, i) => {
        const at = `${key}[${i}]`;
        if (!p.check(isObject(rule), at, rule, "not a rule object", RULE_FIX)) return;
        const r = rule as Record<string, unknown>;
        for (const extra of Object.keys(r).filter((k) => !RULE_KEYS.includes(k))) {
            p.check(false, `${at}.${extra}`, r[extra], "not a rule field", RULE_FIX);
        }
        for (const field of ["apiGroups", "resources", "verbs"]) {
            const list = r[field];
            p.check(
                isStringArray(list) && (field === "apiGroups" || list.length > 0),
                `${at}.${field}`,
                list,
                "must be a list of strings" + (field === "apiGroups" ? "" : ", not empty"),
                field === "apiGroups" ? `use [""] for the core group (pods, secrets)` : RULE_FIX,
            );
            if (isStringArray(list) && list.includes(WILDCARD)) {
                p.check(
                    allowWildcards,
                    `${at}.${field}`,
                    list,
                    "contains the wildcard `*`, which grants everything now and in the future",
                    `list exactly what the workload needs, or set allowWildcards: true to accept it`,
                );
            }
        }
        if (isStringArray(r.verbs)) {
            for (const verb of r.verbs.filter((v) => v !== WILDCARD)) {
                p.check(
                    (KNOWN_VERBS as readonly string[]).includes(verb),
                    `${at}.verbs`,
                    verb,
                    "not a Kubernetes verb",
                    `use some of ${KNOWN_VERBS.join(", ")}`,
                );
            }
        }
        if (r.resourceNames !== undefined) {
            p.check(
                isStringArray(r.resourceNames),
                `${at}.resourceNames`,
                r.resourceNames,
                "must be a list of object names",
                "give a list of strings or leave it out",
            );
        }
    });
}
const RULE_KEYS = ["apiGroups", "resources", "verbs", "resourceNames"];
const RULE_FIX = `write a rule as { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }`;
