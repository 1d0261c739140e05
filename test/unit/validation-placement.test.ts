import * as assert from "node:assert/strict";

import { refuses } from "../helpers/refuses";
import { newWorkload } from "../helpers/workload";

describe("validation", () => {
    describe("placement", () => {
        it("refuses an image pull policy Kubernetes does not know", () => {
            refuses({ imagePullPolicy: "never" }, "imagePullPolicy", "never", "Never");
        });

        it("refuses a node selector that is not a map of labels", () => {
            refuses({ nodeSelector: ["real"] }, "nodeSelector", ["real"], "kubernetes.io/os");
        });

        it("refuses a node selector label with an invalid key or value", () => {
            refuses(
                { nodeSelector: { "bad key": "x" } },
                `nodeSelector["bad key"]`,
                "x",
                "example.com/name",
            );
            refuses(
                { nodeSelector: { "example.com/node": "not valid!" } },
                `nodeSelector["example.com/node"]`,
                "not valid!",
                "at most 63",
            );
        });

        it("refuses tolerations with an unknown operator, effect or field", () => {
            refuses(
                { tolerations: [{ key: "a", operator: "In" }] },
                "tolerations[0].operator",
                "In",
                "Exists or Equal",
            );
            refuses(
                { tolerations: [{ key: "a", effect: "NoRun" }] },
                "tolerations[0].effect",
                "NoRun",
                "NoSchedule",
            );
            refuses(
                { tolerations: [{ key: "a", taint: "b" }] },
                "tolerations[0].taint",
                "b",
                "operator",
            );
        });

        it("refuses a toleration without a key unless it tolerates everything with Exists", () => {
            refuses(
                { tolerations: [{ operator: "Equal", value: "x" }] },
                "tolerations[0].key",
                undefined,
                "name the taint's key",
            );
        });

        it("refuses a value with operator Exists, and tolerationSeconds without NoExecute", () => {
            refuses(
                { tolerations: [{ key: "a", operator: "Exists", value: "x" }] },
                "tolerations[0].value",
                "x",
                "operator Equal",
            );
            refuses(
                { tolerations: [{ key: "a", effect: "NoSchedule", tolerationSeconds: 5 }] },
                "tolerations[0].tolerationSeconds",
                5,
                "NoExecute",
            );
        });

        it("says a tolerationSeconds given as text must be a number, not that NoExecute is missing", () => {
            const error = refuses(
                { tolerations: [{ key: "a", effect: "NoExecute", tolerationSeconds: "30" }] },
                "tolerations[0].tolerationSeconds",
                "30",
                "30 (unquoted)",
            );
            assert.doesNotMatch(error.message, /set effect NoExecute/);
        });

        it("says a node label value or a taint value given as a number or boolean must be text", () => {
            refuses(
                { nodeSelector: { "example.com/gpu": true } },
                `nodeSelector["example.com/gpu"]`,
                true,
                `write it as a string ("true"); with pulumi config set --path, add --type string`,
            );
            refuses(
                { tolerations: [{ key: "a", operator: "Equal", value: 1 }] },
                "tolerations[0].value",
                1,
                `write it as a string ("1")`,
            );
        });

        it("reads empty toleration fields as left out, as Kubernetes does", async () => {
            // As stack config can give it: untyped JSON, "" where the type has a union.
            await newWorkload({
                tolerations: [{ key: "", operator: "Exists", value: "", effect: "" } as never],
            });
        });

        it("accepts the real node's selector and toleration as the e2e suite gives them", async () => {
            await newWorkload({
                image: "localhost/sa-workload/nginx-unprivileged:1.22-bookworm",
                imagePullPolicy: "Never",
                nodeSelector: { "sa-workload.dev/node": "real" },
                tolerations: [
                    { key: "sa-workload.dev/real-node", operator: "Exists", effect: "NoSchedule" },
                ],
            });
        });
    });
});
