/**
 * A stop for the engine on SIGTERM (a `kill`, an IDE's stop button, `timeout`), which reaches this
 * process alone, not the engine: handed to the Automation API as the operations' `signal`, it
 * sends the engine's CLI SIGINT, the cancel that finishes the operations in flight and saves the
 * state, as a terminal's Ctrl-C does. Without it the command died at once, and its CLI with it on
 * its next write to the closed pipe, leaving the stack locked.
 */

/** A signal the SDK listens on, and the stop that fires it. */
export interface EngineStop {
    readonly signal: AbortSignal;
    stop(): void;
    /** Whether a CLI has been started with the signal: an engine's operation has begun. */
    readonly listening: boolean;
}

/**
 * Unlike an AbortController's signal, a listener added after the stop is called at once: a CLI
 * the SDK starts after SIGTERM came (the operation's own, a moment later) is stopped too. The SDK
 * (3.270, automation/cmd.js) only calls `addEventListener("abort", ...)` on it.
 */
export function engineStop(): EngineStop {
    const listeners: (() => void)[] = [];
    let stopped = false;
    let listening = false;
    const signal = {
        addEventListener: (_type: string, listener: () => void) => {
            listening = true;
            if (stopped) listener();
            else listeners.push(listener);
        },
    };
    return {
        signal: signal as unknown as AbortSignal,
        stop() {
            if (stopped) return;
            stopped = true;
            listeners.splice(0).forEach((listener) => listener());
        },
        get listening() {
            return listening;
        },
    };
}
