/**
 * `npm run render`: prints the Kubernetes objects the program would create for a stack's config, as
 * one multi-document YAML manifest for `kubectl apply -f -`. It runs index.ts under Pulumi's mocks
 * (nothing is deployed), so the manifest comes from the same code and config as `pulumi up`.
 *
 * Usage: render-manifest.ts [stack]   (config from Pulumi.<stack>.yaml, default dev; or the
 * SA_WORKLOAD_CONFIG environment variable, a JSON object of config keys to values)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";

import { acceptHooksUnderMocks, readNoKubeconfig } from "./lib/mock-monitor";
import { REPO_ROOT } from "./lib/toolchain";

interface Rendered {
    readonly type: string;
    readonly inputs: Record<string, unknown>;
}

/** `kubernetes:rbac.authorization.k8s.io/v1:Role` -> apiVersion and kind. */
function apiVersionAndKind(type: string): { apiVersion: string; kind: string } {
    const [, groupVersion, kind] = type.split(":");
    const apiVersion = groupVersion.startsWith("core/") ? groupVersion.slice(5) : groupVersion;
    return { apiVersion, kind };
}

function stackConfig(stack: string): Record<string, unknown> {
    if (process.env.SA_WORKLOAD_CONFIG) {
        return JSON.parse(process.env.SA_WORKLOAD_CONFIG) as Record<string, unknown>;
    }
    const file = join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    return (parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> }).config ?? {};
}

async function main(): Promise<void> {
    const rendered: Rendered[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                rendered.push({ type: args.type, inputs: args.inputs as Record<string, unknown> });
                return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
            },
            call: (args) => {
                throw new Error(`the program called ${args.token}, which rendering cannot answer`);
            },
        },
        "sa-workload",
        "render",
        true,
    );
    acceptHooksUnderMocks();
    readNoKubeconfig();
    pulumi.runtime.setAllConfig(
        Object.fromEntries(
            Object.entries(stackConfig(process.argv[2] ?? "dev")).map(([k, v]) => [
                k,
                typeof v === "string" ? v : JSON.stringify(v),
            ]),
        ),
    );
    const { default: program } = await import("../index");
    await new Promise<void>((resolve) => pulumi.output(program()).apply(() => resolve()));
    const documents = rendered
        .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers"))
        .map((r) => ({ ...apiVersionAndKind(r.type), ...r.inputs }));
    process.stdout.write(documents.map((d) => stringify(d)).join("---\n"));
}

main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
});
