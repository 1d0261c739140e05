/**
 * Pulumi's mock monitor (SDK 3.270) cannot register resource hooks, which the component binds to
 * every child (components/ownership.ts): under mocks, accept them as the engine does. For
 * `npm run render` and the unit suite's mocks; call it after `setMocks`.
 */
import * as pulumi from "@pulumi/pulumi";

export interface MockMonitor {
    registerResourceHook?: (req: unknown, done: (err: null, res: object) => void) => void;
}

/** The mock monitor, answering resource-hook registrations with success. */
export function acceptHooksUnderMocks(): MockMonitor {
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
    monitor.registerResourceHook ??= (_req, done) => done(null, {});
    return monitor;
}
