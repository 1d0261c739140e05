/**
 * What the program needs to run under Pulumi's mocks, for `npm run render` and the unit suite:
 * resource hooks accepted as the engine does, and no cluster asked anything.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as pulumi from "@pulumi/pulumi";

export interface MockMonitor {
    registerResourceHook?: (req: unknown, done: (err: null, res: object) => void) => void;
}

/**
 * The mock monitor, answering resource-hook registrations with success: Pulumi's (SDK 3.270)
 * cannot register the hooks the component binds to every child (components/ownership.ts). Call it
 * after `setMocks`.
 */
export function acceptHooksUnderMocks(): MockMonitor {
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
    monitor.registerResourceHook ??= (_req, done) => done(null, {});
    return monitor;
}

/**
 * Points KUBECONFIG at no file, so that the program under mocks reads no kubeconfig and asks no
 * cluster anything: its outputs record no cluster (index.ts would read the kube-system namespace
 * of the machine's current context). A test that needs a kubeconfig writes its own.
 */
export function readNoKubeconfig(): void {
    process.env.KUBECONFIG = join(tmpdir(), "sa-workload-under-mocks-has-no-kubeconfig");
}
