/**
 * One pool of connections to an API server per TLS setup, instead of a new one per request.
 *
 * @kubernetes/client-node 2.0.1 gives every API call a dispatcher (an undici Agent) of its own
 * (KubeConfig.applySecurityAuthentication calls createDispatcher each time), so every call opens
 * and handshakes a new TLS connection: listing a namespace for the ownership checks (every kind
 * it may hold) opened 79 of them, 0.7-0.8 s; one reused connection takes 0.2-0.3 s. A dispatcher
 * depends only on its options (CA, client certificate and key, server name, proxy), so one is
 * kept per distinct set of them; credentials still go with each request (its headers). Idle
 * connections do not keep a process alive.
 */

/** KubeConfig's dispatcher methods, as 2.0.1 has them (createDispatcher is private in its types). */
interface DispatcherMaker {
    createDispatcherOptions(cluster: unknown, agentOptions: unknown): unknown;
    createDispatcher?: (cluster: unknown, agentOptions: unknown) => unknown;
}

const REUSED = Symbol.for("sa-workload.reused-connections");

/**
 * Makes every KubeConfig of `kubeConfig`'s class reuse its dispatchers; a client without
 * createDispatcher is left as it is (test/unit/kube-context.test.ts counts the connections).
 */
export function reuseConnections(kubeConfig: { prototype: object }): void {
    const proto = kubeConfig.prototype as DispatcherMaker & { [REUSED]?: true };
    const make = proto.createDispatcher;
    if (typeof make !== "function" || proto[REUSED]) return;
    const pools = new Map<string, unknown>();
    proto.createDispatcher = function (this: DispatcherMaker, cluster, agentOptions) {
        const key = JSON.stringify(this.createDispatcherOptions(cluster, agentOptions));
        if (!pools.has(key)) pools.set(key, make.call(this, cluster, agentOptions));
        return pools.get(key);
    };
    proto[REUSED] = true;
}
