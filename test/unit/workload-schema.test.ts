import * as assert from "node:assert/strict";

import { workloadProblems } from "../../components/workload-schema";
import { refuses } from "../helpers/refuses";

const PREFIX = `ServiceAccountWorkload "bad" args`;
const problemsOf = (args: unknown) => workloadProblems(args, PREFIX);
const WRONG = [7, 1.5, -1, "x", "", true, null, {}, [], ["x"], [7], { x: 1 }, [{ x: 1 }]];

describe("the workload schema", () => {
    // The settings as the schema itself lists them, in the fix for a setting it does not know.
    const settings = refuses({ nope: 1 }, "nope", 1, "use one of")
        .problems[0].fix.replace("use one of ", "")
        .split(", ");

    it("lists every setting of the workload in the fix for an unknown one", () => {
        assert.ok(settings.length >= 19, settings.join(", "));
        for (const key of ["namespace", "image", "rules", "token", "tolerations", "kubeContext"])
            assert.ok(settings.includes(key), key);
    });

    it("refuses every wrong kind of value of every setting with its key, value and own fix", () => {
        for (const key of settings) {
            // Each setting takes at most one of them as a value of its type (7 as a port, [] as
            // rules): a loop below that met no refusal would prove nothing.
            const accepted = WRONG.filter((value) => problemsOf({ [key]: value }).length === 0);
            assert.ok(accepted.length <= 1, `${key} takes ${JSON.stringify(accepted)}`);
            for (const value of WRONG) {
                for (const p of problemsOf({ [key]: value })) {
                    assert.ok(
                        p.key.startsWith(`${PREFIX}.${key}`),
                        `${key}=${JSON.stringify(value)}: ${p.key}`,
                    );
                    assert.notEqual(
                        p.fix,
                        "see the README's settings",
                        `${p.key}: no fix of its own`,
                    );
                    assert.ok(p.problem.length > 5 && !p.problem.includes(" | "), p.problem);
                }
            }
        }
    });

    it("says a problem once when two checks of one value refuse it for one reason", () => {
        const problems = problemsOf({ tolerations: [{ key: "a", tolerationSeconds: 1.5 }] });
        assert.deepEqual(
            problems.map((p) => p.key),
            [`${PREFIX}.tolerations[0].tolerationSeconds`],
        );
    });

    it("reports every bad node label at once, a bad key beside a value of the wrong type", () => {
        const problems = problemsOf({ nodeSelector: { "bad key": "x", ok: 7, "a.b/c": "fine" } });
        assert.deepEqual(problems.map((p) => [p.key.slice(PREFIX.length + 1), p.value]).sort(), [
            ["nodeSelector.ok", 7],
            [`nodeSelector["bad key"]`, "x"],
        ]);
    });

    it("names a label key that is not a plain word in brackets, as the user writes it", () => {
        refuses({ nodeSelector: { "a b": "x" } }, `nodeSelector["a b"]`, "x", "example.com/name");
    });

    it("reports settings refused on their own and rules between settings together", () => {
        const problems = problemsOf({
            runAsUser: 0,
            image: 7,
            rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }],
        });
        assert.deepEqual(problems.map((p) => p.key.slice(PREFIX.length + 1)).sort(), [
            "image",
            "rules[0].verbs",
            "runAsUser",
        ]);
    });
});
