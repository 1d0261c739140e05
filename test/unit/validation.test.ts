import * as assert from "node:assert/strict";

import { registrations } from "../helpers/mocks";
import { refuses } from "../helpers/refuses";
import { newWorkload } from "../helpers/workload";

const DIGEST = "sha256:" + "a".repeat(64);

describe("validation", () => {
    describe("names", () => {
        it("refuses a namespace that is not a DNS-1123 label", () => {
            refuses({ namespace: "My_NS" }, "namespace", "My_NS", `"my-ns"`);
        });

        it("refuses a namespace longer than 63 characters", () => {
            const long = "n".repeat(64);
            refuses({ namespace: long }, "namespace", long, "use a name like");
        });

        for (const reserved of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
            it(`refuses the reserved namespace ${reserved}`, () => {
                refuses({ namespace: reserved }, "namespace", reserved, "a namespace of its own");
            });
        }

        it("refuses any namespace with the kube- prefix", () => {
            refuses({ namespace: "kube-mine" }, "namespace", "kube-mine", "a namespace of its own");
        });

        it("refuses a service account name that is not a DNS-1123 subdomain", () => {
            refuses({ serviceAccountName: "SA!" }, "serviceAccountName", "SA!", `"my-sa"`);
        });

        it("refuses to run the workload as the namespace's default service account", () => {
            refuses(
                { serviceAccountName: "default" },
                "serviceAccountName",
                "default",
                "dedicated",
            );
        });

        it("refuses a pod name that cannot also name its container", () => {
            refuses({ podName: "my.pod" }, "podName", "my.pod", `"my-pod"`);
        });
    });

    describe("images", () => {
        it("refuses an image without a tag or digest", () => {
            refuses({ image: "nginx" }, "image", "nginx", "pin a version tag or a digest");
        });

        it("refuses an image pinned to latest", () => {
            refuses({ image: "nginx:latest" }, "image", "nginx:latest", "pin a version tag");
        });

        it("refuses tags that name a channel that moves, not a version", () => {
            for (const image of ["nginx:stable", "nginx:alpine", "nginx:mainline-alpine"])
                refuses({ image }, "image", image, "pin a version tag or a digest");
        });

        it("refuses a malformed image reference", () => {
            refuses({ image: "nginx:1.27 alpine" }, "image", "nginx:1.27 alpine", "repository:tag");
            refuses({ image: "NGINX:1.27" }, "image", "NGINX:1.27", "repository:tag");
        });

        it("accepts images pinned by tag, by digest, or from a registry with a port", async () => {
            for (const image of [
                "nginxinc/nginx-unprivileged:1.27.4",
                `nginxinc/nginx-unprivileged@${DIGEST}`,
                `registry.local:5000/team/nginx:1.27.4@${DIGEST}`,
            ]) {
                await newWorkload({ image }, `img-${registrations.length}`);
            }
        });

        it("refuses the Docker Hub's nginx, which needs root, under the restricted profile only", async () => {
            for (const image of [
                "nginx:1.27.4",
                `nginx@${DIGEST}`,
                "library/nginx:1.27.4-alpine",
                "docker.io/library/nginx:1.27.4",
                "index.docker.io/nginx:1.27.4",
            ]) {
                const error = refuses({ image }, "image", image, "nginxinc/nginx-unprivileged");
                assert.match(error.message, /starts as root/);
                assert.match(error.message, /podSecurity: "baseline"/);
            }
            for (const image of ["nginx:1.27.4", "docker.io/library/nginx:1.27.4"]) {
                await newWorkload(
                    { image, podSecurity: "baseline" },
                    `base-${registrations.length}`,
                );
            }
        });
    });

    describe("security profile", () => {
        it("refuses a Pod Security level it does not offer", () => {
            refuses(
                { podSecurity: "privileged" },
                "podSecurity",
                "privileged",
                "restricted, baseline",
            );
        });

        it("refuses root under the restricted profile", () => {
            refuses({ runAsUser: 0 }, "runAsUser", 0, `podSecurity: "baseline"`);
        });

        it("accepts root under the baseline profile", async () => {
            await newWorkload({ podSecurity: "baseline", runAsUser: 0 });
        });

        it("refuses a negative user id", () => {
            refuses({ runAsUser: -1 }, "runAsUser", -1, "from 0 to 2147483647");
        });

        it("refuses a user id past the API server's 2147483647, and takes that one", async () => {
            refuses({ runAsUser: 2 ** 31 }, "runAsUser", 2 ** 31, "from 0 to 2147483647");
            await newWorkload({ runAsUser: 2147483647 });
        });

        it("refuses a port the profile's default image does not listen on, and takes it with an image", async () => {
            refuses({ port: 80 }, "port", 80, "remove port, or set image");
            refuses({ podSecurity: "baseline", port: 8080 }, "port", 8080, "listens on 8080");
            await newWorkload({ port: 80, image: "example.com/web:1.0" }, "own-image");
        });

        it("refuses a port outside 1-65535", () => {
            refuses({ port: 0 }, "port", 0, "1 to 65535");
            refuses({ port: "8080" }, "port", "8080", "1 to 65535");
        });

        it("refuses a port that is no port only as such, not as one no image listens on", () => {
            for (const port of [0, 70000, 80.5]) {
                const error = refuses({ port }, "port", port, "1 to 65535");
                assert.equal(error.problems.length, 1, error.message);
            }
        });
    });

    it("refuses a ServiceAccount name whose legacy token Secret would pass 253 characters", async () => {
        const long = `${"a".repeat(240)}.${"b".repeat(8)}`;
        refuses(
            { serviceAccountName: long, legacyTokenSecret: true },
            "serviceAccountName",
            long,
            "shorter name",
        );
        // Without the Secret, the same name is the API server's to take.
        await newWorkload({ serviceAccountName: long }, "long");
    });

    describe("RBAC rules", () => {
        const rule = { apiGroups: [""], resources: ["pods"], verbs: ["get"] };

        it("refuses rules that are not a list", () => {
            refuses({ rules: rule }, "rules", rule, "give a list");
        });

        it("refuses an unknown verb", () => {
            refuses(
                { rules: [{ ...rule, verbs: ["read"] }] },
                "rules[0].verbs",
                "read",
                "get, list, watch",
            );
        });

        for (const field of ["verbs", "resources", "apiGroups"] as const) {
            it(`refuses a wildcard in ${field} without the opt-in`, () => {
                const bad = { ...rule, [field]: ["*"] };
                refuses({ rules: [bad] }, `rules[0].${field}`, ["*"], "allowWildcards: true");
            });
        }

        it("refuses a wildcard in any rule, not only the first, without the opt-in", () => {
            const bad = { ...rule, verbs: ["*"] };
            refuses({ rules: [rule, bad] }, "rules[1].verbs", ["*"], "allowWildcards: true");
        });

        it("refuses resourceNames given as one name instead of a list", () => {
            const bad = { ...rule, resourceNames: "web" };
            refuses({ rules: [bad] }, "rules[0].resourceNames", "web", "give a list of strings");
        });

        for (const entry of ["*/exec", "*/token"]) {
            it(`refuses the subresource wildcard ${entry}, which the authorizer matches on every resource`, () => {
                const bad = { ...rule, resources: ["pods", entry] };
                refuses({ rules: [bad] }, "rules[0].resources", bad.resources, "allowWildcards");
            });
        }

        it("refuses an empty apiGroups list, which the API server refuses mid-update", () => {
            refuses({ rules: [{ ...rule, apiGroups: [] }] }, "rules[0].apiGroups", [], `[""]`);
        });

        for (const group of ["core", "apps/v1", "Apps"]) {
            it(`refuses the API group "${group}", which names no group`, () => {
                const bad = { ...rule, apiGroups: [group] };
                refuses({ rules: [bad] }, "rules[0].apiGroups", [group], `"apps" for deployments`);
            });
        }

        it("refuses a subresource wildcard written after the resource, which RBAC reads as written", () => {
            const bad = { ...rule, resources: ["pods/*"] };
            refuses({ rules: [bad] }, "rules[0].resources", ["pods/*"], `"*/<subresource>"`);
        });

        it("takes a metrics API's resources, with '_' and upper case after the first letter", async () => {
            const metrics = {
                apiGroups: ["custom.metrics.k8s.io"],
                resources: ["pods/http_requests", "queue_messagesReady"],
                verbs: ["get" as const],
            };
            await newWorkload({ rules: [metrics] }, "metrics");
        });

        it("refuses a resource written as a kind, which matches nothing", () => {
            const bad = { ...rule, resources: ["Pod"] };
            refuses({ rules: [bad] }, "rules[0].resources", ["Pod"], "plural, lower-case");
        });

        it("refuses a rule with no verbs", () => {
            refuses({ rules: [{ ...rule, verbs: [] }] }, "rules[0].verbs", [], "write a rule as");
        });

        it("refuses a rule without apiGroups and names the core group", () => {
            refuses(
                { rules: [{ resources: ["pods"], verbs: ["get"] }] },
                "rules[0].apiGroups",
                undefined,
                `[""]`,
            );
        });

        it("refuses a misspelled rule field", () => {
            refuses(
                { rules: [{ ...rule, verb: ["get"] }] },
                "rules[0].verb",
                ["get"],
                "write a rule as",
            );
        });

        it("refuses an opt-in that is not a boolean", () => {
            refuses({ allowWildcards: "true" }, "allowWildcards", "true", "true or false");
        });
    });

    describe("token option", () => {
        it("refuses an unknown token mode", () => {
            refuses(
                { token: { mode: "always" } },
                "token.mode",
                "always",
                "none, automount, projected",
            );
        });

        it("refuses a projected token that expires in under 600 seconds", () => {
            const token = { mode: "projected", expirationSeconds: 599 };
            refuses({ token }, "token.expirationSeconds", 599, "600 or more");
        });

        it("refuses a projected token that outlives the API server's maximum of 2^32 seconds", () => {
            const token = { mode: "projected", expirationSeconds: 2 ** 32 + 1 };
            refuses({ token }, "token.expirationSeconds", 2 ** 32 + 1, "e.g. 3600");
        });

        it("refuses a token directory that climbs with '..'", () => {
            const token = { mode: "projected", path: "/var/../tmp" };
            refuses({ token }, "token.path", "/var/../tmp", "use a path like");
        });

        it("refuses a token directory where the Pod mounts its writable /tmp", () => {
            const error = refuses(
                { token: { mode: "projected", path: "/tmp/" } },
                "token.path",
                "/tmp/",
                "a directory of its own",
            );
            assert.match(error.message, /two volumes at one path/);
        });

        it("refuses a token directory that holds a baseline Pod's writable /var/cache/nginx", () => {
            const error = refuses(
                { podSecurity: "baseline", token: { mode: "projected", path: "/var" } },
                "token.path",
                "/var",
                "a directory of its own",
            );
            assert.match(error.message, /would hide everything else in it/);
        });

        it("accepts a token directory inside or beside the writable ones", async () => {
            for (const path of ["/tmp/tokens", "/var/run/secrets/vault", "/run-tokens"])
                await newWorkload(
                    { token: { mode: "projected", path } },
                    `tok-${registrations.length}`,
                );
        });

        it("refuses a token directory over, or above, what the image needs or the runtime provides", () => {
            for (const [path, hidden] of [
                ["/etc", "/etc/nginx/conf.d"],
                ["/etc/nginx", "/etc/nginx/conf.d"],
                ["/./etc/nginx/", "/etc/nginx/conf.d"],
                ["/usr/share/nginx/html", "/usr/share/nginx/html"],
                ["/bin", "/bin"],
                ["//proc/tokens/", "/proc"],
            ]) {
                const error = refuses(
                    { token: { mode: "projected", path } },
                    "token.path",
                    path,
                    "/var/run/secrets/tokens",
                );
                assert.ok(error.message.includes(`over ${hidden}, which the`), error.message);
            }
        });

        it("accepts a token directory beside what the image needs, in /etc or /usr too", async () => {
            for (const path of ["/etc/secrets/token", "/usr/local/tokens", "/etc/nginx/tokens"])
                await newWorkload(
                    { token: { mode: "projected", path } },
                    `tok-${registrations.length}`,
                );
        });

        it("refuses a relative token path, and / itself", () => {
            for (const path of ["tokens", "/"])
                refuses(
                    { token: { mode: "projected", path } },
                    "token.path",
                    path,
                    "/var/run/secrets/tokens",
                );
        });

        it("refuses projected-token options in another mode", () => {
            refuses(
                { token: { mode: "automount", audience: "vault" } },
                "token.audience",
                "vault",
                `mode "projected"`,
            );
        });

        it("refuses a legacy token flag that is not a boolean", () => {
            refuses({ legacyTokenSecret: "yes" }, "legacyTokenSecret", "yes", "true or false");
        });
    });

    describe("other settings", () => {
        it("refuses an unknown setting and lists the known ones", () => {
            refuses({ namspace: "my-ns" }, "namspace", "my-ns", "namespace, serviceAccountName");
        });

        it("refuses resources other than requests and limits", () => {
            refuses({ resources: { cpu: "1" } }, "resources", { cpu: "1" }, "requests");
        });

        it("refuses a resource that is not a container resource, naming it", () => {
            refuses(
                { resources: { limits: { gpu: "1" } } },
                `resources.limits.gpu`,
                "1",
                "example.com/gpu",
            );
        });

        it("refuses quantities Kubernetes does not read, each with its resource", () => {
            const error = refuses(
                { resources: { requests: { cpu: "lots", memory: 64 } } },
                "resources.requests.cpu",
                "lots",
                `"250m"`,
            );
            assert.match(
                error.message,
                /args\.resources\.requests\.memory is 64: not a Kubernetes quantity/,
            );
        });

        it("refuses a request above its limit, comparing across suffixes", () => {
            refuses(
                { resources: { requests: { memory: "1Gi" }, limits: { memory: "512M" } } },
                "resources.requests.memory",
                "1Gi",
                "request at most the limit",
            );
        });

        it("refuses an extended resource that is not a whole number", () => {
            refuses(
                { resources: { limits: { "example.com/gpu": "500m" } } },
                `resources.limits["example.com/gpu"]`,
                "500m",
                `"1"`,
            );
        });

        for (const name of ["example.com/gpu", "hugepages-2Mi"]) {
            const q = name === "hugepages-2Mi" ? "4Mi" : "2";
            it(`refuses a request of ${name} without its limit or other than it`, () => {
                const over = { [name]: name === "hugepages-2Mi" ? "2Mi" : "1" };
                for (const limits of [{}, over])
                    refuses(
                        { resources: { requests: { memory: "64Mi", [name]: q }, limits } },
                        `resources.requests[${JSON.stringify(name)}]`,
                        q,
                        "the same quantity in limits",
                    );
            });
        }

        it("refuses a request of an extended resource below its limit, and takes equal ones in any form", async () => {
            const gpu = "example.com/gpu";
            refuses(
                { resources: { requests: { [gpu]: "1" }, limits: { [gpu]: "2" } } },
                `resources.requests[${JSON.stringify(gpu)}]`,
                "1",
                "the same quantity in limits",
            );
            const cpuMemory = { cpu: "50m", memory: "32Mi" };
            const requests = { ...cpuMemory, "hugepages-2Mi": "4.1G" };
            const limits = { ...cpuMemory, "hugepages-2Mi": "4100M" };
            await newWorkload({ resources: { requests, limits } }, "equal");
        });

        it("accepts requests and limits in every quantity form", async () => {
            const resources = {
                requests: {
                    cpu: "0.25",
                    memory: "64Mi",
                    "ephemeral-storage": "1e8",
                    "hugepages-2Mi": "2097152",
                },
                limits: {
                    cpu: "250m",
                    memory: "67108864",
                    "example.com/gpu": "1",
                    "hugepages-2Mi": "2Mi",
                },
            };
            await newWorkload({ resources }, "quantities");
        });

        it("refuses a ready timeout under 10 seconds", () => {
            refuses({ readyTimeoutSeconds: 5 }, "readyTimeoutSeconds", 5, "180");
        });

        it("refuses a delete timeout that is not a whole number of seconds", () => {
            refuses({ deleteTimeoutSeconds: 1.5 }, "deleteTimeoutSeconds", 1.5, "300");
        });

        it("reports every problem at once", () => {
            const error = refuses(
                { namespace: "kube-system", image: "httpd", token: { mode: "x" } },
                "namespace",
                "kube-system",
                "own",
            );
            assert.equal(error.problems.length, 3);
        });

        for (const [key, value] of [
            ["namespace", 123],
            ["podName", 2024],
            ["serviceAccountName", true],
        ] as const) {
            it(`says that ${key}: ${value} is a ${typeof value}, to be written as a string`, () => {
                const error = refuses({ [key]: value }, key, value, `("${value}")`);
                assert.match(error.message, /not a string\. Fix: .*add --type string/);
                assert.doesNotMatch(error.message, /not a valid/);
            });
        }

        it("says that nothing was created", () => {
            const error = refuses({ port: -1 }, "port", -1, "1 to 65535");
            assert.match(error.message, /nothing was created or changed/);
        });
    });
});
