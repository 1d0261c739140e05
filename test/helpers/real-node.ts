/**
 * The bundled cluster's real node (scripts/node.sh) as the e2e suite uses it: it is tainted, so a
 * workload lands there only with this selector and toleration, and it runs the test images built
 * from Debian packages, which are imported and never pulled.
 */
import type { ServiceAccountWorkloadArgs } from "../../components";
import { runScript } from "../../scripts/lib/toolchain";

/** As scripts/node.sh labels and taints the node (the real-node e2e test checks both). */
export const REAL_NODE_NAME = "sa-workload-node";
export const REAL_NODE_LABEL = { "sa-workload.dev/node": "real" } as const;
export const REAL_NODE_TAINT = {
    key: "sa-workload.dev/real-node",
    value: "true",
    effect: "NoSchedule",
} as const;

let images: { unprivileged: string; stock: string; pause: string } | undefined;

/** The test images by kind, as scripts/node.sh imports them (asked once per test run). */
export function testImages(): { unprivileged: string; stock: string; pause: string } {
    if (images) return images;
    const names = runScript("scripts/node.sh", "images")
        .trim()
        .split("\n")
        .map((line) => line.split(" ")[0]);
    const find = (part: string): string => {
        const name = names.find((n) => n.includes(`/${part}:`));
        if (!name)
            throw new Error(`scripts/node.sh images lists no ${part} image: ${names.join(", ")}`);
        return name;
    };
    images = {
        unprivileged: find("nginx-unprivileged"),
        stock: find("nginx"),
        pause: find("pause"),
    };
    return images;
}

/** A workload's args placed on the real node, with the test image of its profile. */
export function onRealNode(args: ServiceAccountWorkloadArgs = {}): ServiceAccountWorkloadArgs {
    const images = testImages();
    return {
        ...args,
        image: args.podSecurity === "baseline" ? images.stock : images.unprivileged,
        imagePullPolicy: "Never",
        nodeSelector: { ...REAL_NODE_LABEL },
        tolerations: [
            { key: REAL_NODE_TAINT.key, operator: "Exists", effect: REAL_NODE_TAINT.effect },
        ],
    };
}
