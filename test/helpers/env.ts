/**
 * Runs `fn` with environment variables set (undefined: unset), then puts back what they were,
 * also when `fn` throws or its promise rejects.
 */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
    const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
    setEnv(vars);
    let result: T;
    try {
        result = fn();
    } catch (error) {
        setEnv(saved);
        throw error;
    }
    if (result instanceof Promise) return result.finally(() => setEnv(saved)) as T;
    setEnv(saved);
    return result;
}

function setEnv(vars: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(vars)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
}
