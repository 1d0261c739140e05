/** Stack config as the engine hands it to the program: strings, objects as JSON. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

/** The config of a committed stack file, e.g. Pulumi.dev.yaml. */
export function stackFileConfig(stack: string): Record<string, unknown> {
    const file = join(__dirname, "..", "..", `Pulumi.${stack}.yaml`);
    return (parse(readFileSync(file, "utf8")) as { config: Record<string, unknown> }).config;
}

/** Sets the program's config for the current test. */
export function setConfig(config: Record<string, unknown>): void {
    pulumi.runtime.setAllConfig(
        Object.fromEntries(
            Object.entries(config).map(([k, v]) => [
                k,
                typeof v === "string" ? v : JSON.stringify(v),
            ]),
        ),
    );
}
