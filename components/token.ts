/**
 * How a workload's Pod receives its ServiceAccount token: one option, three modes.
 *
 * The ServiceAccount itself never automounts; the Pod opts in through exactly one of these, so
 * a Pod without `token` configured still gets what the workload is for (calling the API).
 */
import * as k8s from "@pulumi/kubernetes";

import { DEFAULTS } from "./defaults";
import type { TokenOption } from "./workload-schema";

export const TOKEN_MODES = ["none", "automount", "projected"] as const;

/** `none`: nothing mounted. `automount`: the standard API token. `projected`: a custom one. */
export type TokenMode = (typeof TOKEN_MODES)[number];

export type { TokenOption } from "./workload-schema";

/** What the Pod spec needs for a token option. */
export interface TokenMount {
    readonly automountServiceAccountToken: boolean;
    readonly volumes: k8s.types.input.core.v1.Volume[];
    readonly volumeMounts: k8s.types.input.core.v1.VolumeMount[];
}

const PROJECTED_VOLUME = "service-account-token";

/** Translates a token option into Pod spec fields. */
export function tokenMount(token: TokenOption): TokenMount {
    if (token.mode !== "projected") {
        return {
            automountServiceAccountToken: token.mode === "automount",
            volumes: [],
            volumeMounts: [],
        };
    }
    return {
        automountServiceAccountToken: false,
        volumes: [
            {
                name: PROJECTED_VOLUME,
                projected: {
                    sources: [
                        {
                            serviceAccountToken: {
                                path: "token",
                                expirationSeconds:
                                    token.expirationSeconds ??
                                    DEFAULTS.projectedTokenExpirationSeconds,
                                ...(token.audience ? { audience: token.audience } : {}),
                            },
                        },
                    ],
                },
            },
        ],
        volumeMounts: [
            {
                name: PROJECTED_VOLUME,
                mountPath: token.path ?? DEFAULTS.projectedTokenPath,
                readOnly: true,
            },
        ],
    };
}
